"""Shared fixtures: a two-consortium world, signed-in clients, a system scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from ekkyo.tenancy.principal import Role, system_scope

from .factories import World, build_world


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: rolled-back databases reuse ids and
    versions, so a page cached by an earlier test must not be served to the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _tasks_at_once(settings: Any) -> None:
    """Background tasks run at once (django-tasks' immediate backend); the tests
    of the queue itself swap in the database backend and run a worker."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Reference rows that migrations load: transactional tests flush them away."""
    if request.node.get_closest_marker("django_db") is None and not {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames):
        return
    from ekkyo.programmes.themes import themes_ensure
    from ekkyo.registry.services import prefectures_ensure

    request.getfixturevalue("transactional_db" if _transactional(request) else "db")
    prefectures_ensure()
    themes_ensure()
    from ekkyo.surveys.services import instruments_ensure

    instruments_ensure()


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    )


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
