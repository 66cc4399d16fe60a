"""In a real browser, in both languages: each dashboard draws its charts and fills its tables."""

from __future__ import annotations

from typing import Any

import pytest

from ekkyo.kpis.aggregates import aggregates_rebuild
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, build_world
from .test_browser import _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def live_world(live_server: Any) -> World:
    world = build_world()
    with system_scope(reason="test"):
        aggregates_rebuild(world.a.consortium)
    return world


def _check_dashboard(page: Any, url: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    charts = page.locator("figure.chart")
    assert charts.count() >= 1, url
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.chart')].every(f => f.dataset.drawn === '1')",
        timeout=30_000,
    )
    # Plotly drew into each figure (an SVG or, for the map, a geo layer).
    for i in range(charts.count()):
        assert charts.nth(i).locator("svg").count() > 0, (url, i)
    tables = page.locator("table.figures")
    assert tables.count() >= 1
    for i in range(tables.count()):
        assert tables.nth(i).locator("tbody td").count() > 0, (url, i)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_every_dashboard_draws_in_both_languages(
    page: Any, live_server: Any, live_world: World
) -> None:
    base = live_server.url
    a = live_world.a
    _sign_in(page, base, a.users[Role.CONSORTIUM_ADMIN].email)
    urls = [
        f"{base}/kpis/2026/dashboard/",
        f"{base}/kpis/2026/dashboard/member/{a.municipality.code}/",
        f"{base}/kpis/2026/dashboard/school/{a.school.code}/",
        f"{base}/kpis/2026/dashboard/programme/{a.published.pk}/",
    ]
    for url in urls:
        _check_dashboard(page, url)
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "ダッシュボード" in page.locator("h1").inner_text()
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    for url in urls:
        _check_dashboard(page, url)
    assert "Dashboard" in page.locator("h1").inner_text()
    page.screenshot(path="test-artifacts/dashboard-en.png", full_page=True)
