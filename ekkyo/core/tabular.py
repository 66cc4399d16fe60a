"""Reading uploaded tables (CSV or XLSX) into plain rows of text.

School coordinators upload rosters, survey responses and attendance lists
from Excel. This module turns the uploaded bytes into a :class:`Table`: the
column headings and, for each non-empty row, the row number as the
spreadsheet shows it (the heading row is normally row 1) and the cell texts
keyed by heading. It knows nothing about what the columns mean; the callers
(``ekkyo.core.roster`` and later imports) validate the values.

What it handles, because Excel users produce all of it:

* encodings: UTF-8 with or without BOM, and CP932 (Japanese Excel's
  "CSV (コンマ区切り)", a superset of Shift_JIS). Nothing else is guessed.
* delimiters: comma, tab or semicolon (Excel's separator depends on the
  locale), sniffed from the heading row; Excel's ``sep=;`` first line.
* XLSX from the first sheet, with cells turned into text the way a person
  reads them (dates as ``YYYY-MM-DD``, ``6403.0`` as ``6403``, numbers shown
  with a ``00000`` format zero-padded as shown).
* files whose extension lies (an XLSX named ``.csv``), old binary ``.xls``
  and password-protected workbooks, oversized files, zip bombs.

Every problem a user must fix is a :class:`~ekkyo.core.messages.Problem`
whose message is a translatable English msgid. Fatal problems raise
:class:`TableError`; problems in individual rows are collected across the
whole file so that a preview can list them all.

Functional core: no Django import (stdlib and openpyxl only).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Final, Literal

from ekkyo.core.messages import Problem, gettext_noop

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "MAX_COLUMNS",
    "DateParseError",
    "Table",
    "TableError",
    "TableFormat",
    "column_letter",
    "decode_text",
    "parse_date",
    "read_table",
    "write_csv_for_excel",
]

TableFormat = Literal["csv", "xlsx"]

DEFAULT_MAX_ROWS: Final = 50_000
DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024
#: Sheets wider than this are refused (Excel's own limit is 16,384).
MAX_COLUMNS: Final = 1024
#: Total uncompressed size of an XLSX archive we are willing to open.
MAX_XLSX_UNCOMPRESSED_BYTES: Final = 256 * 1024 * 1024

_UTF8_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITERS: Final = (",", "\t", ";")
_SNIFF_CHARS: Final = 64 * 1024
# Python's cp932 codec maps the single bytes 0x80, 0xA0 and 0xFD-0xFF, which
# are not characters in Shift_JIS, to these code points. Real text never has
# them, so finding one means the bytes were not CP932 text.
_CP932_NON_CHARACTERS: Final = frozenset("\x80\uf8f0\uf8f1\uf8f2\uf8f3")
_ZERO_PAD_FORMAT = re.compile(r"0+")
_SEP_LINE = re.compile(r"sep=(.)\r?\n", re.IGNORECASE)


class TableError(ValueError):
    """The upload cannot be read as a table; ``problems`` says why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(p.render() for p in self.problems))


@dataclass
class Table:
    """An uploaded table as text.

    ``headers`` are the non-blank column headings in file order, stripped
    and unique. ``rows`` holds every non-empty data row as
    ``(row_number, {heading: stripped text})``, with ``row_number`` as the
    spreadsheet shows it. ``encoding`` is the text encoding of a CSV
    (``utf-8-sig``, ``utf-8`` or ``cp932``) and ``None`` for XLSX.
    ``problems`` lists rows that are malformed (only filled when reading
    with ``collect_row_problems=True``); ``warnings`` lists things the user
    should know but that do not stop the import (e.g. ignored sheets).
    """

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str | None
    format: TableFormat
    header_row: int = 1
    delimiter: str | None = None
    sheet_name: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# --------------------------------------------------------------------------
# Encodings


def _encoding_problem() -> Problem:
    return Problem(
        code="table.encoding",
        message=gettext_noop(
            "The file is neither UTF-8 nor Shift_JIS (CP932) text. In Excel, use "
            "“Save As” with the file type “CSV UTF-8 (Comma delimited)” "
            "(in Japanese Excel: “CSV UTF-8 (コンマ区切り)”) and upload that file."
        ),
    )


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode an uploaded text file; return ``(text, encoding_name)``.

    Tries UTF-8 with BOM (``utf-8-sig``), UTF-8 and CP932 in that order and
    guesses nothing else. Raises :class:`TableError` (``table.encoding``)
    when none fits, including UTF-16 files (Excel's "Unicode text") and
    binary data.
    """
    if data.startswith(_UTF16_BOMS):
        raise TableError([_encoding_problem()])
    candidates = ("utf-8-sig",) if data.startswith(_UTF8_BOM) else ("utf-8", "cp932")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # binary or UTF-16 without BOM: no other candidate can help
        if encoding == "cp932" and not _CP932_NON_CHARACTERS.isdisjoint(text):
            break
        return text, encoding
    raise TableError([_encoding_problem()])


# --------------------------------------------------------------------------
# Helpers


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based column index (0 → ``A``)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _size_problem(max_bytes: int) -> Problem:
    return Problem(
        code="table.too_large",
        message=gettext_noop(
            "The file is larger than %(max_mb)s MB. Split it into smaller files "
            "or remove unused sheets, pictures and formatting."
        ),
        params={"max_mb": max(1, max_bytes // (1024 * 1024))},
    )


def _rows_problem(max_rows: int) -> Problem:
    return Problem(
        code="table.too_many_rows",
        message=gettext_noop(
            "The file has more than %(max_rows)s data rows. Split it into smaller files."
        ),
        params={"max_rows": max_rows},
    )


def _columns_problem(row: int) -> Problem:
    return Problem(
        code="table.too_many_columns",
        message=gettext_noop(
            "Row %(row)s uses more than %(max_columns)s columns. Delete the unused "
            "columns to the right of the table."
        ),
        params={"row": row, "max_columns": MAX_COLUMNS},
        row=row,
    )


def _empty_problem() -> Problem:
    return Problem(
        code="table.empty",
        message=gettext_noop(
            "The file is empty. The first row must hold the column headings and "
            "the rows below it the data."
        ),
    )


def _detect_format(data: bytes, filename: str) -> TableFormat:
    """Decide between CSV and XLSX from the magic bytes, then the extension."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE2_MAGIC):
        if ext in ("xlsx", "xlsm"):
            raise TableError(
                [
                    Problem(
                        code="table.xlsx_protected",
                        message=gettext_noop(
                            "The workbook seems to be protected with a password. Remove "
                            "the password in Excel (File → Info → Protect Workbook), "
                            "save it and upload it again."
                        ),
                    )
                ]
            )
        raise TableError([_xls_problem()])
    if ext == "xls":
        raise TableError([_xls_problem()])
    if ext in ("xlsx", "xlsm"):
        raise TableError(
            [
                Problem(
                    code="table.xlsx_unreadable",
                    message=gettext_noop(
                        "The file is named .xlsx but is not an Excel workbook. Open it "
                        "in Excel and save it as .xlsx or as CSV UTF-8."
                    ),
                )
            ]
        )
    return "csv"


def _xls_problem() -> Problem:
    return Problem(
        code="table.xls_unsupported",
        message=gettext_noop(
            "Old Excel files (.xls) cannot be read. Open the file in Excel and use "
            "“Save As” to save it as “Excel Workbook (*.xlsx)” or as "
            "“CSV UTF-8 (Comma delimited)”, then upload that file."
        ),
    )


# --------------------------------------------------------------------------
# Assembling rows (shared by CSV and XLSX)


class _Assembler:
    """Turns raw rows of text into a :class:`Table`'s headers and rows."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.header_row = 0
        self.headers: list[str] = []
        self.positions: list[tuple[int, str]] = []  # (cell index, heading)
        self.rows: list[tuple[int, dict[str, str]]] = []
        self.problems: list[Problem] = []
        self._by_index: dict[int, str] = {}

    def add(self, row_number: int, cells: Sequence[str]) -> None:
        if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
            raise TableError([_columns_problem(row_number)])
        if not any(cells):
            return
        if not self.header_row:
            self._set_headers(row_number, cells)
            return
        if len(self.rows) >= self.max_rows:
            raise TableError([_rows_problem(self.max_rows)])
        values = {
            heading: (cells[index] if index < len(cells) else "")
            for index, heading in self.positions
        }
        stray = [
            column_letter(index)
            for index, text in enumerate(cells)
            if text and index not in self._by_index
        ]
        if stray:
            self.problems.append(
                Problem(
                    code="table.extra_cells",
                    message=gettext_noop(
                        "Row %(row)s has values in column(s) %(columns)s, which have no "
                        "heading. Add a heading in row %(header_row)s or delete those values."
                    ),
                    params={
                        "row": row_number,
                        "columns": ", ".join(stray),
                        "header_row": self.header_row,
                    },
                    row=row_number,
                )
            )
        self.rows.append((row_number, values))

    def _set_headers(self, row_number: int, cells: Sequence[str]) -> None:
        self.header_row = row_number
        seen: dict[str, int] = {}
        problems: list[Problem] = []
        for index, heading in enumerate(cells):
            if not heading:
                continue
            if heading in seen:
                problems.append(
                    Problem(
                        code="table.duplicate_header",
                        message=gettext_noop(
                            "The heading “%(column)s” appears twice, in columns "
                            "%(first)s and %(second)s. Every column needs its own heading."
                        ),
                        params={
                            "column": heading,
                            "first": column_letter(seen[heading]),
                            "second": column_letter(index),
                        },
                        row=row_number,
                        column=heading,
                    )
                )
                continue
            seen[heading] = index
            self.positions.append((index, heading))
            self.headers.append(heading)
        if problems:
            raise TableError(problems)
        self._by_index = dict(self.positions)

    def table(
        self,
        fmt: TableFormat,
        encoding: str | None,
        collect_row_problems: bool,
        **extra: Any,
    ) -> Table:
        if not self.header_row:
            raise TableError([_empty_problem()])
        if self.problems and not collect_row_problems:
            raise TableError(self.problems)
        return Table(
            headers=self.headers,
            rows=self.rows,
            encoding=encoding,
            format=fmt,
            header_row=self.header_row,
            problems=self.problems,
            **extra,
        )


# --------------------------------------------------------------------------
# CSV


def _sniff_delimiter(text: str) -> str:
    """The delimiter giving the most columns in the first non-empty record.

    Headings rarely contain a comma, tab or semicolon, whereas data often
    does ("1,234", addresses), so only the heading record is looked at. Ties
    and single-column files default to comma.
    """
    sample = text[:_SNIFF_CHARS]
    best, best_count = ",", 1
    for delimiter in _DELIMITERS:
        try:
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                cells = [c for c in record if c.strip()]
                if cells:
                    if len(cells) > best_count:
                        best, best_count = delimiter, len(cells)
                    break
        except csv.Error:
            continue
    return best


def _read_csv(data: bytes, max_rows: int, collect_row_problems: bool) -> Table:
    text, encoding = decode_text(data)
    delimiter: str | None = None
    sep = _SEP_LINE.match(text)
    if sep and sep.group(1) in (*_DELIMITERS, "|"):
        delimiter = sep.group(1)
        text = text[sep.end() :]
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    assembler = _Assembler(max_rows)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row_number, record in enumerate(reader, start=1):
            assembler.add(row_number, [cell.strip() for cell in record])
    except csv.Error as exc:
        raise TableError(
            [
                Problem(
                    code="table.malformed_csv",
                    message=gettext_noop(
                        "The CSV file is malformed near line %(line)s (for example a "
                        "quotation mark that is never closed). Open it in Excel, save it "
                        "again as CSV UTF-8 and upload that file."
                    ),
                    params={"line": reader.line_num},
                )
            ]
        ) from exc
    return assembler.table("csv", encoding, collect_row_problems, delimiter=delimiter)


# --------------------------------------------------------------------------
# XLSX


def _cell_text(value: object, number_format: str | None = None) -> str:
    """A cell value as the text a person reads in the cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        # A code typed as 06403 and shown with format "00000" keeps its zeros.
        if number_format and value >= 0 and _ZERO_PAD_FORMAT.fullmatch(number_format):
            text = text.zfill(len(number_format))
        return text
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError([_xlsx_unreadable()]) from exc
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise TableError([_size_problem(MAX_XLSX_UNCOMPRESSED_BYTES)])


def _xlsx_unreadable() -> Problem:
    return Problem(
        code="table.xlsx_unreadable",
        message=gettext_noop(
            "The file could not be read as an Excel workbook (.xlsx). Open it in "
            "Excel, save it again as .xlsx or as CSV UTF-8 and upload that file."
        ),
    )


def _read_xlsx(data: bytes, max_rows: int, collect_row_problems: bool) -> Table:
    _check_zip(data)
    import openpyxl  # imported lazily: CSV-only callers do not pay for it

    with warnings.catch_warnings():
        # openpyxl warns about unsupported extensions (data validation, ...).
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # any failure here means "not a readable workbook"
            raise TableError([_xlsx_unreadable()]) from exc
        try:
            if not workbook.worksheets:
                raise TableError([_empty_problem()])
            sheet = workbook.worksheets[0]
            assembler = _Assembler(max_rows)
            try:
                for row_number, cells in enumerate(_sheet_rows(sheet), start=1):
                    assembler.add(row_number, cells)
            except TableError:
                raise
            except Exception as exc:  # malformed sheet XML and the like
                raise TableError([_xlsx_unreadable()]) from exc
            table = assembler.table("xlsx", None, collect_row_problems, sheet_name=sheet.title)
            others = [
                ws.title
                for ws in workbook.worksheets[1:]
                if ws.max_row is None or ws.max_row > 1 or (ws.max_column or 1) > 1
            ]
            if others:
                table.warnings.append(
                    Problem(
                        code="table.extra_sheets",
                        message=gettext_noop(
                            "Only the first sheet “%(sheet)s” was read. The other sheets "
                            "(%(others)s) were ignored; put all rows on the first sheet "
                            "or upload each sheet as its own file."
                        ),
                        params={"sheet": sheet.title, "others": "、".join(others)},
                    )
                )
            return table
        finally:
            workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[list[str]]:
    """Rows of a read-only sheet as lists of text, one per row from row 1."""
    # The <dimension> element is written by whatever produced the file and is
    # sometimes wrong (e.g. "A1"), which would make openpyxl truncate rows.
    sheet.reset_dimensions()
    for row_number, cells in enumerate(sheet.iter_rows(min_row=1, min_col=1), start=1):
        if len(cells) > MAX_COLUMNS:
            # Checked before looking at the cells: a cell far to the right must
            # not cost thousands of conversions on every row.
            raise TableError([_columns_problem(row_number)])
        row: list[str] = []
        for cell in cells:
            value = cell.value
            if value is None:
                row.append("")
            elif type(value) is str:  # the common case, kept fast
                row.append(value.strip())
            elif type(value) in (int, float):
                row.append(_cell_text(value, cell.number_format))
            else:
                row.append(_cell_text(value))
        yield row


# --------------------------------------------------------------------------
# Public entry points


def read_table(
    data: bytes,
    filename: str,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    collect_row_problems: bool = False,
) -> Table:
    """Read an uploaded CSV or XLSX file into a :class:`Table`.

    The format comes from the magic bytes first (an XLSX renamed to ``.csv``
    is still read as XLSX) and the extension second. The first non-empty
    row is the heading row; fully empty rows are skipped but still counted,
    so row numbers match what the spreadsheet shows.

    Raises :class:`TableError` for problems with the file as a whole
    (encoding, format, size, headings). Rows with values under no heading
    are collected for the whole file; they raise :class:`TableError` at the
    end, or, with ``collect_row_problems=True``, are returned in
    ``Table.problems`` so that a caller can merge them with its own.
    """
    if len(data) > max_bytes:
        raise TableError([_size_problem(max_bytes)])
    fmt = _detect_format(data, filename)
    if fmt == "xlsx":
        return _read_xlsx(data, max_rows, collect_row_problems)
    return _read_csv(data, max_rows, collect_row_problems)


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def write_csv_for_excel(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    escape_formulas: bool = True,
) -> bytes:
    """A CSV that Japanese Excel opens correctly: UTF-8 with BOM, CRLF.

    ``None`` becomes an empty cell, dates ISO text, anything else ``str()``.
    With ``escape_formulas`` (the default, OWASP "CSV injection"), a text
    cell that Excel would run as a formula (starting with ``=``, ``+``,
    ``-``, ``@``) is prefixed with ``'``; plain numbers such as ``-1`` are
    left alone. Such escaped cells do not read back identically.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_export_cell(h, escape_formulas) for h in headers])
    for row in rows:
        writer.writerow([_export_cell(v, escape_formulas) for v in row])
    return _UTF8_BOM + buffer.getvalue().encode("utf-8")


def _export_cell(value: object, escape_formulas: bool) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    if escape_formulas and text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


# --------------------------------------------------------------------------
# Dates as people write them in Japanese spreadsheets


class DateParseError(ValueError):
    """``reason`` is ``"format"``, ``"calendar"`` or ``"era_range"``."""

    def __init__(self, reason: str, era: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.era = era


# era: (first day, last day or None, offset such that western year = offset + era year)
_ERAS: Final = {
    "令和": (date(2019, 5, 1), None, 2018),
    "平成": (date(1989, 1, 8), date(2019, 4, 30), 1988),
    "昭和": (date(1926, 12, 25), date(1989, 1, 7), 1925),
}
_ERA_ALIASES: Final = {
    "令和": "令和",
    "令": "令和",
    "r": "令和",
    "平成": "平成",
    "平": "平成",
    "h": "平成",
    "昭和": "昭和",
    "昭": "昭和",
    "s": "昭和",
}
_MIDNIGHT_SUFFIX = re.compile(r"(?:\s+|T)0?0:00(?::00)?$")
_WESTERN = re.compile(
    r"(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"|年(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日?)"
)
_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_JAPANESE_ERA = re.compile(
    r"(?P<era>令和|平成|昭和|令|平|昭|[rhs])(?P<y>\d{1,2}|元)(?:年|[-/.])"
    r"(?P<m>\d{1,2})(?:月|[-/.])(?P<d>\d{1,2})日?",
    re.IGNORECASE,
)


def parse_date(text: str) -> date:
    """Parse a calendar date as written in Japanese spreadsheets.

    Accepts ``2010-04-02``, ``2010/4/2``, ``2010.4.2``, ``2010年4月2日``,
    ``20100402``, Excel's ``2010/4/2 0:00``, and the eras 令和, 平成 and 昭和
    written as ``平成22年4月2日``, ``H22.4.2``, ``平22/4/2`` or with ``元年``.
    Full-width digits and spaces are fine. Raises :class:`DateParseError`.
    """
    value = _MIDNIGHT_SUFFIX.sub("", unicodedata.normalize("NFKC", text).strip())
    value = re.sub(r"\s+", "", value)
    era_name: str | None = None
    match = _WESTERN.fullmatch(value) or _COMPACT.fullmatch(value)
    if match:
        groups = match.groupdict()
        year = int(groups["y"])
        month = int(groups.get("m") or groups["m2"])
        day = int(groups.get("d") or groups["d2"])
    else:
        match = _JAPANESE_ERA.fullmatch(value)
        if not match:
            raise DateParseError("format")
        era_name = _ERA_ALIASES[match["era"].lower()]
        era_year = 1 if match["y"] == "元" else int(match["y"])
        if era_year < 1:
            raise DateParseError("era_range", era_name)
        year = _ERAS[era_name][2] + era_year
        month, day = int(match["m"]), int(match["d"])
    try:
        result = date(year, month, day)
    except ValueError as exc:
        raise DateParseError("calendar") from exc
    if era_name is not None:
        first, last, _ = _ERAS[era_name]
        if result < first or (last is not None and result > last):
            raise DateParseError("era_range", era_name)
    return result
