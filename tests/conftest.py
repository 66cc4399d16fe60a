"""Shared fixtures: a two-consortium world, signed-in clients, a system scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from ekkyo.tenancy.principal import Role, system_scope

from .factories import World, build_world


@pytest.fixture
def system() -> Iterator[None]:
    """Unscoped ORM access for arranging and asserting (not for the code under test)."""
    with system_scope(reason="test"):
        yield


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def signed_in(client: Client, world: World, role: Role | None) -> Client:
    if role is not None:
        client.force_login(world.a.users[role])
    return client


@pytest.fixture
def client_as(client: Client, world: World):  # type: ignore[no-untyped-def]
    def make(role: Role | None) -> Client:
        return signed_in(client, world, role)

    return make
