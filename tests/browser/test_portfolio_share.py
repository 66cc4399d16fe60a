"""In a real browser: a student shares part of their portfolio, the recipient
opens the link without signing in, the student withdraws it."""

from __future__ import annotations

from typing import Any

import pytest

from ekkyo.accounts.services import student_code_issue
from ekkyo.tenancy.principal import system_scope

from ..factories import World, build_world
from ..portfolio.test_portfolio import _build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_share_and_withdraw(browser: Any, live_server: Any) -> None:
    base = live_server.url
    world: World = build_world()
    _build(world)
    with system_scope(reason="arrange"):
        issued = student_code_issue(student=world.a.students[1], issued_by=None)

    ctx = browser.new_context(locale="ja-JP")
    page = ctx.new_page()
    page.goto(f"{base}/student/sign-in/")
    page.fill("input[name=login_id]", issued.login_id)
    page.fill("input[name=code]", issued.code)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/portfolio/")
    assert page.locator("#s-regions").is_visible()
    page.select_option("select[name=recipient_kind]", "university")
    page.fill("input[name=recipient_label]", "サンプル大学 入試課")
    for value in ("programmes", "teams", "reflections", "growth"):
        page.uncheck(f"input[name=sections][value={value}]")
    page.click("form[action$='/shares/new/'] button[type=submit]")
    page.wait_for_url(f"{base}/portfolio/")
    link = page.locator("input[readonly]").first.input_value()
    assert "/portfolio/shared/" in link

    guest = browser.new_context(locale="ja-JP").new_page()
    guest.goto(link)
    assert guest.locator("#s-regions").is_visible()
    assert guest.locator("#s-reflections").count() == 0
    assert "漁師さんの朝は早い" not in guest.content()

    page.click("form[action$='/withdraw/'] button[type=submit]")
    page.wait_for_url(f"{base}/portfolio/")
    response = guest.goto(link)
    assert response is not None and response.status == 404
    ctx.close()
