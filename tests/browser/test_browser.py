"""In a real browser: sign-in with the second factor, roster import with errors, language switch."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ekkyo.core.totp import totp_at
from ekkyo.people.models import Student
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import PASSWORD, TOTP_SECRET, World, build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def live_world(live_server: Any) -> World:
    return build_world()


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/")
    # A code from the same 30-second window the server will check.
    page.fill("input[name=code]", totp_at(TOTP_SECRET, time.time()))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_sign_in_with_second_factor(page: Any, live_server: Any, live_world: World) -> None:
    base = live_server.url
    page.goto(f"{base}/people/students/")
    assert "/accounts/login/" in page.url  # personal data needs sign-in
    _sign_in(page, base, live_world.a.users[Role.SCHOOL_STAFF].email)
    assert page.locator("h1").inner_text().startswith("ようこそ")
    page.click("nav.main >> text=生徒")
    page.wait_for_url("**/people/students/")
    rows = page.locator("table tbody tr")
    assert rows.count() == len(live_world.a.students)
    assert "Beta秘匿" not in page.content()


def test_roster_import_lists_errors_and_writes_nothing(
    page: Any, live_server: Any, live_world: World
) -> None:
    base = live_server.url
    _sign_in(page, base, live_world.a.users[Role.SCHOOL_STAFF].email)
    home = live_world.a.municipality.code
    header = "学籍番号,姓,名,姓（かな）,名（かな）,学年,生年月日,住所地の市区町村コード"
    bad = "\r\n".join(
        [
            header,
            f"B1,髙橋,一郎,たかはし,いちろう,1,2013-04-10,{home}",
            f"B2,山﨑,花子,yamasaki,はなこ,2,2012-13-01,{home}",
        ]
    ).encode("cp932")
    page.goto(f"{base}/people/roster/import/")
    page.set_input_files(
        "input[type=file]", files=[{"name": "meibo.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.click("main form button[type=submit]")
    page.wait_for_url("**/people/roster/import/*/")
    problems = page.locator("section.problems tbody tr")
    assert problems.count() == 2
    assert problems.nth(0).locator("td").nth(0).inner_text() == "3"
    text = page.locator("section.problems").inner_text()
    assert "姓（かな）" in text and "生年月日" in text
    assert page.locator("button[value=apply]").count() == 0
    with system_scope(reason="assert"):
        assert not Student._unscoped.filter(student_number__in=["B1", "B2"]).exists()
    # Fixed file: preview is clean, import writes both rows with their rare kanji.
    good = bad.replace(b"yamasaki", "やまさき".encode("cp932")).replace(
        b"2012-13-01", b"2012-12-01"
    )
    page.goto(f"{base}/people/roster/import/")
    page.set_input_files(
        "input[type=file]", files=[{"name": "meibo.csv", "mimeType": "text/csv", "buffer": good}]
    )
    page.click("main form button[type=submit]")
    page.click("button[value=apply]")
    page.wait_for_selector(".ok-box")
    with system_scope(reason="assert"):
        names = set(
            Student._unscoped.filter(student_number__in=["B1", "B2"]).values_list(
                "family_name", flat=True
            )
        )
    assert names == {"髙橋", "山﨑"}


def test_language_switch(page: Any, live_server: Any, live_world: World) -> None:
    base = live_server.url
    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("nav.main").inner_text().startswith("ホーム")
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Learning across the borders" in page.locator("h1").inner_text()
    page.goto(f"{base}/registry/members/")
    assert "Member towns" in page.locator("h1").inner_text()
    page.click("button[value=ja]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "参加自治体" in page.locator("h1").inner_text()
