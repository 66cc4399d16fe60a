"""The one event participation's doors send: what the KPIs count changed.

Stays, residences and attendance are the records KPI ①–③ count, and the
doors in :mod:`ekkyo.participation.services` are their only writers from
pages, the API and imports. Each door, after its writes and inside its
transaction, sends :data:`participation_changed` once with every student
whose records it changed; the KPI aggregates (``ekkyo.kpis.aggregates``)
listen and recount those students in the same transaction, so a page that
changes participation changes the dashboards with it, or neither.

This app does not know who listens (it must not import ``ekkyo.kpis``), and
the event says nothing but which students: receivers read what they need.
Bulk writers that send no event (the demo seeder) recount at their end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.dispatch import Signal

participation_changed = Signal()
"""Keyword ``student_ids``: a ``frozenset[int]`` of the students whose stays,
residences or attendance changed. Sent with ``send`` (not ``send_robust``): a
receiver that fails rolls the writer's transaction back."""


def announce_participation(*, sender: Any, student_ids: Iterable[int]) -> None:
    ids = frozenset(int(i) for i in student_ids)
    if ids:
        participation_changed.send(sender=sender, student_ids=ids)
