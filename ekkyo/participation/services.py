"""Participation doors: the records the KPIs count, written from pages.

Attendance of sessions (KPI ③), stays from seats (KPI ②), residences (KPI ①)
and students' reflections. These functions are the only writers of those
rows from pages (imports and the demo seeder write in bulk as system jobs).
Each takes the acting :class:`Actor` first, checks what the actor chose
(the session or programme through ``selectors.session_managed`` /
``programme_managed``, a student or a stay with ``tenancy.access.access`` at
the grant the route declares), runs in one transaction and writes an audit
row with a specific event code (``participation.events``).

Each door that changes what the KPIs count announces it once, with the
students concerned, by the explicit event ``signals.participation_changed``
(inside its transaction: the KPI aggregates follow atomically).

The ``_unscoped`` uses below each say why they are safe: the rows are about a
session or programme the actor manages, or a student checked just before.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from ekkyo.allocation.selectors import own_seat, seat_holder_ids
from ekkyo.audit.services import audit_record, snapshot
from ekkyo.people.models import Student
from ekkyo.programmes.models import OFFLINE_KINDS, Programme, Session
from ekkyo.programmes.selectors import programme_managed, session_managed
from ekkyo.tenancy.access import Grant, NotFound, access
from ekkyo.tenancy.actor import Actor

from . import events
from .models import Attendance, Reflection, Residence, Stay
from .selectors import residence_host_municipalities, residence_schools
from .signals import announce_participation


def _session_locked(actor: Actor, session_id: int) -> Session:
    checked = session_managed(actor=actor, session_id=session_id)
    return Session.objects.select_for_update().select_related("programme").get(pk=checked.pk)


def _participant_ids(session: Session) -> set[int]:
    return set(seat_holder_ids(session.programme).values_list("student_id", flat=True))


def _upsert(session: Session, minutes_by_student: dict[int, int | None], source: str) -> list[int]:
    """Upsert attendance; idempotent (the same report twice writes nothing new).
    Returns the students newly recorded."""
    existing = {
        a.student_id: a
        for a in Attendance._unscoped.select_for_update().filter(  # safe: a managed session
            session=session, student_id__in=list(minutes_by_student)
        )
    }
    created: list[int] = []
    for sid, minutes in minutes_by_student.items():
        row = existing.get(sid)
        if row is None:
            Attendance._unscoped.create(  # safe: a participant of a managed session
                session=session, student_id=sid, minutes=minutes, source=source
            )
            created.append(sid)
        elif minutes is not None and row.minutes != minutes:
            row.minutes = minutes
            row.source = source
            row.save(update_fields=["minutes", "source"])
    return created


@transaction.atomic
def attendance_record(*, actor: Actor, session_id: int, present_ids: set[int]) -> int:
    """Who was present at a session, ticked by hand: the ticked participants are
    present, the others are not. Ids of students without a seat are ignored.
    Returns the number present."""
    session = _session_locked(actor, session_id)
    allowed = _participant_ids(session)
    chosen = present_ids & allowed
    before = set(
        Attendance._unscoped.filter(  # safe: a managed session
            session=session, student_id__in=allowed
        ).values_list("student_id", flat=True)
    )
    _upsert(session, dict.fromkeys(chosen), Attendance.Source.MANUAL)
    Attendance._unscoped.filter(  # safe: participants of a managed session
        session=session, student_id__in=allowed - chosen
    ).delete()
    announce_participation(sender=Attendance, student_ids=before ^ chosen)
    audit_record(
        actor=actor,
        event=events.ATTENDANCE_RECORD,
        obj=session,
        consortium_id=session.programme.consortium_id,
        summary=f"attendance by hand ({len(chosen)} present)",
        old={"present": sorted(before)},
        new={"present": sorted(chosen)},
    )
    return len(chosen)


@transaction.atomic
def attendance_import(
    *, actor: Actor, session_id: int, minutes: dict[int, int | None], source: str
) -> tuple[int, int]:
    """Attendance from a meeting report the actor previewed and confirmed (rows
    of students without a seat are ignored). Returns (rows, new rows)."""
    session = _session_locked(actor, session_id)
    allowed = _participant_ids(session)
    rows = {sid: m for sid, m in minutes.items() if sid in allowed}
    source = source if source in Attendance.Source.values else Attendance.Source.MANUAL
    new = _upsert(session, rows, source)
    created = len(new)
    announce_participation(sender=Attendance, student_ids=new)
    audit_record(
        actor=actor,
        event=events.ATTENDANCE_IMPORT,
        obj=session,
        consortium_id=session.programme.consortium_id,
        summary=f"attendance report ({len(rows)} matched, {created} new)",
        detail={"source": source, "matched": len(rows), "created": created},
    )
    return len(rows), created


@transaction.atomic
def stays_create_from_seats(*, actor: Actor, programme_id: int) -> int:
    """A stay for every seat of an offline programme that has none yet (idempotent).
    Returns the number of stays created."""
    checked = programme_managed(actor=actor, programme_id=programme_id)
    if checked.kind not in OFFLINE_KINDS:
        raise NotFound
    programme = Programme.objects.select_for_update().get(pk=checked.pk)
    have = set(
        Stay._unscoped.filter(programme=programme).values_list(  # safe: a managed programme
            "student_id", flat=True
        )
    )
    new = [
        Stay(
            programme=programme,
            student_id=sid,
            arrival=programme.starts_on,
            departure=programme.ends_on,
        )
        for sid in seat_holder_ids(programme).values_list("student_id", flat=True)
        if sid not in have
    ]
    Stay._unscoped.bulk_create(new)  # safe: seat holders of a managed programme
    announce_participation(sender=Stay, student_ids=(s.student_id for s in new))
    audit_record(
        actor=actor,
        event=events.STAY_CREATE_FROM_SEATS,
        obj=programme,
        summary=f"{len(new)} stays created from seats",
        detail={"created": len(new), "students": sorted(s.student_id for s in new)},
    )
    return len(new)


@transaction.atomic
def stay_cancelled_toggle(*, actor: Actor, programme_id: int, stay_id: int) -> Stay:
    """Cancel a stay of a programme the actor manages, or restore a cancelled one."""
    programme = programme_managed(actor=actor, programme_id=programme_id)
    checked = access(actor, Stay, grant=Grant.HOSTING, pk=stay_id, programme=programme)
    stay = Stay._unscoped.select_for_update().get(pk=checked.pk)  # safe: access() checked it
    old = snapshot(stay, ["cancelled"])
    stay.cancelled = not stay.cancelled
    stay.save(update_fields=["cancelled"])
    announce_participation(sender=Stay, student_ids=[stay.student_id])
    audit_record(
        actor=actor,
        event=events.STAY_CANCELLED_SET,
        obj=stay,
        consortium_id=programme.consortium_id,
        detail={"programme": programme.pk, "student": stay.student_id},
        old=old,
        new=snapshot(stay, ["cancelled"]),
    )
    return stay


class ResidenceRefused(ValueError):
    """The host town or school is not one the actor records residences for."""


@transaction.atomic
def residence_create(
    *,
    actor: Actor,
    student_id: int,
    host_municipality_id: int,
    school_id: int,
    start: date,
    end: date | None,
) -> Residence:
    """Record that a student lives and studies in a member town (KPI ①).

    The student must be one the actor sees at least for hosting (a host town
    records the arrival of students it hosts; ``access`` answers 404 and
    records the refusal otherwise); the host town and school must be among
    the actor's (``selectors.residence_host_municipalities``)."""
    student = access(actor, Student, grant=Grant.HOSTING, pk=student_id)
    principal = actor.principal
    if not principal.system and not (
        residence_host_municipalities(principal).filter(pk=host_municipality_id).exists()
        and residence_schools(principal)
        .filter(pk=school_id, municipality_id=host_municipality_id)
        .exists()
    ):
        raise ResidenceRefused
    residence = Residence(
        student=student,
        home_municipality_id=student.home_municipality_id,
        home_country=student.home_country,
        host_municipality_id=host_municipality_id,
        school_id=school_id,
        start=start,
        end=end,
    )
    residence.save()
    announce_participation(sender=Residence, student_ids=[student.pk])
    audit_record(
        actor=actor,
        event=events.RESIDENCE_CREATE,
        obj=student,
        summary="residence",
        detail={"residence": residence.pk},
        new=snapshot(
            residence, ("host_municipality", "school", "home_municipality", "start", "end")
        ),
    )
    return residence


@transaction.atomic
def reflection_save(
    *, actor: Actor, programme_id: int, about_other_region: str, about_own_region: str
) -> Reflection:
    """Save the signed-in student's reflection on a programme they took part in.

    The texts are the student's own words: the audit row records that they
    were written, not what they say."""
    seat = own_seat(actor=actor, programme_id=programme_id)
    student = seat.student
    reflection = (
        Reflection._unscoped.select_for_update()  # safe: the actor's own reflection
        .filter(student=student, programme_id=programme_id)
        .first()
    )
    created = reflection is None
    if reflection is None:
        reflection = Reflection(student=student, programme=seat.programme)
    reflection.about_other_region = about_other_region
    reflection.about_own_region = about_own_region
    reflection.save()
    audit_record(
        actor=actor,
        event=events.REFLECTION_SAVE,
        obj=reflection,
        consortium_id=student.consortium_id,
        detail={"programme": programme_id, "created": created},
    )
    return reflection
