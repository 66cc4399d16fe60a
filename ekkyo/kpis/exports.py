"""Files for the grant: the KPI workbook (XLSX), the report CSV and the annual report PDF.

Builders only: they turn what ``kpis.selectors`` read (and audited) into
bytes, in the active language. No database query and no write happens here.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from ekkyo.core.disclosure import SUPPRESSED_MARKER, Published
from ekkyo.core.fiscal import format_fiscal_year, wareki_year

from .kpi4 import Kpi4Figure
from .models import KpiCode
from .publication import hidden_notes
from .selectors import KpiWorkbook, ReportPdf, member_cells

KPI4_LABEL = "KPI ④"


def _shown(published: Published) -> Any:
    """A released figure's value, or the marker when the gate hid it."""
    if published.suppressed:
        return SUPPRESSED_MARKER
    return published.value


def _why(published: Published) -> str | None:
    return _(published.message) % published.params if published.suppressed else None


def kpi4_title(f: Kpi4Figure) -> str:
    """One KPI ④ figure's name in the files: the construct and its threshold
    (words, not "≥": the PDF font has no such sign)."""
    return _("%(kpi)s %(construct)s (threshold %(threshold)s or more)") % {
        "kpi": KPI4_LABEL,
        "construct": f.label,
        "threshold": f"{f.threshold:g}",
    }


def _count(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value


def _pct(value: Any) -> str:
    if value is None:
        return "–"
    if value == SUPPRESSED_MARKER:
        return SUPPRESSED_MARKER
    return f"{value * 100:.1f}%"


def kpi_workbook(data: KpiWorkbook, *, lang: str) -> bytes:
    """An XLSX shaped as a grant report, formatted to print.

    One sheet per KPI; on each, the consortium and every member visible to
    the reader: target, actual and achievement of the FY, the actuals of the
    four FYs before (和暦 headings), and the member's own analysis of causes
    and improvements from its latest report version.
    """
    fy, table = data.fy, data.table
    earlier = sorted(data.past)

    def heading(year: int) -> str:
        return f"{wareki_year(year)}（{year}）" if lang == "ja" else format_fiscal_year(year, lang)

    def past_actual(year: int, code: str | None, kpi_code: str) -> Any:
        cells = member_cells(data.past[year], code)
        return cells[kpi_code]["actual"] if cells else None

    thin = Side(style="thin", color="9AA5B1")
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for code, label in KpiCode.choices:
        ws = wb.create_sheet(str(code))
        ws["A1"] = f"{data.consortium} — {label}"
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
            report = data.reports.get(data.pk_of.get(muni_code) if muni_code else None)
            ws.append(
                [
                    name, cell["target"], cell["actual"], cell["rate"],
                    *[past_actual(y, muni_code, code) for y in earlier],
                    report.causes if report else "", report.improvements if report else "",
                ]
            )  # fmt: skip
            ws.cell(ws.max_row, 4).number_format = "0.0%"
        last = ws.max_row
        for note in hidden_notes(table):  # why a figure reads the marker (disclosure gate)
            ws.append([note])
        for row in ws.iter_rows(min_row=4, max_row=last):
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
    if data.kpi4:
        _kpi4_sheet(wb, data, heading(fy), thin)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _kpi4_sheet(wb: Workbook, data: KpiWorkbook, fy_heading: str, thin: Side) -> None:
    """KPI ④: per construct, respondents and the share reaching the threshold,
    for the consortium and each member town the reader sees (by home)."""
    ws = wb.create_sheet("kpi4")
    ws["A1"] = f"{data.consortium} — " + _("KPI ④: share of respondents reaching the threshold")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = fy_heading
    ws.append([])
    ws.append([_("Member"), _("Construct"), _("Threshold"), _("Respondents"), _("Share reaching")])
    for c in ws[4]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="E8EEF2")
    notes: set[str] = set()
    for line in data.kpi4:
        for f in line.figures:
            ws.append(
                [
                    line.member,
                    f.label,
                    f.threshold,
                    _count(_shown(f.respondents)),
                    _shown(f.share),
                ]
            )
            ws.cell(ws.max_row, 5).number_format = "0.0%"
            for why in (_why(f.respondents), _why(f.share)):
                if why:
                    notes.add(why)
    last = ws.max_row
    for row in ws.iter_rows(min_row=4, max_row=last):
        for c in row:
            c.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for note in sorted(notes):
        ws.append([f"{SUPPRESSED_MARKER}: {note}"])
    ws.append(
        [_("From the fiscal year's annual survey wave, with the thresholds its instrument sets.")]
    )
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 24
    for col in "CDE":
        ws.column_dimensions[col].width = 13
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def report_csv(data: KpiWorkbook, *, lang: str) -> str:
    """Every visible row of the FY's report as CSV text (the caller adds the BOM)."""
    fy, table = data.fy, data.table
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(
        [
            _("Fiscal year"), _("Member code"), _("Member"), _("KPI"), _("Target"), _("Actual"),
            _("Achievement"), _("Analysis of causes"), _("Improvements"),
        ]
    )  # fmt: skip
    fy_label = format_fiscal_year(fy, lang)
    rows = [(None, "", _("Consortium (distinct students)"), table["consortium"])] + [
        (data.pk_of.get(m["code"]), m["code"], str(m["member"]), m["cells"])
        for m in table["members"]
    ]
    for pk, code, name, cells in rows:
        report = data.reports.get(pk)
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
    # KPI ④: the share reaching each construct's threshold (no target is set for it).
    for line in data.kpi4:
        report = data.reports.get(data.pk_of.get(line.code) if line.code else None)
        for f in line.figures:
            out.writerow(
                [
                    fy_label, line.code or "", line.member, kpi4_title(f), "",
                    _pct(_shown(f.share)), "",
                    report.causes if report else "", report.improvements if report else "",
                ]
            )  # fmt: skip
    return buf.getvalue()


def report_pdf(data: ReportPdf, *, lang: str) -> bytes:
    """The annual report of a member (or the consortium) as PDF, with the font embedded."""
    from ekkyo.pdf import table_pdf

    report = data.report
    years = [format_fiscal_year(y, lang) for y in range(data.fy - 4, data.fy + 1)]
    rows = []
    for kpi_code, label in KpiCode.choices:
        cell = data.cells[kpi_code]
        rate = cell["rate"]
        rows.append(
            [
                str(label),
                "–" if cell["target"] is None else str(cell["target"]),
                str(cell["actual"]),
                "–" if rate is None else f"{rate * 100:.1f}%",
                " → ".join("–" if v is None else str(v) for v in data.trend[kpi_code]),
            ]
        )
    kpi4_notes = set()
    for f in data.kpi4:
        rows.append(
            [
                kpi4_title(f),
                "–",
                _pct(_shown(f.share)),
                "–",
                _("%(n)s respondents") % {"n": _count(_shown(f.respondents))},
            ]
        )
        for why in (_why(f.respondents), _why(f.share)):
            if why:
                kpi4_notes.add(why)
    status = (
        _("Version %(v)s, %(status)s")
        % {"v": report.version, "status": report.get_status_display()}
        if report
        else _("No report written yet")
    )
    return table_pdf(
        title=_("Annual report %(fy)s — %(who)s")
        % {
            "fy": format_fiscal_year(data.fy, lang),
            "who": data.municipality or _("Consortium (distinct students)"),
        },
        subtitle=f"{data.consortium} · {status}",
        header=[_("KPI"), _("Target"), _("Actual"), _("Achievement"), " → ".join(years[::4])],
        rows=rows,
        notes=[
            *sorted({c["hidden"] for c in data.cells.values() if "hidden" in c} | kpi4_notes),
            _("Analysis of causes (要因分析): %(text)s")
            % {"text": report.causes if report else "–"},
            _("Improvements (改善方策): %(text)s")
            % {"text": report.improvements if report else "–"},
        ],
    )
