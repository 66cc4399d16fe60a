"""Roster exports for Excel users: CSV (UTF-8 with BOM) and XLSX."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ekkyo.core.tabular import write_csv_for_excel

from .models import Student


def roster_headers() -> list[str]:
    return [
        _("School code"),
        _("Student number"),
        _("Family name"),
        _("Given name"),
        _("Family name (kana)"),
        _("Given name (kana)"),
        _("Name in Latin letters"),
        _("Grade"),
        _("Gender"),
        _("Date of birth"),
        _("Home municipality code"),
        _("Home country"),
        _("Language"),
    ]


def roster_rows(students: Iterable[Student]) -> Iterable[list[str]]:
    for s in students:
        yield [
            s.school.code if s.school_id else s.school_name_other,  # type: ignore[union-attr]
            s.student_number,
            s.family_name,
            s.given_name,
            s.family_name_kana,
            s.given_name_kana,
            s.romanized_name,
            str(s.grade),
            s.gender,
            s.birth_date.isoformat() if s.birth_date else "",
            s.home_municipality.code if s.home_municipality_id else "",  # type: ignore[union-attr]
            s.home_country,
            s.preferred_language,
        ]


def roster_csv(students: Iterable[Student]) -> bytes:
    return write_csv_for_excel(roster_headers(), list(roster_rows(students)))


def roster_xlsx(students: Iterable[Student]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Students")
    headers = roster_headers()
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(h) + 4 for h in headers]
    for row in roster_rows(students):
        ws.append(row)
        for i, value in enumerate(row):
            widths[i] = max(widths[i], min(40, len(value) + 2))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    # Codes must stay text so Excel keeps their leading zeros.
    for col in (1, 2, 11):
        for cell in ws.iter_cols(min_col=col, max_col=col, min_row=2).__next__():
            cell.number_format = "@"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
