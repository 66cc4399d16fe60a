"""Two submits of "prepare a second round" at the same moment make one round.

Runs on PostgreSQL only (SQLite ignores row locks).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from ekkyo.allocation.models import AllocationRound, RoundStatus
from ekkyo.allocation.services import round_second
from ekkyo.tenancy.principal import system_scope

from ..doors import SYSTEM
from ..factories import build_world, programme

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_a_concurrent_double_submit_makes_one_second_round() -> None:
    world = build_world()
    now = timezone.now()
    later = now + timedelta(days=7)
    with system_scope(reason="arrange"):
        p = programme(world.a.consortium, world.a.municipality, title="空きあり", capacity=3)
        first = AllocationRound.objects.create(
            consortium=world.a.consortium,
            name="一次",
            fiscal_year=2026,
            max_choices=2,
            opens_at=now,
            closes_at=later,
            lottery_seed=7,
            status=RoundStatus.PUBLISHED,
        )
        first.programmes.set([p])
    barrier = threading.Barrier(2)
    made: list[int] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            with system_scope(reason="concurrency test"):
                barrier.wait(timeout=10)
                second = round_second(
                    actor=SYSTEM, round_id=first.pk, opens_at=now, closes_at=later
                )
            with lock:
                made.append(second.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(made) == 2 and made[0] == made[1]
    with system_scope(reason="assert"):
        assert AllocationRound.objects.filter(previous_round=first).count() == 1
