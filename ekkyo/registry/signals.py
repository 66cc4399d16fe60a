"""The event sent when a consortium's membership changes.

Which towns are members in which fiscal years decides KPI ① and the town
rows of every KPI, for every student at once. Whoever changes a
:class:`~ekkyo.registry.models.Member` (the admin; the demo seeder recounts
itself) sends :data:`membership_changed`; the KPI aggregates recount the
consortium. This app does not know who listens.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

membership_changed = Signal()
"""Keyword ``consortium_id``: an ``int``."""


def announce_membership(*, sender: Any, consortium_id: int) -> None:
    membership_changed.send(sender=sender, consortium_id=int(consortium_id))
