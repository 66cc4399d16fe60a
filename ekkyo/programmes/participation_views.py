"""Participation records by hand and in bulk: attendance per session (entered or
imported from Zoom, Teams or Meet), stays per programme, residences."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core.attendance import RosterEntry, match_participants, parse_attendance_report
from ekkyo.people.models import Student
from ekkyo.people.services import translate_problem
from ekkyo.registry.models import Municipality, School
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.principal import Principal, Role

from .models import OFFLINE_KINDS, Attendance, Residence, Seat, Session, Stay
from .selectors import manageable_programmes

MANAGERS = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)
SIGNING_SALT = "ekkyo.attendance.import"


def _principal(request: HttpRequest) -> Principal:
    return request.principal  # type: ignore[attr-defined,no-any-return]


def _session(request: HttpRequest, session_id: int) -> Session:
    session = (
        Session.objects.filter(
            pk=session_id, programme__in=manageable_programmes(_principal(request))
        )
        .select_related("programme")
        .first()
    )
    if session is None:
        raise Http404
    return session


def _participants(session: Session) -> list[Student]:
    ids = Seat._unscoped.filter(programme=session.programme, cancelled_at__isnull=True).values(
        "student_id"
    )
    return list(
        Student._unscoped.filter(pk__in=ids)
        .select_related("school", "user")
        .order_by("school__code", "family_name_kana")
    )


def _save(session: Session, minutes_by_student: dict[int, int | None], source: str) -> int:
    """Upsert attendance; idempotent (the same report twice writes nothing new)."""
    from ekkyo.kpis.aggregates import aggregates_batch

    # One refresh of the KPI aggregates per student, at the end.
    with transaction.atomic(), aggregates_batch():
        existing = {
            a.student_id: a
            for a in Attendance._unscoped.select_for_update().filter(
                session=session, student_id__in=list(minutes_by_student)
            )
        }
        created = 0
        for sid, minutes in minutes_by_student.items():
            row = existing.get(sid)
            if row is None:
                Attendance._unscoped.create(
                    session=session, student_id=sid, minutes=minutes, source=source
                )
                created += 1
            elif minutes is not None and row.minutes != minutes:
                row.minutes = minutes
                row.source = source
                row.save(update_fields=["minutes", "source"])
    return created


@require_http_methods(["GET", "POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    students = _participants(session)
    present = set(Attendance._unscoped.filter(session=session).values_list("student_id", flat=True))
    preview: dict[str, Any] | None = None
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "manual":
        chosen = {int(x) for x in request.POST.getlist("present") if x.isdigit()}
        allowed = {s.pk for s in students}
        from ekkyo.kpis.aggregates import aggregates_batch

        with transaction.atomic(), aggregates_batch():
            _save(session, dict.fromkeys(chosen & allowed), Attendance.Source.MANUAL)
            Attendance._unscoped.filter(session=session, student_id__in=allowed - chosen).delete()
        audit_record(
            request=request,
            action=Action.UPDATE,
            object_type="programmes.session",
            object_id=session.pk,
            summary=f"attendance by hand ({len(chosen & allowed)} present)",
        )
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
        allowed = {s.pk for s in students}
        rows = {int(k): v for k, v in data["minutes"].items() if int(k) in allowed}
        created = _save(session, rows, data["source"])
        audit_record(
            request=request,
            action=Action.IMPORT,
            object_type="programmes.session",
            object_id=session.pk,
            summary=f"attendance report ({len(rows)} matched, {created} new)",
        )
        messages.success(
            request,
            _("Attendance imported: %(n)s students, %(new)s new.")
            % {"n": len(rows), "new": created},
        )
        return redirect(request.path)
    return render(
        request,
        "programmes/attendance.html",
        {"session": session, "students": students, "present": present, "preview": preview},
    )


@require_http_methods(["POST"])
@require_roles(*MANAGERS, grant=Grant.HOSTING)
def stays_from_seats(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Create a stay for every seat of an offline programme that has none yet."""
    programme = manageable_programmes(_principal(request)).filter(pk=programme_id).first()
    if programme is None or programme.kind not in OFFLINE_KINDS:
        raise Http404
    have = set(Stay._unscoped.filter(programme=programme).values_list("student_id", flat=True))
    new = [
        Stay(
            programme=programme,
            student_id=sid,
            arrival=programme.starts_on,
            departure=programme.ends_on,
        )
        for sid in Seat._unscoped.filter(
            programme=programme, cancelled_at__isnull=True
        ).values_list("student_id", flat=True)
        if sid not in have
    ]
    with transaction.atomic():
        Stay._unscoped.bulk_create(new)
        # bulk_create sends no signal: bring the KPI aggregates up to date here.
        from ekkyo.kpis.aggregates import aggregates_refresh

        aggregates_refresh(s.student_id for s in new)
    messages.success(request, _("%(n)s stays created.") % {"n": len(new)})
    return redirect("programmes:manage_detail", programme_id=programme.pk)


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
        munis = Municipality.objects.filter(
            memberships__consortium_id__in=principal.admin_consortium_ids
        ) | Municipality.objects.filter(pk__in=principal.municipality_ids)
        self.fields["host_municipality"].queryset = munis.distinct()  # type: ignore[attr-defined]
        self.fields["school"].queryset = School.objects.filter(  # type: ignore[attr-defined]
            municipality__in=munis
        ).distinct()

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
    principal = _principal(request)
    form = ResidenceForm(request.POST or None, principal=principal)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        student = Student.objects.filter(
            school__code=d["school_code"].strip().upper(),
            student_number=d["student_number"].strip(),
        ).first()
        if student is None:
            form.add_error(None, _("No student you may see has that school and number."))
        else:
            Residence._unscoped.create(
                student=student,
                home_municipality_id=student.home_municipality_id,
                home_country=student.home_country,
                host_municipality=d["host_municipality"],
                school=d["school"],
                start=d["start"],
                end=d["end"],
            )
            audit_record(request=request, action=Action.CREATE, obj=student, summary="residence")
            messages.success(request, _("The residence was recorded."))
            return redirect("programmes:residences")
    rows = Residence.objects.select_related(
        "student", "home_municipality", "host_municipality", "school"
    ).order_by("-start")[:500]
    return render(request, "programmes/residences.html", {"rows": rows, "form": form})
