"""A survey answered with the network cut in the middle: nothing lost, stored once."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ekkyo.surveys.models import Response
from ekkyo.surveys.services import student_token, tokens_ensure
from ekkyo.tenancy.principal import system_scope

from ..factories import build_world
from ..surveys.test_answering import make_wave

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answer(page: Any, codes: list[str], value: str = "4") -> None:
    for code in codes:
        choice = page.locator(f'input[name="{code}"][value="{value}"]')
        if choice.count() == 0:  # a yes/no item
            choice = page.locator(f'input[name="{code}"]').last
        choice.check()


def _wait_for_text(page: Any, selector: str, timeout: float = 10.0) -> str:
    # Polled from Python: the page's CSP (no eval) rules out wait_for_function.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = str(page.locator(selector).inner_text())
        if text.strip():
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} stayed empty")


def test_offline_in_the_middle_then_reload_and_reconnect(browser: Any, live_server: Any) -> None:
    world = build_world()
    with system_scope(reason="arrange"):
        wave = make_wave(world)
        tokens_ensure(wave)
        first = student_token(wave, world.a.students[0])
        second = student_token(wave, world.a.students[1])
        codes = [i.code for i in wave.instrument.parsed().items]
        class1 = [i.code for i in wave.instrument.parsed().items if i.data_class == "I"]
    ctx = browser.new_context(locale="ja-JP")
    page = ctx.new_page()
    url = f"{live_server.url}/s/{first}/"
    page.goto(url)
    half = len(codes) // 2
    _answer(page, codes[:half])
    ctx.set_offline(True)
    _answer(page, codes[half:])
    page.click("#send")
    _wait_for_text(page, "#status")
    state = page.evaluate("Object.assign({}, window.localStorage)")
    queued = {k.split(":")[-1]: v for k, v in state.items()}
    assert queued["state"] == "queued"
    stored_plain = json.loads(queued["answers"])
    assert set(stored_plain) == set(codes) - set(class1)  # class I not in plain text
    assert "." in queued["class1"] and "{" not in queued["class1"]
    with system_scope(reason="assert"):
        assert not Response._unscoped.filter(wave=wave).exists()
    # Reconnect and reload: the answers come back and the queued submission goes out.
    ctx.set_offline(False)
    page.reload()
    page.wait_for_selector("#send[disabled]", timeout=20_000)
    checked = page.locator("fieldset.question input:checked").count()
    assert checked == len(codes)
    page.click("#send", force=True)  # a second click must not duplicate
    with system_scope(reason="assert"):
        rows = list(Response._unscoped.filter(wave=wave))
        assert len(rows) == 1
        assert len(rows[0].answers) == len(codes) - len(class1) and rows[0].class1_encrypted
    ctx.close()

    # Without a reload: the 'online' event sends the queue by itself.
    ctx = browser.new_context(locale="en-US")
    page = ctx.new_page()
    page.goto(f"{live_server.url}/s/{second}/")
    ctx.set_offline(True)
    _answer(page, codes)
    page.click("#send")
    ctx.set_offline(False)
    page.wait_for_selector("#send[disabled]", timeout=20_000)
    with system_scope(reason="assert"):
        assert Response._unscoped.filter(wave=wave).count() == 2
    ctx.close()
