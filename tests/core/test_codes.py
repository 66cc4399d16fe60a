"""Tests for ekkyo.core.codes (no Django needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ekkyo.core.codes import (
    SCHOOL_ESTABLISHMENTS,
    SCHOOL_KINDS,
    CodeError,
    five_digit_form,
    municipality_check_digit,
    normalize_municipality_code,
    prefecture_of,
    school_check_digit,
    school_check_digit_known,
    school_check_digit_warning,
    school_code_with_check_digit,
    validate_school_code,
)

# --------------------------------------------------------------------------
# 全国地方公共団体コード
# --------------------------------------------------------------------------

# Real published 6-digit codes (sources in ekkyo/core/codes.py). They cover
# every branch of the check digit: r = 0 (鶴岡市, 村山市), r = 1 (長井市, いの町).
REAL_MUNICIPALITY_CODES = {
    "011002": "札幌市",
    "131016": "東京都千代田区",
    "062014": "山形市",
    "062031": "鶴岡市",
    "062081": "村山市",
    "062090": "長井市",
    "063410": "大石田町",
    "064017": "小国町",
    "204501": "長野県山形村",
    "393860": "高知県いの町",
}


@pytest.mark.parametrize("code", sorted(REAL_MUNICIPALITY_CODES))
def test_real_municipality_codes_are_accepted(code: str) -> None:
    assert municipality_check_digit(code[:5]) == code[5]
    assert normalize_municipality_code(code) == code
    assert normalize_municipality_code(code[:5]) == code


@pytest.mark.parametrize(
    "raw",
    [
        "064017",
        "06401",
        6401,
        "6401",
        64017,
        "64017",
        "０６４０１７",
        "０６４０１",
        "  06401\n",
        "\u300006401\u3000",
        "06401-7",
        "6401.0",
    ],
)
def test_oguni_in_every_spelling(raw: str | int) -> None:
    assert normalize_municipality_code(raw) == "064017"


def test_five_digit_ambiguity_is_resolved_by_digits_argument() -> None:
    # 13101 is 千代田区's 5-digit form; 11002 could be 札幌市's 011002 read as a number.
    assert normalize_municipality_code(13101) == "131016"
    assert normalize_municipality_code(11002, digits=6) == "011002"
    assert normalize_municipality_code("11002", digits=5) == "110027"
    assert normalize_municipality_code(6401, digits=5) == "064017"


def test_prefecture_of_and_five_digit_form() -> None:
    assert prefecture_of("064017") == "06"
    assert prefecture_of(13101) == "13"
    assert five_digit_form("064017") == "06401"


@pytest.mark.parametrize(
    ("raw", "problem_code"),
    [
        ("", "municipality_code.required"),
        ("   ", "municipality_code.required"),
        ("06A01", "municipality_code.format"),
        ("06401-", "municipality_code.format"),
        ("123", "municipality_code.length"),
        ("1234567", "municipality_code.length"),
        ("480013", "municipality_code.prefecture"),
        ("000000", "municipality_code.prefecture"),
        ("00100", "municipality_code.prefecture"),
        ("064018", "municipality_code.check_digit"),
        ("011001", "municipality_code.check_digit"),
    ],
)
def test_invalid_municipality_codes(raw: str, problem_code: str) -> None:
    with pytest.raises(CodeError) as caught:
        normalize_municipality_code(raw)
    problem = caught.value.problem
    assert problem.code == problem_code
    assert problem.render()  # the message formats with its parameters
    assert isinstance(caught.value, ValueError)


def test_check_digit_problem_says_what_was_expected() -> None:
    with pytest.raises(CodeError) as caught:
        normalize_municipality_code("064018")
    assert caught.value.problem.params == {"value": "064018", "actual": "8", "expected": "7"}


def test_digits_argument_enforces_length() -> None:
    with pytest.raises(CodeError) as caught:
        normalize_municipality_code("13101", digits=6)  # read as 013101
    assert caught.value.problem.code == "municipality_code.check_digit"
    with pytest.raises(CodeError) as caught:
        normalize_municipality_code("064017", digits=5)
    assert caught.value.problem.code == "municipality_code.length"


def test_bool_is_not_a_code() -> None:
    with pytest.raises(TypeError):
        normalize_municipality_code(True)


five_digit_codes = st.builds(
    lambda pref, part: f"{pref:02d}{part:03d}",
    st.integers(min_value=1, max_value=47),
    st.integers(min_value=0, max_value=999),
)


@given(five_digit_codes)
def test_five_to_six_digit_round_trip(five: str) -> None:
    six = normalize_municipality_code(five)
    assert len(six) == 6
    assert six[:5] == five
    assert normalize_municipality_code(six) == six
    assert normalize_municipality_code(int(six)) == six or six.startswith("0")
    assert normalize_municipality_code(int(five)) == six
    assert normalize_municipality_code(int(six), digits=6) == six


def _remainder(five: str) -> int:
    return sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True)) % 11


@given(five_digit_codes)
def test_single_digit_changes_are_detected(five: str) -> None:
    """Every single-digit change is caught, except JIS X 0402's known blind spot.

    Keeping only the last digit of 11 - r maps r = 0 and r = 10 both to 1, so a
    typo that moves the remainder between 0 and 10 cannot be seen. Everything
    else must raise.
    """
    six = normalize_municipality_code(five)
    for position in range(6):
        for digit in "0123456789":
            if digit == six[position]:
                continue
            typo = six[:position] + digit + six[position + 1 :]
            if not 1 <= int(typo[:2]) <= 47:
                expected = "municipality_code.prefecture"
            elif position < 5 and {_remainder(five), _remainder(typo[:5])} == {0, 10}:
                assert normalize_municipality_code(typo) == typo  # the blind spot
                continue
            else:
                expected = "municipality_code.check_digit"
            with pytest.raises(CodeError) as caught:
                normalize_municipality_code(typo)
            assert caught.value.problem.code == expected


def test_municipality_check_digit_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        municipality_check_digit("0640")
    with pytest.raises(ValueError):
        municipality_check_digit("０６４０１")


# --------------------------------------------------------------------------
# 学校コード
# --------------------------------------------------------------------------

# Real codes from MEXT's published list (via ooiyuei/testall seed/*_mext.csv),
# MEXT's own example, 国土数値情報 and Wikipedia; all follow the usual rule.
REAL_SCHOOL_CODES = [
    "F112310102342",  # 放送大学, MEXT's published example
    "B108254200026",  # 五霞西小学校 (茨城県)
    "B113211700337",  # 田端小学校 (東京都北区)
    "D101210100013",  # 北海道札幌西高等学校
    "D101310100100",  # 北星学園女子高等学校 (私立)
    "D101256400031",  # 北海道大空高等学校
    "D113311500100",  # 日本大学第二高等学校
    "D213110000011",  # 東京大学教育学部附属中等教育学校 (国立)
    "D213210100018",  # 千代田区立九段中等教育学校
    "D114215010070",  # 神奈川県立相模原高等学校 (also on Wikipedia)
    "D123310000007",  # 愛知高等学校
    "D124310055108",  # 皇學館高等学校 (三重県)
    "D225320900013",  # ＭＩＨＯ美学院中等教育学校 (滋賀県)
    "D126110000017",  # 京都教育大学附属高等学校 (国立)
    "D130310000106",  # 慶風高等学校 (和歌山県)
    "D131210000241",  # 鳥取県立米子白鳳高等学校
    "D132252500354",  # 島根県立隠岐島前高等学校
    "D233310000013",  # 朝日塾中等教育学校 (岡山県)
    "D134110000017",  # 広島大学附属高等学校
    "D145244160348",  # 宮崎県立高千穂高等学校
    "D245244370110",  # 宮崎県立五ヶ瀬中等教育学校
    "D146210000681",  # 鹿児島県立楠隼高等学校
    "D147330800018",  # 八洲学園大学国際高等学校 (沖縄県)
    "F101110100010",  # 北海道大学
    "F106110101176",  # 山形大学
    "F106210101209",  # 東北農林専門職大学 (new)
    "F108310111971",  # アール医療専門職大学
    "F113110112030",  # 東京科学大学 (2024)
    "F113310103581",  # 早稲田大学
]

# Real codes, issued 2023-2025, that do NOT follow the usual rule: the reason
# the check digit is not enforced by default.
REAL_SCHOOL_CODES_OFF_RULE = [
    "D114215010142",  # 神奈川県立相模原城山高等学校
    "D123310000561",  # 国際高等学校 (愛知県)
    "D123310000570",  # ルネサンス豊田高等学校豊田駅前キャンパス
    "D124210050580",  # 三重県立熊野青藍高等学校木本校舎
    "D124210050599",  # 三重県立熊野青藍高等学校紀南校舎
]


def test_check_digit_is_not_claimed_as_known() -> None:
    assert school_check_digit_known is False


@pytest.mark.parametrize("code", REAL_SCHOOL_CODES)
def test_real_school_codes_follow_the_usual_rule(code: str) -> None:
    school = validate_school_code(code, strict_check_digit=True)
    assert school.code == code
    assert school.check_digit_matches
    assert school_check_digit(code[:12]) == code[12]
    assert school_code_with_check_digit(code[:12]) == code
    assert school_check_digit_warning(school) is None


@pytest.mark.parametrize("code", REAL_SCHOOL_CODES_OFF_RULE)
def test_real_schools_off_the_rule_are_never_rejected(code: str) -> None:
    school = validate_school_code(code)
    assert school.code == code
    assert not school.check_digit_matches
    warning = school_check_digit_warning(school)
    assert warning is not None
    assert warning.code == "school_code.check_digit"
    assert warning.params["expected"] != code[12]
    with pytest.raises(CodeError):
        validate_school_code(code, strict_check_digit=True)


def test_published_example_is_split_into_parts() -> None:
    school = validate_school_code("F112310102342")
    assert school.kind == "F1"
    assert (school.kind_label_ja, school.kind_label_en) == ("大学", "University")
    assert school.prefecture == "12"
    assert school.establishment == "3"
    assert (school.establishment_label_ja, school.establishment_label_en) == ("私立", "Private")
    assert school.number == "1010234"
    assert school.check == "2"
    assert str(school) == "F112310102342"


def test_school_code_is_normalised() -> None:
    assert validate_school_code(" ｆ１１２３１０１０２３４２\n").code == "F112310102342"
    assert validate_school_code("d132252500354").code == "D132252500354"


def test_school_kinds_and_establishments() -> None:
    assert list(SCHOOL_KINDS) == [
        "A1", "A2", "B1", "C1", "C2", "D1", "D2", "E1", "F1", "F2", "G1", "H1", "H2",
    ]  # fmt: skip
    assert SCHOOL_KINDS["C2"][0] == "義務教育学校"
    assert SCHOOL_KINDS["D2"][0] == "中等教育学校"
    assert {k: v[0] for k, v in SCHOOL_ESTABLISHMENTS.items()} == {
        "1": "国立",
        "2": "公立",
        "3": "私立",
    }


@pytest.mark.parametrize(
    ("raw", "problem_code"),
    [
        ("", "school_code.required"),
        ("C10621000001", "school_code.length"),
        ("C1062100000150", "school_code.length"),
        ("Z106210000015", "school_code.kind"),
        ("C306210000015", "school_code.kind"),
        ("C148210000015", "school_code.prefecture"),
        ("C100210000015", "school_code.prefecture"),
        ("C1AB210000015", "school_code.prefecture"),
        ("C106410000015", "school_code.establishment"),
        ("C106010000015", "school_code.establishment"),
        ("C10621000A015", "school_code.number"),
        ("C10621000001X", "school_code.check_digit"),
    ],
)
def test_invalid_school_codes(raw: str, problem_code: str) -> None:
    with pytest.raises(CodeError) as caught:
        validate_school_code(raw)
    assert caught.value.problem.code == problem_code
    assert caught.value.problem.render()


def test_strict_check_digit_problem() -> None:
    with pytest.raises(CodeError) as caught:
        validate_school_code("F112310102343", strict_check_digit=True)
    problem = caught.value.problem
    assert problem.code == "school_code.check_digit"
    assert problem.params["expected"] == "2"
    assert not validate_school_code("F112310102343").check_digit_matches


def test_school_code_with_check_digit_rejects_bad_structure() -> None:
    with pytest.raises(CodeError) as caught:
        school_code_with_check_digit("X10621000001")
    assert caught.value.problem.code == "school_code.kind"
    with pytest.raises(CodeError) as caught:
        school_code_with_check_digit("C1062100000")
    assert caught.value.problem.code == "school_code.length"
    with pytest.raises(ValueError):
        school_check_digit("C10621000001X")


school_prefixes = st.builds(
    lambda kind, pref, est, number: f"{kind}{pref:02d}{est}{number:07d}",
    st.sampled_from(sorted(SCHOOL_KINDS)),
    st.integers(min_value=1, max_value=47),
    st.sampled_from(sorted(SCHOOL_ESTABLISHMENTS)),
    st.integers(min_value=0, max_value=9_999_999),
)


@given(school_prefixes)
def test_generated_school_codes_validate_strictly(prefix: str) -> None:
    code = school_code_with_check_digit(prefix)
    school = validate_school_code(code, strict_check_digit=True)
    assert school.code == code
    assert school.kind + school.prefecture + school.establishment + school.number == prefix


@given(school_prefixes)
def test_every_single_character_change_of_a_school_code_is_detected(prefix: str) -> None:
    code = school_code_with_check_digit(prefix)
    alphabet = "0123456789ABCDEFGH"
    for position in range(13):
        for char in alphabet:
            if char == code[position]:
                continue
            typo = code[:position] + char + code[position + 1 :]
            with pytest.raises(CodeError):
                validate_school_code(typo, strict_check_digit=True)
