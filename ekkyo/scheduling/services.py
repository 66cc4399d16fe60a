"""Writes for timetables, calendars and booking sessions from slots.

Every door takes the explicit actor and the school code or programme id the
person chose, and fetches it through ``scheduling.selectors`` (the school
must be one the actor may edit, ``schools_for_principal``; the programme one
it may manage, ``manageable_programmes``), so "not yours" is a 404 like
"missing". Each runs in one transaction and writes an audit row with a
specific code (``scheduling.events``). Imports are all-or-nothing and
idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from ekkyo.audit.services import audit_record, snapshot
from ekkyo.core import scheduling as core
from ekkyo.core.messages import Problem
from ekkyo.programmes.models import PartKind, Programme, Session
from ekkyo.registry.models import School
from ekkyo.tenancy.actor import Actor

from . import events
from .models import BellPeriod, CalendarEvent


def minutes_to_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def time_to_minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class ImportRejected(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = list(problems)


def _periods_text(rows: Sequence[tuple[int, core.Period]]) -> list[str]:
    """A bell schedule as short lines for the audit log's old and new values."""
    return [
        f"{weekday}/{p.number} {minutes_to_time(p.start):%H:%M}-{minutes_to_time(p.end):%H:%M}"
        f"{' ' + p.label if p.label else ''}{' *' if p.preferred else ''}"
        for weekday, p in sorted(rows, key=lambda r: (r[0], r[1].start, r[1].number))
    ]


def _stored_periods(school: School) -> list[tuple[int, core.Period]]:
    return [
        (
            bp.weekday,
            core.Period(
                number=bp.number,
                start=time_to_minutes(bp.starts),
                end=time_to_minutes(bp.ends),
                label=bp.label,
                preferred=bp.preferred,
            ),
        )
        for bp in BellPeriod.objects.filter(school=school)
    ]


def _bell_schedule_write(
    *,
    actor: Actor,
    school: School,
    periods: Sequence[tuple[int, core.Period]],
    event: str,
    summary: str,
) -> int:
    by_day: dict[int, list[core.Period]] = {}
    for weekday, period in periods:
        by_day.setdefault(weekday, []).append(period)
    problems = [p for day in by_day.values() for p in core.validate_periods(day)]
    if problems:
        raise ImportRejected(problems)
    old = _periods_text(_stored_periods(school))
    BellPeriod.objects.filter(school=school).delete()
    BellPeriod.objects.bulk_create(
        BellPeriod(
            school=school,
            weekday=weekday,
            number=p.number,
            starts=minutes_to_time(p.start),
            ends=minutes_to_time(p.end),
            label=p.label,
            preferred=p.preferred,
        )
        for weekday, p in periods
    )
    audit_record(
        actor=actor,
        event=event,
        obj=school,
        summary=f"{summary}: {len(periods)} periods",
        old={"periods": old},
        new={"periods": _periods_text(periods)},
    )
    return len(periods)


@transaction.atomic
def bell_schedule_replace(
    *, actor: Actor, school_code: str, periods: Sequence[tuple[int, core.Period]]
) -> int:
    """Replace the school's whole bell schedule with ``(weekday, period)`` pairs.

    Raises :class:`ImportRejected` when a weekday's periods overlap or repeat a
    number; nothing is changed then. Returns the number of periods stored.
    Audited as ``timetable.save`` with the old and new schedule."""
    from .selectors import editable_school

    school = editable_school(actor=actor, school_code=school_code)
    return _bell_schedule_write(
        actor=actor,
        school=school,
        periods=periods,
        event=events.TIMETABLE_SAVE,
        summary="bell schedule edited",
    )


@transaction.atomic
def bell_schedule_import(*, actor: Actor, school_code: str, data: bytes, filename: str) -> int:
    """Import a bell schedule file; it replaces the whole schedule (so twice = once).

    Audited as ``timetable.import``."""
    from .selectors import editable_school

    school = editable_school(actor=actor, school_code=school_code)
    result = core.parse_bell_schedule(data, filename=filename)
    if not result.ok:
        raise ImportRejected(result.problems)
    return _bell_schedule_write(
        actor=actor,
        school=school,
        periods=[(r.weekday, r.period) for r in result.rows],
        event=events.TIMETABLE_IMPORT,
        summary=f"bell schedule imported from {filename}",
    )


@dataclass(frozen=True)
class CalendarImportOutcome:
    created: int
    unchanged: int


@transaction.atomic
def calendar_import(
    *, actor: Actor, school_code: str, data: bytes, filename: str
) -> CalendarImportOutcome:
    """Add the file's events; events already present (same kind, dates, title) are skipped."""
    from .selectors import editable_school

    school = editable_school(actor=actor, school_code=school_code)
    result = core.parse_calendar(data, filename=filename)
    if not result.ok:
        raise ImportRejected(result.problems)
    existing = set(
        CalendarEvent.objects.filter(school=school).values_list(
            "kind", "start_date", "end_date", "title"
        )
    )
    new: list[CalendarEvent] = []
    for e in result.rows:
        key = (e.kind.value, e.start, e.end, e.title)
        if key in existing:
            continue
        existing.add(key)
        new.append(
            CalendarEvent(
                school=school, kind=e.kind.value, start_date=e.start, end_date=e.end, title=e.title
            )
        )
    CalendarEvent.objects.bulk_create(new)
    outcome = CalendarImportOutcome(created=len(new), unchanged=len(result.rows) - len(new))
    audit_record(
        actor=actor,
        event=events.CALENDAR_IMPORT,
        obj=school,
        summary=f"calendar imported from {filename}: {len(new)} new",
        detail={"filename": filename, "created": outcome.created, "unchanged": outcome.unchanged},
    )
    return outcome


EVENT_FIELDS = ("school", "kind", "start_date", "end_date", "title")


@transaction.atomic
def calendar_event_add(
    *,
    actor: Actor,
    school_code: str,
    kind: str,
    start_date: date,
    end_date: date,
    title: str,
) -> CalendarEvent:
    """Add one event (idempotent: the same event twice is stored once, audited once)."""
    from .selectors import editable_school

    school = editable_school(actor=actor, school_code=school_code)
    event, created = CalendarEvent.objects.get_or_create(
        school=school, kind=kind, start_date=start_date, end_date=end_date, title=title
    )
    if created:
        audit_record(
            actor=actor,
            event=events.CALENDAR_EVENT_CREATE,
            obj=event,
            summary=str(event),
            new=snapshot(event, EVENT_FIELDS),
        )
    return event


@transaction.atomic
def calendar_event_delete(*, actor: Actor, school_code: str, event_id: int) -> None:
    """Delete one event of a school the actor may edit."""
    from .selectors import calendar_event_of, editable_school

    school = editable_school(actor=actor, school_code=school_code)
    event = calendar_event_of(actor=actor, school=school, event_id=event_id)
    audit_record(
        actor=actor,
        event=events.CALENDAR_EVENT_DELETE,
        obj=event,
        summary=f"deleted {event}",
        old=snapshot(event, EVENT_FIELDS),
    )
    event.delete()


def slot_datetimes(day: date, start: int, end: int) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(day, minutes_to_time(start)), tz),
        timezone.make_aware(datetime.combine(day, minutes_to_time(end)), tz),
    )


SESSION_FIELDS = ("programme", "kind", "title", "starts_at", "ends_at", "meeting_url")


@transaction.atomic
def session_book(
    *,
    actor: Actor,
    programme_id: int,
    day: date,
    start: int,
    end: int,
    title: str,
    meeting_url: str = "",
) -> tuple[Session, bool]:
    """Create an online Session for the slot of a programme the actor may
    schedule; booking the same slot again returns it (audited once).

    The programme row is locked so that two staff booking the same slot at the
    same moment create one session (PostgreSQL; SQLite serialises writes).
    """
    from .selectors import schedulable_programme

    programme = schedulable_programme(actor=actor, programme_id=programme_id)
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    starts_at, ends_at = slot_datetimes(day, start, end)
    defaults: dict[str, Any] = {"kind": PartKind.ONLINE, "title": title, "meeting_url": meeting_url}
    session, created = Session.objects.get_or_create(
        programme=programme, starts_at=starts_at, ends_at=ends_at, defaults=defaults
    )
    if created:
        audit_record(
            actor=actor,
            event=events.SESSION_BOOK,
            obj=session,
            consortium_id=programme.consortium_id,
            summary=f"session booked from a common slot: {starts_at:%Y-%m-%d %H:%M}",
            new=snapshot(session, SESSION_FIELDS),
        )
    return session, created
