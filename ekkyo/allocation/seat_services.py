"""Seat doors: confirming or cancelling a seat by hand, on the programme's page.

``seat_confirm`` is the one place a seat is taken outside an allocation run.
It locks the programme row *before* counting seats (pretix's rule: lock the
capacity object, then check), so two staff confirming the last seat at the
same moment cannot both succeed; the loser gets ``SeatUnavailable`` with a
clear reason. SQLite ignores row locks but serialises writers, so the rule
holds there too; the concurrency test runs on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.services import audit_record, snapshot
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme, ProgrammeStatus
from ekkyo.programmes.services import programme_locked, user_of
from ekkyo.tenancy.access import Grant, access
from ekkyo.tenancy.actor import Actor

from . import events
from .models import Seat

# What a programme's edit form sets (ProgrammeForm's fields, many-to-many apart).


class SeatUnavailable(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def seats_taken(programme: Programme) -> int:
    return Seat._unscoped.filter(  # safe: a count, for a programme locked by the caller
        programme=programme, cancelled_at__isnull=True
    ).count()


@transaction.atomic
def seat_confirm(
    *, actor: Actor, programme_id: int, student_id: int, source: str = "manual"
) -> Seat:
    """Confirm one seat for a student; never exceeds the programme's capacity.

    The programme must be one the actor manages, and the student one the
    actor sees at least for hosting (placing is part of hosting)."""
    programme = programme_locked(actor, programme_id)
    student = access(actor, Student, grant=Grant.HOSTING, pk=student_id)
    if programme.status != ProgrammeStatus.PUBLISHED:
        raise SeatUnavailable(_("The programme is not published."))
    if Seat._unscoped.filter(  # safe: access() checked the student and the programme above
        programme=programme, student=student, cancelled_at__isnull=True
    ).exists():
        raise SeatUnavailable(_("This student already has a seat on this programme."))
    if seats_taken(programme) >= programme.capacity:
        raise SeatUnavailable(_("All places are taken."))
    seat = Seat._unscoped.create(  # safe: access() checked the student and the programme above
        programme=programme, student=student, source=source, confirmed_by=user_of(actor)
    )
    audit_record(
        actor=actor,
        event=events.SEAT_CONFIRM,
        obj=seat,
        consortium_id=programme.consortium_id,
        summary=f"seat on programme {programme.pk}",
        detail={"programme": programme.pk, "student": student.pk, "source": source},
    )
    return seat


@transaction.atomic
def seat_cancel(*, actor: Actor, programme_id: int, seat_id: int) -> Seat:
    """Cancel a seat of a programme the actor manages (the place is free again)."""
    programme = programme_locked(actor, programme_id)
    checked = access(actor, Seat, grant=Grant.HOSTING, pk=seat_id, programme=programme)
    seat = Seat._unscoped.select_for_update().get(pk=checked.pk)  # safe: access() checked it
    old = snapshot(seat, ["cancelled_at"])
    if seat.cancelled_at is None:
        seat.cancelled_at = timezone.now()
        seat.save(update_fields=["cancelled_at"])
    audit_record(
        actor=actor,
        event=events.SEAT_CANCEL,
        obj=seat,
        consortium_id=programme.consortium_id,
        summary="seat cancelled",
        detail={"programme": programme.pk, "student": seat.student_id},
        old=old,
        new=snapshot(seat, ["cancelled_at"]),
    )
    return seat
