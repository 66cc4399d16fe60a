"""Every route × every role × another tenant's objects: nothing of theirs leaks.

The routes come from the URL configuration itself, so a route added later is
covered the day it is added. A route with a parameter this test does not know
fails the test: add the parameter to PARAMS (which object of the other tenant
it should point at).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from ekkyo.accounts.models import StudentSignInCode
from ekkyo.allocation.models import Application
from ekkyo.people.models import ImportStatus, RosterImport, Student
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import Tenant, World

ROLES: list[Role | None] = [None, *Role]  # None = not signed in
# 401: the API (/api/v1/) answers a request without a token so (session
# sign-ins do not reach it); 422: the API's answer to a POST without a body.
OK_STATUSES = {200, 204, 302, 400, 401, 403, 404, 405, 422}


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            sub_ns = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), sub_ns or "")
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or ns + ":")
            yield prefix + str(p.pattern), name


ROUTES = sorted(set(_walk(get_resolver().url_patterns)))
_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def _admin_model(name: str) -> type[Any] | None:
    m = re.match(r"admin:(\w+?)_(\w+)_(change|delete|history)$", name)
    if not m:
        return None
    for model in apps.get_models():
        if (model._meta.app_label, model._meta.model_name) == (m.group(1), m.group(2)):
            return model
    return None


def _foreign_object(model: type[Any] | None, t: Tenant) -> Any:
    label = model._meta.label_lower if model else ""
    return {
        "people.student": t.students[0],
        "people.guardian": t.guardian,
        "people.rosterimport": t.import_batch,
        "registry.school": t.school,
        "registry.municipality": t.municipality,
        "registry.consortium": t.consortium,
        "programmes.programme": t.draft,
        "allocation.allocationround": t.round,
        "allocation.application": t.application,
        "hosting.hostfamily": t.family,
        "accounts.user": next(iter(t.users.values()), None) or t.students[0].user,
    }.get(label)


def _deletion_request(t: Tenant) -> str:
    """An open deletion request about the tenant's first student (made on first use)."""
    from ekkyo.rights.models import DeletionRequest

    with system_scope(reason="test: a deletion request of the tenant"):
        request, _created = DeletionRequest._unscoped.get_or_create(
            student=t.students[0], status="requested", defaults={"requested_role": "guardian"}
        )
    return str(request.pk)


PARAMS: dict[str, Callable[[str, Tenant], str]] = {
    "student_id": lambda name, t: str(t.students[0].pk),
    "import_id": lambda name, t: str(t.import_batch.pk),
    "job_id": lambda name, t: str(t.job.pk),
    "programme_id": lambda name, t: str(t.draft.pk),
    "round_id": lambda name, t: str(t.round.pk),
    "family_id": lambda name, t: str(t.family.pk),
    "stay_id": lambda name, t: str(t.stay.pk),
    "session_id": lambda name, t: str(t.session.pk),
    "wave_id": lambda name, t: str(t.wave.pk),
    "school_code": lambda name, t: t.school.code,
    "fy": lambda name, t: "2026",
    "application_id": lambda name, t: str(t.application.pk),
    "municipality_code": lambda name, t: t.municipality.code,
    "share_id": lambda name, t: str(t.share.pk),
    "share_token": lambda name, t: t.share.token,
    "team_set_id": lambda name, t: str(t.team_set.pk),
    "team_id": lambda name, t: str(t.team.pk),
    "post_id": lambda name, t: str(t.team_post.pk),
    "file_id": lambda name, t: str(t.team_file.pk),
    "request_id": lambda name, t: _deletion_request(t),
    "token": lambda name, t: "not-a-token",
    "provider_id": lambda name, t: "google",
    "key": lambda name, t: "not-a-key",
    "uidb36": lambda name, t: "1",
    "app_label": lambda name, t: "people",
    "url": lambda name, t: "people/student/",
    "content_type_id": lambda name, t: str(ContentType.objects.get_for_model(Student).pk),
    "object_id": lambda name, t: str(
        getattr(_foreign_object(_admin_model(name), t), "pk", None) or t.students[0].pk
    ),
    "id": lambda name, t: str(next((u.pk for u in t.users.values()), None) or t.students[0].pk),
}


def _url(route: str, name: str, t: Tenant) -> str:
    def sub(m: re.Match[str]) -> str:
        key = m.group("name") or m.group("rname")
        if key not in PARAMS:
            raise AssertionError(
                f"route {route!r} ({name}): unknown parameter {key!r}; add it to PARAMS"
            )
        return PARAMS[key](name, t)

    path = _PARAM.sub(sub, route)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    return raw.decode("utf-8", errors="replace")


def _snapshot(world: World) -> dict[str, Any]:
    with system_scope(reason="test snapshot"):
        foreign = [world.a2, world.b]
        return {
            "students": sorted(
                Student._unscoped.filter(consortium__in=[world.b.consortium]).values_list(
                    "pk", "family_name", "given_name", "grade"
                )
            ),
            "imports": sorted(
                RosterImport._unscoped.filter(
                    pk__in=[t.import_batch.pk for t in foreign]
                ).values_list("pk", "status")
            ),
            "applications": sorted(
                Application._unscoped.filter(
                    pk__in=[t.application.pk for t in foreign]
                ).values_list("pk", "status", "school_decision", "version")
            ),
            "codes": StudentSignInCode.objects.filter(
                student__in=[s for t in foreign for s in t.students]
            ).count(),
        }


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_no_route_leaks_another_tenant(role: Role | None, world: World) -> None:
    assert len(ROUTES) > 40, "the URL walk found too few routes"
    before = _snapshot(world)
    foreign = world.foreign_for(role)
    markers = [m for t in foreign for m in world.markers["a2" if t is world.a2 else "b"]]
    if role is Role.CONSORTIUM_ADMIN:
        # The secretariat of A may see A's second town; only B is foreign to it.
        markers = world.markers["b"]
    failures: list[str] = []
    client = Client()
    user = world.a.users[role] if role is not None else None
    for t in foreign:
        for route, name in ROUTES:
            url = _url(route, name, t)
            for method in ("get", "post"):
                # Sign in again only when a route (sign-out) ended the session.
                if user is not None and client.session.get("_auth_user_id") != str(user.pk):
                    client = Client()
                    client.force_login(user)
                response = getattr(client, method)(url)
                body = _body(response)
                if response.status_code not in OK_STATUSES:
                    failures.append(
                        f"{method.upper()} {url} ({name}): status {response.status_code}"
                    )
                leaked = [m for m in markers if m and m in body]
                if leaked:
                    failures.append(f"{method.upper()} {url} ({name}): shows {leaked}")
    assert not failures, "\n".join(failures)
    assert _snapshot(world) == before, "a request changed another tenant's data"
    assert before["imports"] and all(s == ImportStatus.PREVIEWED for _, s in before["imports"])
