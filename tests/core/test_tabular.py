"""Tests for ekkyo.core.tabular: reading uploaded CSV/XLSX tables (no Django)."""

from __future__ import annotations

import csv
import io
import string
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekkyo.core import tabular
from ekkyo.core.tabular import (
    DateParseError,
    Table,
    TableError,
    column_letter,
    decode_text,
    parse_date,
    read_table,
    write_csv_for_excel,
)

# 髙 (U+9AD9) and 﨑 (U+FA11) are in CP932 (NEC/IBM extensions); 𠮷
# (U+20BB7, outside the BMP) is not and can only travel in UTF-8.
TAKA = "\u9ad9"
SAKI = "\ufa11"
YOSHI = "\U00020bb7"


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def codes(exc: pytest.ExceptionInfo[TableError]) -> list[str]:
    return [p.code for p in exc.value.problems]


def xlsx_bytes(
    rows: Sequence[Sequence[object]], extra_sheet: Sequence[Sequence[object]] | None = None
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "名簿"
    for row in rows:
        sheet.append(list(row))
    if extra_sheet is not None:
        other = workbook.create_sheet("2年")
        for row in extra_sheet:
            other.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------
# decode_text


def test_cp932_can_hold_taka_and_saki_but_not_yoshi() -> None:
    assert (TAKA + SAKI).encode("cp932").decode("cp932") == TAKA + SAKI
    with pytest.raises(UnicodeEncodeError):
        YOSHI.encode("cp932")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("髙橋,﨑".encode("utf-8-sig"), "utf-8-sig"),
        ("髙橋,﨑,𠮷".encode(), "utf-8"),
        ("髙橋,﨑".encode("cp932"), "cp932"),
        (b"plain ascii", "utf-8"),
        (b"", "utf-8"),
    ],
)
def test_decode_text_detects_the_three_encodings(data: bytes, encoding: str) -> None:
    text, found = decode_text(data)
    assert found == encoding
    assert text == data.decode(encoding)


@pytest.mark.parametrize(
    "data",
    [
        b"\x85\x40\x85\x40",  # neither valid UTF-8 nor CP932
        "学籍番号".encode("utf-16"),  # Excel's "Unicode text" (BOM)
        "学籍番号,姓\r\n".encode("utf-16-le"),  # UTF-16 without BOM: NUL bytes
        b"\xef\xbb\xbf\xff\xfe",  # UTF-8 BOM followed by junk
        b"\x00\x01\x02\x03binary",
        b"abc\x80\xa0def",  # bytes cp932 decodes to non-characters
    ],
)
def test_decode_text_rejects_other_encodings(data: bytes) -> None:
    with pytest.raises(TableError) as exc:
        decode_text(data)
    assert codes(exc) == ["table.encoding"]
    assert "CSV UTF-8 (コンマ区切り)" in exc.value.problems[0].message


# --------------------------------------------------------------------------
# CSV


def test_cp932_csv_keeps_taka_and_saki_exactly() -> None:
    data = csv_bytes([["姓", "名"], [f"{TAKA}橋", f"山{SAKI}"]], "cp932")
    table = read_table(data, "meibo.csv")
    assert table.encoding == "cp932"
    assert table.format == "csv"
    assert table.headers == ["姓", "名"]
    assert table.rows == [(2, {"姓": f"{TAKA}橋", "名": f"山{SAKI}"})]
    assert table.rows[0][1]["姓"].encode() == "\u9ad9\u6a4b".encode()


def test_utf8_bom_csv() -> None:
    data = csv_bytes([["姓", "名"], [f"{TAKA}橋", f"{YOSHI}田"]], "utf-8-sig")
    table = read_table(data, "meibo.csv")
    assert table.encoding == "utf-8-sig"
    assert table.headers == ["姓", "名"]  # no BOM left on the first heading
    assert table.rows[0][1]["名"] == f"{YOSHI}田"


def test_plain_utf8_csv_with_yoshi() -> None:
    data = csv_bytes([["姓", "名"], [f"{YOSHI}野", f"{SAKI}子"]])
    table = read_table(data, "meibo.csv")
    assert table.encoding == "utf-8"
    assert table.rows == [(2, {"姓": f"{YOSHI}野", "名": f"{SAKI}子"})]


def test_tab_separated_file_with_commas_in_data() -> None:
    data = csv_bytes([["番号", "金額", "メモ"], ["1", "1,234", "a, b"]], delimiter="\t")
    table = read_table(data, "export.txt")
    assert table.delimiter == "\t"
    assert table.rows == [(2, {"番号": "1", "金額": "1,234", "メモ": "a, b"})]


def test_semicolon_separated_file() -> None:
    data = b"a;b;c\r\n1;2,5;3\r\n"
    table = read_table(data, "europe.csv")
    assert table.delimiter == ";"
    assert table.rows == [(2, {"a": "1", "b": "2,5", "c": "3"})]


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row() -> None:
    table = read_table(b"sep=;\r\na;b\r\n1;2\r\n", "x.csv")
    assert table.delimiter == ";"
    assert table.header_row == 1
    assert table.rows == [(2, {"a": "1", "b": "2"})]


def test_single_column_file_defaults_to_comma() -> None:
    table = read_table(b"name\nx\n", "x.csv")
    assert table.delimiter == ","
    assert table.rows == [(2, {"name": "x"})]


def test_empty_rows_are_skipped_but_counted() -> None:
    data = b"\r\n,,\r\na,b\r\n1,2\r\n,\r\n  ,\t\r\n3,4\r\n"
    table = read_table(data, "x.csv")
    assert table.header_row == 3
    assert table.rows == [(4, {"a": "1", "b": "2"}), (7, {"a": "3", "b": "4"})]


def test_values_and_headers_are_stripped_and_short_rows_padded() -> None:
    data = " a ,\u3000b\u3000\r\n  1  \r\n".encode()
    table = read_table(data, "x.csv")
    assert table.headers == ["a", "b"]
    assert table.rows == [(2, {"a": "1", "b": ""})]


def test_multiline_cell_counts_as_one_spreadsheet_row() -> None:
    data = b'a,b\r\n"line 1\r\nline 2",x\r\n3,y\r\n'
    table = read_table(data, "x.csv")
    assert table.rows == [(2, {"a": "line 1\r\nline 2", "b": "x"}), (3, {"a": "3", "b": "y"})]


def test_trailing_empty_columns_are_fine() -> None:
    table = read_table(b"a,b,,\r\n1,2,,\r\n", "x.csv")
    assert table.headers == ["a", "b"]
    assert table.rows == [(2, {"a": "1", "b": "2"})]


def test_duplicate_headers_are_rejected() -> None:
    with pytest.raises(TableError) as exc:
        read_table(b"a,b,a\r\n1,2,3\r\n", "x.csv")
    assert codes(exc) == ["table.duplicate_header"]
    problem = exc.value.problems[0]
    assert problem.row == 1
    assert problem.column == "a"
    assert problem.params == {"column": "a", "first": "A", "second": "C"}


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n,,,\r\n", "\ufeff".encode()])
def test_empty_file_is_rejected(data: bytes) -> None:
    with pytest.raises(TableError) as exc:
        read_table(data, "x.csv")
    assert codes(exc) == ["table.empty"]


def test_cells_without_heading_are_reported_per_row() -> None:
    data = b"a,,b\r\n1,,2\r\n3,x,4,y\r\n5,,6,,\r\n7,8,9,10,11\r\n"
    with pytest.raises(TableError) as exc:
        read_table(data, "x.csv")
    assert [(p.code, p.row, p.params["columns"]) for p in exc.value.problems] == [
        ("table.extra_cells", 3, "B, D"),
        ("table.extra_cells", 5, "B, D, E"),
    ]
    table = read_table(data, "x.csv", collect_row_problems=True)
    assert [p.row for p in table.problems] == [3, 5]
    assert table.rows[1] == (3, {"a": "3", "b": "4"})


def test_malformed_csv() -> None:
    with pytest.raises(TableError) as exc:
        read_table(b'a,b\r\n1,"2\r\n3,4\r\n', "x.csv")
    assert codes(exc) == ["table.malformed_csv"]


def test_row_limit() -> None:
    data = b"a\r\n" + b"x\r\n" * 11
    assert len(read_table(data, "x.csv", max_rows=11).rows) == 11
    with pytest.raises(TableError) as exc:
        read_table(data, "x.csv", max_rows=10)
    assert codes(exc) == ["table.too_many_rows"]
    assert exc.value.problems[0].params == {"max_rows": 10}


def test_size_limit() -> None:
    data = b"a\r\n" + b"x" * 2000
    with pytest.raises(TableError) as exc:
        read_table(data, "x.csv", max_bytes=1000)
    assert codes(exc) == ["table.too_large"]


# --------------------------------------------------------------------------
# Format detection


def test_old_xls_is_rejected_by_magic_and_by_extension() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    for data, name in [(ole2, "meibo.xls"), (ole2, "meibo.csv"), (b"a,b\r\n", "meibo.xls")]:
        with pytest.raises(TableError) as exc:
            read_table(data, name)
        assert codes(exc) == ["table.xls_unsupported"]
        assert ".xlsx" in exc.value.problems[0].message


def test_password_protected_xlsx_is_explained() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    with pytest.raises(TableError) as exc:
        read_table(ole2, "meibo.xlsx")
    assert codes(exc) == ["table.xlsx_protected"]


def test_text_named_xlsx_and_broken_zip_are_unreadable() -> None:
    with pytest.raises(TableError) as exc:
        read_table(b"a,b\r\n", "meibo.xlsx")
    assert codes(exc) == ["table.xlsx_unreadable"]
    with pytest.raises(TableError) as exc:
        read_table(b"PK\x03\x04garbage", "meibo.xlsx")
    assert codes(exc) == ["table.xlsx_unreadable"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(TableError) as exc:
        read_table(buffer.getvalue(), "meibo.xlsx")
    assert codes(exc) == ["table.xlsx_unreadable"]


def test_garbage_bytes() -> None:
    with pytest.raises(TableError) as exc:
        read_table(bytes(range(256)) * 4, "meibo.csv")
    assert codes(exc) == ["table.encoding"]


# --------------------------------------------------------------------------
# XLSX


def test_xlsx_cells_become_text() -> None:
    data = xlsx_bytes(
        [
            ["学籍番号", "生年月日", "住所地コード", "小数", "時刻つき", "空", "真偽", "名"],
            [2025001, date(2010, 4, 2), 6403, 1.5, datetime(2025, 4, 1, 9, 30), None, True, "髙"],  # noqa: DTZ001
            [2025002.0, datetime(2011, 3, 31), 6403.0, 0.1, "文字列", "", False, " 𠮷 "],  # noqa: DTZ001
        ]
    )
    table = read_table(data, "meibo.xlsx")
    assert table.format == "xlsx"
    assert table.encoding is None
    assert table.sheet_name == "名簿"
    assert table.rows == [
        (
            2,
            {
                "学籍番号": "2025001",
                "生年月日": "2010-04-02",
                "住所地コード": "6403",
                "小数": "1.5",
                "時刻つき": "2025-04-01 09:30:00",
                "空": "",
                "真偽": "TRUE",
                "名": "髙",
            },
        ),
        (
            3,
            {
                "学籍番号": "2025002",
                "生年月日": "2011-03-31",
                "住所地コード": "6403",
                "小数": "0.1",
                "時刻つき": "文字列",
                "空": "",
                "真偽": "FALSE",
                "名": "𠮷",
            },
        ),
    ]


def test_xlsx_zero_padded_number_format_keeps_leading_zero() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code"])
    sheet.append([6403])
    sheet["A2"].number_format = "00000"
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "x.xlsx")
    assert table.rows == [(2, {"code": "06403"})]


def test_xlsx_renamed_to_csv_is_read_as_xlsx() -> None:
    table = read_table(xlsx_bytes([["a"], ["x"]]), "meibo.csv")
    assert table.format == "xlsx"
    assert table.rows == [(2, {"a": "x"})]


def test_xlsx_empty_rows_problems_and_extra_sheets() -> None:
    data = xlsx_bytes(
        [[], ["a", None, "b"], [1, None, 2], [], [3, "x", 4, "y"]],
        extra_sheet=[["a", "b"], [5, 6]],
    )
    with pytest.raises(TableError) as exc:
        read_table(data, "x.xlsx")
    assert [(p.code, p.row) for p in exc.value.problems] == [("table.extra_cells", 5)]
    table = read_table(data, "x.xlsx", collect_row_problems=True)
    assert table.header_row == 2
    assert table.rows == [(3, {"a": "1", "b": "2"}), (5, {"a": "3", "b": "4"})]
    assert [w.code for w in table.warnings] == ["table.extra_sheets"]
    assert table.warnings[0].params == {"sheet": "名簿", "others": "2年"}


def test_xlsx_empty_second_sheet_gives_no_warning() -> None:
    data = xlsx_bytes([["a"], ["x"]], extra_sheet=[])
    assert read_table(data, "x.xlsx").warnings == []


def test_xlsx_too_many_columns() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["a"])
    sheet.cell(row=2, column=tabular.MAX_COLUMNS + 5, value="far away")
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(TableError) as exc:
        read_table(buffer.getvalue(), "x.xlsx")
    assert codes(exc) == ["table.too_many_columns"]
    assert exc.value.problems[0].row == 2


def test_xlsx_row_limit() -> None:
    data = xlsx_bytes([["a"]] + [[i] for i in range(6)])
    with pytest.raises(TableError) as exc:
        read_table(data, "x.xlsx", max_rows=5)
    assert codes(exc) == ["table.too_many_rows"]


def test_xlsx_zip_bomb_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_XLSX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(TableError) as exc:
        read_table(xlsx_bytes([["a"], ["x"]]), "x.xlsx")
    assert codes(exc) == ["table.too_large"]


def test_empty_workbook() -> None:
    with pytest.raises(TableError) as exc:
        read_table(xlsx_bytes([]), "x.xlsx")
    assert codes(exc) == ["table.empty"]


# --------------------------------------------------------------------------
# Writing CSV for Excel


def test_write_csv_for_excel_bom_crlf_and_reread() -> None:
    headers = ["学籍番号", "姓", "メモ"]
    rows: list[list[object]] = [
        ["1", f"{TAKA}橋", 'a, "b"\nc'],
        ["2", YOSHI, None],
        [3, SAKI, date(2025, 4, 1)],
    ]
    data = write_csv_for_excel(headers, rows)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 4  # heading and three records; "\n" in a cell stays
    table = read_table(data, "out.csv")
    assert table.encoding == "utf-8-sig"
    assert table.headers == headers
    assert table.rows == [
        (2, {"学籍番号": "1", "姓": f"{TAKA}橋", "メモ": 'a, "b"\nc'}),
        (3, {"学籍番号": "2", "姓": YOSHI, "メモ": ""}),
        (4, {"学籍番号": "3", "姓": SAKI, "メモ": "2025-04-01"}),
    ]


def test_write_csv_for_excel_escapes_formulas() -> None:
    data = write_csv_for_excel(["x"], [["=1+1"], ["@SUM(A1)"], ["-1"], ["+81.5"], ["-x"]])
    table = read_table(data, "out.csv")
    assert [values["x"] for _, values in table.rows] == ["'=1+1", "'@SUM(A1)", "-1", "+81.5", "'-x"]
    raw = write_csv_for_excel(["x"], [["=1+1"]], escape_formulas=False)
    assert read_table(raw, "out.csv").rows == [(2, {"x": "=1+1"})]


_cell_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
        blacklist_characters="\ufeff",
    )
    | st.sampled_from([",", ";", "\t", '"', "\n", "\r", " ", "\u3000"]),
    max_size=12,
).map(str.strip)


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(min_value=1, max_value=4),
    data=st.data(),
)
def test_write_csv_for_excel_round_trips(width: int, data: st.DataObject) -> None:
    headers = [f"h{i}" for i in range(width)]
    rows = data.draw(
        st.lists(
            st.lists(_cell_text, min_size=width, max_size=width).filter(any),
            max_size=8,
        )
    )
    out = write_csv_for_excel(headers, rows, escape_formulas=False)
    assert out.startswith(b"\xef\xbb\xbf")
    table = read_table(out, "out.csv")
    assert table.headers == headers
    assert [values for _, values in table.rows] == [
        dict(zip(headers, row, strict=True)) for row in rows
    ]
    assert [number for number, _ in table.rows] == list(range(2, len(rows) + 2))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(string.ascii_letters + "髙﨑", min_size=1, max_size=5), min_size=1))
def test_cp932_round_trip_property(cells: list[str]) -> None:
    data = csv_bytes([["name"], *([c] for c in cells)], "cp932")
    table: Table = read_table(data, "x.csv")
    assert [values["name"] for _, values in table.rows] == cells


# --------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter(index: int, letter: str) -> None:
    assert column_letter(index) == letter


@pytest.mark.parametrize(
    "text",
    [
        "2010-04-02",
        "2010/4/2",
        "2010.4.2",
        "2010年4月2日",
        "2010年4月2",
        "20100402",
        "2010/4/2 0:00",
        "2010-04-02 00:00:00",
        "2010-04-02T00:00:00",
        "２０１０／４／２",
        " 2010 / 4 / 2 ",
        "平成22年4月2日",
        "平成２２年４月２日",
        "H22.4.2",
        "h22/4/2",
        "Ｈ22.4.2",
        "平22.4.2",
        "㍻22年4月2日",
        "H22.4.2 0:00",
    ],
)
def test_parse_date_accepts_common_forms(text: str) -> None:
    assert parse_date(text) == date(2010, 4, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和2年4月2日", date(2020, 4, 2)),
        ("R2.4.2", date(2020, 4, 2)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("S60.1.1", date(1985, 1, 1)),
    ],
)
def test_parse_date_eras(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2010-02-30", "calendar"),
        ("2010-13-01", "calendar"),
        ("平成22年2月30日", "calendar"),
        ("平成31年5月1日", "era_range"),
        ("平成元年1月7日", "era_range"),
        ("令和0年5月1日", "era_range"),
        ("昭和65年1月1日", "era_range"),
        ("abc", "format"),
        ("40270", "format"),
        ("10/4/2", "format"),
        ("2010/4/2 9:30", "format"),
        ("明治1年1月1日", "format"),
        ("", "format"),
    ],
)
def test_parse_date_rejects(text: str, reason: str) -> None:
    with pytest.raises(DateParseError) as exc:
        parse_date(text)
    assert exc.value.reason == reason
