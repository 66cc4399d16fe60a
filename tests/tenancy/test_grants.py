"""Grant levels: what a role may do to a person it sees only for hosting.

A town, school or host family sees applicants to and guests of its
programmes *for hosting* (``world.guest``: a student of another town who
applied to town A's programme and stays with A's family). Every action that
needs full access must refuse them, on GET pages and — the hole of issue 10 —
on POSTs a page does not offer.

The routes come from the URL configuration (as in ``test_route_matrix``): a
route whose view does not declare its roles and grant fails here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from ekkyo.accounts.models import StudentSignInCode
from ekkyo.allocation.models import Application
from ekkyo.audit.models import AuditEvent
from ekkyo.participation.models import Reflection, Stay
from ekkyo.people.models import Consent, Guardian, GuardianLink, Student
from ekkyo.portfolio.models import PortfolioShare
from ekkyo.tenancy.access import Grant
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World
from .test_route_matrix import _PARAM, PARAMS, ROUTES

pytestmark = pytest.mark.django_db

HOSTING_ROLES = [Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF, Role.HOST]
# Third-party routes (allauth's account pages, Django's admin and language
# switch) have their own checks: the admin is for the secretariat only and is
# covered by test_route_matrix; allauth's pages act on the signed-in account.
THIRD_PARTY = ("account_", "mfa_", "admin:", "set_language", "socialaccount_")


def _view(route: str, name: str) -> Any:
    path = "/" + _PARAM.sub("1", route).replace("^", "").replace("$", "").replace("\\", "")
    return resolve(path).func


def _ours(name: str) -> bool:
    return not name.startswith(THIRD_PARTY)


def test_every_route_declares_roles_and_grant() -> None:
    missing = [
        f"{route} ({name})"
        for route, name in ROUTES
        if _ours(name) and not isinstance(getattr(_view(route, name), "ekkyo_grant", None), Grant)
    ]
    assert not missing, "routes without require_roles(..., grant=) or @public_route:\n" + (
        "\n".join(missing)
    )


def _guest_url(route: str, name: str, world: World) -> str:
    """The route pointed at the hosting-only guest where it takes a person, and
    at tenant A's own objects otherwise."""
    guest = {
        "student_id": str(world.guest.pk),
        "stay_id": str(world.guest_stay.pk),
        "application_id": str(world.guest_application.pk),
    }

    def sub(m: re.Match[str]) -> str:
        key = m.group("name") or m.group("rname")
        return guest[key] if key in guest else PARAMS[key](name, world.a)

    return "/" + _PARAM.sub(sub, route).replace("^", "").replace("$", "").replace("\\", "")


def _guest_snapshot(world: World) -> dict[str, Any]:
    """Everything about the guest that only full access may change."""
    with system_scope(reason="test snapshot"):
        g = world.guest
        return {
            "student": list(
                Student._unscoped.filter(pk=g.pk).values_list(
                    "family_name", "given_name", "grade", "birth_date", "school_id", "user_id"
                )
            ),
            "codes": StudentSignInCode.objects.filter(student=g).count(),
            "guardians": sorted(GuardianLink.objects.filter(student=g).values_list("guardian_id")),
            "guardian": list(
                Guardian._unscoped.filter(pk=world.guest_guardian.pk).values_list(
                    "email", "user_id"
                )
            ),
            "consents": sorted(
                Consent._unscoped.filter(student=g).values_list("purpose", "withdrawn_at")
            ),
            "applications": sorted(
                Application._unscoped.filter(student=g).values_list(
                    "pk", "status", "school_decision"
                )
            ),
            "shares": PortfolioShare._unscoped.filter(student=g).count(),
            "reflections": Reflection._unscoped.filter(student=g).count(),
            "health": [s.health for s in Stay._unscoped.filter(student=g)],
        }


def test_sign_in_code_takeover_is_refused_and_audited(world: World) -> None:
    """Issue 10, replayed: town A's staff see A2's student only because they
    applied to A's programme; a POST the page does not offer used to issue a
    one-time code for them, i.e. take over a minor's account."""
    town = Client()
    town.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    profile = town.get(f"/people/students/{world.guest.pk}/")
    assert profile.status_code == 200  # the hosting view stays
    body = profile.content.decode()
    assert "guest-guardian@example.jp" not in body and "2012" not in body
    assert "sign-in-code" not in body

    response = town.post(f"/people/students/{world.guest.pk}/sign-in-code/")
    assert response.status_code == 404
    with system_scope(reason="assert"):
        assert not StudentSignInCode.objects.filter(student=world.guest).exists()
        denied = AuditEvent._unscoped.filter(
            action="access.denied", actor_id=world.a.users[Role.MUNICIPALITY_STAFF].pk
        ).latest("pk")
    assert denied.detail["grant"] == "full" and denied.detail["model"] == "people.student"

    # The same answer as for a student who does not exist at all.
    assert town.post("/people/students/999999/sign-in-code/").status_code == 404
    # The student's own school still can.
    with system_scope(reason="arrange"):
        from ekkyo.accounts.models import Membership

        teacher = world.a.users[Role.SCHOOL_STAFF]
        Membership.objects.create(
            user=teacher,
            role=Role.SCHOOL_STAFF,
            consortium=world.a2.consortium,
            school=world.a2.school,
        )
    school = Client()
    school.force_login(teacher)
    assert school.post(f"/people/students/{world.guest.pk}/sign-in-code/").status_code == 200
    with system_scope(reason="assert"):
        assert StudentSignInCode.objects.filter(student=world.guest).count() == 1


@pytest.mark.parametrize("role", HOSTING_ROLES, ids=lambda r: r.value)
def test_no_full_access_action_works_on_a_hosting_only_person(role: Role, world: World) -> None:
    """Every POST route × the hosting roles × the guest: a route that needs full
    access refuses (403/404/405) and nothing only full access may change does."""
    before = _guest_snapshot(world)
    user = world.a.users[role]
    client = Client()
    failures: list[str] = []
    for route, name in ROUTES:
        if not _ours(name):
            continue
        grant = getattr(_view(route, name), "ekkyo_grant", None)
        if grant is None:
            failures.append(f"{route} ({name}): no declared grant")
            continue
        takes_person = any(p in route for p in ("student_id", "stay_id", "application_id"))
        url = _guest_url(route, name, world)
        if client.session.get("_auth_user_id") != str(user.pk):
            client = Client()
            client.force_login(user)
        for data in (
            {},
            {"action": "apply"},
            {"student": str(world.guest.pk)},
            {"application": str(world.guest_application.pk), "action": "approve"},
        ):
            response = client.post(url, data)
            if response.status_code >= 500:
                failures.append(f"POST {url} ({name}) {data}: status {response.status_code}")
            if (
                grant is Grant.FULL
                and takes_person
                and response.status_code not in {302, 403, 404, 405}
            ):
                failures.append(
                    f"POST {url} ({name}) needs full access but answered {response.status_code}"
                )
    assert not failures, "\n".join(failures)
    assert _guest_snapshot(world) == before, "a hosting grant changed full-access data"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[tuple[str, str]] = []  # (method, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.targets.append(("get", a["href"] or ""))
        elif tag == "form" and a.get("action") is not None:
            self.targets.append(((a.get("method") or "get").lower(), a["action"] or ""))


def _linked_views(html: str, page: str) -> list[tuple[str, str, Any]]:
    parser = _Links()
    parser.feed(html)
    found = []
    for method, target in parser.targets:
        parts = urlsplit(target or page)
        if parts.scheme or parts.netloc or not (parts.path or page).startswith("/"):
            continue
        path = parts.path or urlsplit(page).path
        try:
            match = resolve(path)
        except Resolver404:
            continue
        found.append((method, path, match))
    return found


ROLES_OF_A = list(Role)


@pytest.mark.parametrize("role", ROLES_OF_A, ids=lambda r: r.value)
def test_pages_link_only_to_actions_the_role_may_take(role: Role, world: World) -> None:
    """Every page a role opens (its own objects, and the guest for the hosting
    roles) links and posts only to routes whose declared roles include it, and
    never to a full-access route about a person it sees only for hosting."""
    user = world.a.users[role]
    client = Client()
    client.force_login(user)
    principal_roles = {role}
    failures: list[str] = []
    for route, name in ROUTES:
        if not _ours(name):
            continue
        url = _guest_url(route, name, world) if role in HOSTING_ROLES else None
        urls = {url} if url else set()
        if not _PARAM.search(route):
            urls.add("/" + route)
        for page in sorted(urls):
            response = client.get(page)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for method, path, match in _linked_views(response.content.decode(), page):
                roles = getattr(match.func, "ekkyo_roles", None)
                grant = getattr(match.func, "ekkyo_grant", None)
                if roles is None or match.url_name is None or match.namespace == "admin":
                    continue
                if roles and not (roles & principal_roles):
                    failures.append(f"{page} links to {method.upper()} {path} ({match.url_name})")
                about_guest = (
                    match.kwargs.get("student_id") == world.guest.pk
                    or match.kwargs.get("stay_id") == world.guest_stay.pk
                    or match.kwargs.get("application_id") == world.guest_application.pk
                )
                if role in HOSTING_ROLES and grant is Grant.FULL and about_guest:
                    failures.append(
                        f"{page} offers {method.upper()} {path}, a full-access action, "
                        "about a person this role sees for hosting"
                    )
    assert not failures, "\n".join(sorted(set(failures)))


def test_docs_access_matrix_is_the_code() -> None:
    """docs/access.md's table is generated from the views' declarations."""
    from pathlib import Path

    from ekkyo.web.access_matrix import matrix_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "access.md").read_text()
    assert matrix_markdown() in doc, "run `ekkyo access-matrix` and update docs/access.md"
    assert "UNDECLARED" not in doc
