"""Reads for scheduling: which schools and programmes an actor may schedule,
timetables as core objects, candidate schools of a programme.

Timetables are not personal data, but who may edit them is decided here:
school staff their school, town staff their town's schools, the secretariat
its consortium's (``schools_for_principal``); scheduling a programme follows
the programme management rule (``manageable_programmes``), online
programmes only. "Missing" and "not yours" answer alike (404), and the
latter is recorded as a failed authorisation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import QuerySet

from ekkyo.allocation.models import Seat
from ekkyo.core import scheduling as core
from ekkyo.programmes.models import Programme, ProgrammeKind
from ekkyo.programmes.selectors import manageable_programmes
from ekkyo.registry.models import School
from ekkyo.registry.selectors import schools_for_principal
from ekkyo.tenancy.access import refuse as _refuse
from ekkyo.tenancy.actor import Actor

from .models import BellPeriod, CalendarEvent
from .services import time_to_minutes


def editable_schools(*, actor: Actor) -> QuerySet[School]:
    """Schools whose timetable and calendar the actor may edit."""
    return schools_for_principal(actor.principal)


def editable_school(*, actor: Actor, school_code: str) -> School:
    """One school whose timetable and calendar the actor may edit (404 otherwise)."""
    school = editable_schools(actor=actor).filter(code=school_code).first()
    if school is None:
        _refuse(
            actor,
            f"timetable of school {school_code}",
            exists=School.objects.filter(code=school_code).exists(),
            model="registry.school",
        )
    return school


def schedulable_programmes(*, actor: Actor) -> QuerySet[Programme]:
    """Online programmes the actor may manage, hence schedule."""
    return manageable_programmes(actor.principal).filter(kind=ProgrammeKind.ONLINE)


def schedulable_programme(*, actor: Actor, programme_id: int) -> Programme:
    """One online programme the actor may manage (404 otherwise)."""
    programme = schedulable_programmes(actor=actor).filter(pk=programme_id).first()
    if programme is None:
        _refuse(
            actor,
            f"scheduling of programme {programme_id}",
            exists=Programme.objects.filter(pk=programme_id).exists(),
            model="programmes.programme",
        )
    return programme


def period_counts(*, schools: Iterable[School]) -> dict[int, int]:
    """Number of bell periods stored per school."""
    counts: dict[int, int] = {}
    for school_id in BellPeriod.objects.filter(school__in=list(schools)).values_list(
        "school_id", flat=True
    ):
        counts[school_id] = counts.get(school_id, 0) + 1
    return counts


def bell_periods(*, school: School) -> list[BellPeriod]:
    return list(BellPeriod.objects.filter(school=school).order_by("weekday", "starts"))


def school_weekdays(*, school: School) -> set[int]:
    """Weekdays on which the school has periods."""
    return set(
        BellPeriod.objects.filter(school=school).values_list("weekday", flat=True).distinct()
    )


def calendar_events(*, school: School, first: date, last: date) -> list[CalendarEvent]:
    """The school's events overlapping ``first``..``last``."""
    return list(
        CalendarEvent.objects.filter(school=school, end_date__gte=first).filter(
            start_date__lte=last
        )
    )


def calendar_event_of(*, actor: Actor, school: School, event_id: int) -> CalendarEvent:
    """One event of a school the actor may edit (``school`` from :func:`editable_school`)."""
    event = CalendarEvent.objects.filter(school=school, pk=event_id).first()
    if event is None:
        _refuse(
            actor,
            f"scheduling.calendarevent {event_id}",
            exists=CalendarEvent.objects.filter(pk=event_id).exists(),
            model="scheduling.calendarevent",
        )
    return event


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
            Seat._unscoped.filter(  # safe: school ids only, of a programme the caller checked
                programme=programme, cancelled_at__isnull=True
            ).values_list("student__school_id", flat=True)
        )
    )
