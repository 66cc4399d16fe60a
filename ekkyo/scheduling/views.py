"""Pages: school timetables and calendars, and finding common slots for online programmes.

School staff edit their own school's timetable and calendar, municipality
staff their town's schools, the secretariat every school of its consortium
(``schools_for_principal``). Scheduling a programme is for whoever may manage
it (``manageable_programmes``: the secretariat, the host town's and host
school's staff), the same rule as the programme management pages.
"""

from __future__ import annotations

import calendar as pycal
import io
from datetime import date, timedelta
from typing import Any

import jpholiday
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from icalendar import Calendar, Event

from ekkyo.core import scheduling as core
from ekkyo.core.messages import Problem
from ekkyo.programmes.models import ProgrammeStatus
from ekkyo.registry.models import School
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from .forms import (
    BookForm,
    EventForm,
    PeriodFormSet,
    SlotSearchForm,
    UploadForm,
    default_range,
)
from .models import CalendarEvent, Weekday
from .selectors import (
    bell_periods,
    calendar_events,
    candidate_schools,
    editable_school,
    editable_schools,
    period_counts,
    schedulable_programme,
    schedulable_programmes,
    school_weekdays,
    seated_school_ids,
    timetables_for,
)
from .services import (
    ImportRejected,
    bell_schedule_import,
    bell_schedule_replace,
    calendar_event_add,
    calendar_event_delete,
    calendar_import,
    minutes_to_time,
    session_book,
    slot_datetimes,
    time_to_minutes,
)

STAFF = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _school(request: HttpRequest, school_code: str) -> School:
    return editable_school(actor=_actor(request), school_code=school_code)


def _problem_texts(problems: list[Problem]) -> list[str]:
    return [_(p.message) % p.params if p.params else _(p.message) for p in problems]


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def index(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    schools = list(editable_schools(actor=actor).order_by("municipality__code", "code"))
    counts = period_counts(schools=schools)
    programmes = schedulable_programmes(actor=actor)
    return render(
        request,
        "scheduling/index.html",
        {
            "schools": [(s, counts.get(s.pk, 0)) for s in schools],
            "programmes": programmes.order_by("-starts_on"),
        },
    )


# --- timetable ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.NONE)
def timetable(request: HttpRequest, school_code: str) -> HttpResponse:
    school = _school(request, school_code)
    periods = bell_periods(school=school)
    initial = [
        {
            "weekday": p.weekday,
            "number": p.number,
            "starts": p.starts,
            "ends": p.ends,
            "label": p.label,
            "preferred": p.preferred,
        }
        for p in periods
    ]
    formset = PeriodFormSet(request.POST or None, initial=initial, prefix="p")
    problems: list[str] = []
    if request.method == "POST" and formset.is_valid():
        rows: list[tuple[int, core.Period]] = []
        for form in formset.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            rows.append(
                (
                    data["weekday"],
                    core.Period(
                        number=data["number"],
                        start=time_to_minutes(data["starts"]),
                        end=time_to_minutes(data["ends"]),
                        label=data.get("label", ""),
                        preferred=bool(data.get("preferred")),
                    ),
                )
            )
        try:
            bell_schedule_replace(actor=_actor(request), school_code=school.code, periods=rows)
        except ImportRejected as exc:
            problems = _problem_texts(exc.problems)
        else:
            messages.success(request, _("The bell schedule was saved."))
            return redirect("scheduling:timetable", school_code=school.code)
    numbers = sorted({p.number for p in periods})
    weekdays = sorted({p.weekday for p in periods} | {0, 1, 2, 3, 4})
    cell = {(p.weekday, p.number): p for p in periods}
    grid = [(n, [cell.get((wd, n)) for wd in weekdays]) for n in numbers]
    return render(
        request,
        "scheduling/timetable.html",
        {
            "school": school,
            "weekdays": [Weekday(wd).label for wd in weekdays],
            "grid": grid,
            "formset": formset,
            "problems": problems,
        },
    )


def _upload(request: HttpRequest, school: School, which: str) -> tuple[UploadForm, list[str]]:
    form = UploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            if which == "bell":
                n = bell_schedule_import(
                    actor=_actor(request), school_code=school.code, data=data, filename=upload.name
                )
                messages.success(
                    request, _("The bell schedule was imported: %(n)s periods.") % {"n": n}
                )
            else:
                outcome = calendar_import(
                    actor=_actor(request), school_code=school.code, data=data, filename=upload.name
                )
                messages.success(
                    request,
                    _("Calendar imported: %(created)s new, %(unchanged)s already there.")
                    % {"created": outcome.created, "unchanged": outcome.unchanged},
                )
        except ImportRejected as exc:
            problems = _problem_texts(exc.problems)
    return form, problems


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.NONE)
def timetable_import(request: HttpRequest, school_code: str) -> HttpResponse:
    school = _school(request, school_code)
    form, problems = _upload(request, school, "bell")
    if request.method == "POST" and form.is_valid() and not problems:
        return redirect("scheduling:timetable", school_code=school.code)
    return render(
        request,
        "scheduling/import.html",
        {
            "school": school,
            "form": form,
            "problems": problems,
            "heading": _("Import a bell schedule"),
            "explanation": _(
                "One row per weekday and period. The file replaces the whole bell "
                "schedule; if any row has a problem, nothing is changed."
            ),
            "template_url": reverse("scheduling:bell_template"),
            "back_url": reverse("scheduling:timetable", args=[school.code]),
        },
        status=400 if problems else 200,
    )


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def bell_template(request: HttpRequest) -> HttpResponseBase:
    return FileResponse(
        io.BytesIO(core.bell_template_csv()),
        as_attachment=True,
        filename="bell-schedule-template.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def calendar_template(request: HttpRequest) -> HttpResponseBase:
    return FileResponse(
        io.BytesIO(core.calendar_template_csv()),
        as_attachment=True,
        filename="school-calendar-template.csv",
        content_type="text/csv; charset=utf-8",
    )


# --- calendar -----------------------------------------------------------------


def _month(request: HttpRequest) -> date:
    raw = request.GET.get("month", "")
    year, _sep, month = raw.partition("-")
    if year.isdigit() and month.isdigit() and 2000 <= int(year) <= 2100 and 1 <= int(month) <= 12:
        return date(int(year), int(month), 1)
    return timezone.localdate().replace(day=1)


def _month_weeks(month: date, events: list[CalendarEvent], school: School) -> list[list[Any]]:
    has_periods = school_weekdays(school=school)
    weeks = []
    for week in pycal.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            holiday = jpholiday.is_holiday_name(day)
            day_events = [e for e in events if e.start_date <= day <= e.end_date]
            row.append(
                {
                    "day": day,
                    "in_month": day.month == month.month,
                    "holiday": holiday,
                    "events": day_events,
                    "school_day": day.weekday() in has_periods and not holiday and not day_events,
                }
            )
        weeks.append(row)
    return weeks


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.NONE)
def school_calendar(request: HttpRequest, school_code: str) -> HttpResponse:
    school = _school(request, school_code)
    form = EventForm(request.POST or None, prefix="event")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "delete":
            event_id = request.POST.get("event", "")
            if not event_id.isdigit():
                raise Http404
            calendar_event_delete(
                actor=_actor(request), school_code=school.code, event_id=int(event_id)
            )
            messages.success(request, _("The event was deleted."))
            return redirect(request.get_full_path())
        if action == "add" and form.is_valid():
            data = form.cleaned_data
            calendar_event_add(
                actor=_actor(request),
                school_code=school.code,
                kind=data["kind"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                title=data["title"],
            )
            messages.success(request, _("The event was added."))
            return redirect(request.get_full_path())
        if action not in ("add", "delete"):
            return HttpResponseBadRequest(_("Unknown action."))
    month = _month(request)
    month_end = month.replace(day=pycal.monthrange(month.year, month.month)[1])
    grid_first, grid_last = month - timedelta(days=7), month_end + timedelta(days=7)
    fy_first = date(month.year if month.month >= 4 else month.year - 1, 4, 1)
    fy_last = date(fy_first.year + 1, 3, 31)
    events = calendar_events(
        school=school, first=min(fy_first, grid_first), last=max(fy_last, grid_last)
    )
    previous = (month - timedelta(days=1)).replace(day=1)
    following = month_end + timedelta(days=1)
    return render(
        request,
        "scheduling/calendar.html",
        {
            "school": school,
            "form": form,
            "month": month,
            "weeks": _month_weeks(month, events, school),
            "weekday_names": [Weekday(wd).label for wd in range(7)],
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "events": [e for e in events if e.end_date >= fy_first and e.start_date <= fy_last],
            "fy": fy_first.year,
            "holidays": [(d, name) for d, name in jpholiday.between(fy_first, fy_last)],
        },
    )


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.NONE)
def calendar_import_view(request: HttpRequest, school_code: str) -> HttpResponse:
    school = _school(request, school_code)
    form, problems = _upload(request, school, "calendar")
    if request.method == "POST" and form.is_valid() and not problems:
        return redirect("scheduling:calendar", school_code=school.code)
    return render(
        request,
        "scheduling/import.html",
        {
            "school": school,
            "form": form,
            "problems": problems,
            "heading": _("Import calendar events"),
            "explanation": _(
                "One row per event: kind (休業日, 長期休業, 考査, 休校, 行事), first day, "
                "last day (empty for one day) and a title. National holidays are added "
                "automatically. If any row has a problem, nothing is imported; events "
                "already there are not added twice."
            ),
            "template_url": reverse("scheduling:calendar_template"),
            "back_url": reverse("scheduling:calendar", args=[school.code]),
        },
        status=400 if problems else 200,
    )


# --- scheduling ---------------------------------------------------------------


def _slot_rows(slots: list[core.Slot], schools: dict[str, School]) -> list[dict[str, Any]]:
    rows = []
    for slot in slots:
        rows.append(
            {
                "slot": slot,
                "starts": minutes_to_time(slot.start),
                "ends": minutes_to_time(slot.end),
                "fits": [(schools[f.school], f) for f in slot.fits],
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.NONE)
def programme_slots(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = schedulable_programme(actor=_actor(request), programme_id=programme_id)
    candidates = candidate_schools(programme)
    if request.method == "POST":
        book = BookForm(request.POST)
        if not book.is_valid():
            return HttpResponseBadRequest(_("The slot could not be read."))
        data = book.cleaned_data
        _session, created = session_book(
            actor=_actor(request),
            programme_id=programme.pk,
            day=data["day"],
            start=data["start"],
            end=data["end"],
            title=data["title"],
            meeting_url=data.get("meeting_url") or "",
        )
        if created:
            messages.success(request, _("The session was booked."))
        else:
            messages.info(request, _("This slot was already booked; nothing was added."))
        return redirect("programmes:manage_detail", programme_id=programme.pk)
    seated = seated_school_ids(programme)
    today = timezone.localdate()
    first, last = default_range(today)
    initial = {
        "schools": seated,
        "first": max(first, programme.starts_on),
        "last": programme.ends_on if programme.ends_on >= first else last,
        "length": 50,
    }
    form = SlotSearchForm(request.GET if "first" in request.GET else None, schools=candidates)
    if not form.is_bound:
        form = SlotSearchForm(initial=initial, schools=candidates)
    rows: list[dict[str, Any]] = []
    total = 0
    searched = False
    missing: list[School] = []
    if form.is_bound and form.is_valid():
        searched = True
        chosen = list(form.cleaned_data["schools"])
        timetables = timetables_for(
            chosen, first=form.cleaned_data["first"], last=form.cleaned_data["last"]
        )
        missing = [s for s, t in zip(chosen, timetables, strict=True) if not t.week]
        options = core.SearchOptions(
            length=form.cleaned_data["length"],
            only_preferred=form.cleaned_data["only_preferred"],
            only_labels=form.labels(),
        )
        slots = core.find_slots(
            timetables,
            first=form.cleaned_data["first"],
            last=form.cleaned_data["last"],
            options=options,
        )
        total = len(slots)
        rows = _slot_rows(slots[:50], {str(s.pk): s for s in chosen})
    return render(
        request,
        "scheduling/programme_slots.html",
        {
            "programme": programme,
            "form": form,
            "rows": rows,
            "total": total,
            "searched": searched,
            "missing": missing,
            "seated": bool(seated),
            "feed_published": programme.status == ProgrammeStatus.PUBLISHED,
        },
    )


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def slot_ics(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = schedulable_programme(actor=_actor(request), programme_id=programme_id)
    form = BookForm(
        {
            "day": request.GET.get("day", ""),
            "start": request.GET.get("start", ""),
            "end": request.GET.get("end", ""),
            "title": programme.title,
        }
    )
    if not form.is_valid():
        return HttpResponseBadRequest(_("The slot could not be read."))
    data = form.cleaned_data
    starts_at, ends_at = slot_datetimes(data["day"], data["start"], data["end"])
    cal = Calendar()
    cal.add("prodid", "-//ekkyo//越境ねっと//JA")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"slot-{programme.pk}-{starts_at:%Y%m%dT%H%M}-{data['end']}@ekkyo")
    event.add("summary", programme.title)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("dtstamp", timezone.now())
    event.add("url", request.build_absolute_uri(f"/programmes/{programme.pk}/"))
    cal.add_component(event)
    response = HttpResponse(bytes(cal.to_ical()), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="slot-{programme.pk}-{starts_at:%Y%m%d-%H%M}.ics"'
    )
    return response
