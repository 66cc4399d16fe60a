"""Staff pages for waves: create, response rates per school, QR sheets, reminders."""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.core.mail import send_mail
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.people.models import Guardian
from ekkyo.registry.selectors import schools_for_principal
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.principal import Principal, Role

from .models import InstrumentVersion, Response, SurveyToken, Wave, WaveMode
from .services import class_link_ensure, tokens_ensure, wave_targets

STAFF = (Role.CONSORTIUM_ADMIN, Role.SCHOOL_STAFF)


def _principal(request: HttpRequest) -> Principal:
    return request.principal  # type: ignore[attr-defined,no-any-return]


def _waves(principal: Principal) -> Any:
    return Wave.objects.filter(
        Q(consortium_id__in=principal.admin_consortium_ids) | Q(schools__in=principal.school_ids)
    ).distinct()


class WaveForm(forms.ModelForm):
    class Meta:
        model = Wave
        fields = [
            "title",
            "instrument",
            "kind",
            "mode",
            "fiscal_year",
            "programme",
            "paired_with",
            "schools",
            "grades",
            "opens_at",
            "closes_at",
        ]
        widgets = {
            "opens_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "schools": forms.CheckboxSelectMultiple(),
        }

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools_for_principal(principal)  # type: ignore[attr-defined]
        self.fields["instrument"].queryset = InstrumentVersion.objects.all()  # type: ignore[attr-defined]
        self.fields["paired_with"].queryset = Wave.objects.filter(  # type: ignore[attr-defined]
            consortium_id__in=principal.admin_consortium_ids
        )
        from ekkyo.programmes.models import Programme

        self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
            consortium_id__in=principal.admin_consortium_ids
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", gettext_lazy("The survey must close after it opens."))
        grades = data.get("grades") or ""
        if any(not g.strip().isdigit() for g in grades.split(",") if g.strip()):
            self.add_error("grades", gettext_lazy("Write grades as numbers separated by commas."))
        return data


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.NONE)
def wave_list(request: HttpRequest) -> HttpResponse:
    principal = _principal(request)
    form = None
    if principal.admin_consortium_ids:
        form = WaveForm(request.POST or None, principal=principal)
        if request.method == "POST" and form.is_valid():
            wave = form.save(commit=False)
            wave.consortium_id = sorted(principal.admin_consortium_ids)[0]
            wave.save()
            form.save_m2m()
            messages.success(request, _("The wave was created."))
            return redirect("surveys:wave_detail", wave_id=wave.pk)
    waves = (
        _waves(principal).select_related("instrument").annotate(n=Count("responses", distinct=True))
    )
    return render(request, "surveys/wave_list.html", {"waves": waves, "form": form})


def _wave(request: HttpRequest, wave_id: int) -> Wave:
    wave = _waves(_principal(request)).filter(pk=wave_id).select_related("instrument").first()
    if wave is None:
        raise Http404
    return wave


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Response rates per school while the wave is open (the school sees its own)."""
    wave = _wave(request, wave_id)
    principal = _principal(request)
    schools = wave.schools.all()
    if not principal.admin_consortium_ids:
        schools = schools.filter(pk__in=principal.school_ids)
    targets = {s.pk: 0 for s in schools}
    for student in wave_targets(wave):
        if student.school_id in targets:
            targets[student.school_id] += 1
    answered = dict(
        Response._unscoped.filter(wave=wave, school__in=schools)
        .values("school_id")
        .annotate(n=Count("pk"))
        .values_list("school_id", "n")
    )
    rows = [
        {
            "school": s,
            "target": targets[s.pk],
            "answered": answered.get(s.pk, 0),
            "rate": round(100 * answered.get(s.pk, 0) / targets[s.pk]) if targets[s.pk] else None,
        }
        for s in schools
    ]
    return render(request, "surveys/wave_detail.html", {"wave": wave, "rows": rows})


@require_GET
@require_roles(*STAFF, grant=Grant.FULL)
def wave_sheet(request: HttpRequest, wave_id: int, school_code: str) -> HttpResponse:
    """Printable QR sheet: per-student cards (linked) or a class QR per grade (anonymous)."""
    wave = _wave(request, wave_id)
    school = schools_for_principal(_principal(request)).filter(code=school_code, wave=wave).first()
    if school is None:
        raise Http404
    cards = []
    if wave.mode == WaveMode.LINKED:
        for student, token in tokens_ensure(wave):
            if student.school_id != school.pk:
                continue
            url = request.build_absolute_uri(reverse("surveys:answer", args=[token]))
            cards.append(
                {
                    "title": student.full_name,
                    "sub": f"{student.grade}",
                    "svg": segno.make(url, error="m").svg_inline(scale=3),
                    "url": url,
                }
            )
    else:
        grades: list[int | None] = [
            int(g) for g in wave.grades.split(",") if g.strip().isdigit()
        ] or [None]
        for grade in grades:
            token = class_link_ensure(wave, school.pk, grade)
            url = request.build_absolute_uri(reverse("surveys:answer", args=[token]))
            cards.append(
                {
                    "title": school.display_name,
                    "sub": f"{grade or ''}",
                    "svg": segno.make(url, error="m").svg_inline(scale=5),
                    "url": url,
                }
            )
    audit_record(
        request=request,
        action=Action.VIEW,
        object_type="surveys.wave",
        object_id=wave.pk,
        summary=f"QR sheet {school.code}",
    )
    return render(
        request, "surveys/wave_sheet.html", {"wave": wave, "school": school, "cards": cards}
    )


@require_POST
@require_roles(*STAFF, grant=Grant.FULL)
def wave_remind(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Linked mode: email the guardians of students who have not answered yet."""
    wave = _wave(request, wave_id)
    if wave.mode != WaveMode.LINKED:
        raise Http404
    principal = _principal(request)
    answered = set(Response._unscoped.filter(wave=wave).values_list("respondent", flat=True))
    tokens = SurveyToken.objects.filter(wave=wave).select_related("student")
    if not principal.admin_consortium_ids:
        tokens = tokens.filter(student__school_id__in=principal.school_ids)
    sent = 0
    for t in tokens:
        if t.student.pseudonym in answered:
            continue
        for g in Guardian._unscoped.filter(links__student_id=t.student_id).exclude(email=""):
            send_mail(
                _("[Ekkyo-net] A survey is waiting"),
                _(
                    "%(name)s has not answered “%(wave)s” yet. The survey closes on %(when)s. "
                    "The school will give the link."
                )
                % {
                    "name": t.student.given_name,
                    "wave": wave.title,
                    "when": timezone.localtime(wave.closes_at).strftime("%Y-%m-%d"),
                },
                None,
                [g.email],
            )
            sent += 1
        t.reminded_at = timezone.now()
        t.save(update_fields=["reminded_at"])
    messages.success(request, _("%(n)s reminders sent.") % {"n": sent})
    return redirect("surveys:wave_detail", wave_id=wave.pk)


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF, grant=Grant.NONE)
def school_report_view(request: HttpRequest, school_code: str, fy: int) -> HttpResponse:
    """The school feedback report (page). Disclosure control applies to every figure."""
    from django.utils.translation import get_language

    from ekkyo.registry.selectors import consortium_for_school
    from ekkyo.tenancy.principal import system_scope

    from .reports import school_report

    school = schools_for_principal(_principal(request)).filter(code=school_code).first()
    if school is None:
        raise Http404
    consortium = consortium_for_school(school)
    k = consortium.disclosure_k if consortium else 10
    with system_scope(reason="school report: consortium comparison after access check"):
        report = school_report(school=school, fy=fy, k=k)
    en = (get_language() or "ja").startswith("en")
    if en and report.get("instrument"):
        names = {c.code: c.name_en for c in report["instrument"].constructs}
        for row in report["rows"]:
            row.name = names.get(row.code, row.name)
    as_pdf = request.GET.get("format") == "pdf"
    audit_record(
        request=request,
        action=Action.EXPORT if as_pdf else Action.VIEW,
        object_type="registry.school",
        object_id=school.code,
        summary=f"school feedback report FY{fy}{' (PDF)' if as_pdf else ''}",
    )
    if as_pdf:
        return _report_pdf(school=school, fy=fy, report=report, lang="en" if en else "ja")
    return render(request, "surveys/school_report.html", {"school": school, "fy": fy, **report})


def _report_pdf(*, school: Any, fy: int, report: dict[str, Any], lang: str) -> HttpResponse:
    from ekkyo.core.fiscal import format_fiscal_year
    from ekkyo.pdf import table_pdf

    keys = ["school", "consortium", "previous", "participants", "others"]
    header = [
        _("Construct"),
        _("This school"),
        _("Consortium"),
        _("Last year"),
        _("Took part in a programme"),
        _("Did not"),
    ]
    rows = []
    for row in report["rows"]:
        cells = [row.name]
        for key in keys:
            f = row.figures.get(key)
            if f is None:
                cells.append("—")
            elif f.suppressed:
                cells.append(_("hidden"))
            else:
                cells.append(f"{f.value:.2f} (n={f.n})")
        rows.append(cells)
    wave = report.get("wave")
    body = table_pdf(
        title=f"{_('School feedback report')} — {school.display_name}",
        subtitle=format_fiscal_year(fy, lang) + (f" · {wave.title}" if wave else ""),
        header=header,
        rows=rows,
        notes=[
            _(
                "Means of construct scores (1–5). A figure built from fewer than %(k)s "
                "students is not shown, to protect them; the reason is given instead."
            )
            % {"k": report["k"]},
            _(
                "Participants against non-participants is observational: "
                "it shows a difference, not its cause."
            ),
        ],
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{school.code}-{fy}.pdf"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Responses file (CSV or Excel)"))
    source = forms.CharField(
        label=gettext_lazy("Source name"),
        max_length=100,
        help_text=gettext_lazy("e.g. “Google Forms 2026 annual”; its column mapping is saved."),
    )
    respondent_column = forms.CharField(
        label=gettext_lazy("Respondent column (optional)"), max_length=100, required=False
    )
    apply = forms.BooleanField(
        label=gettext_lazy("Import now (otherwise only check)"), required=False
    )


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.FULL)
def wave_import(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Import responses from another tool: check first, then import all or nothing."""
    from ekkyo.core.response_import import suggest_mapping
    from ekkyo.core.tabular import TableError, read_table
    from ekkyo.people.services import translate_problem

    from .imports import responses_import
    from .models import ImportMapping

    wave = _wave(request, wave_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    outcome = None
    mapping: dict[str, str] = {}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        saved = ImportMapping.objects.filter(
            consortium_id=wave.consortium_id, name=form.cleaned_data["source"]
        ).first()
        if saved is not None:
            mapping = dict(saved.mapping)
        else:
            try:
                headers = read_table(data, upload.name).headers
            except TableError:
                headers = []
            mapping = suggest_mapping(headers, wave.instrument.parsed())
        respondent = form.cleaned_data["respondent_column"] or (
            saved.respondent_column if saved else ""
        )
        outcome = responses_import(
            wave=wave,
            data=data,
            filename=upload.name,
            source=form.cleaned_data["source"],
            mapping=mapping,
            respondent_column=respondent,
            apply=form.cleaned_data["apply"],
            user=request.user,
            request=request,
        )
        if outcome.ok and form.cleaned_data["apply"]:
            ImportMapping.objects.update_or_create(
                consortium_id=wave.consortium_id,
                name=form.cleaned_data["source"],
                defaults={
                    "instrument": wave.instrument,
                    "mapping": mapping,
                    "respondent_column": respondent,
                },
            )
            messages.success(
                request,
                _("Imported: %(new)s new responses, %(same)s already there.")
                % {"new": outcome.new, "same": outcome.unchanged},
            )
            return redirect("surveys:wave_detail", wave_id=wave.pk)
    problems = [
        {"row": p.row, "column": p.column or "", "message": translate_problem(p)}
        for p in (outcome.problems if outcome else [])
    ]
    return render(
        request,
        "surveys/wave_import.html",
        {"wave": wave, "form": form, "outcome": outcome, "problems": problems, "mapping": mapping},
    )


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.NONE)
def effects(request: HttpRequest, fy: int) -> HttpResponse:
    """Growth and programme effects for the secretariat (groups under k are not shown)."""
    from ekkyo.registry.models import Consortium
    from ekkyo.tenancy.principal import system_scope

    from .reports import fy_did, paired_effects

    principal = _principal(request)
    consortium = Consortium.objects.filter(pk__in=principal.admin_consortium_ids).first()
    if consortium is None:
        raise Http404
    k = consortium.disclosure_k
    with system_scope(reason="effects: consortium-wide figures for the secretariat"):
        did_rows = fy_did(consortium_id=consortium.pk, fy=fy, k=k)
        posts = [
            {"wave": w, "rows": paired_effects(post=w, k=k)}
            for w in Wave.objects.filter(
                consortium=consortium, kind="post", fiscal_year=fy, paired_with__isnull=False
            ).select_related("paired_with", "instrument")
        ]
    return render(
        request, "surveys/effects.html", {"fy": fy, "did": did_rows, "posts": posts, "k": k}
    )
