"""Writes for timetables, calendars and booking sessions from slots.

Every function here is called after the view checked that the acting person
may edit the school (``schools_for_principal``) or manage the programme
(``manageable_programmes``); each runs in one transaction and writes an audit
row. Imports are all-or-nothing and idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core import scheduling as core
from ekkyo.core.messages import Problem
from ekkyo.programmes.models import PartKind, Programme, Session
from ekkyo.registry.models import School

from .models import BellPeriod, CalendarEvent


def minutes_to_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def time_to_minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class ImportRejected(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = list(problems)


@transaction.atomic
def bell_schedule_replace(
    *,
    school: School,
    periods: Sequence[tuple[int, core.Period]],
    request: HttpRequest | None,
    summary: str = "bell schedule edited",
) -> int:
    """Replace the school's whole bell schedule with ``(weekday, period)`` pairs.

    Raises :class:`ImportRejected` when a weekday's periods overlap or repeat a
    number; nothing is changed then. Returns the number of periods stored.
    """
    by_day: dict[int, list[core.Period]] = {}
    for weekday, period in periods:
        by_day.setdefault(weekday, []).append(period)
    problems = [p for day in by_day.values() for p in core.validate_periods(day)]
    if problems:
        raise ImportRejected(problems)
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
        request=request,
        action=Action.UPDATE,
        obj=school,
        summary=f"{summary}: {len(periods)} periods",
    )
    return len(periods)


def bell_schedule_import(
    *, school: School, data: bytes, filename: str, request: HttpRequest | None
) -> int:
    """Import a bell schedule file; it replaces the whole schedule (so twice = once)."""
    result = core.parse_bell_schedule(data, filename=filename)
    if not result.ok:
        raise ImportRejected(result.problems)
    return bell_schedule_replace(
        school=school,
        periods=[(r.weekday, r.period) for r in result.rows],
        request=request,
        summary=f"bell schedule imported from {filename}",
    )


@dataclass(frozen=True)
class CalendarImportOutcome:
    created: int
    unchanged: int


@transaction.atomic
def calendar_import(
    *, school: School, data: bytes, filename: str, request: HttpRequest | None
) -> CalendarImportOutcome:
    """Add the file's events; events already present (same kind, dates, title) are skipped."""
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
    audit_record(
        request=request,
        action=Action.IMPORT,
        obj=school,
        summary=f"calendar imported from {filename}: {len(new)} new",
    )
    return CalendarImportOutcome(created=len(new), unchanged=len(result.rows) - len(new))


def calendar_event_add(
    *,
    school: School,
    kind: str,
    start_date: date,
    end_date: date,
    title: str,
    request: HttpRequest | None,
) -> CalendarEvent:
    """Add one event (idempotent: the same event twice is stored once)."""
    event, _created = CalendarEvent.objects.get_or_create(
        school=school, kind=kind, start_date=start_date, end_date=end_date, title=title
    )
    audit_record(request=request, action=Action.CREATE, obj=event, summary=str(event))
    return event


def calendar_event_delete(*, event: CalendarEvent, request: HttpRequest | None) -> None:
    audit_record(request=request, action=Action.UPDATE, obj=event, summary=f"deleted {event}")
    event.delete()


def slot_datetimes(day: date, start: int, end: int) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(day, minutes_to_time(start)), tz),
        timezone.make_aware(datetime.combine(day, minutes_to_time(end)), tz),
    )


@transaction.atomic
def session_book(
    *,
    programme: Programme,
    day: date,
    start: int,
    end: int,
    title: str,
    meeting_url: str = "",
    request: HttpRequest | None,
) -> tuple[Session, bool]:
    """Create an online Session for the slot; booking the same slot again returns it.

    The programme row is locked so that two staff booking the same slot at the
    same moment create one session (PostgreSQL; SQLite serialises writes).
    """
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    starts_at, ends_at = slot_datetimes(day, start, end)
    defaults: dict[str, Any] = {"kind": PartKind.ONLINE, "title": title, "meeting_url": meeting_url}
    session, created = Session.objects.get_or_create(
        programme=programme, starts_at=starts_at, ends_at=ends_at, defaults=defaults
    )
    if created:
        audit_record(
            request=request,
            action=Action.CREATE,
            obj=session,
            consortium_id=programme.consortium_id,
            summary=f"session booked from a common slot: {starts_at:%Y-%m-%d %H:%M}",
        )
    return session, created
