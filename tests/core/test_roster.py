"""Tests for ekkyo.core.roster: validating an uploaded student roster (no Django).

All people in these files are invented; no real personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekkyo.core.messages import Problem
from ekkyo.core.roster import (
    FIELD_ALIASES,
    REQUIRED_FIELDS,
    ROSTER_TEMPLATE_HEADERS,
    RosterResult,
    RosterRow,
    normalize_header,
    normalize_kana,
    parse_roster,
    roster_template_csv,
)
from ekkyo.core.tabular import read_table

TODAY = date(2025, 6, 1)
TAKA = "\u9ad9"  # 髙, in CP932
SAKI = "\ufa11"  # 﨑, in CP932
YOSHI = "\U00020bb7"  # 𠮷, UTF-8 only

HEADERS = ["学籍番号", "姓", "名", "姓（かな）", "名（かな）", "学年", "生年月日", "住所地コード"]


SHORT = {
    "family": "姓",
    "given": "名",
    "family_kana": "姓（かな）",
    "given_kana": "名（かな）",
    "grade": "学年",
    "born": "生年月日",
    "municipality": "住所地コード",
}


def good(number: str = "1001", **overrides: str) -> list[str]:
    """A valid row for HEADERS; override cells by short name (family=..., born=...)."""
    values = {
        "学籍番号": number,
        "姓": "越境",
        "名": "太郎",
        "姓（かな）": "えっきょう",
        "名（かな）": "たろう",
        "学年": "1",
        "生年月日": "2011-05-06",
        "住所地コード": "06401",
    }
    values.update({SHORT[key]: value for key, value in overrides.items()})
    return [values[h] for h in HEADERS]


def csv_bytes(rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def identity_normalizer(value: str) -> str:
    return value


def parse(data: bytes, name: str = "meibo.csv", **kwargs: object) -> RosterResult:
    kwargs.setdefault("normalize_municipality_code", identity_normalizer)
    return parse_roster(data, name, reference_date=TODAY, **kwargs)  # type: ignore[arg-type]


def located(result: RosterResult) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.code) for p in result.problems]


# --------------------------------------------------------------------------
# Encodings and exact names


def test_cp932_csv_with_taka_and_saki() -> None:
    rows = [
        HEADERS,
        good("1", family=f"{TAKA}橋", given=f"{SAKI}子"),
        good("2", family=f"山{SAKI}"),
    ]
    result = parse(csv_bytes(rows, "cp932"))
    assert result.ok, result.problems
    assert result.encoding == "cp932"
    assert result.format == "csv"
    first, second = result.rows
    assert first.family_name == "\u9ad9\u6a4b"
    assert first.given_name == "\ufa11\u5b50"
    assert second.family_name == "\u5c71\ufa11"
    # Exactly these code points: no NFKC folding of 﨑 (U+FA11) to 崎 (U+5D0E).
    assert first.given_name.encode("utf-8") == b"\xef\xa8\x91\xe5\xad\x90"


def test_utf8_bom_and_plain_utf8_with_yoshi_and_ivs() -> None:
    ivs_name = "葛\U000e0100飾"  # ideographic variation sequence
    rows = [HEADERS, good("1", family=f"{YOSHI}田", given=ivs_name)]
    for encoding in ("utf-8-sig", "utf-8"):
        result = parse(csv_bytes(rows, encoding))
        assert result.ok, result.problems
        assert result.encoding == encoding
        (row,) = result.rows
        assert row.family_name == f"{YOSHI}田"
        assert row.family_name.encode("utf-8") == "𠮷田".encode()
        assert row.given_name == ivs_name


def test_names_keep_inner_spaces_and_lose_outer_ones() -> None:
    rows = [HEADERS, good("1", family="\u3000 Smith-Jones ", given="Mary\u3000Ann")]
    (row,) = parse(csv_bytes(rows)).rows
    assert row.family_name == "Smith-Jones"
    assert row.given_name == "Mary\u3000Ann"


_letters = st.characters(categories=["L"])
# Wider: letters, combining marks (incl. variation selectors), digits,
# punctuation (commas and quotes exercise CSV quoting), symbols, inner spaces.
_name_text = (
    st.text(
        st.characters(categories=["L", "M", "N", "P", "S"]) | st.sampled_from([" ", "\u3000"]),
        min_size=1,
        max_size=50,
    )
    .map(lambda text: text.strip(" \u3000"))
    .filter(bool)
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(_letters, min_size=1, max_size=50),
            st.text(_letters, min_size=1, max_size=50),
        ),
        min_size=1,
        max_size=10,
    ),
    st.booleans(),
)
def test_any_unicode_letter_names_round_trip(names: list[tuple[str, str]], bom: bool) -> None:
    rows = [HEADERS] + [
        good(str(i), family=family, given=given_name)
        for i, (family, given_name) in enumerate(names)
    ]
    result = parse(csv_bytes(rows, "utf-8-sig" if bom else "utf-8"))
    assert result.ok, result.problems
    assert [(r.family_name, r.given_name) for r in result.rows] == names


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_name_text, _name_text), min_size=1, max_size=10))
def test_any_printable_names_round_trip(names: list[tuple[str, str]]) -> None:
    rows = [HEADERS] + [
        good(str(i), family=family, given=given_name)
        for i, (family, given_name) in enumerate(names)
    ]
    result = parse(csv_bytes(rows))
    assert result.ok, result.problems
    assert [(r.family_name, r.given_name) for r in result.rows] == names


def test_normaliser_called_once_per_distinct_value() -> None:
    calls: list[str] = []

    def counting(value: str) -> str:
        calls.append(value)
        return value.zfill(6)

    rows = [HEADERS, *(good(str(i), municipality="6401") for i in range(20)), good("x")]
    result = parse(csv_bytes(rows), normalize_municipality_code=counting)
    assert result.ok
    assert sorted(calls) == ["06401", "6401"]
    assert result.rows[0].home_municipality_code == "006401"


def test_default_normaliser_problem_is_located() -> None:
    rows = [HEADERS, good(municipality="064018"), good("2", municipality="０６４０１")]
    result = parse_roster(csv_bytes(rows), "meibo.csv", reference_date=TODAY)
    assert located(result) == [(2, "住所地コード", "municipality_code.check_digit")]
    assert result.problems[0].params["column"] == "住所地コード"
    assert result.rows[0].home_municipality_code == "064017"


# --------------------------------------------------------------------------
# XLSX


def test_xlsx_roster_with_date_cell_and_lost_leading_zero() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["学籍番号", "姓", "名", "セイ", "メイ", "学年", "生年月日", "住所地の市区町村コード"]
    )
    sheet.append([2025001, f"{TAKA}橋", YOSHI, "ﾀｶﾊｼ", "ヨシコ", 2, date(2010, 4, 2), 6401])
    sheet.append([2025002, "越境", "花子", "えっきょう", "はなこ", 3.0, "H22.4.3", 64017])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # The real normaliser from ekkyo.core.codes is the default.
    result = parse_roster(buffer.getvalue(), "meibo.xlsx", reference_date=TODAY)
    assert result.ok, result.problems
    assert result.format == "xlsx"
    assert result.encoding is None
    first, second = result.rows
    assert first == RosterRow(
        row_number=2,
        student_number="2025001",
        family_name=f"{TAKA}橋",
        given_name=YOSHI,
        family_name_kana="たかはし",
        given_name_kana="よしこ",
        romanized_name="",
        grade=2,
        gender="",
        birth_date=date(2010, 4, 2),
        home_municipality_code="064017",
        home_country="JP",
        preferred_language="ja",
        guardian_email="",
    )
    assert second.birth_date == date(2010, 4, 3)
    assert second.grade == 3
    assert second.home_municipality_code == "064017"


# --------------------------------------------------------------------------
# Bad rows


class FakeCodeError(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.render())
        self.problem = problem


def fake_normalizer(value: str) -> str:
    if value == "99999":
        raise FakeCodeError(
            Problem(
                code="municipality_code.prefecture",
                message="Municipality code %(value)s is not in a prefecture.",
                params={"value": value},
            )
        )
    if value == "bad":
        raise ValueError("no problem attribute")
    return value.zfill(6)


def test_every_kind_of_bad_row_is_located() -> None:
    rows = [
        HEADERS,
        good("1001"),  # 2: fine
        good("1002", family=""),  # 3: missing required value
        good("1003", given_kana="taro"),  # 4: bad kana
        good("1004", born="2011-02-30"),  # 5: not a calendar date
        good("1005", born="2030-01-01"),  # 6: future
        good("1006", grade="10"),  # 7: bad grade
        good("1001"),  # 8: duplicate of row 2
        good("1008", municipality="99999"),  # 9: normaliser with .problem
        good("1009", municipality="bad"),  # 10: normaliser without .problem
        good("1010", born="いつか"),  # 11: unreadable date
        good("1011", born="2020-01-01"),  # 12: age 5
        good("", family="", grade="一年", family_kana="ﾀﾅｶ1"),  # 13: several at once
        good("1013", given="太\n郎"),  # 14: line break inside a name
        good("1014", municipality=""),  # 15: JP needs a municipality
    ]
    result = parse(csv_bytes(rows), normalize_municipality_code=fake_normalizer)
    assert not result.ok
    assert located(result) == [
        (3, "姓", "roster.required"),
        (4, "名（かな）", "roster.kana.invalid_character"),
        (5, "生年月日", "roster.birth_date.nonexistent"),
        (6, "生年月日", "roster.birth_date.future"),
        (7, "学年", "roster.grade.invalid"),
        (8, "学籍番号", "roster.student_number.duplicate"),
        (9, "住所地コード", "municipality_code.prefecture"),
        (10, "住所地コード", "roster.home_municipality.invalid"),
        (11, "生年月日", "roster.birth_date.format"),
        (12, "生年月日", "roster.birth_date.implausible_age"),
        (13, "学籍番号", "roster.required"),
        (13, "姓", "roster.required"),
        (13, "姓（かな）", "roster.kana.invalid_character"),
        (13, "学年", "roster.grade.invalid"),
        (14, "名", "roster.control_character"),
        (15, "住所地コード", "roster.home_municipality.required"),
    ]
    assert [r.row_number for r in result.rows] == [2]
    by_row = {p.row: p for p in result.problems}
    assert by_row[4].params["char"] == "t"
    assert by_row[4].field == "given_name_kana"
    assert by_row[8].params == {"column": "学籍番号", "value": "1001", "first_row": 2}
    assert by_row[9].params == {"column": "住所地コード", "value": "99999"}
    assert by_row[9].field == "home_municipality_code"
    assert by_row[12].params["age"] == 5
    assert by_row[14].params["codepoint"] == "U+000A"
    # Every message renders with its parameters.
    for problem in result.problems:
        assert "%(" not in problem.render()


def test_duplicate_numbers_compare_after_width_normalisation() -> None:
    rows = [HEADERS, good("A001"), good("Ａ００１")]
    result = parse(csv_bytes(rows))
    assert located(result) == [(3, "学籍番号", "roster.student_number.duplicate")]


def test_student_number_with_space_and_too_long_name() -> None:
    rows = [HEADERS, good("10 01"), good("1002", given="あ" * 51), good("1003", given="あ" * 50)]
    result = parse(csv_bytes(rows))
    assert located(result) == [
        (2, "学籍番号", "roster.student_number.invalid"),
        (3, "名", "roster.too_long"),
    ]


def test_optional_columns_validated() -> None:
    headers = [*HEADERS, "性別", "国", "言語", "保護者メール", "ローマ字"]
    rows = [
        headers,
        [*good("1"), "男", "", "", "", "Ekkyo Taro"],
        [*good("2"), "F", "日本", "English", "hogosha＠example.com", ""],
        [*good("3", municipality=""), "回答しない", "us", "英語", "", ""],
        [*good("4"), "?", "UK", "fr", "not-an-address", ""],
        [*good("5"), "", "ZZ", "", "a@b", ""],
    ]
    result = parse(csv_bytes(rows))
    assert located(result) == [
        (5, "性別", "roster.gender.invalid"),
        (5, "国", "roster.home_country.invalid"),
        (5, "言語", "roster.preferred_language.invalid"),
        (5, "保護者メール", "roster.guardian_email.invalid"),
        (6, "国", "roster.home_country.invalid"),
        (6, "保護者メール", "roster.guardian_email.invalid"),
    ]
    one, two, three = result.rows
    assert (one.gender, one.home_country, one.preferred_language) == ("male", "JP", "ja")
    assert one.romanized_name == "Ekkyo Taro"
    assert (two.gender, two.home_country, two.preferred_language) == ("female", "JP", "en")
    assert two.guardian_email == "hogosha@example.com"
    assert (three.gender, three.home_country, three.preferred_language) == ("other", "US", "en")
    assert three.home_municipality_code is None  # may be empty for a student from abroad


def test_without_municipality_column_the_code_is_none() -> None:
    headers = HEADERS[:-1]
    result = parse(csv_bytes([headers, good()[:-1]]))
    assert result.ok
    assert result.rows[0].home_municipality_code is None


@pytest.mark.parametrize(
    ("text", "grade"), [("1", 1), ("１", 1), ("3年", 3), ("２年生", 2), ("09", 9)]
)
def test_grades_accepted(text: str, grade: int) -> None:
    result = parse(csv_bytes([HEADERS, good(grade=text)]))
    assert result.ok, result.problems
    assert result.rows[0].grade == grade


@pytest.mark.parametrize("text", ["0", "10", "一年", "1.5", "中1", "-1"])
def test_grades_rejected(text: str) -> None:
    result = parse(csv_bytes([HEADERS, good(grade=text)]))
    assert located(result) == [(2, "学年", "roster.grade.invalid")]
    assert result.problems[0].params["value"] == text


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("2010-04-02", date(2010, 4, 2)),
        ("2010/4/2", date(2010, 4, 2)),
        ("2010年4月2日", date(2010, 4, 2)),
        ("平成22年4月2日", date(2010, 4, 2)),
        ("H22.4.2", date(2010, 4, 2)),
        ("2016-05-31", date(2016, 5, 31)),  # 9 today
        ("2000-06-02", date(2000, 6, 2)),  # 24, turns 25 tomorrow
        ("1999-06-02", date(1999, 6, 2)),  # 25
        ("", None),
    ],
)
def test_birth_dates_accepted(text: str, born: date | None) -> None:
    result = parse(csv_bytes([HEADERS, good(born=text)]))
    assert result.ok, result.problems
    assert result.rows[0].birth_date == born


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2016-06-02", "roster.birth_date.implausible_age"),  # 8
        ("1999-06-01", "roster.birth_date.implausible_age"),  # 26
        ("令和2年4月2日", "roster.birth_date.implausible_age"),
        ("2025-06-02", "roster.birth_date.future"),
        ("平成31年5月1日", "roster.birth_date.era_range"),
        ("2010-04-31", "roster.birth_date.nonexistent"),
        ("4/2/2010", "roster.birth_date.format"),
    ],
)
def test_birth_dates_rejected(text: str, code: str) -> None:
    result = parse(csv_bytes([HEADERS, good(born=text)]))
    assert located(result) == [(2, "生年月日", code)]


# --------------------------------------------------------------------------
# Kana


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("えっきょう", "えっきょう"),
        ("エッキョウ", "えっきょう"),
        ("ｴｯｷｮｳ", "えっきょう"),
        ("ｶﾞｯｺｳ", "がっこう"),
        ("ﾊﾟﾝ", "ぱん"),
        ("ヴィクトリア", "ゔぃくとりあ"),
        ("ジョン　スミス", "じょん すみす"),
        ("ｼﾞｮﾝ  ｽﾐｽ", "じょん すみす"),
        ("マリア・ルイーザ", "まりあ・るいーざ"),
        ("ﾏﾘｱ･ﾙｲｰｻﾞ", "まりあ・るいーざ"),
        ("ケ\u3099ン", "げん"),  # decomposed (NFD) voiced mark
        ("ヵヶ", "ゕゖ"),
    ],
)
def test_kana_normalised_to_hiragana(text: str, reading: str) -> None:
    assert normalize_kana(text) == (reading, [])
    result = parse(csv_bytes([HEADERS, good(given_kana=text)]))
    assert result.ok, result.problems
    assert result.rows[0].given_name_kana == reading


@pytest.mark.parametrize(
    ("text", "char"),
    [("たろう1", "1"), ("Taro", "T"), ("山田", "山"), ("た-ろう", "-"), ("たろ〜", "〜")],
)
def test_kana_rejects_other_characters_naming_them(text: str, char: str) -> None:
    result = parse(csv_bytes([HEADERS, good(family_kana=text)]))
    assert located(result) == [(2, "姓（かな）", "roster.kana.invalid_character")]
    assert result.problems[0].params["char"] == char
    assert char in result.problems[0].render()


def test_kana_required_also_for_students_from_abroad() -> None:
    headers = [*HEADERS, "国"]
    result = parse(csv_bytes([headers, [*good(given_kana=""), "US"]]))
    assert located(result) == [(2, "名（かな）", "roster.kana.required")]
    assert "katakana" in result.problems[0].message


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6), min_size=1))
def test_katakana_and_hiragana_give_the_same_reading(katakana: str) -> None:
    reading, bad = normalize_kana(katakana)
    assert not bad
    assert normalize_kana(reading) == (reading, [])
    assert all("\u3041" <= ch <= "\u3096" for ch in reading)


# --------------------------------------------------------------------------
# Columns


def test_missing_required_columns_one_problem_each() -> None:
    result = parse(csv_bytes([["学籍番号", "姓", "メモ"], ["1", "越境", "x"]]))
    assert not result.ok
    assert result.rows == []
    missing = [p for p in result.problems if p.code == "roster.missing_column"]
    assert [p.field for p in missing] == [
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "grade",
    ]
    assert all(p.row == 1 and p.column is None for p in missing)
    assert missing[0].params["accepted"] == "名 / given_name"
    assert "姓ふりがな" in missing[1].params["accepted"]
    assert result.ignored_columns == ["メモ"]
    # Values of present columns are not reported as missing row by row.
    assert {p.code for p in result.problems} == {"roster.missing_column"}


def test_headers_match_in_any_width_case_and_kana() -> None:
    headers = [
        " Student_Number ",
        "ＦＡＭＩＬＹ＿ＮＡＭＥ",
        "Given Name",
        "姓（カナ）",
        "メイ",
        "ＧＲＡＤＥ",
        "生年月日",
        "住所地コード",
    ]
    result = parse(csv_bytes([headers, good()]))
    assert result.ok, result.problems
    assert result.columns["family_name"] == "ＦＡＭＩＬＹ＿ＮＡＭＥ"
    assert result.columns["family_name_kana"] == "姓（カナ）"


def test_aliases_are_unambiguous_and_template_headers_match() -> None:
    fields_by_key: dict[str, set[str]] = {}
    for name, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            fields_by_key.setdefault(normalize_header(alias), set()).add(name)
    assert all(len(names) == 1 for names in fields_by_key.values())
    assert [
        next(iter(fields_by_key[normalize_header(h)])) for h in ROSTER_TEMPLATE_HEADERS
    ] == list(FIELD_ALIASES)
    assert set(REQUIRED_FIELDS) <= set(FIELD_ALIASES)


def test_two_columns_for_one_field() -> None:
    headers = [*HEADERS, "氏"]
    result = parse(csv_bytes([headers, [*good(), "越境"]]))
    assert located(result) == [(1, "氏", "roster.duplicate_column")]
    assert result.problems[0].params == {"first": "姓", "second": "氏", "field_label": "姓"}


def test_title_row_above_headings_is_explained() -> None:
    rows = [["令和7年度 生徒名簿"], HEADERS, good()]
    result = parse(csv_bytes(rows))
    assert result.problems[0].code == "roster.no_known_columns"
    assert result.problems[0].row == 1


def test_full_name_column_gets_a_hint() -> None:
    rows = [["学籍番号", "氏名", "フリガナ", "学年"], ["1", "越境 太郎", "エッキョウ タロウ", "1"]]
    codes = [(p.code, p.column) for p in parse(csv_bytes(rows)).problems]
    assert ("roster.full_name_column", "氏名") in codes
    assert ("roster.full_name_column", "フリガナ") in codes


def test_unknown_columns_are_ignored_and_listed() -> None:
    headers = [*HEADERS, "備考", "出席番号"]
    result = parse(csv_bytes([headers, [*good(), "メモ", "3"]]))
    assert result.ok
    assert result.ignored_columns == ["備考", "出席番号"]


def test_problems_sorted_by_row_then_column_order() -> None:
    # Columns in an unusual order: the problems follow the file's order.
    headers = ["学年", "名（かな）", "姓（かな）", "名", "姓", "学籍番号"]
    rows = [headers, ["x", "a", "b", "", "", ""], ["1", "た", "た", "太", "越", "1"]]
    result = parse(csv_bytes(rows))
    assert [(p.row, p.column) for p in result.problems] == [
        (2, "学年"),
        (2, "名（かな）"),
        (2, "姓（かな）"),
        (2, "名"),
        (2, "姓"),
        (2, "学籍番号"),
    ]


def test_row_with_cells_under_no_heading_is_bad() -> None:
    rows = [HEADERS, good("1"), [*good("2"), "stray"]]
    result = parse(csv_bytes(rows))
    assert located(result) == [(3, None, "table.extra_cells")]
    assert [r.row_number for r in result.rows] == [2]


# --------------------------------------------------------------------------
# Whole-file problems


def test_old_xls() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    result = parse(ole2, "meibo.xls")
    assert not result.ok
    assert result.rows == []
    assert [p.code for p in result.problems] == ["table.xls_unsupported"]
    assert result.format is None


def test_garbage_bytes() -> None:
    result = parse(b"\x85\x40\xff\xfe\x00\x01" * 10, "meibo.csv")
    assert [p.code for p in result.problems] == ["table.encoding"]


def test_headings_without_rows() -> None:
    result = parse(csv_bytes([HEADERS]))
    assert [p.code for p in result.problems] == ["roster.empty"]


def test_extra_sheets_are_a_warning_not_a_problem() -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.append(HEADERS)
    first.append(good())
    second = workbook.create_sheet("2年")
    second.append(HEADERS)
    second.append(good("2001"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = parse(buffer.getvalue(), "meibo.xlsx")
    assert result.ok
    assert [w.code for w in result.warnings] == ["table.extra_sheets"]


# --------------------------------------------------------------------------
# Template


def test_template_is_excel_friendly_and_valid() -> None:
    data = roster_template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.endswith(b"\r\n")
    table = read_table(data, "template.csv")
    assert tuple(table.headers) == ROSTER_TEMPLATE_HEADERS
    assert len(table.rows) == 1
    result = parse_roster(data, "template.csv", reference_date=TODAY)
    assert result.ok, result.problems
    assert result.ignored_columns == []
    assert set(result.columns) == set(FIELD_ALIASES)
    (row,) = result.rows
    assert row.home_municipality_code == "064017"


def test_school_e_mail_is_lower_cased_checked_and_unique_in_the_file() -> None:
    headers = [*HEADERS, "学校メール"]
    rows = [
        headers,
        [*good("1001"), "Taro@Chu.Example.JP"],
        [*good("1002"), "not-an-address"],
        [*good("1003"), "taro@chu.example.jp"],
        [*good("1004"), ""],
    ]
    result = parse(csv_bytes(rows))
    assert [r.school_email for r in result.rows] == ["taro@chu.example.jp", ""]
    assert located(result) == [
        (3, "学校メール", "roster.school_email.invalid"),
        (4, "学校メール", "roster.school_email.duplicate"),
    ]
