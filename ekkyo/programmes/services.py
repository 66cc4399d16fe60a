"""Programme workflows: create, publish, sessions, and confirming seats by hand.

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

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.people.models import Student

from .models import Programme, ProgrammeStatus, Seat


class SeatUnavailable(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def seats_taken(programme: Programme) -> int:
    return Seat._unscoped.filter(programme=programme, cancelled_at__isnull=True).count()


@transaction.atomic
def seat_confirm(
    *, programme_id: int, student: Student, user: Any, request: Any = None, source: str = "manual"
) -> Seat:
    """Confirm one seat for ``student``; never exceeds the programme's capacity."""
    programme = Programme.objects.select_for_update().get(pk=programme_id)
    if programme.status != ProgrammeStatus.PUBLISHED:
        raise SeatUnavailable(_("The programme is not published."))
    if Seat._unscoped.filter(
        programme=programme, student=student, cancelled_at__isnull=True
    ).exists():
        raise SeatUnavailable(_("This student already has a seat on this programme."))
    if seats_taken(programme) >= programme.capacity:
        raise SeatUnavailable(_("All places are taken."))
    seat = Seat._unscoped.create(
        programme=programme,
        student=student,
        source=source,
        confirmed_by=user if getattr(user, "pk", None) else None,
    )
    audit_record(
        request=request,
        user=user,
        action=Action.CREATE,
        obj=student,
        summary=f"seat on programme {programme.pk}",
        detail={"programme": programme.pk, "seat": seat.pk, "source": source},
    )
    return seat


@transaction.atomic
def seat_cancel(*, seat: Seat, user: Any, request: Any = None) -> None:
    Programme.objects.select_for_update().get(pk=seat.programme_id)
    seat.cancelled_at = timezone.now()
    seat.save(update_fields=["cancelled_at"])
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="programmes.seat",
        object_id=seat.pk,
        summary="seat cancelled",
    )


def programme_publish(*, programme: Programme, user: Any, request: Any = None) -> None:
    programme.status = ProgrammeStatus.PUBLISHED
    programme.save(update_fields=["status", "updated_at"])
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="programmes.programme",
        object_id=programme.pk,
        consortium_id=programme.consortium_id,
        summary="published",
    )
