"""KPI pages: figures against targets per FY, the XLSX for the grant, annual reports."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core.fiscal import format_fiscal_year, wareki_year
from ekkyo.partners.models import Contribution, ContributionKind, Partner
from ekkyo.registry.models import Consortium, Member, Municipality
from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.principal import Principal, Role

from .models import KPI_DEFINITIONS, AnnualReport, KpiBaseline, KpiCode, KpiTarget
from .services import ReportError, figures_table, report_draft, report_submit

READERS = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF)


def _principal(request: HttpRequest) -> Principal:
    return request.principal  # type: ignore[attr-defined,no-any-return]


def _consortium(principal: Principal) -> Consortium:
    from ekkyo.accounts.models import Membership

    ids = sorted(principal.admin_consortium_ids) or sorted(
        Membership.objects.filter(user_id=principal.user_id or 0).values_list(
            "consortium_id", flat=True
        )
    )
    consortium = Consortium.objects.filter(pk__in=ids[:1]).first()
    if consortium is None:
        raise Http404
    return consortium


def _visible_table(principal: Principal, fy: int) -> tuple[Consortium, dict[str, Any]]:
    consortium = _consortium(principal)
    table = figures_table(consortium=consortium, fy=fy)
    if not principal.admin_consortium_ids:
        own = set(
            Municipality.objects.filter(pk__in=principal.municipality_ids).values_list(
                "code", flat=True
            )
        )
        table["members"] = [m for m in table["members"] if m["code"] in own]
    return consortium, table


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def kpi_table(request: HttpRequest, fy: int) -> HttpResponse:
    _c, table = _visible_table(_principal(request), fy)
    return render(
        request,
        "kpis/table.html",
        {**table, "codes": KpiCode, "years": range(fy - 2, fy + 2)},
    )


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def kpi_export(request: HttpRequest, fy: int) -> HttpResponseBase:
    """An XLSX shaped as a grant report, formatted to print.

    One sheet per KPI; on each, the consortium and every member visible to
    the reader: target, actual and achievement of the FY, the actuals of the
    four FYs before (和暦 headings), and the member's own analysis of causes
    and improvements from its latest report version.
    """
    principal = _principal(request)
    consortium, table = _visible_table(principal, fy)
    lang = "en" if (get_language() or "ja").startswith("en") else "ja"
    earlier = list(range(fy - 4, fy))
    past = {y: _visible_table(principal, y)[1] for y in earlier}
    reports: dict[int | None, AnnualReport] = {}
    for r in AnnualReport.objects.filter(consortium=consortium, fiscal_year=fy).order_by("version"):
        reports[r.municipality_id] = r  # the latest version wins
    pk_of = dict(
        Municipality.objects.filter(code__in=[m["code"] for m in table["members"]]).values_list(
            "code", "pk"
        )
    )

    def heading(year: int) -> str:
        return f"{wareki_year(year)}（{year}）" if lang == "ja" else format_fiscal_year(year, lang)

    def past_actual(year: int, code: str | None, kpi_code: str) -> Any:
        t = past[year]
        cells = (
            t["consortium"]
            if code is None
            else next((m["cells"] for m in t["members"] if m["code"] == code), None)
        )
        return cells[kpi_code]["actual"] if cells else None

    thin = Side(style="thin", color="9AA5B1")
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for code, label in KpiCode.choices:
        ws = wb.create_sheet(str(code))
        ws["A1"] = f"{consortium} — {label}"
        ws["A1"].font = Font(bold=True, size=13)
        ws["A2"] = heading(fy)
        ws.append([])
        ws.append(
            [
                _("Member"), _("Target"), _("Actual"), _("Achievement"),
                *[_("Actual %(fy)s") % {"fy": heading(y)} for y in earlier],
                _("Analysis of causes"), _("Improvements"),
            ]
        )  # fmt: skip
        for c in ws[4]:
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.fill = PatternFill("solid", fgColor="E8EEF2")
        rows = [(None, _("Consortium (distinct students)"), table["consortium"])] + [
            (m["code"], str(m["member"]), m["cells"]) for m in table["members"]
        ]
        for muni_code, name, cells in rows:
            cell = cells[code]
            report = reports.get(pk_of.get(muni_code) if muni_code else None)
            ws.append(
                [
                    name, cell["target"], cell["actual"], cell["rate"],
                    *[past_actual(y, muni_code, code) for y in earlier],
                    report.causes if report else "", report.improvements if report else "",
                ]
            )  # fmt: skip
            ws.cell(ws.max_row, 4).number_format = "0.0%"
        for row in ws.iter_rows(min_row=4, max_row=ws.max_row):
            for c in row:
                c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
                if c.column >= 9:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions["A"].width = 30
        for col in "BCDEFGH":
            ws.column_dimensions[col].width = 11
        ws.column_dimensions["I"].width = 40
        ws.column_dimensions["J"].width = 40
        ws.freeze_panes = "B5"
        ws.print_title_rows = "4:4"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddFooter.center.text = "&P / &N"
    buf = io.BytesIO()
    wb.save(buf)
    audit_record(
        request=request,
        action=Action.EXPORT,
        object_type="kpis",
        object_id=fy,
        summary=f"KPI workbook FY{fy}",
    )
    return FileResponse(
        io.BytesIO(buf.getvalue()),
        as_attachment=True,
        filename=f"kpi-{fy}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


class ReportForm(forms.ModelForm):
    class Meta:
        model = AnnualReport
        fields = ["causes", "improvements"]
        widgets = {
            "causes": forms.Textarea(attrs={"rows": 8}),
            "improvements": forms.Textarea(attrs={"rows": 8}),
        }


@require_http_methods(["GET", "POST"])
@require_roles(*READERS, grant=Grant.NONE)
def report(request: HttpRequest, fy: int) -> HttpResponse:
    principal = _principal(request)
    consortium, municipality = _report_subject(request, principal)
    versions = AnnualReport.objects.filter(
        consortium=consortium, municipality=municipality, fiscal_year=fy
    ).order_by("-version")
    draft = versions.filter(status="draft").first()
    form = ReportForm(request.POST or None, instance=draft)
    if request.method == "POST":
        draft = report_draft(consortium=consortium, municipality=municipality, fy=fy)
        form = ReportForm(request.POST, instance=draft)
        if form.is_valid():
            form.save()
            if request.POST.get("action") == "submit":
                try:
                    report_submit(report=draft, user=request.user, request=request)
                    messages.success(
                        request, _("The report was submitted; it can no longer change.")
                    )
                except ReportError as exc:
                    messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved as a draft."))
            return redirect(request.get_full_path())
    _c, table = _visible_table(principal, fy)
    figures = (
        table["consortium"]
        if municipality is None
        else next((m["cells"] for m in table["members"] if m["code"] == municipality.code), {})
    )
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
            "trend": _trend(consortium, municipality.code if municipality else None, fy),
            "trend_years": list(range(fy - 4, fy + 1)),
        },
    )


def _report_subject(
    request: HttpRequest, principal: Principal
) -> tuple[Consortium, Municipality | None]:
    consortium = _consortium(principal)
    code = request.GET.get("municipality", "")
    if principal.admin_consortium_ids:
        municipality = Municipality.objects.filter(code=code).first() if code else None
    else:
        municipality = Municipality.objects.filter(pk__in=principal.municipality_ids).first()
    return consortium, municipality


def _trend(consortium: Consortium, code: str | None, fy: int) -> dict[str, list[Any]]:
    """Actuals of the last five FYs per KPI (for the report's trend columns)."""
    years = list(range(fy - 4, fy + 1))
    out: dict[str, list[Any]] = {k: [] for k in KpiCode.values}
    for y in years:
        table = figures_table(consortium=consortium, fy=y)
        cells = (
            table["consortium"]
            if code is None
            else next((m["cells"] for m in table["members"] if m["code"] == code), {})
        )
        for k in KpiCode.values:
            out[k].append(cells.get(k, {}).get("actual"))
    return out


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def report_csv(request: HttpRequest, fy: int) -> HttpResponse:
    """Every visible row of the FY's report as CSV (UTF-8 with BOM, so Excel opens it)."""
    import csv

    principal = _principal(request)
    consortium, table = _visible_table(principal, fy)
    reports = {
        (r.municipality_id, r.fiscal_year): r
        for r in AnnualReport.objects.filter(consortium=consortium, fiscal_year=fy).order_by(
            "version"
        )
    }  # the latest version wins
    lang = "en" if (get_language() or "ja").startswith("en") else "ja"
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(
        [
            _("Fiscal year"), _("Member code"), _("Member"), _("KPI"), _("Target"), _("Actual"),
            _("Achievement"), _("Analysis of causes"), _("Improvements"),
        ]
    )  # fmt: skip
    fy_label = format_fiscal_year(fy, lang)
    municipalities = {
        m.code: m.pk
        for m in Municipality.objects.filter(code__in=[row["code"] for row in table["members"]])
    }
    rows = [(None, "", _("Consortium (distinct students)"), table["consortium"])] + [
        (municipalities.get(m["code"]), m["code"], str(m["member"]), m["cells"])
        for m in table["members"]
    ]
    for pk, code, name, cells in rows:
        report = reports.get((pk, fy))
        for kpi_code, label in KpiCode.choices:
            cell = cells[kpi_code]
            rate = cell["rate"]
            out.writerow(
                [
                    fy_label, code, name, label,
                    "" if cell["target"] is None else cell["target"], cell["actual"],
                    "" if rate is None else f"{rate * 100:.1f}%",
                    report.causes if report else "", report.improvements if report else "",
                ]
            )  # fmt: skip
    audit_record(
        request=request,
        action=Action.EXPORT,
        object_type="kpis",
        object_id=fy,
        summary=f"KPI report CSV FY{fy}",
    )
    response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kpi-report-{fy}.csv"'
    return response


@require_GET
@require_roles(*READERS, grant=Grant.NONE)
def report_pdf(request: HttpRequest, fy: int) -> HttpResponseBase:
    """The annual report of a member (or the consortium) as PDF, with the font embedded."""
    from ekkyo.pdf import table_pdf

    principal = _principal(request)
    consortium, municipality = _report_subject(request, principal)
    _c, table = _visible_table(principal, fy)
    code = municipality.code if municipality else None
    cells = (
        table["consortium"]
        if code is None
        else next((m["cells"] for m in table["members"] if m["code"] == code), None)
    )
    if cells is None:
        raise Http404
    lang = "en" if (get_language() or "ja").startswith("en") else "ja"
    trend = _trend(consortium, code, fy)
    years = [format_fiscal_year(y, lang) for y in range(fy - 4, fy + 1)]
    report = (
        AnnualReport.objects.filter(
            consortium=consortium, municipality=municipality, fiscal_year=fy
        )
        .order_by("-version")
        .first()
    )
    rows = []
    for kpi_code, label in KpiCode.choices:
        cell = cells[kpi_code]
        rate = cell["rate"]
        rows.append(
            [
                str(label),
                "–" if cell["target"] is None else str(cell["target"]),
                str(cell["actual"]),
                "–" if rate is None else f"{rate * 100:.1f}%",
                " → ".join("–" if v is None else str(v) for v in trend[kpi_code]),
            ]
        )
    status = (
        _("Version %(v)s, %(status)s")
        % {"v": report.version, "status": report.get_status_display()}
        if report
        else _("No report written yet")
    )
    body = table_pdf(
        title=_("Annual report %(fy)s — %(who)s")
        % {
            "fy": format_fiscal_year(fy, lang),
            "who": municipality or _("Consortium (distinct students)"),
        },
        subtitle=f"{consortium} · {status}",
        header=[_("KPI"), _("Target"), _("Actual"), _("Achievement"), " → ".join(years[::4])],
        rows=rows,
        notes=[
            _("Analysis of causes (要因分析): %(text)s")
            % {"text": report.causes if report else "–"},
            _("Improvements (改善方策): %(text)s")
            % {"text": report.improvements if report else "–"},
        ],
    )
    audit_record(
        request=request,
        action=Action.EXPORT,
        object_type="kpis.annualreport",
        object_id=report.pk if report else fy,
        summary=f"annual report PDF FY{fy} {code or 'consortium'}",
    )
    return FileResponse(
        io.BytesIO(body),
        as_attachment=True,
        filename=f"annual-report-{fy}-{code or 'consortium'}.pdf",
        content_type="application/pdf",
    )


class ContributionForm(forms.ModelForm):
    class Meta:
        model = Contribution
        fields = [
            "partner", "kind", "programme", "municipality", "amount_yen", "hours",
            "description", "received_on",
        ]  # fmt: skip
        widgets = {"received_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(
        self, *args: Any, consortium: Consortium, towns: Any, programmes: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(consortium=consortium)  # type: ignore[attr-defined]
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]
        self.fields["municipality"].queryset = towns  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == ContributionKind.MENTOR_HOURS and not data.get("hours"):
            self.add_error("hours", _("Give the mentors' hours."))
        if kind in (ContributionKind.MONEY, ContributionKind.FURUSATO) and not data.get(
            "amount_yen"
        ):
            self.add_error("amount_yen", _("Give the amount in yen."))
        if not data.get("hours") and not data.get("amount_yen"):
            self.add_error(None, _("Give an amount in yen or a number of hours."))
        return data


@require_http_methods(["GET", "POST"])
@require_roles(*READERS, grant=Grant.NONE)
def contributions(request: HttpRequest, fy: int) -> HttpResponse:
    """Partners and what they give in the FY (社会資源); towns record their own."""
    principal = _principal(request)
    consortium = _consortium(principal)
    if principal.admin_consortium_ids:
        towns = Municipality.objects.filter(memberships__consortium=consortium)
    else:
        towns = Municipality.objects.filter(pk__in=principal.municipality_ids)
    from ekkyo.programmes.selectors import manageable_programmes

    # Only programmes this person manages: another town's drafts stay unseen.
    programmes = manageable_programmes(principal).filter(consortium=consortium)
    form = ContributionForm(
        request.POST or None, consortium=consortium, towns=towns, programmes=programmes
    )
    if request.method == "POST" and form.is_valid():
        contribution = form.save(commit=False)
        contribution.fiscal_year = fy
        if not principal.admin_consortium_ids and contribution.municipality_id is None:
            contribution.municipality = towns.first()
        contribution.save()
        audit_record(
            request=request,
            action=Action.CREATE,
            object_type="partners.contribution",
            object_id=contribution.pk,
            consortium_id=consortium.pk,
            summary=f"contribution FY{fy} {contribution.kind}",
        )
        messages.success(request, _("The contribution was recorded."))
        return redirect("kpis:contributions", fy=fy)
    rows = (
        Contribution.objects.filter(partner__consortium=consortium, fiscal_year=fy)
        .filter(
            Q(programme__isnull=True)
            | Q(programme__status="published")
            | Q(programme__in=programmes)
        )
        .select_related("partner", "programme", "municipality")
        .order_by("partner__name", "kind")
    )
    return render(
        request,
        "kpis/contributions.html",
        {"fy": fy, "rows": rows, "form": form, "consortium": consortium},
    )


@require_http_methods(["GET", "POST"])
@require_roles(*READERS, grant=Grant.NONE)
def targets(request: HttpRequest, fy: int) -> HttpResponse:
    """The KPI master: definitions and units, baselines, and the FY's targets per row.

    The secretariat edits the consortium's row and every member's; a town
    edits its own row. An empty box removes the target.
    """
    principal = _principal(request)
    consortium = _consortium(principal)
    members = [
        m
        for m in Member.objects.filter(consortium=consortium, municipality__isnull=False)
        .select_related("municipality")
        .order_by("municipality__code")
        if m.active_in(fy)
    ]
    admin = bool(principal.admin_consortium_ids)
    editable = {
        m.municipality.code: m.municipality
        for m in members
        if m.municipality and (admin or m.municipality_id in principal.municipality_ids)
    }
    rows: list[tuple[str, str, Municipality | None, bool]] = [
        ("c", _("Consortium (distinct students)"), None, admin)
    ] + [
        (m.municipality.code, str(m.municipality), m.municipality, m.municipality.code in editable)
        for m in members
        if m.municipality and (admin or m.municipality.code in editable)
    ]
    codes = list(KpiCode.values)
    goal = {
        (t.municipality_id, t.kpi): t.target
        for t in KpiTarget.objects.filter(consortium=consortium, fiscal_year=fy)
    }
    base = {
        (b.municipality_id, b.kpi): b for b in KpiBaseline.objects.filter(consortium=consortium)
    }
    errors: list[str] = []
    if request.method == "POST":
        values: dict[tuple[str, str, str], int | None] = {}
        for key, _label, _muni, can in rows:
            if not can:
                continue
            for code in codes:
                for part in ("t", "b"):
                    raw = request.POST.get(f"{part}-{key}-{code}", "").strip().replace(",", "")
                    if raw and not raw.isdigit():
                        errors.append(
                            _("%(row)s, %(kpi)s: “%(value)s” is not a whole number.")
                            % {"row": _label, "kpi": KpiCode(code).label, "value": raw}
                        )
                    values[(part, key, code)] = int(raw) if raw.isdigit() else None
        base_fy_raw = request.POST.get("baseline_fy", "").strip()
        if not base_fy_raw.isdigit() or not 2000 <= int(base_fy_raw) <= 2100:
            errors.append(_("Give the baseline's fiscal year, e.g. 2024."))
        if not errors:
            with transaction.atomic():
                for (part, key, code), value in values.items():
                    muni = None if key == "c" else editable[key]
                    model = KpiTarget if part == "t" else KpiBaseline
                    lookup: dict[str, Any] = {
                        "consortium": consortium,
                        "municipality": muni,
                        "kpi": code,
                    }
                    if part == "t":
                        lookup["fiscal_year"] = fy
                    if value is None:
                        model.objects.filter(**lookup).delete()
                    elif part == "t":
                        KpiTarget.objects.update_or_create(**lookup, defaults={"target": value})
                    else:
                        KpiBaseline.objects.update_or_create(
                            **lookup,
                            defaults={"value": value, "fiscal_year": int(base_fy_raw)},
                        )
            audit_record(
                request=request,
                action=Action.UPDATE,
                object_type="kpis.kpitarget",
                object_id=fy,
                consortium_id=consortium.pk,
                summary=f"KPI targets and baselines FY{fy}",
            )
            messages.success(request, _("Targets and baselines saved."))
            return redirect("kpis:targets", fy=fy)
    table = []
    for key, label, muni, can in rows:
        pk = muni.pk if muni else None
        table.append(
            {
                "key": key,
                "label": label,
                "editable": can,
                "cells": [
                    {
                        "code": code,
                        "target": request.POST.get(f"t-{key}-{code}")
                        if errors
                        else goal.get((pk, code)),
                        "baseline": request.POST.get(f"b-{key}-{code}")
                        if errors
                        else getattr(base.get((pk, code)), "value", None),
                    }
                    for code in codes
                ],
            }
        )
    baseline_fy = next((b.fiscal_year for b in base.values()), fy - 1)
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
