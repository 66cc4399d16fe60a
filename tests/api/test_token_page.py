"""The token page: secretariat and town staff create (secret shown once) and revoke."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from ekkyo.api.models import ApiToken
from ekkyo.audit.models import AuditEvent
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World
from .conftest import Api

pytestmark = pytest.mark.django_db


def _client(world: World, role: Role) -> Client:
    c = Client()
    c.force_login(world.a.users[role])
    return c


def test_town_staff_create_a_town_token_and_revoke_it(world: World) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    assert town.get("/api/tokens/").status_code == 200
    r = town.post(
        "/api/tokens/",
        {"action": "create", "name": "会議ツール", "scope": ["programmes:read"], "days": "30"},
    )
    assert r.status_code == 200
    secret = re.search(r"<code>(ekk_[^<]+)</code>", r.content.decode()).group(1)  # type: ignore[union-attr]
    with system_scope(reason="assert"):
        token = ApiToken.objects.get(name="会議ツール")
    assert token.municipality_id == world.a.municipality.pk
    assert Api(secret).get("/api/v1/programmes").status_code == 200
    assert secret not in town.get("/api/tokens/").content.decode()
    town.post("/api/tokens/", {"action": "revoke", "token": str(token.pk)})
    assert Api(secret).get("/api/v1/programmes").status_code == 401
    with system_scope(reason="assert"):
        assert AuditEvent._unscoped.filter(action="api_token.revoke").count() == 1


def test_bad_input_and_other_tenants(world: World) -> None:
    admin = _client(world, Role.CONSORTIUM_ADMIN)
    r = admin.post("/api/tokens/", {"action": "create", "name": "", "days": "30"})
    assert r.status_code == 422
    r = admin.post("/api/tokens/", {"action": "create", "name": "x", "scope": "kpis:read"})
    assert r.status_code == 422  # no days
    with system_scope(reason="arrange"):
        from tests.api.conftest import make_token

        make_token(world.b.consortium.pk, None, ["kpis:read"], "B's")
        other = ApiToken.objects.get(name="B's")
    admin.post("/api/tokens/", {"action": "revoke", "token": str(other.pk)})
    with system_scope(reason="assert"):
        other.refresh_from_db()
    assert other.revoked_at is None
    assert _client(world, Role.SCHOOL_STAFF).get("/api/tokens/").status_code == 403
