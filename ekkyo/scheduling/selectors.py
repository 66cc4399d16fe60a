"""Reads for scheduling: timetables as core objects, candidate schools of a programme."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import QuerySet

from ekkyo.core import scheduling as core
from ekkyo.programmes.models import Programme, Seat
from ekkyo.registry.models import School

from .models import BellPeriod, CalendarEvent
from .services import time_to_minutes


def timetables_for(
    schools: Iterable[School], *, first: date | None = None, last: date | None = None
) -> list[core.SchoolTimetable]:
    """Each school's bell schedule and calendar (events overlapping the range) as core data."""
    schools = list(schools)
    ids = [s.pk for s in schools]
    week: dict[int, dict[int, list[core.Period]]] = defaultdict(lambda: defaultdict(list))
    for bp in BellPeriod.objects.filter(school_id__in=ids).order_by("weekday", "starts"):
        week[bp.school_id][bp.weekday].append(
            core.Period(
                number=bp.number,
                start=time_to_minutes(bp.starts),
                end=time_to_minutes(bp.ends),
                label=bp.label,
                preferred=bp.preferred,
            )
        )
    events: dict[int, list[core.CalendarEvent]] = defaultdict(list)
    qs = CalendarEvent.objects.filter(school_id__in=ids)
    if first is not None:
        qs = qs.filter(end_date__gte=first)
    if last is not None:
        qs = qs.filter(start_date__lte=last)
    for ev in qs:
        events[ev.school_id].append(
            core.CalendarEvent(
                kind=core.EventKind(ev.kind), start=ev.start_date, end=ev.end_date, title=ev.title
            )
        )
    return [
        core.SchoolTimetable(
            key=str(s.pk),
            week={wd: tuple(ps) for wd, ps in week[s.pk].items()},
            events=tuple(events[s.pk]),
        )
        for s in schools
    ]


def candidate_schools(programme: Programme) -> QuerySet[School]:
    """Schools that may take part: those of the programme's consortium's member towns."""
    return (
        School.objects.filter(municipality__memberships__consortium_id=programme.consortium_id)
        .select_related("municipality__prefecture")
        .distinct()
        .order_by("municipality__code", "code")
    )


def seated_school_ids(programme: Programme) -> list[int]:
    """Schools of the students holding a confirmed (not cancelled) seat.

    Called only after the view checked that the principal manages the programme;
    only school ids leave this function, no student data.
    """
    return sorted(
        set(
            Seat._unscoped.filter(programme=programme, cancelled_at__isnull=True).values_list(
                "student__school_id", flat=True
            )
        )
    )
