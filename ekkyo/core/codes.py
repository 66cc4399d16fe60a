"""Validation of Japanese public codes: municipality codes and MEXT school codes.

This module belongs to the functional core and must never import Django: it is
plain Python (stdlib only) so that imports, the command line and tests can use
it without settings. Problems are reported as :class:`CodeError` carrying a
:class:`~ekkyo.core.messages.Problem` whose message is a translatable msgid.

全国地方公共団体コード (JIS X 0402)
    Five digits -- prefecture (JIS X 0401, 01-47) and a three-digit
    municipality part -- plus a check digit. The check digit: weight the five
    digits 6, 5, 4, 3, 2; r = sum mod 11; check = 11 - r, keeping only the last
    digit (so r = 0 gives 1 and r = 1 gives 0). Verified against published codes:
    札幌市 011002, 東京都千代田区 131016, 山形県山形市 062014, 長井市 062090
    (r = 1), 鶴岡市 062031 (r = 0), 小国町 064017 (5-digit 06401, per the
    歴史的行政区域データセット of NII), 大石田町 063410, 長野県山形村 204501 and
    高知県いの町 393860. Files often carry only the 5-digit form, and Excel drops
    leading zeros, so :func:`normalize_municipality_code` accepts all of those.

学校コード (MEXT, 2020)
    13 characters: kind (2), prefecture (2), establishment (1: 1 国立,
    2 公立, 3 私立), school number (7 digits) and a check digit. The kinds are
    those MEXT lists (A1 ... H2, see :data:`SCHOOL_KINDS`).

    Check digit -- what we found. The rule used by the open-source validator
    hanachin/mext_school_code_validator (Ruby, 2023) is: replace the kind's
    letter by its two-digit alphabet position (A -> 01 ... H -> 08), giving
    13 digits; from the left multiply by 1, 2, 1, 2, ...; add the digits of each
    product (Luhn's "split" sum); check = (10 - sum mod 10) mod 10. We tested it
    against 176 real codes of MEXT's published list, as shipped in
    ooiyuei/testall (seed/highschools_mext.csv and seed/universities_mext.csv,
    converted from MEXT's 学校コード CSV): high schools, secondary schools and
    universities in 27 prefectures, national, public and private, plus MEXT's
    published example F112310102342 (放送大学), 五霞西小学校 B108254200026
    (国土数値情報 小学校区データ) and 田端小学校 B113211700337. The rule accepts
    171 of the 176, but NOT five codes issued recently (2023-2025):
    D114215010142 (神奈川県立相模原城山高等学校), D123310000561 (国際高等学校),
    D123310000570 (ルネサンス豊田高等学校豊田駅前キャンパス), D124210050580 and
    D124210050599 (三重県立熊野青藍高等学校, both campuses). No other simple
    mod-10/mod-11 weighting we tried accepts all of them either.

    Because DESIGN.md says never to reject a real school on a guessed rule,
    :data:`school_check_digit_known` is ``False`` and :func:`validate_school_code`
    validates the *structure* only by default; it reports whether the check
    digit agrees with the usual rule in :attr:`SchoolCode.check_digit_matches`
    (the UI may show :func:`school_check_digit_warning` as a soft warning), and
    rejects a mismatch only when called with ``strict_check_digit=True`` (for
    data we generate ourselves). :func:`school_code_with_check_digit` appends
    the usual-rule digit, which is what MEXT issued for almost all schools.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from ekkyo.core.messages import Problem, gettext_noop

__all__ = [
    "SCHOOL_ESTABLISHMENTS",
    "SCHOOL_KINDS",
    "CodeError",
    "SchoolCode",
    "five_digit_form",
    "municipality_check_digit",
    "normalize_municipality_code",
    "prefecture_of",
    "school_check_digit",
    "school_check_digit_known",
    "school_check_digit_warning",
    "school_code_with_check_digit",
    "validate_school_code",
]


class CodeError(ValueError):
    """A code that cannot be accepted; ``problem`` says why, translatably."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.render())
        self.problem = problem


def _error(code: str, message: str, **params: object) -> CodeError:
    return CodeError(Problem(code=code, message=message, params=dict(params)))


def _clean(raw: str) -> str:
    """Full-width to half-width (NFKC), surrounding whitespace removed."""
    return unicodedata.normalize("NFKC", raw).strip()


def _is_prefecture(two: str) -> bool:
    return len(two) == 2 and two.isascii() and two.isdigit() and 1 <= int(two) <= 47


# --------------------------------------------------------------------------
# 全国地方公共団体コード (JIS X 0402)
# --------------------------------------------------------------------------

_MUNICIPALITY_WEIGHTS: Final = (6, 5, 4, 3, 2)
_DIGITS = re.compile(r"[0-9]+")


def municipality_check_digit(five: str) -> str:
    """The JIS X 0402 check digit of a 5-digit code (``"06401"`` -> ``"7"``)."""
    if len(five) != 5 or not _DIGITS.fullmatch(five):
        raise ValueError(f"expected five ASCII digits, got {five!r}")
    remainder = sum(int(d) * w for d, w in zip(five, _MUNICIPALITY_WEIGHTS, strict=True)) % 11
    return str((11 - remainder) % 10)


def normalize_municipality_code(raw: str | int, *, digits: Literal[5, 6] | None = None) -> str:
    """Return the 6-digit 全国地方公共団体コード for ``raw``, or raise :class:`CodeError`.

    Accepted: the 6-digit form (its check digit is verified) and the 5-digit
    form (the check digit is added); surrounding whitespace; full-width
    digits; ``"06401-7"``; a trailing ``".0"`` from a spreadsheet export; and a
    number that lost its leading zero in Excel (``6401`` -> ``"064017"``,
    ``64017`` -> ``"064017"``).

    A 5-digit number is ambiguous: ``13101`` is 千代田区's 5-digit form, but
    ``11002`` may be 札幌市's 6-digit ``011002`` without its zero. Without
    ``digits`` a 5-digit value whose first two digits are a prefecture is read
    as the 5-digit form; pass ``digits=6`` when the column is known to hold
    6-digit codes (or ``digits=5`` for 5-digit ones).
    """
    if isinstance(raw, bool):
        raise TypeError("a municipality code cannot be a bool")
    text = str(raw) if isinstance(raw, int) else _clean(raw)
    shown = text
    if not text:
        raise _error("municipality_code.required", gettext_noop("A municipality code is required."))
    if text.endswith(".0"):
        text = text[:-2]
    if re.fullmatch(r"[0-9]{4,5}-[0-9]", text):
        text = text.replace("-", "")
    if not _DIGITS.fullmatch(text):
        raise _error(
            "municipality_code.format",
            gettext_noop("Municipality code %(value)s must consist of digits only."),
            value=shown,
        )

    lost_leading_zero = (
        # 5-digit form of prefectures 01-09 read as a number: 6401.
        (digits != 6 and len(text) == 4)
        # 6-digit form of prefectures 01-09 read as a number: 64017. Without
        # ``digits`` we only assume so when it cannot be a 5-digit form.
        or (digits == 6 and len(text) == 5)
        or (digits is None and len(text) == 5 and not _is_prefecture(text[:2]))
    )
    if lost_leading_zero:
        text = "0" + text

    expected_lengths = (5, 6) if digits is None else (digits,)
    if len(text) not in expected_lengths:
        if digits is None:
            message = gettext_noop("Municipality code %(value)s must have 5 or 6 digits.")
        else:
            message = gettext_noop("Municipality code %(value)s must have %(digits)s digits.")
        raise _error("municipality_code.length", message, value=shown, digits=digits or 6)

    if not _is_prefecture(text[:2]):
        raise _error(
            "municipality_code.prefecture",
            gettext_noop(
                "Municipality code %(value)s starts with %(prefecture)s, "
                "which is not a prefecture code (01 to 47)."
            ),
            value=shown,
            prefecture=text[:2],
        )

    expected = municipality_check_digit(text[:5])
    if len(text) == 6 and text[5] != expected:
        raise _error(
            "municipality_code.check_digit",
            gettext_noop(
                "Municipality code %(value)s ends in check digit %(actual)s, but "
                "%(expected)s was expected: please look for a typo."
            ),
            value=shown,
            actual=text[5],
            expected=expected,
        )
    return text[:5] + expected


def five_digit_form(code: str | int) -> str:
    """The 5-digit form (without check digit) of a municipality code."""
    return normalize_municipality_code(code)[:5]


def prefecture_of(code: str | int) -> str:
    """The 2-digit prefecture code (JIS X 0401) of a municipality code."""
    return normalize_municipality_code(code)[:2]


# --------------------------------------------------------------------------
# 学校コード (MEXT)
# --------------------------------------------------------------------------

#: Kinds of school (学校種) with Japanese and English labels, as MEXT lists them.
SCHOOL_KINDS: Final[dict[str, tuple[str, str]]] = {
    "A1": ("幼稚園", "Kindergarten"),
    "A2": ("幼保連携型認定こども園", "Integrated centre for early childhood education and care"),
    "B1": ("小学校", "Elementary school"),
    "C1": ("中学校", "Junior high school"),
    "C2": ("義務教育学校", "Compulsory education school"),
    "D1": ("高等学校", "Senior high school"),
    "D2": ("中等教育学校", "Secondary school"),
    "E1": ("特別支援学校", "Special needs school"),
    "F1": ("大学", "University"),
    "F2": ("短期大学", "Junior college"),
    "G1": ("高等専門学校", "College of technology"),
    "H1": ("専修学校", "Specialised training college"),
    "H2": ("各種学校", "Miscellaneous school"),
}

#: 設置区分: who established the school.
SCHOOL_ESTABLISHMENTS: Final[dict[str, tuple[str, str]]] = {
    "1": ("国立", "National"),
    "2": ("公立", "Public"),
    "3": ("私立", "Private"),
}

#: False: no check-digit rule is known that accepts *every* real school code
#: (see the module docstring), so the check digit is not enforced by default.
school_check_digit_known: Final = False

_KIND_LETTER_VALUE: Final = {letter: f"{i + 1:02d}" for i, letter in enumerate("ABCDEFGH")}


@dataclass(frozen=True, slots=True)
class SchoolCode:
    """A structurally valid 学校コード, split into its parts."""

    code: str
    kind: str
    kind_label_ja: str
    kind_label_en: str
    prefecture: str
    establishment: str
    number: str
    check: str
    check_digit_matches: bool

    @property
    def establishment_label_ja(self) -> str:
        return SCHOOL_ESTABLISHMENTS[self.establishment][0]

    @property
    def establishment_label_en(self) -> str:
        return SCHOOL_ESTABLISHMENTS[self.establishment][1]

    def __str__(self) -> str:
        return self.code


def school_check_digit(first12: str) -> str:
    """The check digit the usual MEXT rule gives for the first 12 characters.

    See the module docstring: MEXT issued this digit for almost every school,
    but not for all, so a mismatch alone never proves a code wrong.
    """
    first12 = first12.upper()
    if len(first12) != 12 or first12[0] not in _KIND_LETTER_VALUE or not first12[1:].isdigit():
        raise ValueError(f"expected a kind letter A-H and 11 digits, got {first12!r}")
    numeric = _KIND_LETTER_VALUE[first12[0]] + first12[1:]
    total = 0
    for position, char in enumerate(numeric):
        product = int(char) * (2 if position % 2 else 1)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def _split_school_code(code: str, *, value: str, with_check: bool) -> None:
    """Raise CodeError for the first structural problem of ``code``."""
    kind = code[:2]
    if kind not in SCHOOL_KINDS:
        raise _error(
            "school_code.kind",
            gettext_noop(
                "School code %(value)s starts with %(kind)s, which is not a kind of school "
                "(A1, B1, C1, C2, D1, D2, E1, ...)."
            ),
            value=value,
            kind=kind,
        )
    if not _is_prefecture(code[2:4]):
        raise _error(
            "school_code.prefecture",
            gettext_noop(
                "School code %(value)s has %(prefecture)s in place of a prefecture code (01 to 47)."
            ),
            value=value,
            prefecture=code[2:4],
        )
    if code[4] not in SCHOOL_ESTABLISHMENTS:
        raise _error(
            "school_code.establishment",
            gettext_noop(
                "School code %(value)s has %(establishment)s in place of the establishment "
                "(1 national, 2 public, 3 private)."
            ),
            value=value,
            establishment=code[4],
        )
    number = code[5:12]
    if not (number.isascii() and number.isdigit()):
        raise _error(
            "school_code.number",
            gettext_noop(
                "School code %(value)s must have a 7-digit school number, not %(number)s."
            ),
            value=value,
            number=number,
        )
    if with_check and not (code[12].isascii() and code[12].isdigit()):
        raise _error(
            "school_code.check_digit",
            gettext_noop("School code %(value)s must end in a check digit (0 to 9)."),
            value=value,
        )


def validate_school_code(raw: str, *, strict_check_digit: bool = False) -> SchoolCode:
    """Parse a 学校コード, normalised to half-width upper case, or raise :class:`CodeError`.

    The structure is always validated. The check digit is compared with the
    usual rule and the result stored in ``check_digit_matches``; a mismatch
    raises only when ``strict_check_digit`` is true (see the module docstring
    for why a real school's code may not match).
    """
    value = _clean(raw).upper()
    if not value:
        raise _error("school_code.required", gettext_noop("A school code is required."))
    if len(value) != 13:
        raise _error(
            "school_code.length",
            gettext_noop(
                "School code %(value)s must have 13 characters (it has %(length)s), "
                "e.g. C106210000015."
            ),
            value=value,
            length=len(value),
        )
    _split_school_code(value, value=value, with_check=True)
    expected = school_check_digit(value[:12])
    matches = expected == value[12]
    if strict_check_digit and not matches:
        raise _error(
            "school_code.check_digit",
            gettext_noop(
                "School code %(value)s ends in check digit %(actual)s, but %(expected)s "
                "was expected: please look for a typo."
            ),
            value=value,
            actual=value[12],
            expected=expected,
        )
    label_ja, label_en = SCHOOL_KINDS[value[:2]]
    return SchoolCode(
        code=value,
        kind=value[:2],
        kind_label_ja=label_ja,
        kind_label_en=label_en,
        prefecture=value[2:4],
        establishment=value[4],
        number=value[5:12],
        check=value[12],
        check_digit_matches=matches,
    )


def school_check_digit_warning(school: SchoolCode) -> Problem | None:
    """A soft warning when the check digit differs from the usual rule, else None.

    Meant to be shown, not to block: a handful of real codes do not follow
    the rule (see the module docstring).
    """
    if school.check_digit_matches:
        return None
    return Problem(
        code="school_code.check_digit",
        message=gettext_noop(
            "School code %(value)s ends in %(actual)s, where most school codes would have "
            "%(expected)s. Please compare it with MEXT's list; it may be correct."
        ),
        params={
            "value": school.code,
            "actual": school.check,
            "expected": school_check_digit(school.code[:12]),
        },
    )


def school_code_with_check_digit(first12: str) -> str:
    """Complete a structurally valid 12-character prefix with its usual check digit.

    Meant for data we generate: the result is structurally valid and follows
    the rule MEXT used for almost all schools.
    """
    value = _clean(first12).upper()
    if len(value) != 12:
        raise _error(
            "school_code.length",
            gettext_noop(
                "School code prefix %(value)s must have 12 characters (it has %(length)s)."
            ),
            value=value,
            length=len(value),
        )
    _split_school_code(value, value=value, with_check=False)
    return value + school_check_digit(value)
