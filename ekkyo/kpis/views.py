"""KPI pages: figures against targets per FY, the XLSX for the grant, annual reports.

Views parse, call a selector or a door (``kpis.selectors``, ``kpis.services``)
and render; files are built by ``kpis.exports``.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from . import exports
from .forms import ContributionForm, ReportForm
from .models import KPI_DEFINITIONS, KpiCode
from .selectors import (
    contribution_choices,
    contributions_list,
    kpi_master,
    kpi_table_visible,
    kpi_trend,
    kpi_workbook_data,
    member_cells,
    report_csv_data,
    report_pdf_data,
    report_subject,
    report_versions,
)
from .services import ReportError, contribution_create, kpi_master_set, report_save, report_submit

READERS = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _lang() -> str:
    return "en" if (get_language() or "ja").startswith("en") else "ja"


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def kpi_table(request: HttpRequest, fy: int) -> HttpResponse:
    _c, table = kpi_table_visible(actor=_actor(request), fy=fy)
    return render(
        request,
        "kpis/table.html",
        {**table, "codes": KpiCode, "years": range(fy - 2, fy + 2)},
    )


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def kpi_export(request: HttpRequest, fy: int) -> HttpResponseBase:
    """The grant workbook (``kpis.exports.kpi_workbook``) of the rows the reader sees."""
    body = exports.kpi_workbook(kpi_workbook_data(actor=_actor(request), fy=fy), lang=_lang())
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename=f"kpi-{fy}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_http_methods(["GET", "POST"])
@require_roles(*READERS, grant=Grant.NONE)
def report(request: HttpRequest, fy: int) -> HttpResponse:
    actor = _actor(request)
    code = request.GET.get("municipality", "")
    consortium, municipality = report_subject(actor=actor, municipality_code=code)
    versions = report_versions(consortium=consortium, municipality=municipality, fy=fy)
    draft = versions.filter(status="draft").first()
    form = ReportForm(request.POST or None, instance=draft)
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            saved = report_save(
                actor=actor,
                fy=fy,
                municipality_code=code,
                causes=form.cleaned_data["causes"],
                improvements=form.cleaned_data["improvements"],
            )
            if request.POST.get("action") == "submit":
                try:
                    report_submit(actor=actor, report_id=saved.pk)
                    messages.success(
                        request, _("The report was submitted; it can no longer change.")
                    )
                except ReportError as exc:
                    messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved as a draft."))
            return redirect(request.get_full_path())
    _c, table = kpi_table_visible(actor=actor, fy=fy)
    figures = member_cells(table, municipality.code if municipality else None) or {}
    return render(
        request,
        "kpis/report.html",
        {
            "fy": fy,
            "municipality": municipality,
            "consortium": consortium,
            "form": form,
            "versions": versions,
            "figures": figures,
            "codes": KpiCode,
            "trend": kpi_trend(
                consortium=consortium, code=municipality.code if municipality else None, fy=fy
            ),
            "trend_years": list(range(fy - 4, fy + 1)),
        },
    )


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def report_csv(request: HttpRequest, fy: int) -> HttpResponse:
    """Every visible row of the FY's report as CSV (UTF-8 with BOM, so Excel opens it)."""
    text = exports.report_csv(report_csv_data(actor=_actor(request), fy=fy), lang=_lang())
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kpi-report-{fy}.csv"'
    return response


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def report_pdf(request: HttpRequest, fy: int) -> HttpResponseBase:
    """The annual report of a member (or the consortium) as PDF, with the font embedded."""
    data = report_pdf_data(
        actor=_actor(request), fy=fy, municipality_code=request.GET.get("municipality", "")
    )
    code = data.municipality.code if data.municipality else None
    return FileResponse(
        io.BytesIO(exports.report_pdf(data, lang=_lang())),
        as_attachment=True,
        filename=f"annual-report-{fy}-{code or 'consortium'}.pdf",
        content_type="application/pdf",
    )


@require_http_methods(["GET", "POST"])
@require_roles(*READERS, grant=Grant.NONE)
def contributions(request: HttpRequest, fy: int) -> HttpResponse:
    """Partners and what they give in the FY (社会資源); towns record their own."""
    actor = _actor(request)
    choices = contribution_choices(actor=actor)
    form = ContributionForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        contribution_create(actor=actor, fy=fy, **form.cleaned_data)
        messages.success(request, _("The contribution was recorded."))
        return redirect("kpis:contributions", fy=fy)
    return render(
        request,
        "kpis/contributions.html",
        {
            "fy": fy,
            "rows": contributions_list(choices=choices, fy=fy),
            "form": form,
            "consortium": choices.consortium,
        },
    )


def _whole_number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


@require_http_methods(["GET", "POST"])
@require_roles(*READERS, grant=Grant.NONE)
def targets(request: HttpRequest, fy: int) -> HttpResponse:
    """The KPI master: definitions and units, baselines, and the FY's targets per row.

    The secretariat edits the consortium's row and every member's; a town
    edits its own row. An empty box removes the target.
    """
    actor = _actor(request)
    master = kpi_master(actor=actor, fy=fy)
    codes = list(KpiCode.values)
    errors: list[str] = []
    if request.method == "POST":
        values: dict[str, dict[tuple[str, str], int | None]] = {"t": {}, "b": {}}
        for row in master.rows:
            if not row.editable:
                continue
            for code in codes:
                for part in ("t", "b"):
                    raw = request.POST.get(f"{part}-{row.key}-{code}", "").strip().replace(",", "")
                    if raw and not raw.isdigit():
                        errors.append(
                            _("%(row)s, %(kpi)s: “%(value)s” is not a whole number.")
                            % {"row": row.label, "kpi": KpiCode(code).label, "value": raw}
                        )
                    values[part][(row.key, code)] = _whole_number(raw)
        base_fy_raw = request.POST.get("baseline_fy", "").strip()
        if not base_fy_raw.isdigit() or not 2000 <= int(base_fy_raw) <= 2100:
            errors.append(_("Give the baseline's fiscal year, e.g. 2024."))
        if not errors:
            kpi_master_set(
                actor=actor,
                fy=fy,
                targets=values["t"],
                baselines=values["b"],
                baseline_fy=int(base_fy_raw),
            )
            messages.success(request, _("Targets and baselines saved."))
            return redirect("kpis:targets", fy=fy)
    table: list[dict[str, Any]] = []
    for row in master.rows:
        pk = row.municipality.pk if row.municipality else None
        table.append(
            {
                "key": row.key,
                "label": row.label,
                "editable": row.editable,
                "cells": [
                    {
                        "code": code,
                        "target": request.POST.get(f"t-{row.key}-{code}")
                        if errors
                        else master.goal.get((pk, code)),
                        "baseline": request.POST.get(f"b-{row.key}-{code}")
                        if errors
                        else getattr(master.base.get((pk, code)), "value", None),
                    }
                    for code in codes
                ],
            }
        )
    baseline_fy = next((b.fiscal_year for b in master.base.values()), fy - 1)
    return render(
        request,
        "kpis/targets.html",
        {
            "fy": fy,
            "rows": table,
            "codes": KpiCode,
            "definitions": [(label, KPI_DEFINITIONS[str(code)]) for code, label in KpiCode.choices],
            "errors": errors,
            "baseline_fy": request.POST.get("baseline_fy", baseline_fy) if errors else baseline_fy,
        },
    )
