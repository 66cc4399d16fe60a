"""Programme pages: the public catalogue, calendar and .ics feed; staff management.

Views parse, call a door (``services``; seats in ``allocation.seat_services``,
stays in ``participation.services``) or a selector, and render; they write
nothing themselves."""

from __future__ import annotations

import calendar as pycalendar
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekkyo.allocation.models import Seat
from ekkyo.allocation.seat_services import SeatUnavailable, seat_cancel, seat_confirm
from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.participation.models import Stay
from ekkyo.participation.services import stay_cancelled_toggle
from ekkyo.people.models import Student
from ekkyo.registry.models import Prefecture
from ekkyo.tenancy.access import Grant, NotFound, public_route, record_pending_denial, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from . import ics
from .forms import CatalogueFilterForm, ProgrammeForm, QuestionForm, SeatConfirmForm, SessionForm
from .models import Programme, ProgrammeStatus, Session
from .selectors import (
    CatalogueFilter,
    catalogue,
    consortium_for_manager,
    ineligibility,
    manageable_programmes,
    own_student,
    programme_for_manager,
    programme_managed,
    student_by_number,
    visible_programme,
    with_availability,
)
from .services import (
    programme_cancel,
    programme_create,
    programme_publish,
    programme_update,
    question_create,
    question_delete,
    session_create,
)

MANAGERS = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _me(request: HttpRequest) -> Student | None:
    return own_student(actor=_actor(request))


def _posted_id(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else 0


@require_GET
@public_route
def catalogue_view(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None, prefectures=Prefecture.objects.all())
    data = form.cleaned_data if form.is_valid() else {}
    qs = catalogue(
        CatalogueFilter(
            q=data.get("q") or "",
            kind=data.get("kind") or "",
            prefecture=data.get("prefecture") or "",
            theme=data.get("theme") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            open_now=bool(data.get("open_now")),
        )
    )
    me = _me(request)
    programmes = list(qs[:500])
    if me is not None:
        for p in programmes:
            p.why_not = ineligibility(p, me)  # type: ignore[attr-defined]
        if data.get("for_me"):
            programmes = [p for p in programmes if not p.why_not]  # type: ignore[attr-defined]
    page = Paginator(programmes, 24).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programmes/catalogue.html",
        {"form": form, "page": page, "query": query.urlencode(), "me": me},
    )


@require_GET
@public_route
def programme_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    principal = _actor(request).principal
    programme = visible_programme(principal, programme_id)
    if programme is None:
        raise Http404
    me = _me(request)
    can_manage = manageable_programmes(principal).filter(pk=programme.pk).exists()
    return render(
        request,
        "programmes/detail.html",
        {
            "programme": programme,
            "sessions": programme.sessions.all(),
            "places_left": max(0, programme.capacity - programme.seats_taken),  # type: ignore[attr-defined]
            "why_not": ineligibility(programme, me) if me else None,
            "me": me,
            "can_manage": can_manage,
            "open_now": programme.is_open_for_applications(),
        },
    )


def _month(request: HttpRequest) -> date:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@require_GET
@public_route
def calendar_view(request: HttpRequest) -> HttpResponse:
    first = _month(request)
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    programmes = list(
        Programme.objects.filter(
            status=ProgrammeStatus.PUBLISHED, starts_on__lte=last, ends_on__gte=first
        )
    )
    sessions = Session.objects.filter(
        programme__status=ProgrammeStatus.PUBLISHED,
        starts_at__date__gte=first,
        starts_at__date__lte=last,
    ).select_related("programme")
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for p in programmes:
        day = max(p.starts_on, first)
        while day <= min(p.ends_on, last):
            by_day[day].append({"programme": p, "session": None})
            day += timedelta(days=1)
    for s in sessions:
        by_day[timezone.localtime(s.starts_at).date()].append(
            {"programme": s.programme, "session": s}
        )
    weeks = [
        [{"date": d, "in_month": d.month == first.month, "items": by_day.get(d, [])} for d in week]
        for week in pycalendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    ]
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    return render(
        request,
        "programmes/calendar.html",
        {
            "weeks": weeks,
            "first": first,
            "prev": f"{prev_month:%Y-%m}",
            "next": f"{next_month:%Y-%m}",
            "weekdays": [_("Sun"), _("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat")],
        },
    )


@require_GET
@public_route
def calendar_feed(request: HttpRequest) -> HttpResponse:
    qs = Programme.objects.filter(status=ProgrammeStatus.PUBLISHED).prefetch_related("sessions")
    programme_id = request.GET.get("programme", "")
    if programme_id:
        if not programme_id.isdigit():
            raise Http404
        qs = qs.filter(pk=int(programme_id))
    body = ics.calendar_bytes(qs, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ekkyo-programmes.ics"'
    return response


# --- staff -----------------------------------------------------------------


@require_GET
@require_roles(*MANAGERS, grant=Grant.NONE)
def manage_list(request: HttpRequest) -> HttpResponse:
    qs = with_availability(
        manageable_programmes(_actor(request).principal).select_related("host_municipality")
    ).order_by("-starts_on")
    return render(request, "programmes/manage_list.html", {"programmes": qs})


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.NONE)
def manage_edit(request: HttpRequest, programme_id: int | None = None) -> HttpResponse:
    actor = _actor(request)
    programme = None
    if programme_id is not None:
        programme = programme_managed(actor=actor, programme_id=programme_id)
    consortium_id = (
        programme.consortium_id if programme else consortium_for_manager(actor.principal)
    )
    if consortium_id is None:
        raise Http404
    form = ProgrammeForm(
        request.POST or None,
        instance=programme,
        principal=actor.principal,
        consortium_id=consortium_id,
    )
    if request.method == "POST" and form.is_valid():
        if programme is None:
            saved = programme_create(
                actor=actor, consortium_id=consortium_id, data=form.cleaned_data
            )
        else:
            saved = programme_update(actor=actor, programme_id=programme.pk, data=form.cleaned_data)
        messages.success(request, _("The programme was saved."))
        return redirect("programmes:manage_detail", programme_id=saved.pk)
    return render(request, "programmes/manage_edit.html", {"form": form, "programme": programme})


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def manage_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    actor = _actor(request)
    programme = programme_for_manager(actor=actor, programme_id=programme_id)
    session_form = SessionForm(request.POST or None, prefix="session")
    seat_form = SeatConfirmForm(request.POST or None, prefix="seat")
    question_form = QuestionForm(request.POST or None, prefix="question")
    action = request.POST.get("action")
    if request.method == "POST":
        if action == "publish":
            programme_publish(actor=actor, programme_id=programme.pk)
            messages.success(request, _("The programme is published in the catalogue."))
            return redirect(request.path)
        if action == "session" and session_form.is_valid():
            session_create(actor=actor, programme_id=programme.pk, data=session_form.cleaned_data)
            messages.success(request, _("The session was added."))
            return redirect(request.path)
        if action == "seat" and seat_form.is_valid():
            try:
                # Placing is part of hosting: a student the actor sees at least
                # for hosting (404 and audited otherwise, shown as a form error).
                student = student_by_number(
                    actor=actor,
                    school_code=seat_form.cleaned_data["school"],
                    student_number=seat_form.cleaned_data["student_number"],
                    grant=Grant.HOSTING,
                )
            except NotFound as exc:
                record_pending_denial(exc)  # recorded even when the page runs in a transaction
                seat_form.add_error(None, _("No student you may see has that school and number."))
            else:
                try:
                    seat_confirm(actor=actor, programme_id=programme.pk, student_id=student.pk)
                except SeatUnavailable as exc:
                    seat_form.add_error(None, exc.message)
                else:
                    messages.success(
                        request, _("Seat confirmed for %(name)s.") % {"name": student.full_name}
                    )
                    return redirect(request.path)
        if action == "question" and question_form.is_valid():
            question_create(actor=actor, programme_id=programme.pk, data=question_form.cleaned_data)
            messages.success(request, _("The question was added."))
            return redirect(request.path)
        if action == "delete_question":
            question_delete(
                actor=actor, programme_id=programme.pk, question_id=_posted_id(request, "question")
            )
            return redirect(request.path)
        if action == "stay_cancelled":
            stay_cancelled_toggle(
                actor=actor, programme_id=programme.pk, stay_id=_posted_id(request, "stay")
            )
            return redirect(request.path)
        if action == "cancel_seat":
            seat_cancel(actor=actor, programme_id=programme.pk, seat_id=_posted_id(request, "seat"))
            messages.success(request, _("The seat was cancelled."))
            return redirect(request.path)
    seats = Seat.objects.filter(programme=programme, cancelled_at__isnull=True).select_related(
        "student__school"
    )
    return render(
        request,
        "programmes/manage_detail.html",
        {
            "programme": programme,
            "sessions": programme.sessions.annotate(n=Count("attendance")),
            "seats": seats,
            "session_form": session_form,
            "question_form": question_form,
            "questions": programme.questions.all(),
            "stays": Stay.objects.filter(programme=programme).select_related(
                "student__school", "host_family"
            ),
            "seat_form": seat_form,
            "places_left": max(0, programme.capacity - programme.seats_taken),  # type: ignore[attr-defined]
            "programme_fy": fiscal_year_of(programme.starts_on),
        },
    )


@require_POST
@require_roles(*MANAGERS, grant=Grant.NONE)
def manage_cancel(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = programme_cancel(actor=_actor(request), programme_id=programme_id)
    messages.info(request, _("The programme was cancelled."))
    return redirect(reverse("programmes:manage_detail", args=[programme.pk]))
