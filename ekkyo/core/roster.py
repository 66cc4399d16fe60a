"""Validation of a school's student roster (名簿) uploaded as CSV or XLSX.

:func:`parse_roster` reads the upload with :mod:`ekkyo.core.tabular`, maps
the column headings (Japanese or English, in any width or case) to our
fields, validates every row and returns a :class:`RosterResult`: the valid
rows as :class:`RosterRow` and *all* problems found, each located by row
and by the column label as written in the file, so that the Django layer can
show a preview of every bad cell and write nothing unless ``result.ok``.

Rules worth knowing (they are also in the messages users see):

* Names are kept exactly as typed, apart from surrounding spaces: no NFKC,
  so 髙, 﨑, 𠮷 and variation selectors survive byte for byte.
* Readings (かな) may be hiragana or katakana, half- or full-width; they are
  stored as full-width hiragana. Students whose names are not Japanese
  still need a reading: a katakana transcription.
* The home municipality code is checked by an injected normaliser (by
  default :func:`ekkyo.core.codes.normalize_municipality_code`); it may be
  empty only for students whose home country is not Japan.

Functional core: no Django import (stdlib only, plus openpyxl via tabular).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.tabular import (
    DEFAULT_MAX_ROWS,
    DateParseError,
    TableError,
    parse_date,
    read_table,
    write_csv_for_excel,
)

__all__ = [
    "FIELD_ALIASES",
    "ISO_3166_ALPHA2",
    "MAX_AGE",
    "MIN_AGE",
    "REQUIRED_FIELDS",
    "ROSTER_TEMPLATE_HEADERS",
    "RosterResult",
    "RosterRow",
    "normalize_header",
    "normalize_kana",
    "parse_roster",
    "roster_template_csv",
]

MunicipalityNormalizer = Callable[[str], str]

MIN_AGE: Final = 9
MAX_AGE: Final = 25
MAX_NAME_LENGTH: Final = 50
MAX_ROMANIZED_LENGTH: Final = 100
MAX_STUDENT_NUMBER_LENGTH: Final = 32
MAX_EMAIL_LENGTH: Final = 254

#: Accepted headings per field, in canonical order; the first is the
#: Japanese heading of the template. Matching ignores width, case, spaces,
#: brackets and katakana/hiragana (see :func:`normalize_header`).
FIELD_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "student_number": ("学籍番号", "生徒番号", "student_number"),
    "family_name": ("姓", "氏", "family_name"),
    "given_name": ("名", "given_name"),
    "family_name_kana": (
        "姓（かな）",
        "せい",
        "セイ",
        "姓かな",
        "姓ふりがな",
        "family_name_kana",
    ),
    "given_name_kana": (
        "名（かな）",
        "めい",
        "メイ",
        "名かな",
        "名ふりがな",
        "given_name_kana",
    ),
    "romanized_name": ("ローマ字", "氏名（ローマ字）", "romanized_name"),
    "grade": ("学年", "grade"),
    "gender": ("性別", "gender"),
    "birth_date": ("生年月日", "birth_date"),
    "home_municipality_code": (
        "住所地の市区町村コード",
        "住所地コード",
        "home_municipality_code",
    ),
    "home_country": ("国籍・出身国", "国", "home_country"),
    "preferred_language": ("使用言語", "言語", "preferred_language"),
    "guardian_email": ("保護者メール", "guardian_email"),
    "school_email": ("生徒の学校メール", "学校メール", "生徒メール", "school_email"),
}

REQUIRED_FIELDS: Final = (
    "student_number",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "grade",
)

#: Headings of the downloadable template, in canonical order.
ROSTER_TEMPLATE_HEADERS: Final[tuple[str, ...]] = tuple(a[0] for a in FIELD_ALIASES.values())

_TEMPLATE_EXAMPLE: Final = (
    "2025001",
    "越境",
    "花子",
    "えっきょう",
    "はなこ",
    "Ekkyo Hanako",
    "1",
    "女",
    "2011-04-02",
    "064017",
    "JP",
    "ja",
    "hogosha@example.com",
    "hanako@chu.example.jp",
)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One valid student row. Empty optional text fields are ``""``."""

    row_number: int
    student_number: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    romanized_name: str
    grade: int
    gender: str  # "male", "female", "other" or ""
    birth_date: date | None
    home_municipality_code: str | None
    home_country: str
    preferred_language: str
    guardian_email: str
    # The student's school account (Google / Microsoft sign-in), lower-cased.
    school_email: str = ""


@dataclass
class RosterResult:
    """What :func:`parse_roster` found.

    ``rows`` holds only rows without problems; ``problems`` every problem,
    sorted by row and then by column position. ``columns`` maps our field
    names to the headings as written in the file; ``ignored_columns`` lists
    headings we do not use (to show as a warning), ``warnings`` non-blocking
    notes such as ignored sheets. Import only when ``ok``.
    """

    rows: list[RosterRow]
    problems: list[Problem]
    encoding: str | None
    format: str | None
    ignored_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------
# Headings

_HEADER_NOISE = re.compile(r"[\s()\[\]{}【】「」『』〔〕_\-・･:：*※]+")


_KATAKANA_TO_HIRAGANA: Final = {
    code: code - 0x60 for code in [*range(0x30A1, 0x30F7), 0x30FD, 0x30FE]
}


def _katakana_to_hiragana(text: str) -> str:
    """ァ-ヶ and ヽヾ to their hiragana (ヷ-ヺ have none and stay)."""
    return text.translate(_KATAKANA_TO_HIRAGANA)


def normalize_header(heading: str) -> str:
    """The key a heading is matched by: NFKC, case-folded, katakana as
    hiragana, without spaces, brackets, ``_``, ``-``, ``・`` and ``*``/``※``
    marks. ``"姓（カナ）"``, ``"姓かな"`` and ``" 姓 ( かな ) "`` all match."""
    key = unicodedata.normalize("NFKC", heading).casefold()
    return _HEADER_NOISE.sub("", _katakana_to_hiragana(key))


_ALIAS_INDEX: Final[dict[str, str]] = {
    normalize_header(alias): name for name, aliases in FIELD_ALIASES.items() for alias in aliases
}
_FULL_NAME_HEADINGS: Final = frozenset(
    normalize_header(h) for h in ("氏名", "名前", "生徒氏名", "name", "full_name")
)
_FULL_KANA_HEADINGS: Final = frozenset(
    normalize_header(h) for h in ("ふりがな", "よみがな", "かな", "氏名かな", "氏名ふりがな")
)


# --------------------------------------------------------------------------
# Value rules

_GENDERS: Final = {
    **dict.fromkeys(("男", "男性", "男子", "male", "m"), "male"),
    **dict.fromkeys(("女", "女性", "女子", "female", "f"), "female"),
    **dict.fromkeys(("その他", "回答しない", "無回答", "other"), "other"),
}
_LANGUAGES: Final = {
    **dict.fromkeys(("ja", "日本語", "japanese"), "ja"),
    **dict.fromkeys(("en", "英語", "english"), "en"),
}
_COUNTRY_NAMES: Final = {"日本": "JP", "日本国": "JP", "japan": "JP"}
#: ISO 3166-1 alpha-2 officially assigned codes (249).
_ISO_3166_ALPHA2_TEXT: Final = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL
    BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV
    CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD
    GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM
    IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK
    LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW
    MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR
    PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS
    ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY
    UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_3166_ALPHA2: Final = frozenset(_ISO_3166_ALPHA2_TEXT.split())
_GRADE = re.compile(r"([0-9]{1,2})(?:年生?)?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# Control characters (Cc), surrogates (Cs) and line/paragraph separators.
_FORBIDDEN_IN_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# What a reading may contain as typed: hiragana, combining (han)dakuten (NFD
# text), ゝゞ, katakana with ・ー ヽヾ, half-width katakana with ･ｰﾞﾟ, spaces.
_NOT_KANA_INPUT = re.compile(
    r"[^\u3041-\u3096\u3099\u309a\u309d\u309e\u30a1-\u30fe\uff65-\uff9f \u3000]"
)
_SPACES = re.compile(" {2,}")
# What a normalised reading may contain: hiragana, ゝゞ, ヷ-ヺ (no hiragana
# form), ・, ー and single spaces.
_NOT_KANA_OUTPUT = re.compile(r"[^\u3041-\u3096\u309d\u309e\u30f7-\u30fc ]")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _codepoint(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def normalize_kana(text: str) -> tuple[str, list[str]]:
    """Return (hiragana reading, offending characters).

    Half-width katakana becomes full-width (NFKC, which also composes a
    separate ﾞ/ﾟ), katakana becomes hiragana, runs of ASCII or full-width
    spaces become one space. Anything but kana, ー, ・ and spaces is
    returned in the second element, in order of first appearance.
    """
    bad = list(dict.fromkeys(_NOT_KANA_INPUT.findall(text)))
    if bad:
        return "", bad
    reading = _katakana_to_hiragana(unicodedata.normalize("NFKC", text))
    reading = _SPACES.sub(" ", reading).strip()
    return reading, list(dict.fromkeys(_NOT_KANA_OUTPUT.findall(reading)))


# --------------------------------------------------------------------------
# Row checking


class _MunicipalityLookup:
    """Calls the injected normaliser once per distinct value.

    Returns ``(code, None)``, or ``(None, problem)`` when the normaliser
    raised ``ValueError`` (``problem`` is its ``.problem`` attribute if that
    is a :class:`Problem`, else ``None``).
    """

    def __init__(self, normalizer: MunicipalityNormalizer) -> None:
        self.normalizer = normalizer
        self.cache: dict[str, tuple[str | None, Problem | None]] = {}

    def __call__(self, value: str) -> tuple[str | None, Problem | None]:
        hit = self.cache.get(value)
        if hit is None:
            try:
                hit = (self.normalizer(value), None)
            except ValueError as exc:
                problem = getattr(exc, "problem", None)
                hit = (None, problem if isinstance(problem, Problem) else None)
            self.cache[value] = hit
        return hit


class _RowChecker:
    """Validates one data row; collects problems located at its cells."""

    def __init__(
        self,
        row_number: int,
        values: dict[str, str],
        columns: dict[str, str],
        problems: list[Problem],
    ) -> None:
        self.row_number = row_number
        self.values = values
        self.columns = columns
        self.problems = problems
        self.failed = False

    def text(self, name: str) -> str:
        column = self.columns.get(name)
        return self.values.get(column, "") if column else ""

    def problem(self, name: str, code: str, message: str, **params: Any) -> None:
        column = self.columns.get(name, "")
        self.failed = True
        self.problems.append(
            Problem(
                code=code,
                message=message,
                params={"column": column, **params},
                row=self.row_number,
                column=column or None,
                field=name,
            )
        )

    def required(self, name: str, value: str) -> bool:
        if value:
            return True
        if name in self.columns:
            self.problem(
                name,
                "roster.required",
                gettext_noop("%(column)s is empty, but it is required."),
            )
        else:
            self.failed = True  # reported once as a missing column
        return False

    def plain_text(self, name: str, max_length: int) -> str | None:
        """A name-like value kept exactly as typed; None when invalid."""
        value = self.text(name).strip(" \u3000")
        bad = _FORBIDDEN_IN_TEXT.search(value)
        if bad:
            self.problem(
                name,
                "roster.control_character",
                gettext_noop(
                    "%(column)s contains a control character (%(codepoint)s), for example "
                    "a line break inside the cell. Remove it."
                ),
                codepoint=_codepoint(bad[0]),
            )
            return None
        if len(value) > max_length:
            self.problem(
                name,
                "roster.too_long",
                gettext_noop("%(column)s is longer than %(max_length)s characters."),
                max_length=max_length,
                length=len(value),
            )
            return None
        return value

    # -- fields ------------------------------------------------------------

    def student_number(self) -> str:
        value = _nfkc(self.text("student_number"))
        if not self.required("student_number", value):
            return ""
        if _SPACE_OR_CONTROL.search(value):
            self.problem(
                "student_number",
                "roster.student_number.invalid",
                gettext_noop("Student number %(value)s must not contain spaces or line breaks."),
                value=value,
            )
            return ""
        if len(value) > MAX_STUDENT_NUMBER_LENGTH:
            self.problem(
                "student_number",
                "roster.too_long",
                gettext_noop("%(column)s is longer than %(max_length)s characters."),
                max_length=MAX_STUDENT_NUMBER_LENGTH,
                length=len(value),
            )
            return ""
        return value

    def name(self, name: str) -> str:
        value = self.plain_text(name, MAX_NAME_LENGTH)
        if value is None:
            return ""
        self.required(name, value)
        return value

    def kana(self, name: str) -> str:
        raw = self.text(name)
        if not raw.strip(" \u3000"):
            if name in self.columns:
                self.problem(
                    name,
                    "roster.kana.required",
                    gettext_noop(
                        "%(column)s is empty. Write the reading of the name in hiragana or "
                        "katakana; for a name that is not Japanese, a katakana transcription."
                    ),
                )
            else:
                self.failed = True
            return ""
        reading, bad = normalize_kana(raw)
        if bad:
            self.problem(
                name,
                "roster.kana.invalid_character",
                gettext_noop(
                    "%(column)s may contain only hiragana or katakana (with ー, ・ and spaces "
                    "between words), but it contains “%(char)s” (%(codepoint)s). For a name "
                    "that is not Japanese, write its reading in katakana."
                ),
                char=bad[0],
                codepoint=_codepoint(bad[0]),
                value=raw,
            )
            return ""
        if len(reading) > MAX_NAME_LENGTH:
            self.problem(
                name,
                "roster.too_long",
                gettext_noop("%(column)s is longer than %(max_length)s characters."),
                max_length=MAX_NAME_LENGTH,
                length=len(reading),
            )
            return ""
        return reading

    def grade(self) -> int:
        raw = self.text("grade")
        value = _nfkc(raw)
        if not self.required("grade", value):
            return 0
        match = _GRADE.fullmatch(value)
        if not match or not 1 <= int(match[1]) <= 9:
            self.problem(
                "grade",
                "roster.grade.invalid",
                gettext_noop("Grade %(value)s is not a whole number from 1 to 9 (e.g. 1 or 1年)."),
                value=raw,
            )
            return 0
        return int(match[1])

    def gender(self) -> str:
        raw = self.text("gender")
        value = _nfkc(raw).casefold()
        if not value:
            return ""
        if value not in _GENDERS:
            self.problem(
                "gender",
                "roster.gender.invalid",
                gettext_noop(
                    "%(value)s is not a value we know for gender. Use 男, 女 or その他, or "
                    "leave the cell empty."
                ),
                value=raw,
            )
            return ""
        return _GENDERS[value]

    def birth_date(self, reference_date: date) -> date | None:
        raw = self.text("birth_date")
        if not raw:
            return None
        try:
            born = parse_date(raw)
        except DateParseError as exc:
            if exc.reason == "calendar":
                self.problem(
                    "birth_date",
                    "roster.birth_date.nonexistent",
                    gettext_noop("Birth date %(value)s does not exist in the calendar."),
                    value=raw,
                )
            elif exc.reason == "era_range":
                self.problem(
                    "birth_date",
                    "roster.birth_date.era_range",
                    gettext_noop("Birth date %(value)s is not within the %(era)s era."),
                    value=raw,
                    era=exc.era or "",
                )
            else:
                self.problem(
                    "birth_date",
                    "roster.birth_date.format",
                    gettext_noop(
                        "Birth date %(value)s is not a date we can read. Write it like "
                        "2010-04-02, 2010/4/2, 2010年4月2日 or 平成22年4月2日."
                    ),
                    value=raw,
                )
            return None
        if born > reference_date:
            self.problem(
                "birth_date",
                "roster.birth_date.future",
                gettext_noop("Birth date %(value)s is in the future."),
                value=raw,
                date=born.isoformat(),
            )
            return None
        age = reference_date.year - born.year
        if (reference_date.month, reference_date.day) < (born.month, born.day):
            age -= 1
        if not MIN_AGE <= age <= MAX_AGE:
            self.problem(
                "birth_date",
                "roster.birth_date.implausible_age",
                gettext_noop(
                    "Birth date %(value)s gives an age of %(age)s on %(reference_date)s, but "
                    "students are %(min_age)s to %(max_age)s years old. Please check the year."
                ),
                value=raw,
                age=age,
                reference_date=reference_date.isoformat(),
                min_age=MIN_AGE,
                max_age=MAX_AGE,
            )
            return None
        return born

    def home_country(self) -> str | None:
        """The ISO code, or None when invalid."""
        raw = self.text("home_country")
        value = _nfkc(raw)
        if not value:
            return "JP"
        code = _COUNTRY_NAMES.get(value.casefold(), value.upper())
        if code not in ISO_3166_ALPHA2:
            self.problem(
                "home_country",
                "roster.home_country.invalid",
                gettext_noop(
                    "%(value)s is not a country code. Use the two-letter ISO 3166-1 code "
                    "(e.g. JP, US, CN, PH, BR), or leave the cell empty for Japan."
                ),
                value=raw,
            )
            return None
        return code

    def home_municipality(self, country: str | None, lookup: _MunicipalityLookup) -> str | None:
        if "home_municipality_code" not in self.columns:
            return None
        raw = self.text("home_municipality_code")
        value = _nfkc(raw)
        if not value:
            if country == "JP":
                self.problem(
                    "home_municipality_code",
                    "roster.home_municipality.required",
                    gettext_noop(
                        "%(column)s is empty. It is required for students whose home country "
                        "is Japan (JP); it may be empty only for students from abroad."
                    ),
                )
            return None
        code, problem = lookup(value)
        if code is None:
            column = self.columns["home_municipality_code"]
            self.failed = True
            if problem is not None:
                self.problems.append(
                    dataclasses.replace(
                        problem,
                        params={"column": column, **problem.params},
                        row=self.row_number,
                        column=column,
                        field="home_municipality_code",
                    )
                )
            else:
                self.problem(
                    "home_municipality_code",
                    "roster.home_municipality.invalid",
                    gettext_noop(
                        "%(value)s is not a valid municipality code "
                        "(全国地方公共団体コード, 5 or 6 digits)."
                    ),
                    value=raw,
                )
            return None
        return code

    def preferred_language(self) -> str:
        raw = self.text("preferred_language")
        value = _nfkc(raw).casefold()
        if not value:
            return "ja"
        if value not in _LANGUAGES:
            self.problem(
                "preferred_language",
                "roster.preferred_language.invalid",
                gettext_noop(
                    "%(value)s is not a language we support. Use ja (日本語) or en (English), "
                    "or leave the cell empty for Japanese."
                ),
                value=raw,
            )
            return ""
        return _LANGUAGES[value]

    def guardian_email(self) -> str:
        return self.email("guardian_email")

    def email(self, name: str) -> str:
        raw = self.text(name)
        value = _nfkc(raw)
        if not value:
            return ""
        if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(value):
            self.problem(
                name,
                f"roster.{name}.invalid",
                gettext_noop("%(value)s does not look like an e-mail address."),
                value=raw,
            )
            return ""
        return value


# --------------------------------------------------------------------------
# Public entry points


def _default_normalizer() -> MunicipalityNormalizer:
    from ekkyo.core.codes import normalize_municipality_code  # lazy: optional sibling

    return normalize_municipality_code


def _map_columns(
    headers: list[str], header_row: int, problems: list[Problem]
) -> tuple[dict[str, str], list[str]]:
    """Map our fields to the file's headings; report duplicate and missing ones."""
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for heading in headers:
        name = _ALIAS_INDEX.get(normalize_header(heading))
        if name is None:
            ignored.append(heading)
        elif name in columns:
            problems.append(
                Problem(
                    code="roster.duplicate_column",
                    message=gettext_noop(
                        "The columns “%(first)s” and “%(second)s” both hold %(field_label)s. "
                        "Keep only one of them."
                    ),
                    params={
                        "first": columns[name],
                        "second": heading,
                        "field_label": FIELD_ALIASES[name][0],
                    },
                    row=header_row,
                    column=heading,
                    field=name,
                )
            )
        else:
            columns[name] = heading
    if not columns:
        problems.append(
            Problem(
                code="roster.no_known_columns",
                message=gettext_noop(
                    "Row %(row)s holds no column heading we know. The first non-empty row "
                    "must hold the headings (学籍番号, 姓, 名, …); delete any title rows "
                    "above them, or start from the template."
                ),
                params={"row": header_row},
                row=header_row,
            )
        )
    for name in REQUIRED_FIELDS:
        if name not in columns:
            problems.append(
                Problem(
                    code="roster.missing_column",
                    message=gettext_noop(
                        "The required column %(field_label)s is missing. Accepted headings: "
                        "%(accepted)s."
                    ),
                    params={
                        "field_label": FIELD_ALIASES[name][0],
                        "accepted": " / ".join(FIELD_ALIASES[name]),
                    },
                    row=header_row,
                    field=name,
                )
            )
    for family, given, hints in (
        ("family_name", "given_name", _FULL_NAME_HEADINGS),
        ("family_name_kana", "given_name_kana", _FULL_KANA_HEADINGS),
    ):
        if family in columns and given in columns:
            continue
        for heading in ignored:
            if normalize_header(heading) in hints:
                problems.append(
                    Problem(
                        code="roster.full_name_column",
                        message=gettext_noop(
                            "The column “%(column)s” seems to hold the whole name in one "
                            "cell. Split it into two columns, %(family)s and %(given)s."
                        ),
                        params={
                            "column": heading,
                            "family": FIELD_ALIASES[family][0],
                            "given": FIELD_ALIASES[given][0],
                        },
                        row=header_row,
                        column=heading,
                    )
                )
    return columns, ignored


def parse_roster(
    data: bytes,
    filename: str,
    *,
    reference_date: date,
    normalize_municipality_code: MunicipalityNormalizer | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> RosterResult:
    """Read and validate an uploaded roster; never raises for bad input.

    ``reference_date`` (normally today in Japan) bounds birth dates: not in
    the future, age :data:`MIN_AGE` to :data:`MAX_AGE` on that day. ``normalize_municipality_code``
    returns the canonical code or raises ``ValueError`` (with a ``problem``
    attribute for a precise message); it defaults to
    :func:`ekkyo.core.codes.normalize_municipality_code`.
    """
    try:
        table = read_table(data, filename, max_rows=max_rows, collect_row_problems=True)
    except TableError as exc:
        return RosterResult(rows=[], problems=exc.problems, encoding=None, format=None)
    lookup = _MunicipalityLookup(normalize_municipality_code or _default_normalizer())

    problems: list[Problem] = list(table.problems)
    columns, ignored = _map_columns(table.headers, table.header_row, problems)
    complete = all(name in columns for name in REQUIRED_FIELDS)
    if not table.rows:
        problems.append(
            Problem(
                code="roster.empty",
                message=gettext_noop("The file has headings but no student rows."),
            )
        )

    rows: list[RosterRow] = []
    first_row_of: dict[str, int] = {}
    first_row_of_email: dict[str, int] = {}
    bad_rows = {p.row for p in table.problems}
    for row_number, values in table.rows:
        check = _RowChecker(row_number, values, columns, problems)
        number = check.student_number()
        family_name = check.name("family_name")
        given_name = check.name("given_name")
        family_kana = check.kana("family_name_kana")
        given_kana = check.kana("given_name_kana")
        romanized = check.plain_text("romanized_name", MAX_ROMANIZED_LENGTH) or ""
        grade = check.grade()
        gender = check.gender()
        birth_date = check.birth_date(reference_date)
        country = check.home_country()
        municipality = check.home_municipality(country, lookup)
        language = check.preferred_language()
        email = check.guardian_email()
        school_email = check.email("school_email").lower()
        if school_email:
            if school_email in first_row_of_email:
                check.problem(
                    "school_email",
                    "roster.school_email.duplicate",
                    gettext_noop(
                        "The school e-mail %(value)s already appears in row %(first_row)s. "
                        "Each student signs in with their own address."
                    ),
                    value=school_email,
                    first_row=first_row_of_email[school_email],
                )
            else:
                first_row_of_email[school_email] = row_number
        if number:
            if number in first_row_of:
                check.problem(
                    "student_number",
                    "roster.student_number.duplicate",
                    gettext_noop(
                        "Student number %(value)s already appears in row %(first_row)s. "
                        "Each student needs a different number."
                    ),
                    value=number,
                    first_row=first_row_of[number],
                )
            else:
                first_row_of[number] = row_number
        if check.failed or not complete or row_number in bad_rows or country is None:
            continue
        rows.append(
            RosterRow(
                row_number=row_number,
                student_number=number,
                family_name=family_name,
                given_name=given_name,
                family_name_kana=family_kana,
                given_name_kana=given_kana,
                romanized_name=romanized,
                grade=grade,
                gender=gender,
                birth_date=birth_date,
                home_municipality_code=municipality,
                home_country=country,
                preferred_language=language,
                guardian_email=email,
                school_email=school_email,
            )
        )

    order = {heading: index for index, heading in enumerate(table.headers)}
    indexed = sorted(
        enumerate(problems),
        key=lambda item: (
            item[1].row or 0,
            order.get(item[1].column or "", -1),
            item[0],
        ),
    )
    return RosterResult(
        rows=rows,
        problems=[p for _, p in indexed],
        encoding=table.encoding,
        format=table.format,
        ignored_columns=ignored,
        columns=columns,
        warnings=table.warnings,
    )


def roster_template_csv() -> bytes:
    """The downloadable template: headings and one fictional example row,
    UTF-8 with BOM and CRLF so that Excel opens it correctly."""
    return write_csv_for_excel(ROSTER_TEMPLATE_HEADERS, [_TEMPLATE_EXAMPLE])
