"""The event the programme doors send when a change alters how records count.

A programme's kind (online, short stay, mid-term, residence) and its host
town or school decide which KPI its stays and attendance count for and in
which town's rows. :func:`ekkyo.programmes.services.programme_update` sends
:data:`programme_changed` when one of those changes, inside its transaction;
the KPI aggregates recount the programme's participants. This app does not
know who listens (it must not import ``ekkyo.kpis``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.dispatch import Signal

programme_changed = Signal()
"""Keyword ``programme_ids``: a ``frozenset[int]``."""

COUNTED_FIELDS = ("kind", "host_municipality", "host_school")
"""The programme fields the KPI keys depend on."""


def announce_programmes(*, sender: Any, programme_ids: Iterable[int]) -> None:
    ids = frozenset(int(i) for i in programme_ids)
    if ids:
        programme_changed.send(sender=sender, programme_ids=ids)
