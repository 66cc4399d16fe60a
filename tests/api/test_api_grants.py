"""The tenancy matrix for the API: every route declares its scope and grant;
every POST × every kind of token × another tenant's objects refuses (404),
and nothing only full access may change about the hosting-only guest does.

Routes come from the URL configuration (``ekkyo.api.urls``), so a new API
route is covered the day it is added: a POST route this test has no body
for fails it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from ekkyo.api.models import Scope
from ekkyo.surveys.services import student_token, tokens_ensure
from ekkyo.tenancy.access import Grant
from ekkyo.tenancy.principal import system_scope

from ..factories import Tenant, World
from ..tenancy.test_grants import _guest_snapshot, _view
from ..tenancy.test_route_matrix import ROUTES
from .conftest import ALL_SCOPES, Api, make_token

pytestmark = pytest.mark.django_db

API_ROUTES = [(r, n) for r, n in ROUTES if n.startswith("api-v1:") and n != "api-v1:openapi"]
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _survey_token(t: Tenant) -> str:
    with system_scope(reason="test: a survey link of the tenant"):
        tokens_ensure(t.wave)
        return student_token(t.wave, t.students[0])


# POST route (parameters bare) -> (path parameters, body) pointing at tenant ``t``.
POSTS: dict[str, Callable[[Tenant, World], tuple[dict[str, Any], dict[str, Any]]]] = {
    "api/v1/programmes/programme_id/stays-from-seats": lambda t, w: (
        {"programme_id": t.published.pk},
        {},
    ),
    "api/v1/sessions/session_id/attendance": lambda t, w: (
        {"session_id": t.session.pk},
        {"source": "zoom", "rows": [{"student_id": t.students[2].pk, "minutes": 30}]},
    ),
    "api/v1/residences": lambda t, w: (
        {},
        {
            "student_id": t.students[0].pk,
            "host_municipality_id": t.municipality.pk,
            "school_id": t.school.pk,
            "start": "2026-04-01",
        },
    ),
    "api/v1/survey-responses": lambda t, w: (
        {},
        {
            "token": _survey_token(t),
            "client_id": "5f0c9f8e-8a57-4a4e-9a51-0c1f7c2f6a10",
            "answers": {},
        },
    ),
}


def _url(route: str, params: dict[str, Any]) -> str:
    return "/" + _PARAM.sub(lambda m: str(params.get(m.group(1), 1)), route)


def test_every_api_route_declares_scope_and_grant() -> None:
    assert len(API_ROUTES) >= 9
    for route, name in API_ROUTES:
        view = _view(route, name)
        assert isinstance(getattr(view, "ekkyo_grant", None), Grant), route
        assert getattr(view, "ekkyo_api_scopes", None), route
        assert set(view.ekkyo_api_scopes) <= set(Scope.values), route


def _bare(route: str) -> str:
    return _PARAM.sub(r"\1", route)


def _posts() -> list[tuple[str, str]]:
    """(route, bare route) of every API route with a POST operation."""
    from ekkyo.api.views import DECLARATIONS

    post_paths = {
        "api/v1/" + re.sub(r"\{(\w+)\}", r"\1", p).lstrip("/")
        for m, p in DECLARATIONS
        if m == "POST"
    }
    return sorted({(r, _bare(r)) for r, _n in API_ROUTES if _bare(r) in post_paths})


def test_every_post_route_has_a_body_here() -> None:
    missing = [n for _r, n in _posts() if n not in POSTS]
    assert not missing, f"add these API POST routes to POSTS: {missing}"


@pytest.mark.parametrize("kind", ["consortium", "town"])
def test_no_post_reaches_another_tenant(kind: str, world: World) -> None:
    a = world.a
    secret = make_token(
        a.consortium.pk, None if kind == "consortium" else a.municipality.pk, ALL_SCOPES
    )
    api = Api(secret)
    foreign = [world.b] if kind == "consortium" else [world.a2, world.b]
    before = _guest_snapshot(world)
    failures = []
    for route, name in _posts():
        for t in foreign:
            params, body = POSTS[name](t, world)
            r = api.post(_url(route, params), body)
            if r.status_code != 404:
                failures.append(f"{kind} POST {name} at {t.municipality.name}: {r.status_code}")
        # The hosting-only guest: only routes that need full access must refuse.
        params, body = POSTS[name](world.a, world)
        if "student_id" in body:
            body = {**body, "student_id": world.guest.pk}
        r = api.post(_url(route, params), body)
        grant = _view(route, name).ekkyo_grant
        if r.status_code >= 500 or (grant is Grant.FULL and r.status_code != 404):
            failures.append(f"{kind} POST {name} about the guest: {r.status_code}")
    assert not failures, "\n".join(failures)
    assert _guest_snapshot(world) == before, "a hosting grant changed full-access data"


def test_a_token_without_the_scope_is_refused_everywhere(world: World) -> None:
    api = Api(make_token(world.a.consortium.pk, None, [Scope.PROGRAMMES_READ]))
    for route, name in API_ROUTES:
        view = _view(route, name)
        if Scope.PROGRAMMES_READ.value in view.ekkyo_api_scopes:
            continue
        url = _url(route, {"fy": 2026})
        bare = _bare(route)
        posts = bare in POSTS and not name.endswith(("residences",))  # GET /residences
        r = api.post(url, POSTS[bare](world.a, world)[1]) if posts else api.get(url)
        assert r.status_code == 403, (name, r.status_code)
