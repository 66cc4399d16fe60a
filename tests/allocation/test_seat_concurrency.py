"""Two staff confirming the last seat at the same moment: exactly one succeeds.

Runs on PostgreSQL only (SQLite ignores row locks); CI runs it there.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from ekkyo.allocation.models import Seat
from ekkyo.allocation.seat_services import SeatUnavailable, seat_confirm
from ekkyo.tenancy.principal import Role, system_scope

from ..doors import actor_of
from ..factories import build_world, programme

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_last_seat_is_taken_once() -> None:
    world = build_world()
    with system_scope(reason="arrange"):
        p = programme(world.a.consortium, world.a.municipality, title="最後の1席", capacity=1)
    candidates = [world.a2.students[0], world.a2.students[1]]
    with system_scope(reason="arrange"):
        admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    barrier = threading.Barrier(len(candidates))
    outcomes: list[str] = []
    lock = threading.Lock()

    def confirm(student_index: int) -> None:
        try:
            with system_scope(reason="concurrency test"):
                barrier.wait(timeout=10)
                try:
                    seat_confirm(
                        actor=admin,
                        programme_id=p.pk,
                        student_id=candidates[student_index].pk,
                    )
                    result = "ok"
                except SeatUnavailable:
                    result = "full"
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    for _ in range(5):  # several rounds: a race that passes once by luck fails later
        with system_scope(reason="reset"):
            Seat._unscoped.filter(programme=p).delete()
        outcomes.clear()
        threads = [threading.Thread(target=confirm, args=(i,)) for i in range(len(candidates))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(outcomes) == ["full", "ok"]
        with system_scope(reason="assert"):
            assert Seat._unscoped.filter(programme=p, cancelled_at__isnull=True).count() == 1
