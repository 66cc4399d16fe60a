"""In a real browser: a student presses "sign in with Google" (a local test
provider), lands on their own page; a Microsoft account of another tenant
is refused with a page saying what to do."""

from __future__ import annotations

from typing import Any

import pytest

from ekkyo.accounts.sso_services import sso_identity_add
from ekkyo.audit.models import AuditEvent
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope

from ..accounts.oidc_provider import running_provider
from ..factories import World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TENANT = "6f2c1a4e-0b7d-4c3e-9a51-2d8e7f9b0c13"


def test_school_account_sign_in(browser: Any, live_server: Any, settings: Any) -> None:
    base = live_server.url
    world: World = build_world()
    with system_scope(reason="arrange"):
        for provider, tenant in (("google", ""), ("microsoft", TENANT)):
            sso_identity_add(
                actor=system_actor(reason="arrange"),
                provider=provider,
                domain="chu.example.jp",
                tenant_id=tenant,
                school_code=world.a.school.code,
            )
        student = world.a.students[0]
        student.school_email = "hanako@chu.example.jp"
        student.save(update_fields=["school_email"])
    with running_provider() as oidc:
        settings.SOCIALACCOUNT_PROVIDERS = {"ekkyo_oidc": {"APPS": oidc.apps()}}
        page = browser.new_context(locale="ja-JP").new_page()
        oidc.next_claims = {
            "email": "hanako@chu.example.jp",
            "email_verified": True,
            "hd": "chu.example.jp",
        }
        page.on("response", lambda r: print("RESP", r.status, r.url))
        page.on("requestfailed", lambda r: print("FAIL", r.url, r.failure))
        page.goto(f"{base}/student/sign-in/")
        page.click("button.sso-google")
        page.wait_for_timeout(5000)
        print("URL", page.url, page.content()[:3000])
        page.wait_for_url(f"{base}/")
        assert student.given_name in page.content()

        other = browser.new_context(locale="ja-JP").new_page()
        oidc.next_claims = {
            "email": "hanako@chu.example.jp",
            "xms_edov": True,
            "tid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        }
        other.goto(f"{base}/student/sign-in/")
        other.click("button.sso-microsoft")
        other.wait_for_selector("h1")
        assert "このアカウントではサインインできません" in other.content()
        assert other.locator("a[href='/student/sign-in/']").count() >= 1
    with system_scope(reason="assert"):
        assert AuditEvent.objects.filter(action="signin.sso").count() == 1
        refused = AuditEvent.objects.get(action="signin.sso.refused")
        assert refused.detail["new"]["reason"] == "wrong_tenant"
