"""Pages of the application workflow for students, guardians, schools and the secretariat.

Views parse, call a door (``allocation.services``) or a selector,
and render; the application, round or student a page acts on is fetched by
the door at the grant the route declares."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ekkyo.participation.models import Reflection
from ekkyo.people.models import Student
from ekkyo.programmes.forms import DateTimeInput
from ekkyo.programmes.models import Programme, ProgrammeStatus
from ekkyo.programmes.selectors import ineligibility, own_student
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal, Role

from .models import (
    AllocationRound,
    Application,
    ApplicationStatus,
    RoundStatus,
    SchoolDecision,
    Seat,
)
from .selectors import (
    application_for,
    approvals_pending,
    guardian_applications,
    round_for_student,
    round_managed,
)
from .services import (
    ApplicationError,
    ChoiceInput,
    application_save,
    application_submit,
    application_withdraw,
    consent_give,
    consent_withdraw,
    consents_missing,
    consents_required,
    round_allocate,
    round_create,
    round_fill_from_waitlists,
    round_publish,
    round_second,
    round_set_status,
    school_decide,
)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _student(request: HttpRequest) -> Student:
    student = own_student(actor=_actor(request))
    if student is None:
        raise Http404
    return student


def _posted_id(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else 0


# --- students -------------------------------------------------------------------


@require_GET
@require_roles(Role.STUDENT, grant=Grant.FULL)
def my_applications(request: HttpRequest) -> HttpResponse:
    student = _student(request)
    now = timezone.now()
    rounds = AllocationRound.objects.filter(
        consortium_id=student.consortium_id, status=RoundStatus.OPEN, closes_at__gt=now
    )
    applications = (
        Application.objects.filter(student=student)
        .select_related("round", "placed_programme")
        .prefetch_related("choices__programme")
        .order_by("-round__opens_at")
    )
    rows = [
        {"application": a, "missing": consents_missing(a), "why": explain(a)} for a in applications
    ]
    return render(
        request, "allocation/my_applications.html", {"rounds": rounds, "rows": rows, "now": now}
    )


REASON_TEXT = {
    "filled": gettext_lazy(
        "every seat went to students with higher priority (your place in its order: "
        "%(rank)s; the last seat went to place %(cutoff)s)"
    ),
    "not_acceptable": gettext_lazy("you were not eligible for it"),
    "no_seats": gettext_lazy("it had no seats left in this round"),
}


def explain(application: Application) -> list[dict[str, Any]]:
    """Why the student did not get the programmes they ranked higher (published only)."""
    if application.round.status != RoundStatus.PUBLISHED:
        return []
    why = application.outcome.get("why_not", [])
    titles = dict(
        Programme.objects.filter(pk__in=[w["programme"] for w in why]).values_list("pk", "title")
    )
    return [
        {
            "title": titles.get(w["programme"], "?"),
            "text": REASON_TEXT.get(w["reason"], w["reason"]) % w,
            "waitlist": w.get("waitlist"),
        }
        for w in why
    ]


@require_http_methods(["GET", "POST"])
@require_roles(Role.STUDENT, grant=Grant.FULL)
def apply(request: HttpRequest, round_id: int) -> HttpResponse:
    actor = _actor(request)
    round_ = round_for_student(actor=actor, round_id=round_id)
    student = _student(request)
    programmes = list(
        round_.programmes.filter(status=ProgrammeStatus.PUBLISHED).prefetch_related("questions")
    )
    options = [(p, ineligibility(p, student)) for p in programmes]
    application = Application.objects.filter(round=round_, student=student).first()
    current = {c.rank: c for c in application.choices.all()} if application is not None else {}
    error = ""
    if request.method == "POST":
        choices: list[ChoiceInput] = []
        for rank in range(1, round_.max_choices + 1):
            value = request.POST.get(f"choice_{rank}", "")
            if not value:
                continue
            if not value.isdigit():
                error = _("Choose programmes from the list.")
                break
            pid = int(value)
            given = {
                key.split("_", 2)[2]: request.POST.get(key, "")
                for key in request.POST
                if key.startswith(f"answer_{pid}_")
            }
            choices.append(ChoiceInput(programme_id=pid, answers=given))
        version = request.POST.get("version", "")
        if not error:
            try:
                application = application_save(
                    actor=actor,
                    round_id=round_.pk,
                    student_id=student.pk,
                    choices=choices,
                    expected_version=int(version) if version.isdigit() else None,
                )
                if request.POST.get("action") == "submit":
                    application_submit(actor=actor, application_id=application.pk)
                    messages.success(request, _("Your application was submitted."))
                else:
                    messages.success(request, _("Your choices were saved. Submit them when ready."))
                return redirect("programmes:my_applications")
            except ApplicationError as exc:
                error = str(exc.message)
    answers: dict[str, str] = {}
    for c in current.values():
        for qid, text in c.answers.items():
            answers[f"{c.programme_id}_{qid}"] = text
    return render(
        request,
        "allocation/apply.html",
        {
            "round": round_,
            "options": options,
            "ranks": [
                (r, current[r].programme_id if r in current else None)
                for r in range(1, round_.max_choices + 1)
            ],
            "answers": answers,
            "application": application,
            "error": error,
            "open": round_.is_open(),
        },
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.STUDENT, Role.GUARDIAN, grant=Grant.FULL)
def withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    """Withdrawal asks once more (a seat given is released for someone else)."""
    actor = _actor(request)
    application = application_for(actor=actor, application_id=application_id, grant=Grant.FULL)
    back = (
        "programmes:my_applications"
        if actor.principal.has_role(Role.STUDENT)
        else "programmes:consents"
    )
    if request.method == "POST":
        application_withdraw(actor=actor, application_id=application.pk)
        messages.info(request, _("The application was withdrawn."))
        return redirect(back)
    return render(request, "allocation/withdraw.html", {"application": application, "back": back})


# --- guardians ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_roles(Role.GUARDIAN, grant=Grant.FULL)
def consents(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    applications = guardian_applications(actor=actor)
    if request.method == "POST":
        # The doors fetch the application at FULL and check it is a child's.
        application_id = _posted_id(request, "application")
        action = request.POST.get("action")
        if action == "give" and request.POST.get("agree"):
            consent_give(actor=actor, application_id=application_id)
            messages.success(request, _("Thank you. Your consent was recorded."))
        elif action == "withdraw":
            consent_withdraw(actor=actor, application_id=application_id)
            messages.info(request, _("Your consent was withdrawn."))
        elif not applications.filter(pk=application_id).exists():
            raise Http404
        elif action == "give":
            messages.error(request, _("Tick the box to show you have read the notice."))
        return redirect("programmes:consents")
    rows = [
        {"application": a, "required": consents_required(a), "missing": consents_missing(a)}
        for a in applications
    ]
    return render(request, "allocation/consents.html", {"rows": rows})


# --- schools ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_roles(Role.SCHOOL_STAFF, Role.CONSORTIUM_ADMIN, grant=Grant.FULL)
def approvals(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    pending = approvals_pending(actor=actor)
    if request.method == "POST":
        # The application id comes from the form: school_decide fetches it at
        # FULL (the student's school or the secretariat; 404 and audited otherwise).
        try:
            school_decide(
                actor=actor,
                application_id=_posted_id(request, "application"),
                approve=request.POST.get("action") == "approve",
                note=request.POST.get("note", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("programmes:approvals")
    return render(
        request,
        "allocation/approvals.html",
        {
            "rows": [{"application": a, "missing": consents_missing(a)} for a in pending],
            "decisions": SchoolDecision,
        },
    )


# --- the secretariat ---------------------------------------------------------------


class RoundForm(forms.ModelForm):
    class Meta:
        model = AllocationRound
        fields = [
            "name",
            "fiscal_year",
            "programmes",
            "max_choices",
            "opens_at",
            "closes_at",
            "prefer_first_time",
            "prefer_small_schools",
            "small_school_size",
            "spread_municipalities",
            "lottery_seed",
            "notice_version",
        ]
        widgets = {
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
            "programmes": forms.CheckboxSelectMultiple(),
        }

    def __init__(self, *args: Any, consortium_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programmes"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
            consortium_id=consortium_id, status=ProgrammeStatus.PUBLISHED
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", gettext_lazy("Applications must close after they open."))
        return data


def _admin_consortium(request: HttpRequest) -> int:
    ids = sorted(_actor(request).principal.admin_consortium_ids)
    if not ids:
        raise Http404
    return ids[0]


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.NONE)
def rounds(request: HttpRequest) -> HttpResponse:
    consortium_id = _admin_consortium(request)
    now = timezone.now()
    initial = {
        "opens_at": now.replace(minute=0, second=0, microsecond=0),
        "closes_at": (now + timedelta(days=14)).replace(minute=0, second=0, microsecond=0),
        "lottery_seed": now.year * 100 + now.month,
    }
    form = RoundForm(request.POST or None, consortium_id=consortium_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        round_ = round_create(
            actor=_actor(request),
            consortium_id=consortium_id,
            data=data,
            programme_ids=[p.pk for p in data.pop("programmes", [])],
        )
        messages.success(request, _("The round was created. Open it when it is ready."))
        return redirect("programmes:round_manage", round_id=round_.pk)
    qs = AllocationRound.objects.filter(
        consortium_id__in=_actor(request).principal.admin_consortium_ids
    ).annotate(n=Count("applications", filter=~Q(applications__status=ApplicationStatus.DRAFT)))
    return render(request, "allocation/rounds.html", {"rounds": qs, "form": form})


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.FULL)
def round_manage(request: HttpRequest, round_id: int) -> HttpResponse:
    actor = _actor(request)
    round_ = round_managed(actor=actor, round_id=round_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in {"open", "close", "reopen"}:
                target = {
                    "open": RoundStatus.OPEN,
                    "close": RoundStatus.CLOSED,
                    "reopen": RoundStatus.OPEN,
                }
                round_set_status(actor=actor, round_id=round_.pk, status=target[action])
            elif action == "allocate":
                s = round_allocate(actor=actor, round_id=round_.pk)
                messages.success(
                    request,
                    _(
                        "Allocated: %(placed)s placed, %(waitlisted)s on waiting lists, "
                        "%(not_placed)s without a seat, %(excluded)s not considered."
                    )
                    % s.__dict__,
                )
            elif action == "publish":
                n = round_publish(actor=actor, round_id=round_.pk)
                messages.success(request, _("Results published; %(n)s seats created.") % {"n": n})
            elif action == "waitlist":
                n = round_fill_from_waitlists(actor=actor, round_id=round_.pk)
                messages.success(
                    request, _("%(n)s freed seats were offered from the waiting lists.") % {"n": n}
                )
            elif action == "second":
                now = timezone.now()
                second = round_second(
                    actor=actor,
                    round_id=round_.pk,
                    opens_at=now,
                    closes_at=now + timedelta(days=7),
                )
                messages.success(request, _("A second round was prepared for the free seats."))
                return redirect("programmes:round_manage", round_id=second.pk)
            else:
                messages.error(request, _("Unknown action."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("programmes:round_manage", round_id=round_.pk)
    applications = (
        Application.objects.filter(round=round_)
        .exclude(status=ApplicationStatus.DRAFT)
        .select_related("student__school", "placed_programme")
        .prefetch_related("choices__programme")
        .order_by("status", "student__school__code", "student__family_name_kana")
    )
    programmes = round_.programmes.annotate(
        n=Count(
            "choices",
            filter=Q(choices__application__round=round_)
            & ~Q(
                choices__application__status__in=[
                    ApplicationStatus.DRAFT,
                    ApplicationStatus.WITHDRAWN,
                ]
            ),
        )
    )
    return render(
        request,
        "allocation/round_manage.html",
        {"round": round_, "applications": applications, "programmes": programmes},
    )


def todo_for(principal: Principal) -> list[dict[str, Any]]:
    """What the signed-in person should do next (shown on their home page)."""
    items: list[dict[str, Any]] = []
    now = timezone.now()
    if principal.student_id:
        for a in (
            Application.objects.filter(student_id=principal.student_id)
            .exclude(status=ApplicationStatus.WITHDRAWN)
            .select_related("round")
        ):
            if a.status == ApplicationStatus.DRAFT and a.round.is_open(now):
                items.append(
                    {
                        "text": _("Submit your application for “%(r)s”.") % {"r": a.round.name},
                        "url": reverse("programmes:apply", args=[a.round_id]),
                    }
                )
            elif a.status == ApplicationStatus.SUBMITTED and consents_missing(a):
                items.append(
                    {
                        "text": _("Ask your guardian to give consent for “%(r)s”.")
                        % {"r": a.round.name},
                        "url": reverse("programmes:my_applications"),
                    }
                )
        done = set(
            Reflection.objects.filter(student_id=principal.student_id).values_list(
                "programme_id", flat=True
            )
        )
        for seat in Seat.objects.filter(
            student_id=principal.student_id,
            cancelled_at__isnull=True,
            programme__ends_on__lt=timezone.localdate(),
        ).select_related("programme"):
            if seat.programme_id not in done:
                items.append(
                    {
                        "text": _("Write your reflection on “%(p)s”.")
                        % {"p": seat.programme.display_title},
                        "url": reverse("programmes:reflection", args=[seat.programme_id]),
                    }
                )
    if principal.child_student_ids:
        waiting = [
            a
            for a in Application.objects.filter(
                student_id__in=principal.child_student_ids, status=ApplicationStatus.SUBMITTED
            )
            .select_related("round", "student__school")
            .prefetch_related("choices__programme")
            if consents_missing(a)
        ]
        if waiting:
            items.append(
                {
                    "text": _("%(n)s application(s) of your children need your consent.")
                    % {"n": len(waiting)},
                    "url": reverse("programmes:consents"),
                }
            )
    if principal.school_ids:
        n = Application.objects.filter(
            student__school_id__in=principal.school_ids,
            status=ApplicationStatus.SUBMITTED,
            school_decision=SchoolDecision.PENDING,
        ).count()
        if n:
            items.append(
                {
                    "text": _("%(n)s application(s) wait for the school's approval.") % {"n": n},
                    "url": reverse("programmes:approvals"),
                }
            )
    if principal.admin_consortium_ids:
        for r in AllocationRound.objects.filter(
            consortium_id__in=principal.admin_consortium_ids,
            status__in=[RoundStatus.CLOSED, RoundStatus.ALLOCATED],
        ):
            text = (
                _("Run the allocation for “%(r)s”.")
                if r.status == RoundStatus.CLOSED
                else _("Review and publish the results of “%(r)s”.")
            )
            items.append(
                {
                    "text": text % {"r": r.name},
                    "url": reverse("programmes:round_manage", args=[r.pk]),
                }
            )
    return items
