"""API fixtures: tokens for tenant A's consortium and town, and a client."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ekkyo.api.models import Scope
from ekkyo.api.services import api_token_create
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import system_scope

from ..factories import World

ALL_SCOPES = list(Scope.values)


def make_token(
    consortium_id: int, municipality_id: int | None, scopes: list[str], name: str = "t"
) -> str:
    with system_scope(reason="test: api token"):
        created = api_token_create(
            actor=system_actor(reason="test: api token"),
            consortium_id=consortium_id,
            municipality_id=municipality_id,
            name=name,
            scopes=scopes,
            expires_at=timezone.now() + timedelta(days=30),
        )
    return created.secret


@dataclass
class Tokens:
    consortium: str
    town: str
    few: str  # programmes:read only
    other_consortium: str


@pytest.fixture
def tokens(world: World) -> Tokens:
    a = world.a
    return Tokens(
        consortium=make_token(a.consortium.pk, None, ALL_SCOPES, "secretariat"),
        town=make_token(a.consortium.pk, a.municipality.pk, ALL_SCOPES, "town"),
        few=make_token(a.consortium.pk, None, [Scope.PROGRAMMES_READ], "few"),
        other_consortium=make_token(world.b.consortium.pk, None, ALL_SCOPES, "b"),
    )


class Api:
    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, body: Any, key: str | None = None, **kw: Any) -> Any:
        headers = dict(self.headers)
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
        headers.update(kw.pop("headers", {}))
        return self.client.post(path, body, content_type="application/json", headers=headers, **kw)
