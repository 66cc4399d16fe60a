"""In a real browser: apply → guardian consent → school approval → allocate → publish."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ekkyo.accounts.services import student_code_issue
from ekkyo.allocation.models import AllocationRound, RoundStatus, Seat
from ekkyo.people.models import GuardianLink
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import PASSWORD, World, build_world, programme
from .test_browser import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_apply_consent_approve_allocate_publish(browser: Any, live_server: Any) -> None:
    base = live_server.url
    world: World = build_world()
    with system_scope(reason="arrange"):
        start = timezone.localdate() + timedelta(days=40)
        p = programme(
            world.a.consortium,
            world.a2.municipality,
            title="島の暮らし体験",
            capacity=3,
            starts_on=start,
            ends_on=start + timedelta(days=3),
        )
        r = AllocationRound.objects.create(
            consortium=world.a.consortium,
            name="夏の越境ラウンド",
            fiscal_year=2026,
            max_choices=2,
            opens_at=timezone.now() - timedelta(days=1),
            closes_at=timezone.now() + timedelta(days=3),
            lottery_seed=11,
            status=RoundStatus.OPEN,
        )
        r.programmes.add(p)
        student = world.a.students[1]
        GuardianLink.objects.create(guardian=world.a.guardian, student=student)
        issued = student_code_issue(student=student, issued_by=None)

    def page_for() -> Any:
        ctx = browser.new_context(locale="ja-JP")
        return ctx, ctx.new_page()

    # The student signs in with the code from school and applies.
    ctx, page = page_for()
    page.goto(f"{base}/student/sign-in/")
    page.fill("input[name=login_id]", issued.login_id)
    page.fill("input[name=code]", issued.code)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/programmes/rounds/{r.pk}/apply/")
    page.select_option("select[name=choice_1]", str(p.pk))
    page.click("button[value=submit]")
    page.wait_for_url("**/programmes/applications/")
    assert "島の暮らし体験" in page.content()
    ctx.close()

    # The guardian reads the notice and consents.
    ctx, page = page_for()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", world.a.users[Role.GUARDIAN].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/programmes/consents/")
    page.check("input[name=agree]")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".ok-box")
    ctx.close()

    # The school approves.
    ctx, page = page_for()
    _sign_in(page, base, world.a.users[Role.SCHOOL_STAFF].email)
    page.goto(f"{base}/programmes/approvals/")
    row = page.locator("tbody tr", has_text=student.full_name)
    row.locator("button[value=approve]").click()
    page.wait_for_load_state()
    assert page.locator("tbody tr", has_text=student.full_name).locator("button").count() == 0
    ctx.close()

    # The secretariat closes the round, allocates and publishes.
    ctx, page = page_for()
    _sign_in(page, base, world.a.users[Role.CONSORTIUM_ADMIN].email)
    page.goto(f"{base}/programmes/rounds/{r.pk}/")
    for action in ("close", "allocate", "publish"):
        page.click(f"button[value={action}]")
        page.wait_for_load_state()
    assert page.locator("button[value=second]").count() == 1
    ctx.close()
    with system_scope(reason="assert"):
        assert Seat._unscoped.filter(
            student=student, programme=p, cancelled_at__isnull=True
        ).exists()

    # The student sees the result.
    with system_scope(reason="arrange"):
        again = student_code_issue(student=student, issued_by=None)
    ctx, page = page_for()
    page.goto(f"{base}/student/sign-in/qr/{again.qr_token}/")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/programmes/applications/")
    assert "島の暮らし体験" in page.locator(".ok-box").inner_text()
    page.screenshot(path="test-artifacts/application_result.png", full_page=True)
    ctx.close()
