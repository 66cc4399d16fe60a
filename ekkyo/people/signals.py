"""The event the people doors send when what a student counts under may change.

The KPI keys of a student depend on the student's home town and school. The
roster imports (our CSV and OneRoster) and the admin send
:data:`students_changed` once per import with the students they updated,
inside their transaction; the KPI aggregates recount them. New students have
no participation yet and are not announced. This app does not know who
listens.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.dispatch import Signal

students_changed = Signal()
"""Keyword ``student_ids``: a ``frozenset[int]``."""


def announce_students(*, sender: Any, student_ids: Iterable[int]) -> None:
    ids = frozenset(int(i) for i in student_ids)
    if ids:
        students_changed.send(sender=sender, student_ids=ids)
