"""Tests for ekkyo.core.synthetic (no Django needed)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from dataclasses import astuple
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekkyo.core.codes import normalize_municipality_code, validate_school_code
from ekkyo.core.synthetic import (
    LEAD_MUNICIPALITY_CODE,
    SynthConsortium,
    generate,
)

REFERENCE_DATE = date(2025, 6, 1)
RARE_KANJI = {"\u9ad9": "髙", "\ufa11": "﨑", "\U00020bb7": "𠮷"}


@pytest.fixture(scope="module")
def demo() -> SynthConsortium:
    return generate(reference_date=REFERENCE_DATE)


def _is_hiragana(text: str) -> bool:
    return bool(text) and all("\u3041" <= ch <= "\u309f" or ch == "ー" for ch in text)


def _is_katakana(text: str) -> bool:
    return bool(text) and all("\u30a0" <= ch <= "\u30ff" for ch in text)


def test_counts_are_exact(demo: SynthConsortium) -> None:
    assert len(demo.municipalities) == 44
    assert len(demo.prefectures) == 18
    assert sorted({m.prefecture_code for m in demo.municipalities}) == demo.prefectures
    assert len(demo.schools) == 100
    assert len(demo.students) == 10_000
    assert len(demo.guardians) == 10_000
    assert demo.fiscal_year == 2025


def test_lead_member_is_real_oguni(demo: SynthConsortium) -> None:
    leads = [m for m in demo.municipalities if m.is_lead]
    assert len(leads) == 1
    lead = leads[0]
    assert lead == demo.lead
    assert (lead.code, lead.name, lead.prefecture_code) == ("064017", "小国町", "06")
    assert lead.code == LEAD_MUNICIPALITY_CODE
    assert not lead.is_sample


def test_other_members_are_fictional_with_valid_sample_codes(demo: SynthConsortium) -> None:
    codes = [m.code for m in demo.municipalities]
    assert len(set(codes)) == len(codes)
    assert len({m.name for m in demo.municipalities}) == 44
    assert len({m.name_en for m in demo.municipalities}) == 44
    for m in demo.municipalities:
        assert normalize_municipality_code(m.code) == m.code
        assert m.code[:2] == m.prefecture_code
        assert m.name.endswith(("町", "村"))
        assert _is_hiragana(m.name_kana)
        assert m.name_en.isascii()
        if not m.is_lead:
            assert m.is_sample
            assert 900 <= int(m.code[2:5]) <= 989


def test_schools(demo: SynthConsortium) -> None:
    members = {m.code: m for m in demo.municipalities}
    codes = [s.code for s in demo.schools]
    assert len(set(codes)) == 100
    assert len({s.name for s in demo.schools}) == 100
    assert {s.municipality_code for s in demo.schools} == set(members)
    kinds = Counter(s.kind for s in demo.schools)
    assert set(kinds) == {"C1", "C2", "D1", "D2"}
    for s in demo.schools:
        parsed = validate_school_code(s.code, strict_check_digit=True)
        assert parsed.kind == s.kind
        assert parsed.establishment == "2"
        assert parsed.number.startswith("9")
        assert parsed.prefecture == members[s.municipality_code].prefecture_code
        assert s.is_sample
        assert s.name_en.isascii()
    # Every member has a middle (or compulsory) school.
    for code in members:
        assert any(s.kind in ("C1", "C2") for s in demo.schools if s.municipality_code == code)


def test_school_sizes_are_small_and_skewed(demo: SynthConsortium) -> None:
    sizes = Counter(s.school_code for s in demo.students)
    assert set(sizes) == {s.code for s in demo.schools}
    assert min(sizes.values()) >= 10
    assert max(sizes.values()) <= 200
    ordered = sorted(sizes.values())
    median = ordered[len(ordered) // 2]
    assert median < sum(ordered) / len(ordered)  # skewed towards small schools


def test_student_numbers_unique_within_school(demo: SynthConsortium) -> None:
    pairs = [(s.school_code, s.student_number) for s in demo.students]
    assert len(set(pairs)) == len(pairs)


def test_grades_and_birth_dates_are_consistent(demo: SynthConsortium) -> None:
    kinds = {s.code: s.kind for s in demo.schools}
    offset = {"C1": 6, "C2": 0, "D1": 9, "D2": 9}
    grades = {"C1": 3, "C2": 9, "D1": 3, "D2": 3}
    fy = demo.fiscal_year
    for student in demo.students:
        kind = kinds[student.school_code]
        assert 1 <= student.grade <= grades[kind]
        school_year = offset[kind] + student.grade
        assert date(fy - 6 - school_year, 4, 2) <= student.birth_date
        assert student.birth_date <= date(fy - 5 - school_year, 4, 1)


def test_homes_follow_the_expected_mix(demo: SynthConsortium) -> None:
    school_town = {s.code: s.municipality_code for s in demo.schools}
    member_codes = {m.code for m in demo.municipalities}
    non_members = set(demo.non_member_municipality_codes)
    assert not non_members & member_codes
    for code in non_members:
        assert normalize_municipality_code(code) == code
        assert 990 <= int(code[2:5]) <= 999
    mix: Counter[str] = Counter()
    for s in demo.students:
        home = s.home_municipality_code
        if home is None:
            mix["abroad"] += 1
        elif home == school_town[s.school_code]:
            mix["own"] += 1
        elif home in member_codes:
            mix["member"] += 1
        else:
            assert home in non_members
            mix["non_member"] += 1
    total = len(demo.students)
    assert 0.87 < mix["own"] / total < 0.93
    assert 0.05 < mix["member"] / total < 0.09
    assert 0.01 < mix["non_member"] / total < 0.03
    assert 0.004 < mix["abroad"] / total < 0.02


def test_japanese_and_foreign_students(demo: SynthConsortium) -> None:
    foreign = [s for s in demo.students if s.home_country != "JP"]
    japanese = [s for s in demo.students if s.home_country == "JP"]
    assert foreign and japanese
    for s in foreign:
        assert s.home_municipality_code is None
        assert s.home_country in {"US", "VN", "PH", "BR", "CN", "KR", "NP"}
        assert _is_katakana(s.family_name_kana) and _is_katakana(s.given_name_kana)
        assert s.romanized_name == f"{s.family_name} {s.given_name}"
        assert s.romanized_name.isascii()
    assert Counter(s.preferred_language for s in foreign).most_common(1)[0][0] == "en"
    for s in japanese:
        assert s.home_municipality_code is not None
        assert s.preferred_language == "ja"
        assert _is_hiragana(s.family_name_kana) and _is_hiragana(s.given_name_kana)
        assert s.romanized_name.isascii()
    genders = Counter(s.gender for s in demo.students)
    assert set(genders) == {"female", "male", "other"}


def test_rare_kanji_present(demo: SynthConsortium) -> None:
    family_names = {s.family_name for s in demo.students}
    for char in RARE_KANJI:
        assert any(char in name for name in family_names), hex(ord(char))
    kana = {s.family_name: s.family_name_kana for s in demo.students}
    assert kana["髙橋"] == "たかはし"
    assert kana["山﨑"] == "やまざき"
    assert kana["𠮷田"] == "よしだ"
    assert len("𠮷田") == 2  # one code point outside the BMP, not a surrogate pair


def test_guardians(demo: SynthConsortium) -> None:
    assert [g.student_index for g in demo.guardians] == list(range(len(demo.students)))
    for g in demo.guardians:
        student = demo.students[g.student_index]
        assert g.family_name == student.family_name
        assert g.family_name_kana == student.family_name_kana
        assert g.relationship in {"mother", "father", "guardian"}
    assert set(Counter(g.relationship for g in demo.guardians)) == {
        "mother",
        "father",
        "guardian",
    }


def test_emails_use_example_domains_only(demo: SynthConsortium) -> None:
    emails = [g.email for g in demo.guardians] + [s.email for s in demo.staff]
    assert len(set(emails)) == len(emails)
    for email in emails:
        local, _, domain = email.partition("@")
        assert domain in {"example.jp", "example.com"}
        assert local and email.isascii() and " " not in email
    assert all(s.email.endswith("@example.jp") for s in demo.staff)


def test_staff(demo: SynthConsortium) -> None:
    roles = Counter(s.role for s in demo.staff)
    assert 1 <= roles["consortium_admin"] <= 2
    assert roles["municipality_staff"] == 44
    assert roles["school_staff"] == 100
    assert roles["host"] >= 1 and roles["partner"] >= 1
    assert set(roles) == {
        "consortium_admin",
        "municipality_staff",
        "school_staff",
        "host",
        "partner",
    }
    members = {m.code for m in demo.municipalities}
    assert {s.scope_code for s in demo.staff if s.role == "municipality_staff"} == members
    assert {s.scope_code for s in demo.staff if s.role == "school_staff"} == {
        s.code for s in demo.schools
    }
    assert all(s.scope_code in members for s in demo.staff if s.role == "host")
    assert all(s.scope_code == "" for s in demo.staff if s.role in ("consortium_admin", "partner"))


def _digest(consortium: SynthConsortium) -> str:
    h = hashlib.sha256()
    for group in (
        consortium.municipalities,
        consortium.schools,
        consortium.students,
        consortium.guardians,
        consortium.staff,
    ):
        for item in group:
            h.update(repr(astuple(item)).encode())
    return h.hexdigest()


def test_deterministic_for_a_seed(demo: SynthConsortium) -> None:
    again = generate(reference_date=REFERENCE_DATE)
    assert _digest(again) == _digest(demo)
    assert again.students == demo.students
    other = generate(seed=7, reference_date=REFERENCE_DATE)
    assert _digest(other) != _digest(demo)


def test_independent_of_hash_randomisation() -> None:
    script = (
        "from datetime import date\n"
        "import hashlib\n"
        "from dataclasses import astuple\n"
        "from ekkyo.core.synthetic import generate\n"
        "c = generate(students=2000, reference_date=date(2025, 6, 1))\n"
        "h = hashlib.sha256()\n"
        "for group in (c.municipalities, c.schools, c.students, c.guardians, c.staff):\n"
        "    for item in group:\n"
        "        h.update(repr(astuple(item)).encode())\n"
        "print(h.hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]
    digests = set()
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
            env=env,
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1
    in_process = generate(students=2000, reference_date=REFERENCE_DATE)
    assert digests == {_digest(in_process)}


def test_national_scale_has_the_asked_shape() -> None:
    # Its speed is measured by `ekkyo seed-demo` (docs/benchmarks.md), not here:
    # a timed unit test fails on a busy machine for no fault of the code.
    big = generate(
        municipalities=150,
        prefectures=47,
        schools=350,
        students=120_000,
        reference_date=REFERENCE_DATE,
    )
    assert len(big.students) == 120_000
    assert len(big.schools) == 350
    assert len({m.prefecture_code for m in big.municipalities}) == 47


def test_smallest_consortium() -> None:
    tiny = generate(
        municipalities=1, prefectures=1, schools=1, students=5, reference_date=REFERENCE_DATE
    )
    assert [m.code for m in tiny.municipalities] == [LEAD_MUNICIPALITY_CODE]
    assert tiny.prefectures == ["06"]
    assert len(tiny.schools) == 1 and len(tiny.students) == 5
    assert all(s.home_municipality_code in (LEAD_MUNICIPALITY_CODE, None) for s in tiny.students)


def test_no_students() -> None:
    empty = generate(students=0, reference_date=REFERENCE_DATE)
    assert len(empty.students) == 0 and len(empty.guardians) == 0
    assert len(empty.schools) == 100


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prefectures": 0},
        {"prefectures": 48},
        {"municipalities": 10, "prefectures": 18},
        {"schools": 20},
        {"students": -1},
        {"municipalities": 200, "prefectures": 2},
    ],
)
def test_invalid_arguments(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        generate(reference_date=REFERENCE_DATE, **kwargs)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(min_value=1, max_value=47).flatmap(
        lambda prefs: st.tuples(
            st.just(prefs),
            st.integers(min_value=prefs, max_value=prefs + 60),
        )
    ),
    st.integers(min_value=0, max_value=80),
    st.integers(min_value=0, max_value=3000),
    st.integers(min_value=0, max_value=2**32),
)
def test_counts_are_exact_for_any_shape(
    shape: tuple[int, int], extra_schools: int, students: int, seed: int
) -> None:
    prefectures, municipalities = shape
    schools = municipalities + extra_schools
    c = generate(
        seed=seed,
        municipalities=municipalities,
        prefectures=prefectures,
        schools=schools,
        students=students,
        reference_date=REFERENCE_DATE,
    )
    assert len(c.municipalities) == municipalities
    assert len({m.prefecture_code for m in c.municipalities}) == prefectures
    assert "06" in c.prefectures
    assert len(c.schools) == schools
    assert len(c.students) == students == len(c.guardians)
    assert len({m.code for m in c.municipalities}) == municipalities
    assert len({s.code for s in c.schools}) == schools
    assert {s.municipality_code for s in c.schools} == {m.code for m in c.municipalities}
