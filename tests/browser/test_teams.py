"""In a real browser: staff form and publish teams for an online programme; then a
student of one team opens the team page (in English) and sees their teammates."""

from __future__ import annotations

from typing import Any

import pytest

from ekkyo.accounts.services import student_code_issue
from ekkyo.teams.models import TeamMember
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, build_world
from ..teams.conftest import make_online
from .conftest import ARTIFACTS
from .test_browser import _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_form_publish_and_open_team_page(browser: Any, live_server: Any) -> None:
    base = live_server.url
    world: World = build_world()
    online = make_online(world, title="島と山のオンライン探究")
    me = world.a.students[1]
    with system_scope(reason="arrange"):
        issued = student_code_issue(student=me, issued_by=None)

    # Municipality staff of the host town form teams and publish them (Japanese UI).
    ctx = browser.new_context(locale="ja-JP")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    _sign_in(page, base, world.a.users[Role.MUNICIPALITY_STAFF].email)
    page.click("nav.main a[href='/teams/']")
    page.wait_for_url("**/teams/")
    page.click(f"a[href='/teams/programmes/{online.programme.pk}/']")
    page.wait_for_url(f"**/teams/programmes/{online.programme.pk}/")
    page.fill("input[name=name]", "第1期チーム")
    page.fill("input[name=team_size]", "4")
    page.select_option("select[name=method]", "heuristic")
    page.click("button[value=form]")
    page.wait_for_url("**/teams/sets/*/")
    assert "第1期チーム" in page.locator("h1").inner_text()
    assert page.locator("section table tbody tr").count() == len(online.students)
    page.click("button[value=publish]")
    page.wait_for_load_state()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "teams-set-detail.png"), full_page=True)
    assert page.locator("html").get_attribute("lang") == "ja"
    ctx.close()

    with system_scope(reason="assert"):
        team = TeamMember.objects.get(student=me, team_set__programme=online.programme).team
        mates = [
            m.student.full_name
            for m in TeamMember.objects.filter(team=team).select_related("student")
        ]
    assert len(mates) >= 3

    # The student signs in with the code from school, switches to English, opens the team.
    ctx = browser.new_context(locale="ja-JP")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/student/sign-in/")
    page.fill("input[name=login_id]", issued.login_id)
    page.fill("input[name=code]", issued.code)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("nav.main a[href='/teams/mine/']")
    page.wait_for_url("**/teams/mine/")
    page.click(f"a[href='/teams/{team.pk}/']")
    page.wait_for_url(f"**/teams/{team.pk}/")
    body = page.content()
    assert "Members" in body
    for name in mates:
        assert name in body
    # The student posts to the team space.
    page.fill("textarea[name=body]", "Hello from my town!")
    page.click("button[value=post]")
    page.wait_for_url(f"**/teams/{team.pk}/")
    assert "Hello from my town!" in page.content()
    page.screenshot(path=str(ARTIFACTS / "teams-team-page.png"), full_page=True)
    ctx.close()
