"""Staff pages for waves: create, response rates per school, QR sheets, reminders.

Views parse, call a selector (``surveys.selectors``) or a door
(``surveys.services``, ``surveys.imports``) and render.
"""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from . import services
from .forms import ImportForm, WaveForm
from .selectors import (
    effects_for,
    import_mapping_for,
    school_report_for,
    wave_for,
    wave_response_rates,
    waves_for,
)
from .services import wave_create, wave_sheet_print

STAFF = (Role.CONSORTIUM_ADMIN, Role.SCHOOL_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


@require_http_methods(["GET", "POST"])
@require_roles(*STAFF, grant=Grant.NONE)
def wave_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = None
    if actor.principal.admin_consortium_ids:
        form = WaveForm(request.POST or None, principal=actor.principal)
        if request.method == "POST" and form.is_valid():
            wave = wave_create(actor=actor, **form.cleaned_data)
            messages.success(request, _("The wave was created."))
            return redirect("surveys:wave_detail", wave_id=wave.pk)
    waves = (
        waves_for(actor=actor)
        .select_related("instrument")
        .annotate(n=Count("responses", distinct=True))
    )
    return render(request, "surveys/wave_list.html", {"waves": waves, "form": form})


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Response rates per school while the wave is open (the school sees its own)."""
    actor = _actor(request)
    wave = wave_for(actor=actor, wave_id=wave_id)
    rows = wave_response_rates(actor=actor, wave=wave)
    return render(request, "surveys/wave_detail.html", {"wave": wave, "rows": rows})


@require_GET
@require_roles(*STAFF, grant=Grant.FULL)
def wave_sheet(request: HttpRequest, wave_id: int, school_code: str) -> HttpResponse:
    """Printable QR sheet: per-student cards (linked) or a class QR per grade (anonymous)."""
    sheet = wave_sheet_print(actor=_actor(request), wave_id=wave_id, school_code=school_code)
    cards = []
    for card in sheet.cards:
        url = request.build_absolute_uri(reverse("surveys:answer", args=[card.token]))
        cards.append(
            {
                "title": card.title,
                "sub": card.sub,
                "svg": segno.make(url, error="m").svg_inline(scale=card.scale),
                "url": url,
            }
        )
    return render(
        request,
        "surveys/wave_sheet.html",
        {"wave": sheet.wave, "school": sheet.school, "cards": cards},
    )


@require_POST
@require_roles(*STAFF, grant=Grant.FULL)
def wave_remind(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Linked mode: email the guardians of students who have not answered yet."""
    job = services.wave_remind_start(actor=_actor(request), wave_id=wave_id)
    messages.info(request, _("The reminders are being sent; this page shows how far it is."))
    return redirect("jobs:job_detail", job_id=job.pk)


@require_GET
@require_roles(Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF, grant=Grant.NONE)
def school_report_view(request: HttpRequest, school_code: str, fy: int) -> HttpResponse:
    """The school feedback report (page). Disclosure control applies to every figure."""
    from django.utils.translation import get_language

    as_pdf = request.GET.get("format") == "pdf"
    school, report = school_report_for(
        actor=_actor(request), school_code=school_code, fy=fy, export=as_pdf
    )
    en = (get_language() or "ja").startswith("en")
    if en and report.get("instrument"):
        names = {c.code: c.name_en for c in report["instrument"].constructs}
        for row in report["rows"]:
            row.name = names.get(row.code, row.name)
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


@require_http_methods(["GET", "POST"])
@require_roles(Role.CONSORTIUM_ADMIN, grant=Grant.FULL)
def wave_import(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Import responses from another tool: check first, then import all or nothing."""
    from ekkyo.core.response_import import suggest_mapping
    from ekkyo.core.tabular import TableError, read_table
    from ekkyo.people.services import translate_problem

    from .imports import responses_import

    actor = _actor(request)
    wave = wave_for(actor=actor, wave_id=wave_id, secretariat=True)
    form = ImportForm(request.POST or None, request.FILES or None)
    outcome = None
    mapping: dict[str, str] = {}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        source = form.cleaned_data["source"]
        saved = import_mapping_for(wave=wave, name=source)
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
            actor=actor,
            wave_id=wave.pk,
            data=data,
            filename=upload.name,
            source=source,
            mapping=mapping,
            respondent_column=respondent,
            apply=form.cleaned_data["apply"],
        )
        if outcome.ok and form.cleaned_data["apply"]:
            services.response_import_mapping_save(
                actor=actor,
                wave_id=wave.pk,
                name=source,
                mapping=mapping,
                respondent_column=respondent,
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
    found = effects_for(actor=_actor(request), fy=fy)
    return render(
        request,
        "surveys/effects.html",
        {"fy": fy, "did": found.did, "posts": found.posts, "k": found.k},
    )
