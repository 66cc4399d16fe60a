"""``ekkyo api-token``: the secret once, only its hash kept, revocation audited."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ekkyo.api.models import ApiToken
from ekkyo.audit.models import AuditEvent
from ekkyo.tenancy.principal import system_scope

from ..factories import World
from .conftest import Api

pytestmark = pytest.mark.django_db


def test_create_use_list_revoke(world: World) -> None:
    out = StringIO()
    call_command(
        "api_token", "create", "--consortium", "cons-a", "--municipality",
        world.a.municipality.code, "--name", "会議ツール", "--scope", "attendance:write",
        "--scope", "programmes:read", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    line = out.getvalue().strip()
    token_id, secret = line.removeprefix("token ").split(": ")
    assert Api(secret).get("/api/v1/programmes").status_code == 200
    with system_scope(reason="assert"):
        token = ApiToken.objects.get(pk=int(token_id))
        assert secret not in token.secret_hash and token.municipality_id == world.a.municipality.pk
        assert AuditEvent._unscoped.filter(action="api_token.create").count() == 1
    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert "会議ツール" in listing.getvalue() and secret not in listing.getvalue()
    call_command("api_token", "revoke", token_id, stdout=StringIO())
    assert Api(secret).get("/api/v1/programmes").status_code == 401
    with system_scope(reason="assert"):
        assert AuditEvent._unscoped.filter(action="api_token.revoke").count() == 1


def test_bad_input_is_refused(world: World) -> None:
    with pytest.raises(CommandError):
        call_command(
            "api_token", "create", "--consortium", "nope", "--name", "x", "--scope", "kpis:read"
        )
    with pytest.raises(CommandError):  # a town of another consortium
        call_command(
            "api_token", "create", "--consortium", "cons-a", "--municipality",
            world.b.municipality.code, "--name", "x", "--scope", "kpis:read",
        )  # fmt: skip
