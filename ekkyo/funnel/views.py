"""Residence funnel pages: one town's funnel per intake FY, its month × stage
grid and CSV import, and the consortium overview.

Who: the town's own municipality staff (read and edit) and the consortium
secretariat (every member town, read and edit). Other roles get 403; a town
that is not the person's gets 404 (audited), like any other tenant object.
Views parse, call ``funnel.services`` (who may work on which town, the reads
and the writes) and render.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ekkyo.kpis.models import KpiCode
from ekkyo.kpis.selectors import kpi_target
from ekkyo.people.services import translate_problem
from ekkyo.registry.models import Consortium, Municipality
from ekkyo.registry.selectors import current_fiscal_year
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from .models import ENTERED_STAGES, FAMILY_STAGES, SEASON_MONTHS, STAGES
from .services import (
    FunnelConflict,
    funnel_consortium_for,
    funnel_csv,
    funnel_grid_save,
    funnel_import,
    funnel_overview,
    funnel_overview_viewed,
    funnel_town_for,
    grid_fingerprint,
    month_grid,
    town_funnel,
)

EDITORS = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _check_fy(fy: int) -> None:
    if not 2000 <= fy <= 2100:
        raise Http404


def _town(request: HttpRequest, fy: int, municipality_code: str) -> tuple[Consortium, Municipality]:
    """The town and its consortium if the person may work on its funnel; 404 otherwise."""
    _check_fy(fy)
    return funnel_town_for(actor=_actor(request), municipality_code=municipality_code)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@require_GET
@require_roles(*EDITORS, grant=Grant.NONE)
def funnel_index(request: HttpRequest) -> HttpResponseBase:
    principal = _actor(request).principal
    fy = current_fiscal_year()
    if principal.admin_consortium_ids:
        return redirect("programmes:funnel_overview", fy=fy)
    town = Municipality.objects.filter(pk__in=principal.municipality_ids).order_by("code").first()
    if town is None:
        raise Http404
    return redirect("programmes:funnel_town", fy=fy, municipality_code=town.code)


@require_GET
@require_roles(*EDITORS, grant=Grant.NONE)
def funnel_town(request: HttpRequest, fy: int, municipality_code: str) -> HttpResponse:
    consortium, municipality = _town(request, fy, municipality_code)
    target = kpi_target(
        consortium=consortium, municipality=municipality, kpi=KpiCode.RESIDENCE, fy=fy
    )
    funnel = town_funnel(consortium=consortium, municipality=municipality, fy=fy, target=target)
    widest = funnel.widest
    rows = [
        {
            "row": r,
            "conversion": _percent(r.conversion),
            "last_conversion": _percent(r.last_year_conversion),
            "bar": round(100 * r.count / widest, 1),
            "bar_last": round(100 * r.last_year / widest, 1),
        }
        for r in funnel.rows
    ]
    months = [
        {"month": m, "cells": [funnel.grid[s.value][m] for s in ENTERED_STAGES]}
        for m in SEASON_MONTHS
    ]
    return render(
        request,
        "funnel/funnel.html",
        {
            "fy": fy,
            "municipality": municipality,
            "funnel": funnel,
            "rows": rows,
            "months": months,
            "entered_stages": ENTERED_STAGES,
            "projection": funnel.projection,
            "achievement": _percent(funnel.projection.achievement),
        },
    )


@require_http_methods(["GET", "POST"])
@require_roles(*EDITORS, grant=Grant.NONE)
def funnel_edit(request: HttpRequest, fy: int, municipality_code: str) -> HttpResponse:
    consortium, municipality = _town(request, fy, municipality_code)
    grid = month_grid(municipality=municipality, fy=fy)
    errors: list[str] = []
    if request.method == "POST":
        values: dict[tuple[str, int], int] = {}
        for stage in ENTERED_STAGES:
            for month in SEASON_MONTHS:
                raw = request.POST.get(f"c_{stage.value}_{month}", "").strip()
                if raw == "":
                    values[(stage.value, month)] = 0
                elif raw.isdigit() and len(raw) <= 7:
                    values[(stage.value, month)] = int(raw)
                else:
                    errors.append(
                        _("%(stage)s, month %(month)s: enter a whole number, 0 or more.")
                        % {"stage": stage.label, "month": month}
                    )
        if not errors:
            try:
                changed = funnel_grid_save(
                    consortium=consortium,
                    municipality=municipality,
                    fy=fy,
                    values=values,
                    fingerprint=request.POST.get("fingerprint", ""),
                    actor=_actor(request),
                )
            except FunnelConflict:
                messages.error(
                    request,
                    _(
                        "Someone saved this funnel while you were editing. Here are the "
                        "figures now; enter your changes again."
                    ),
                )
                return redirect(request.path)
            messages.success(request, _("Saved (%(n)s cells changed).") % {"n": changed})
            return redirect("programmes:funnel_town", fy=fy, municipality_code=municipality.code)
        for (stage_code, month), count in values.items():
            grid[stage_code][month] = count
    months = [
        {
            "month": m,
            "cells": [
                {"name": f"c_{s.value}_{m}", "value": grid[s.value][m], "label": s.label}
                for s in ENTERED_STAGES
            ],
        }
        for m in SEASON_MONTHS
    ]
    return render(
        request,
        "funnel/funnel_edit.html",
        {
            "fy": fy,
            "municipality": municipality,
            "months": months,
            "entered_stages": ENTERED_STAGES,
            "fingerprint": request.POST.get("fingerprint")
            if errors
            else grid_fingerprint(month_grid(municipality=municipality, fy=fy)),
            "errors": errors,
        },
    )


class FunnelUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy(
            "Columns: month (1–12), stage (inquiry, session, visit, application, admission), "
            "count. UTF-8, CP932 or XLSX."
        ),
    )


@require_http_methods(["GET", "POST"])
@require_roles(*EDITORS, grant=Grant.NONE)
def funnel_upload(request: HttpRequest, fy: int, municipality_code: str) -> HttpResponse:
    consortium, municipality = _town(request, fy, municipality_code)
    form = FunnelUploadForm(request.POST or None, request.FILES or None)
    problems: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = funnel_import(
            consortium=consortium,
            municipality=municipality,
            fy=fy,
            data=upload.read(),
            filename=upload.name or "upload.csv",
            actor=_actor(request),
        )
        if result.ok:
            messages.success(
                request,
                _("Imported %(rows)s rows; %(changed)s cells changed.")
                % {"rows": result.rows, "changed": result.changed},
            )
            return redirect("programmes:funnel_town", fy=fy, municipality_code=municipality.code)
        problems = [
            {"row": p.row, "column": p.column, "field": p.field, "message": translate_problem(p)}
            for p in result.problems
        ]
    return render(
        request,
        "funnel/funnel_import.html",
        {"fy": fy, "municipality": municipality, "form": form, "problems": problems},
    )


@require_GET
@require_roles(*EDITORS, grant=Grant.NONE)
def funnel_export(request: HttpRequest, fy: int, municipality_code: str) -> HttpResponseBase:
    _c, municipality = _town(request, fy, municipality_code)
    return FileResponse(
        io.BytesIO(funnel_csv(municipality=municipality, fy=fy)),
        as_attachment=True,
        filename=f"funnel-{municipality.code}-{fy}.csv",
        content_type="text/csv; charset=utf-8",
    )


@require_GET
@require_roles(*EDITORS, grant=Grant.NONE)
def funnel_overview_view(request: HttpRequest, fy: int) -> HttpResponse:
    _check_fy(fy)
    actor = _actor(request)
    principal = actor.principal
    consortium = funnel_consortium_for(actor=actor)
    rows = funnel_overview(consortium=consortium, fy=fy)
    own = set(principal.municipality_ids)
    funnel_overview_viewed(actor=actor, consortium=consortium, fy=fy)
    table = [
        {
            "member": r.member,
            "cells": [r.cells[s.value] for s in STAGES],
            "link": reverse(
                "programmes:funnel_town",
                kwargs={"fy": fy, "municipality_code": r.member.municipality.code},  # type: ignore[union-attr]
            )
            if principal.admin_consortium_ids or r.member.municipality_id in own
            else None,
        }
        for r in rows
    ]
    return render(
        request,
        "funnel/funnel_overview.html",
        {
            "fy": fy,
            "consortium": consortium,
            "stages": STAGES,
            "family_stages": FAMILY_STAGES,
            "table": table,
            "k": consortium.disclosure_k,
            "years": range(fy - 2, fy + 2),
        },
    )
