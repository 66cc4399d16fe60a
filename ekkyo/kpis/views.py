"""KPI pages: figures against targets per FY, the XLSX for the grant, annual reports."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core.fiscal import format_fiscal_year, wareki_year
from ekkyo.registry.models import Consortium, Municipality
from ekkyo.tenancy.access import require_roles
from ekkyo.tenancy.principal import Principal, Role

from .models import AnnualReport, KpiCode
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
@require_roles(*READERS)
def kpi_table(request: HttpRequest, fy: int) -> HttpResponse:
    _c, table = _visible_table(_principal(request), fy)
    return render(
        request,
        "kpis/table.html",
        {**table, "codes": KpiCode, "years": range(fy - 2, fy + 2)},
    )


@require_GET
@require_roles(*READERS)
def kpi_export(request: HttpRequest, fy: int) -> HttpResponseBase:
    """An XLSX shaped as a grant report: one sheet per KPI, 和暦 headings."""
    consortium, table = _visible_table(_principal(request), fy)
    lang = "en" if (get_language() or "ja").startswith("en") else "ja"
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for code, label in KpiCode.choices:
        ws = wb.create_sheet(str(code))
        ws["A1"] = f"{consortium} — {label}"
        ws["A1"].font = Font(bold=True, size=13)
        ws["A2"] = f"{wareki_year(fy)}（{fy}）" if lang == "ja" else format_fiscal_year(fy, lang)
        ws.append([])
        ws.append([_("Member"), _("Target"), _("Actual"), _("Achievement")])
        for c in ws[4]:
            c.font = Font(bold=True)
        consortium_cell = table["consortium"][code]
        rows = [(_("Consortium (distinct students)"), consortium_cell)] + [
            (str(m["member"]), m["cells"][code]) for m in table["members"]
        ]
        for name, cell in rows:
            ws.append([name, cell["target"], cell["actual"], cell["rate"]])
            ws.cell(ws.max_row, 4).number_format = "0.0%"
        ws.column_dimensions["A"].width = 36
        for col in "BCD":
            ws.column_dimensions[col].width = 12
        ws["A1"].alignment = Alignment(wrap_text=False)
        ws.page_setup.orientation = "portrait"
        ws.page_setup.fitToWidth = 1
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
@require_roles(*READERS)
def report(request: HttpRequest, fy: int) -> HttpResponse:
    principal = _principal(request)
    consortium = _consortium(principal)
    code = request.GET.get("municipality", "")
    if principal.admin_consortium_ids:
        municipality = Municipality.objects.filter(code=code).first() if code else None
    else:
        municipality = Municipality.objects.filter(pk__in=principal.municipality_ids).first()
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
        },
    )
