"""A team set as a printable XLSX: one sheet, one row per member."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from .selectors import TeamSetExport


def teamset_xlsx(export: TeamSetExport) -> bytes:
    """The workbook of a team set read by ``selectors.team_set_export`` (which
    checked the actor and audited the export); this module runs no query."""
    team_set = export.team_set
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Teams")[:31]
    ws.append([f"{team_set.programme.display_title} — {team_set.name}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(
        [
            _("Lowest team score"),
            round(team_set.min_score, 1),
            _("Harmonic mean"),
            round(team_set.harmonic_mean, 1),
            _("Upper bound"),
            round(team_set.bound, 1),
        ]
    )
    headers = [
        _("Team"),
        _("Theme"),
        _("Team score"),
        _("Name"),
        _("Name (kana)"),
        _("School"),
        _("Home municipality"),
        _("Grade"),
    ]
    ws.append([])
    ws.append(headers)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    widths = [len(h) + 4 for h in headers]
    for team, members in export.teams:
        for s in members:
            muni = s.home_municipality
            row = [
                team.number,
                team.theme,
                round(team.score, 1),
                s.full_name,
                s.full_name_kana,
                s.school_display,
                muni.full_name if muni else s.home_country,
                s.grade,
            ]
            ws.append(row)
            for i, value in enumerate(row):
                widths[i] = max(widths[i], min(40, len(str(value)) + 2))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
