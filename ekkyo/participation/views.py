"""Participation records by hand and in bulk: attendance per session (entered or
imported from Zoom, Teams or Meet), stays per programme, residences.

Views parse (forms, meeting reports, the signed preview token), call a door
of ``participation.services`` and render; they write nothing themselves."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ekkyo.core.attendance import RosterEntry, match_participants, parse_attendance_report
from ekkyo.people.services import translate_problem
from ekkyo.programmes.selectors import session_managed, student_by_number
from ekkyo.registry.models import Municipality, School
from ekkyo.tenancy.access import Grant, NotFound, record_pending_denial, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal, Role

from .models import Reflection
from .selectors import (
    reflection_of,
    residence_host_municipalities,
    residence_schools,
    residences_recent,
    session_participants,
    session_present_ids,
)
from .services import (
    ResidenceRefused,
    attendance_import,
    attendance_record,
    reflection_save,
    residence_create,
    stays_create_from_seats,
)

MANAGERS = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)
SIGNING_SALT = "ekkyo.attendance.import"


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    actor = _actor(request)
    session = session_managed(actor=actor, session_id=session_id)
    students = session_participants(session)
    present = session_present_ids(session)
    preview: dict[str, Any] | None = None
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "manual":
        chosen = {int(x) for x in request.POST.getlist("present") if x.isdigit()}
        attendance_record(actor=actor, session_id=session.pk, present_ids=chosen)
        messages.success(request, _("Attendance saved."))
        return redirect(request.path)
    if request.method == "POST" and action == "upload" and request.FILES.get("report"):
        upload = request.FILES["report"]
        assert not isinstance(upload, list)
        report = parse_attendance_report(upload.read(), upload.name or "report.csv")
        roster = [
            RosterEntry(
                student_key=str(s.pk),
                family_name=s.family_name,
                given_name=s.given_name,
                family_name_kana=s.family_name_kana,
                given_name_kana=s.given_name_kana,
                romanized_name=s.romanized_name,
                emails=tuple(e for e in [getattr(s.user, "email", "")] if e),
            )
            for s in students
        ]
        min_minutes = float(request.POST.get("min_minutes") or 0)
        result = match_participants(report.participants, roster, min_minutes=min_minutes)
        names = {str(s.pk): s.full_name for s in students}
        minutes = {k: round(v / 60) for k, v in result.seconds.items()}
        preview = {
            "source": report.source,
            "problems": [translate_problem(p) for p in report.problems],
            "matched": [
                {"name": m.participant.name, "student": names[m.student_key], "how": m.how}
                for m in result.matched
            ],
            "unmatched": [
                {"name": u.participant.name, "email": u.participant.email, "reason": u.reason}
                for u in result.unmatched
            ],
            "attended": [names[k] for k in result.attended],
            "token": signing.dumps(
                {
                    "session": session.pk,
                    "source": report.source
                    if report.source in {"zoom", "teams", "meet"}
                    else "manual",
                    "minutes": {k: minutes.get(k) for k in result.attended},
                },
                salt=SIGNING_SALT,
            ),
        }
    if request.method == "POST" and action == "confirm":
        try:
            data = signing.loads(request.POST.get("token", ""), salt=SIGNING_SALT, max_age=3600)
        except signing.BadSignature:
            messages.error(request, _("The preview has expired. Upload the report again."))
            return redirect(request.path)
        if data["session"] != session.pk:
            raise Http404
        n, created = attendance_import(
            actor=actor,
            session_id=session.pk,
            minutes={int(k): v for k, v in data["minutes"].items()},
            source=data["source"],
        )
        messages.success(
            request,
            _("Attendance imported: %(n)s students, %(new)s new.") % {"n": n, "new": created},
        )
        return redirect(request.path)
    return render(
        request,
        "participation/attendance.html",
        {"session": session, "students": students, "present": present, "preview": preview},
    )


@require_http_methods(["POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def stays_from_seats(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Create a stay for every seat of an offline programme that has none yet."""
    n = stays_create_from_seats(actor=_actor(request), programme_id=programme_id)
    messages.success(request, _("%(n)s stays created.") % {"n": n})
    return redirect("programmes:manage_detail", programme_id=programme_id)


class ResidenceForm(forms.Form):
    school_code = forms.CharField(label=gettext_lazy("Student's school code"), max_length=13)
    student_number = forms.CharField(label=gettext_lazy("Student number"), max_length=32)
    host_municipality = forms.ModelChoiceField(
        label=gettext_lazy("Host municipality"), queryset=Municipality.objects.none()
    )
    school = forms.ModelChoiceField(
        label=gettext_lazy("School there"), queryset=School.objects.none()
    )
    start = forms.DateField(
        label=gettext_lazy("Start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("End"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host_municipality"].queryset = residence_host_municipalities(  # type: ignore[attr-defined]
            principal
        )
        self.fields["school"].queryset = residence_schools(principal)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        school, host = data.get("school"), data.get("host_municipality")
        if school and host and school.municipality_id != host.pk:
            self.add_error("school", gettext_lazy("The school is not in the host municipality."))
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", gettext_lazy("The end is before the start."))
        return data


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, grant=Grant.HOSTING)
def residences(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = ResidenceForm(request.POST or None, principal=actor.principal)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            # A host town records arrivals of students it sees at least for
            # hosting: an explicit access check (404 and audited otherwise).
            student = student_by_number(
                actor=actor,
                school_code=d["school_code"],
                student_number=d["student_number"],
                grant=Grant.HOSTING,
            )
            residence_create(
                actor=actor,
                student_id=student.pk,
                host_municipality_id=d["host_municipality"].pk,
                school_id=d["school"].pk,
                start=d["start"],
                end=d["end"],
            )
        except NotFound as exc:
            record_pending_denial(exc)  # recorded even when the page runs in a transaction
            form.add_error(None, _("No student you may see has that school and number."))
        except ResidenceRefused:
            form.add_error("school", _("The school is not in the host municipality."))
        else:
            messages.success(request, _("The residence was recorded."))
            return redirect("programmes:residences")
    rows = residences_recent(actor=actor)
    return render(request, "participation/residences.html", {"rows": rows, "form": form})


class ReflectionForm(forms.ModelForm):
    class Meta:
        model = Reflection
        fields = ["about_other_region", "about_own_region"]
        widgets = {
            "about_other_region": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
            "about_own_region": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        }


@require_http_methods(["GET", "POST"])
@require_roles(Role.STUDENT, grant=Grant.FULL)
def reflection(request: HttpRequest, programme_id: int) -> HttpResponse:
    """After taking part, the student writes what they learned (feeds the portfolio)."""
    actor = _actor(request)
    programme, existing = reflection_of(actor=actor, programme_id=programme_id)
    form = ReflectionForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        reflection_save(
            actor=actor,
            programme_id=programme.pk,
            about_other_region=form.cleaned_data["about_other_region"],
            about_own_region=form.cleaned_data["about_own_region"],
        )
        messages.success(request, _("Thank you. Your reflection was saved."))
        return redirect("programmes:my_applications")
    return render(request, "participation/reflection.html", {"form": form, "programme": programme})
