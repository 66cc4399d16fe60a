"""Two requests with the same Idempotency-Key at the same moment: one runs,
the other gets 409 (or, once the first finished, its replay). PostgreSQL only
(SQLite serialises writers); the sequential rules are in test_api."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from ekkyo.allocation.models import Seat
from ekkyo.participation.models import Attendance
from ekkyo.tenancy.principal import system_scope

from ..factories import build_world
from .conftest import ALL_SCOPES, make_token

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _sender(
    url: str, body: dict[str, Any], secret: str, key: str, barrier: threading.Barrier,
    statuses: list[int],
) -> Callable[[], None]:  # fmt: skip
    lock = threading.Lock()

    def send() -> None:
        try:
            barrier.wait(timeout=10)
            r = Client().post(
                url, body, content_type="application/json",
                headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key},
            )  # fmt: skip
            with lock:
                statuses.append(r.status_code)
        finally:
            connections.close_all()

    return send


def test_same_key_at_once_runs_once() -> None:
    world = build_world()
    a = world.a
    secret = make_token(a.consortium.pk, a.municipality.pk, ALL_SCOPES)
    with system_scope(reason="arrange"):
        Seat._unscoped.create(programme=a.published, student=a.students[0], source="manual")
    url = f"/api/v1/sessions/{a.session.pk}/attendance"
    body = {"source": "zoom", "rows": [{"student_id": a.students[0].pk, "minutes": 45}]}
    for _ in range(5):
        key = str(uuid.uuid4())
        barrier = threading.Barrier(3)
        statuses: list[int] = []
        send = _sender(url, body, secret, key, barrier, statuses)
        threads = [threading.Thread(target=send) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(statuses)[0] == 200 and set(statuses) <= {200, 409}, statuses
    with system_scope(reason="assert"):
        assert Attendance._unscoped.filter(session=a.session).count() == 1
        from ekkyo.audit.models import AuditEvent

        # Five keys, five runs: never two runs for one key.
        assert AuditEvent._unscoped.filter(action="attendance.import").count() == 5
