"""Tests for ekkyo.core.oneroster: OneRoster 1.2 Japan Profile packages (no Django).

The packages are synthetic (ekkyo.core.oneroster_sample), written like the
published samples; nobody in them is real.
"""

from __future__ import annotations

import copy
import io
import random
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekkyo.core.codes import CodeError, school_code_with_check_digit
from ekkyo.core.oneroster import (
    GRADES_BY_KIND,
    OneRosterResult,
    normalize_board_code,
    parse_oneroster,
    read_package,
)
from ekkyo.core.oneroster_sample import (
    SamplePackage,
    SampleSchool,
    SampleTable,
    katakana,
    package_zip,
    sample_package,
    write_folder,
)
from ekkyo.core.roster import normalize_kana

TODAY = date(2025, 6, 1)
FY = 2025
SCHOOL = school_code_with_check_digit("C10629000001")
OTHER = school_code_with_check_digit("C10629000002")
HIGH = school_code_with_check_digit("D10629000003")
GIMU = school_code_with_check_digit("C20629000004")
CHUTO = school_code_with_check_digit("D20629000005")
ELEMENTARY = school_code_with_check_digit("B10629000006")
BOARD = "064000"
TAKA, SAKI, YOSHI = "\u9ad9", "\ufa11", "\U00020bb7"
IVS = "\u845b\U000e0100"  # 葛 with a variation selector (IVS)


def _package(students: int = 6, *schools: SampleSchool, board: bool = False) -> SamplePackage:
    chosen = list(schools) or [SampleSchool(SCHOOL, "試験第一中学校", students)]
    return sample_package(
        schools=chosen, fiscal_year=FY, board=(BOARD, "試験町教育委員会") if board else None
    )


def _parse(package: SamplePackage | bytes, **scope: str) -> OneRosterResult:
    data = package if isinstance(package, bytes) else package_zip(package)
    if not scope:
        scope = {"school_code": SCHOOL}
    return parse_oneroster(data, reference_date=TODAY, **scope)  # type: ignore[arg-type]


def _students(package: SamplePackage) -> list[dict[str, str]]:
    return [
        u
        for u in package["users.csv"].rows
        if package["roles.csv"].find(userSourcedId=u["sourcedId"])["role"] == "student"
    ]


def _codes(result: OneRosterResult) -> list[str]:
    return [p.code for p in result.problems]


def _where(result: OneRosterResult) -> list[tuple[str | None, int | None, str | None]]:
    return [(p.file, p.row, p.column) for p in result.problems]


def _row_of(package: SamplePackage, file: str, row: dict[str, str]) -> int:
    return package[file].rows.index(row) + 2  # the heading is row 1


# --------------------------------------------------------------------------
# A clean package


def test_a_thousand_students_keep_their_names_and_kana() -> None:
    package = _package(1000)
    result = _parse(package)
    assert result.ok, result.problems[:5]
    assert len(result.students) == 1000
    assert result.ignored_users == 30  # the homeroom teachers
    assert result.school_years == [FY]
    assert [s.code for s in result.schools] == [SCHOOL] and result.schools[0].students == 1000
    by_id = {s.sourced_id: s for s in result.students}
    for user in _students(package):
        student = by_id[user["sourcedId"]]
        assert student.row.family_name == user["familyName"]
        assert student.row.given_name == user["givenName"]
        assert student.row.family_name_kana == normalize_kana(user["metadata.jp.kanaFamilyName"])[0]
        assert student.row.given_name_kana == normalize_kana(user["metadata.jp.kanaGivenName"])[0]
        assert student.row.student_number == user["identifier"]
        assert student.left_on is None and student.has_demographics
    assert {s.row.grade for s in result.students} == {1, 2, 3}
    assert {TAKA in s.row.family_name for s in result.students} == {True, False}
    names = {s.row.family_name for s in result.students}
    assert {f"{TAKA}橋", f"山{SAKI}", f"{YOSHI}田"} <= names


def test_rare_kanji_and_variation_selectors_survive_byte_for_byte() -> None:
    package = _package(4)
    users = _students(package)
    written = [f"{TAKA}橋", f"山{SAKI}", f"{YOSHI}田", f"{IVS}城"]
    for user, family in zip(users, written, strict=True):
        user["familyName"] = family
    users[3]["givenName"] = f"辻{chr(0xE0101)}"  # 辻 with another selector
    result = _parse(package)
    assert result.ok
    by_id = {s.sourced_id: s for s in result.students}
    assert [by_id[u["sourcedId"]].row.family_name for u in users] == written
    assert by_id[users[3]["sourcedId"]].row.given_name.encode() == f"辻{chr(0xE0101)}".encode()


def test_every_field_maps_from_its_file() -> None:
    package = _package(3)
    user = _students(package)[0]
    demo = package["demographics.csv"].find(sourcedId=user["sourcedId"])
    demo.update(sex="female", birthDate="2012-05-06")
    enrollment = package["enrollments.csv"].find(userSourcedId=user["sourcedId"])
    enrollment["metadata.jp.ShussekiNo"] = "12"
    result = _parse(package)
    student = next(s for s in result.students if s.sourced_id == user["sourcedId"])
    assert student.row.gender == "female"
    assert student.row.birth_date == date(2012, 5, 6)
    assert student.attendance_number == 12
    assert student.home_class == "1年1組"
    assert student.school_code == SCHOOL
    assert student.row.home_municipality_code is None  # OneRoster carries no address


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_encodings(encoding: str) -> None:
    package = _package(30)
    if encoding == "cp932":  # 𠮷 and IVS are not in CP932; 髙 and 﨑 are
        for user in package["users.csv"].rows:
            user["familyName"] = user["familyName"].replace(YOSHI, "吉")
        _students(package)[0]["familyName"] = f"{TAKA}橋"
    result = _parse(package_zip(package, encoding=encoding))
    assert result.ok, result.problems
    assert result.encodings["users.csv"] == encoding
    assert set(result.encodings.values()) <= {encoding, "utf-8"}  # ASCII-only files read as UTF-8
    assert len(result.students) == 30
    if encoding == "cp932":
        assert f"{TAKA}橋" in {s.row.family_name for s in result.students}


def test_quoted_cells_a_subfolder_and_a_folder_read_the_same(tmp_path: Path) -> None:
    package = _package(10)
    plain = _parse(package)
    quoted = _parse(package_zip(package, quote_all=True, folder="export_20250601"))
    write_folder(package, tmp_path / "export")
    folder = parse_oneroster(tmp_path / "export", reference_date=TODAY, school_code=SCHOOL)
    assert plain.ok and quoted.ok and folder.ok
    assert plain.students == quoted.students == folder.students


def test_column_order_and_unknown_columns_do_not_matter() -> None:
    package = _package(8)
    shuffled = copy.deepcopy(package)
    rng = random.Random(7)
    for table in shuffled.values():
        rng.shuffle(table.headers)
        table.headers.append("x.vendorExtension")
        for row in table.rows:
            row["x.vendorExtension"] = "何か"
    assert _parse(shuffled).students == _parse(package).students


@pytest.mark.parametrize(
    "heading", ["metadata.jp.ShussekiNo", "metadata.jp.shussekiNo", "shussekiNo"]
)
def test_both_spellings_of_shussekino(heading: str) -> None:
    package = _package(5)
    table = package["enrollments.csv"]
    table.headers[table.headers.index("metadata.jp.ShussekiNo")] = heading
    for row in table.rows:
        row[heading] = row.pop("metadata.jp.ShussekiNo")
    result = _parse(package)
    assert result.ok
    written = {r["userSourcedId"]: int(r[heading]) for r in table.rows if r["role"] == "student"}
    assert {s.sourced_id: s.attendance_number for s in result.students} == written


def test_two_shussekino_columns_are_a_problem() -> None:
    package = _package(2)
    package["enrollments.csv"].headers.append("metadata.jp.shussekiNo")
    result = _parse(package)
    assert "oneroster.duplicate_column" in _codes(result)
    assert ("enrollments.csv", 1, "metadata.jp.shussekiNo") in _where(result)


def test_a_duplicated_attendance_number_in_one_class() -> None:
    package = _package(6)  # two students in 1年1組
    rows = [r for r in package["enrollments.csv"].rows if r["role"] == "student"]
    rows[1]["metadata.jp.ShussekiNo"] = rows[0]["metadata.jp.ShussekiNo"]
    result = _parse(package)
    problem = next(p for p in result.problems if p.code.endswith("attendance_number.duplicate"))
    assert (problem.file, problem.row, problem.column) == (
        "enrollments.csv",
        _row_of(package, "enrollments.csv", rows[1]),
        "metadata.jp.ShussekiNo",
    )


# --------------------------------------------------------------------------
# Kana


def test_half_width_kana_is_refused_with_file_row_and_column() -> None:
    package = _package(3)
    user = _students(package)[1]
    user["metadata.jp.kanaFamilyName"] = "ﾀｶﾊｼ"
    result = _parse(package)
    assert _codes(result) == ["oneroster.half_width_kana"]
    problem = result.problems[0]
    assert (problem.file, problem.row, problem.column) == (
        "users.csv",
        _row_of(package, "users.csv", user),
        "metadata.jp.kanaFamilyName",
    )
    assert "ﾀ" in problem.render() and "users.csv" not in problem.render()
    assert user["sourcedId"] not in {s.sourced_id for s in result.students}


def test_hiragana_and_katakana_readings_are_stored_as_hiragana() -> None:
    package = _package(3)
    users = _students(package)
    users[0]["metadata.jp.kanaFamilyName"] = "たかはし"
    users[1]["metadata.jp.kanaFamilyName"] = "タカハシ"
    users[2]["metadata.jp.kanaFamilyName"] = "スミス　ジュニア"
    result = _parse(package)
    kana = {s.sourced_id: s.row.family_name_kana for s in result.students}
    assert [kana[u["sourcedId"]] for u in users] == ["たかはし", "たかはし", "すみす じゅにあ"]


def test_latin_letters_in_a_reading_are_refused() -> None:
    package = _package(1)
    _students(package)[0]["metadata.jp.kanaGivenName"] = "Hanako"
    result = _parse(package)
    assert _codes(result) == ["oneroster.kana.invalid_character"]
    assert result.problems[0].column == "metadata.jp.kanaGivenName"


_KANA = st.text(
    alphabet=st.sampled_from(
        "あいうえおかきくけこがぎぱゃゅょっーアイウエオカキクケコガギパャュョッヴ"
    ),
    min_size=1,
    max_size=12,
)
_HALF = st.sampled_from("ｱｲｳｴｵｶｷｸｹｺﾞﾟｰ")
_KANJI = st.lists(
    st.sampled_from(["山", "田", "髙", "﨑", "𠮷", "葛\U000e0100", "辻\U000e0101", "佐", "々"]),
    min_size=1,
    max_size=6,
).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=_KANJI, given_=_KANJI, family_kana=_KANA, given_kana=_KANA)
def test_any_full_width_name_and_reading_round_trip(
    family: str, given_: str, family_kana: str, given_kana: str
) -> None:
    package = _package(1)
    user = _students(package)[0]
    user.update(
        {
            "familyName": family,
            "givenName": given_,
            "metadata.jp.kanaFamilyName": family_kana,
            "metadata.jp.kanaGivenName": given_kana,
        }
    )
    result = _parse(package)
    assert result.ok, result.problems
    (student,) = result.students
    assert (student.row.family_name, student.row.given_name) == (family, given_)
    assert student.row.family_name_kana == normalize_kana(family_kana)[0]
    assert student.row.given_name_kana == normalize_kana(given_kana)[0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=_KANA, half=_HALF, after=st.text(alphabet="アイウ", max_size=3), field=st.booleans())
def test_any_half_width_katakana_in_a_reading_is_refused(
    before: str, half: str, after: str, field: bool
) -> None:
    package = _package(2)
    user = _students(package)[1]
    column = "metadata.jp.kanaFamilyName" if field else "metadata.jp.kanaGivenName"
    user[column] = before + half + after
    result = _parse(package)
    assert [(p.code, p.file, p.row, p.column) for p in result.problems] == [
        ("oneroster.half_width_kana", "users.csv", _row_of(package, "users.csv", user), column)
    ]
    assert len(result.students) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_students_do_not_depend_on_the_order_of_columns(seed: int) -> None:
    package = _package(4)
    shuffled = copy.deepcopy(package)
    rng = random.Random(seed)
    for table in shuffled.values():
        rng.shuffle(table.headers)
    assert _parse(shuffled).students == _parse(package).students


# --------------------------------------------------------------------------
# Grades


def test_grade_codes_map_by_the_kind_of_school() -> None:
    schools = [
        SampleSchool(GIMU, "試験義務教育学校", 9),
        SampleSchool(CHUTO, "試験中等教育学校", 6),
        SampleSchool(HIGH, "試験高等学校", 3),
    ]
    package = _package(0, *schools, board=True)
    result = _parse(package, board_code=BOARD)
    assert result.ok, result.problems
    grades: dict[str, set[int]] = {}
    for s in result.students:
        grades.setdefault(s.school_code, set()).add(s.row.grade)
    assert grades == {GIMU: set(range(1, 10)), CHUTO: set(range(1, 7)), HIGH: {1, 2, 3}}
    assert GRADES_BY_KIND["C2"]["J1"] == 7 and GRADES_BY_KIND["D2"]["H1"] == 4


def test_a_grade_code_of_another_kind_of_school_is_a_problem() -> None:
    package = _package(2)
    user = _students(package)[0]
    user["grades"] = "H1"
    result = _parse(package)
    assert _codes(result) == ["oneroster.grade.for_school"]
    assert _where(result) == [("users.csv", _row_of(package, "users.csv", user), "grades")]
    assert "J1, J2, J3" in result.problems[0].render()


def test_the_grade_comes_from_the_homeroom_when_users_has_none() -> None:
    package = _package(3)
    for user in package["users.csv"].rows:
        user["grades"] = ""
    result = _parse(package)
    assert result.ok and sorted(s.row.grade for s in result.students) == [1, 2, 3]
    package["classes.csv"].rows[0]["grades"] = ""
    result = _parse(package)
    assert _codes(result) == ["oneroster.grade.required"]


def test_unknown_grade_codes_and_several_grades() -> None:
    package = _package(2)
    users = _students(package)
    users[0]["grades"] = "7"
    users[1]["grades"] = "J1,J2"
    result = _parse(package)
    assert _codes(result) == ["oneroster.grade.code", "oneroster.grade.several"]


# --------------------------------------------------------------------------
# Who left


def test_students_who_left_are_marked_with_the_day() -> None:
    package = _package(4)
    users = _students(package)
    users[0]["status"] = "tobedeleted"
    users[0]["dateLastModified"] = "2025-05-20T09:00:00Z"
    enrollment = package["enrollments.csv"].find(userSourcedId=users[1]["sourcedId"])
    enrollment["endDate"] = "2025-05-31"
    role = package["roles.csv"].find(userSourcedId=users[2]["sourcedId"])
    role["endDate"] = "2025-04-30"
    future = package["enrollments.csv"].find(userSourcedId=users[3]["sourcedId"])
    future["endDate"] = "2026-03-31"
    result = _parse(package)
    assert result.ok, result.problems
    left = {s.sourced_id: s.left_on for s in result.students}
    assert [left[u["sourcedId"]] for u in users] == [
        date(2025, 5, 20),
        date(2025, 5, 31),
        date(2025, 4, 30),
        None,
    ]


def test_a_student_who_moved_within_the_board_belongs_to_the_new_school() -> None:
    package = _package(
        0, SampleSchool(SCHOOL, "第一中学校", 2), SampleSchool(OTHER, "第二中学校", 2), board=True
    )
    mover = _students(package)[0]
    old_role = package["roles.csv"].find(userSourcedId=mover["sourcedId"])
    old_role["endDate"] = "2025-04-30"
    new_school = package["orgs.csv"].find(identifier=OTHER)["sourcedId"]
    package["roles.csv"].rows.append(
        {**old_role, "sourcedId": "moved-role", "orgSourcedId": new_school, "endDate": ""}
    )
    new_class = package["classes.csv"].find(schoolSourcedId=new_school)["sourcedId"]
    mover["metadata.jp.homeClass"] = new_class
    result = _parse(package, board_code=BOARD)
    assert result.ok, result.problems
    student = next(s for s in result.students if s.sourced_id == mover["sourcedId"])
    assert student.school_code == OTHER and student.left_on is None


# --------------------------------------------------------------------------
# Scope: a school, a board


def test_a_board_imports_its_schools_and_skips_elementary_and_other_boards() -> None:
    schools = [
        SampleSchool(SCHOOL, "第一中学校", 3),
        SampleSchool(OTHER, "第二中学校", 3),
        SampleSchool(ELEMENTARY, "第一小学校", 6),
    ]
    package = sample_package(schools=schools, fiscal_year=FY, board=(BOARD, "試験町教育委員会"))
    result = _parse(package, board_code=BOARD)
    assert result.ok, result.problems
    assert result.board == (BOARD, "試験町教育委員会")
    assert [s.code for s in result.schools] == [SCHOOL, OTHER]
    assert len(result.students) == 6
    assert [w.code for w in result.warnings] == ["oneroster.school_skipped"]
    assert "6" in result.warnings[0].render() and ELEMENTARY in result.warnings[0].render()

    only_one = _parse(package, school_code=OTHER)
    assert only_one.ok and {s.school_code for s in only_one.students} == {OTHER}
    assert len(only_one.warnings) == 2  # 第一中学校 (not in scope) and 第一小学校

    other_board = _parse(package, board_code="064001")
    assert _codes(other_board) == ["oneroster.board_not_in_file"]
    assert _parse(package, school_code=HIGH).problems[0].code == "oneroster.school_not_in_file"


def test_invalid_codes_in_orgs_are_located() -> None:
    package = _package(2)
    school = package["orgs.csv"].find(identifier=SCHOOL)
    school["identifier"] = "C1062900"
    result = _parse(package)
    located = {p.code: (p.file, p.row, p.column) for p in result.problems}
    assert located["school_code.length"] == ("orgs.csv", 2, "identifier")
    assert located["oneroster.school_not_in_file"] == ("orgs.csv", None, "identifier")


def test_board_codes() -> None:
    assert normalize_board_code("064000") == "064000"
    assert normalize_board_code(" ０６４０００ ") == "064000"
    assert normalize_board_code("11000") == "011000"
    for bad in ("06400", "0640000", "abcdef", "994000"):
        with pytest.raises(CodeError):
            normalize_board_code(bad) if bad != "06400" else normalize_board_code("6400")
    with pytest.raises(ValueError, match="exactly one"):
        parse_oneroster(b"", reference_date=TODAY)


# --------------------------------------------------------------------------
# Broken packages


def test_a_broken_package_lists_every_problem_by_file_row_and_column() -> None:
    package = _package(6)
    users = _students(package)
    users[0]["familyName"] = ""
    users[1]["metadata.jp.kanaGivenName"] = "ﾊﾅｺ"
    users[2]["grades"] = "P3"
    users[3]["metadata.jp.homeClass"] = "no-such-class"
    package["demographics.csv"].find(sourcedId=users[4]["sourcedId"])["birthDate"] = "2012/5/6"
    package["enrollments.csv"].find(userSourcedId=users[5]["sourcedId"])[
        "metadata.jp.ShussekiNo"
    ] = "一"
    package["academicSessions.csv"].rows[0]["title"] = "令和7年度"
    package["orgs.csv"].rows[0]["name"] = ""
    result = _parse(package)
    assert _where(result) == [
        ("academicSessions.csv", 2, "title"),
        ("orgs.csv", 2, "name"),
        ("users.csv", _row_of(package, "users.csv", users[0]), "familyName"),
        ("users.csv", _row_of(package, "users.csv", users[1]), "metadata.jp.kanaGivenName"),
        ("users.csv", _row_of(package, "users.csv", users[2]), "grades"),
        ("users.csv", _row_of(package, "users.csv", users[3]), "metadata.jp.homeClass"),
        ("enrollments.csv", _row_of_user(package, users[5]), "metadata.jp.ShussekiNo"),
        ("demographics.csv", _row_of_demo(package, users[4]), "birthDate"),
    ]
    assert not result.ok
    assert {s.sourced_id for s in result.students} == set()  # all six had a problem


def _row_of_user(package: SamplePackage, user: dict[str, str]) -> int:
    row = package["enrollments.csv"].find(userSourcedId=user["sourcedId"])
    return _row_of(package, "enrollments.csv", row)


def _row_of_demo(package: SamplePackage, user: dict[str, str]) -> int:
    row = package["demographics.csv"].find(sourcedId=user["sourcedId"])
    return _row_of(package, "demographics.csv", row)


def test_missing_columns_and_references() -> None:
    package = _package(2)
    users = package["users.csv"]
    users.headers.remove("metadata.jp.kanaGivenName")
    roles = package["roles.csv"]
    roles.rows[0]["userSourcedId"] = "nobody"
    result = _parse(package)
    assert ("users.csv", 1, "metadata.jp.kanaGivenName") in _where(result)
    assert ("roles.csv", 2, "userSourcedId") in _where(result)
    assert "oneroster.missing_column" in _codes(result)
    assert "oneroster.reference" in _codes(result)


def test_manifest_problems() -> None:
    package = _package(2)
    manifest = package["manifest.csv"]
    manifest.find(propertyName="oneroster.version")["value"] = "1.1"
    manifest.find(propertyName="file.enrollments")["value"] = "delta"
    manifest.find(propertyName="file.demographics")["value"] = "bulk"
    del package["demographics.csv"]
    result = _parse(package)
    assert [(p.code, p.file, p.row) for p in result.problems] == [
        ("oneroster.manifest.version", "manifest.csv", 3),
        ("oneroster.file_missing", "manifest.csv", 10),
        ("oneroster.delta", "manifest.csv", 11),
    ]
    manifest.rows = [r for r in manifest.rows if r["propertyName"] != "file.users"]
    assert "oneroster.file_required" in _codes(_parse(package))


def test_an_absent_file_in_the_zip_is_a_warning() -> None:
    package = _package(2)
    package["manifest.csv"].find(propertyName="file.demographics")["value"] = "absent"
    result = _parse(package)
    assert result.ok and [w.code for w in result.warnings] == ["oneroster.file_ignored"]
    assert not any(s.has_demographics for s in result.students)


def test_what_is_not_a_package() -> None:
    assert _codes(_parse(b"sourcedId,name\n")) == ["oneroster.not_zip"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("users.csv", "sourcedId\n")
    assert _codes(_parse(buffer.getvalue())) == ["oneroster.manifest_missing"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder in ("a", "b"):
            archive.writestr(f"{folder}/manifest.csv", "propertyName,value\n")
    assert _codes(_parse(buffer.getvalue())) == ["oneroster.several_packages"]


def test_an_excel_file_inside_the_package_is_refused() -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    files = {name: t.text().encode() for name, t in _package(1).items()}
    files["users.csv"] = buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    assert "oneroster.not_csv" in _codes(_parse(out.getvalue()))


def test_read_package_knows_only_profile_files(tmp_path: Path) -> None:
    package = _package(1)
    package["lineItems.csv"] = SampleTable(["sourcedId"])
    files = read_package(package_zip(package))
    assert "lineItems.csv" not in files and "users.csv" in files
    assert katakana("たかはし") == "タカハシ"
