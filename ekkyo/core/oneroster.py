"""OneRoster 1.2 CSV, Japan Profile: a school's or a board's roster package.

校務支援システム export the students of a school, or of every school of a board
of education (教育委員会), as a zip (or a folder) of CSV files in the OneRoster
1.2 CSV binding with the Japan Profile's additions (``metadata.jp.*``
columns). :func:`parse_oneroster` reads such a package, validates every file
we use, joins them, and returns a :class:`OneRosterResult`: one
:class:`OneRosterStudent` per student of the schools in scope and *every*
problem found, each located by file, row and column as written in the file,
so that the Django layer can show a preview of every bad cell and write
nothing unless ``result.ok``. Nothing is guessed silently: a value we cannot
map is a problem, a file or school we skip is a warning.

What we read (OneRoster 1.2 / Japan Profile; columns in any order, headings
matched without regard to case, width or surrounding spaces, unknown columns
ignored):

* ``manifest.csv`` (``propertyName,value``): ``manifest.version`` 1.0,
  ``oneroster.version`` 1.2, and ``file.<name>`` = ``bulk`` / ``delta`` /
  ``absent`` for each file. Only ``bulk`` (全件) files are read: a delta
  cannot tell who left, so a ``delta`` file is a problem. ``users`` and
  ``orgs`` are required, and ``roles`` or ``enrollments`` (who is a student).
* ``orgs.csv``: ``type`` ``school`` with ``identifier`` = 学校コード (checked
  with :func:`ekkyo.core.codes.validate_school_code`), ``district`` with
  ``identifier`` = 教育委員会コード (:func:`normalize_board_code`); the schools of
  a board are the school orgs whose ``parentSourcedId`` is the district.
* ``users.csv``: ``familyName``, ``givenName`` (kept exactly as written:
  髙, 﨑, 𠮷 and ideographic variation selectors survive),
  ``metadata.jp.kanaFamilyName``, ``metadata.jp.kanaGivenName`` (full-width
  kana as the profile requires; half-width katakana is refused with a
  message; hiragana or katakana are stored as full-width hiragana, like the
  roster import), ``grades``, ``identifier``, ``metadata.jp.homeClass`` (the
  sourcedId of the student's homeroom class), ``status``.
* ``roles.csv`` (1.2 moved the role out of users.csv): ``role`` ``student``
  with ``orgSourcedId`` = the student's school. Without roles.csv, the
  students are the users enrolled as ``student`` in enrollments.csv.
* ``classes.csv``: ``title`` (e.g. 1年1組), ``grades``, ``schoolSourcedId``.
* ``enrollments.csv``: the student's classes, ``endDate``, and 出席番号 as
  ``metadata.jp.ShussekiNo`` (Japan Profile 1.2) or ``metadata.jp.shussekiNo``
  / ``shussekiNo`` (later editions and some exporters).
* ``demographics.csv``: ``sex`` (male, female, other, unspecified) and
  ``birthDate`` (``YYYY-MM-DD``), by the user's sourcedId.
* ``academicSessions.csv``: school years titled ``YYYY年度`` (e.g. 2025年度).

Mapping decisions (docs/decisions.md, "OneRoster Japan Profile import"):

* **Identity.** A student is the user's ``sourcedId``, which the exporting
  system keeps for the student's whole time at school; the Django layer
  stores it and matches by it, so a second import of the same file changes
  nothing. The student number shown in ekkyo is ``identifier`` (校務システム's
  student id) when given, else the sourcedId (a UUID without hyphens is the
  32-character form). 出席番号 and the homeroom change every year, so they are
  stored but never used as keys.
* **Grade.** Japan Profile grade codes ``P1``-``P6`` (小学校), ``J1``-``J3``
  (中学校), ``H1``-``H3`` (高等学校) from ``users.grades``, else from the
  homeroom class's ``grades``, mapped by the kind of school in its 学校コード
  (:data:`GRADES_BY_KIND`): 中学校 J1-J3 → 1-3; 義務教育学校 P1-P6 → 1-6 and
  J1-J3 → 7-9; 高等学校 H1-H3 → 1-3; 中等教育学校 and 特別支援学校 J1-J3 → 1-3 and
  H1-H3 → 4-6. Any other code at that kind of school is a problem.
* **Who left.** A student is marked as left (never deleted) when users.csv
  says ``status`` ``tobedeleted``, when their student role at the school has
  ended (``endDate`` before the reference date, or ``tobedeleted``), or when
  every enrollment of theirs at the school has ended; the Django layer also
  marks the school's students that the (bulk) file no longer lists.
* **Schools served.** ekkyo serves middle and high schools (C1, C2, D1, D2,
  E1): students of other kinds of school in a board's file (小学校) are
  skipped with a warning, as are students of schools outside the import's
  scope (another school, another board).

Functional core: no Django import (stdlib only; CSV decoding through
:mod:`ekkyo.core.tabular`, codes through :mod:`ekkyo.core.codes`).
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final

from ekkyo.core.codes import CodeError, validate_school_code
from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.roster import MAX_AGE, MAX_NAME_LENGTH, RosterRow, normalize_kana
from ekkyo.core.tabular import TableError, read_table

__all__ = [
    "CSV_FILES",
    "GRADES_BY_KIND",
    "GRADE_CODES",
    "MANIFEST",
    "MIN_AGE",
    "SERVED_SCHOOL_KINDS",
    "OneRosterResult",
    "OneRosterStudent",
    "PackageError",
    "SchoolInScope",
    "normalize_board_code",
    "parse_oneroster",
    "read_package",
]

MANIFEST: Final = "manifest.csv"
#: The data files we read, in the order problems are listed.
CSV_FILES: Final = (
    "academicSessions.csv",
    "orgs.csv",
    "classes.csv",
    "users.csv",
    "roles.csv",
    "enrollments.csv",
    "demographics.csv",
)
_FILE_ORDER: Final = {name: i for i, name in enumerate((MANIFEST, *CSV_FILES))}
_CANONICAL: Final = {name.casefold(): name for name in (MANIFEST, *CSV_FILES)}

#: Total uncompressed size of a package we are willing to open, and of one file.
MAX_PACKAGE_BYTES: Final = 512 * 1024 * 1024
MAX_FILE_BYTES: Final = 128 * 1024 * 1024
MAX_ROWS: Final = 1_000_000
MAX_SOURCED_ID_LENGTH: Final = 128
MAX_STUDENT_NUMBER_LENGTH: Final = 32
MAX_CLASS_TITLE_LENGTH: Final = 50
MAX_ATTENDANCE_NUMBER: Final = 999
#: 義務教育学校 前期課程 (P1) starts at six; the roster import's MIN_AGE (9) is
#: for its middle and high schools.
MIN_AGE: Final = 6

#: Grade codes of the Japan Profile (``E1``-``E3`` are valid codes whose
#: stage we do not map: they are refused at every kind of school we serve).
GRADE_CODES: Final = frozenset(
    [*(f"P{i}" for i in range(1, 7)), *(f"{s}{i}" for s in "JHE" for i in range(1, 4))]
)
#: Grade code -> ekkyo's grade (1..School.max_grade), per kind of school (学校種).
GRADES_BY_KIND: Final[dict[str, dict[str, int]]] = {
    "C1": {"J1": 1, "J2": 2, "J3": 3},
    "C2": {**{f"P{i}": i for i in range(1, 7)}, "J1": 7, "J2": 8, "J3": 9},
    "D1": {"H1": 1, "H2": 2, "H3": 3},
    "D2": {"J1": 1, "J2": 2, "J3": 3, "H1": 4, "H2": 5, "H3": 6},
    "E1": {"J1": 1, "J2": 2, "J3": 3, "H1": 4, "H2": 5, "H3": 6},
}
SERVED_SCHOOL_KINDS: Final = frozenset(GRADES_BY_KIND)

_SEXES: Final = {"male": "male", "female": "female", "other": "other", "unspecified": ""}
_STATUSES: Final = frozenset({"", "active", "tobedeleted"})
_ORG_TYPES: Final = frozenset({"school", "district", "department", "local", "state", "national"})
_ROLE_TYPES: Final = frozenset({"", "primary", "secondary"})
_ENROLLMENT_ROLES: Final = frozenset({"student", "teacher", "administrator", "proctor", "guardian"})
_ROLES: Final = frozenset(
    {
        "aide",
        "counselor",
        "districtAdministrator",
        "guardian",
        "parent",
        "principal",
        "proctor",
        "relative",
        "siteAdministrator",
        "student",
        "systemAdministrator",
        "teacher",
        "administrator",
    }
)
_SESSION_TYPES: Final = frozenset({"schoolYear", "term", "semester", "gradingPeriod"})

_HALF_WIDTH_KATAKANA = re.compile(r"[\uff65-\uff9f]")
_FORBIDDEN_IN_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_EMAIL = re.compile(
    r"^[^@\s,;<>\"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FISCAL_YEAR_TITLE = re.compile(r"([0-9]{4})年度")
_YEAR = re.compile(r"[0-9]{4}")
_DIGITS = re.compile(r"[0-9]+")


class PackageError(ValueError):
    """The upload is not a readable OneRoster package; ``problems`` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.render() for p in problems))


# --------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class SchoolInScope:
    """A school org of the package that the import covers."""

    code: str  # 学校コード, normalised
    name: str  # as written in orgs.csv
    sourced_id: str
    row: int  # its row in orgs.csv
    students: int = 0


@dataclass(frozen=True, slots=True)
class OneRosterStudent:
    """One valid student, ready for the Django layer.

    ``row`` carries the roster fields (``row_number`` is the users.csv row;
    home municipality, country, language, romanized name and guardian e-mail
    are not in OneRoster: ``None``/defaults, which the Django layer does not
    write over). ``gender`` and ``birth_date`` count only when
    ``has_demographics``. ``left_on`` is the day the student left, ``None``
    while enrolled.
    """

    sourced_id: str
    school_code: str
    row: RosterRow
    home_class: str
    attendance_number: int | None
    left_on: date | None
    has_demographics: bool
    # The school account's address (users.csv ``email``), lower-cased; "" if none.
    email: str = ""


@dataclass
class OneRosterResult:
    """What :func:`parse_oneroster` found. Import only when ``ok``.

    ``students`` holds only students without problems; ``problems`` every
    problem, sorted by file, row and column; ``warnings`` what was skipped
    (files the manifest marks absent, schools out of scope, other kinds of
    school). ``schools`` are the schools in scope, ``board`` the board's
    (code, name) for a board import, ``school_years`` the 年度 in
    academicSessions.csv, ``encodings`` each file's text encoding.
    """

    students: list[OneRosterStudent]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    schools: list[SchoolInScope] = field(default_factory=list)
    board: tuple[str, str] | None = None
    school_years: list[int] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    ignored_users: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------
# Codes


def normalize_board_code(raw: str) -> str:
    """The 6-digit 教育委員会コード (MEXT 教育データ標準: prefecture 2 + board 4,
    e.g. 北海道教育委員会 011000), or raise :class:`~ekkyo.core.codes.CodeError`.

    Full-width digits and surrounding spaces are fine; five digits are read
    as a code that lost its leading zero in a spreadsheet. MEXT publishes no
    check digit, so only the form and the prefecture are checked.
    """
    value = unicodedata.normalize("NFKC", raw).strip()
    if len(value) == 5 and _DIGITS.fullmatch(value):
        value = "0" + value
    if not (len(value) == 6 and value.isascii() and value.isdigit()):
        raise CodeError(
            Problem(
                code="board_code.format",
                message=gettext_noop(
                    "Board of education code %(value)s must have 6 digits "
                    "(prefecture 2 + board 4, e.g. 011000)."
                ),
                params={"value": raw.strip()},
            )
        )
    if not 1 <= int(value[:2]) <= 47:
        raise CodeError(
            Problem(
                code="board_code.prefecture",
                message=gettext_noop(
                    "Board of education code %(value)s starts with %(prefecture)s, "
                    "which is not a prefecture code (01 to 47)."
                ),
                params={"value": value, "prefecture": value[:2]},
            )
        )
    return value


# --------------------------------------------------------------------------
# Reading the package (zip or folder)


def _package_problem(code: str, message: str, **params: Any) -> Problem:
    return Problem(code=code, message=message, params=params)


def _not_zip() -> Problem:
    return _package_problem(
        "oneroster.not_zip",
        gettext_noop(
            "The file is not a zip archive. Upload the zip file that the school affairs "
            "system (校務支援システム) exported, with manifest.csv and the other CSV files in it."
        ),
    )


def _ignored_entry(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("."))


def _read_zip(data: bytes) -> dict[str, bytes]:
    if not data.startswith(b"PK"):
        raise PackageError([_not_zip()])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir() and not _ignored_entry(i.filename)]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise PackageError([_not_zip()]) from exc
    if any(i.flag_bits & 0x1 for i in infos):
        raise PackageError(
            [
                _package_problem(
                    "oneroster.zip_encrypted",
                    gettext_noop(
                        "The zip file is protected with a password. Export it again without "
                        "a password, or unpack it and upload a zip made of the CSV files."
                    ),
                )
            ]
        )
    if sum(i.file_size for i in infos) > MAX_PACKAGE_BYTES:
        raise PackageError([_too_large(MAX_PACKAGE_BYTES)])
    chosen = _manifest_dir([PurePosixPath(i.filename) for i in infos])
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        path = PurePosixPath(info.filename)
        canonical = _CANONICAL.get(path.name.casefold())
        if canonical is None or path.parent != chosen:
            continue
        try:
            with archive.open(info) as handle:
                # The sizes in the header may lie (zip bombs): read at most the limit.
                content = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
            raise PackageError([_not_zip()]) from exc
        total += len(content)
        if len(content) > MAX_FILE_BYTES or total > MAX_PACKAGE_BYTES:
            raise PackageError([_too_large(MAX_FILE_BYTES)])
        files[canonical] = content
    return files


def _manifest_dir(paths: list[PurePosixPath]) -> PurePosixPath:
    """The folder holding manifest.csv: the top of the zip, or one folder down."""
    manifests = sorted(
        (p for p in paths if p.name.casefold() == MANIFEST), key=lambda p: len(p.parts)
    )
    if not manifests:
        raise PackageError(
            [
                _package_problem(
                    "oneroster.manifest_missing",
                    gettext_noop(
                        "The zip file has no manifest.csv, so it is not a OneRoster package. "
                        "Upload the zip file exactly as the school affairs system exported it."
                    ),
                )
            ]
        )
    if len(manifests) > 1 and len(manifests[0].parts) == len(manifests[1].parts):
        raise PackageError(
            [
                _package_problem(
                    "oneroster.several_packages",
                    gettext_noop(
                        "The zip file holds several OneRoster packages (%(folders)s). "
                        "Upload one package at a time."
                    ),
                    folders=", ".join(str(p.parent) for p in manifests),
                )
            ]
        )
    return manifests[0].parent


def _too_large(limit: int) -> Problem:
    return _package_problem(
        "oneroster.too_large",
        gettext_noop("The package is larger than %(max_mb)s MB once unpacked."),
        max_mb=limit // (1024 * 1024),
    )


def _read_folder(path: Path) -> dict[str, bytes]:
    entries = {p.name.casefold(): p for p in path.iterdir() if p.is_file()}
    if MANIFEST not in entries:
        raise PackageError(
            [
                _package_problem(
                    "oneroster.manifest_missing",
                    gettext_noop(
                        "The zip file has no manifest.csv, so it is not a OneRoster package. "
                        "Upload the zip file exactly as the school affairs system exported it."
                    ),
                )
            ]
        )
    files: dict[str, bytes] = {}
    for key, canonical in _CANONICAL.items():
        if key in entries:
            if entries[key].stat().st_size > MAX_FILE_BYTES:
                raise PackageError([_too_large(MAX_FILE_BYTES)])
            files[canonical] = entries[key].read_bytes()
    return files


def read_package(source: bytes | str | os.PathLike[str]) -> dict[str, bytes]:
    """The package's files we know, by canonical name (``users.csv``), as bytes.

    ``source`` is the zip's bytes, or the path of a zip file or of a folder.
    Raises :class:`PackageError` for a package that cannot be opened.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return _read_zip(bytes(source))
    path = Path(source)
    if path.is_dir():
        return _read_folder(path)
    return _read_zip(path.read_bytes())


# --------------------------------------------------------------------------
# One CSV file


def _header_key(heading: str) -> str:
    return unicodedata.normalize("NFKC", heading).strip().casefold()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


class _Sheet:
    """One CSV file of the package: its columns mapped to our fields."""

    def __init__(
        self,
        name: str,
        headers: list[str],
        rows: list[tuple[int, dict[str, str]]],
        spec: Mapping[str, tuple[str, ...]],
        required: Iterable[str],
        problems: list[Problem],
    ) -> None:
        self.name = name
        self.rows = rows
        self.problems = problems
        self.spec = spec
        self.order = {heading: i for i, heading in enumerate(headers)}
        self.columns: dict[str, str] = {}
        index = {_header_key(alias): f for f, aliases in spec.items() for alias in aliases}
        for heading in headers:
            name_ = index.get(_header_key(heading))
            if name_ is None:
                continue
            if name_ in self.columns:
                self.problem(
                    1,
                    None,
                    "oneroster.duplicate_column",
                    gettext_noop(
                        "The columns “%(first)s” and “%(second)s” hold the same thing. "
                        "Keep only one of them."
                    ),
                    column=heading,
                    first=self.columns[name_],
                    second=heading,
                )
                continue
            self.columns[name_] = heading
        self.complete = True
        for name_ in required:
            if name_ not in self.columns:
                self.complete = False
                self.problem(
                    1,
                    None,
                    "oneroster.missing_column",
                    gettext_noop("%(file)s has no column %(column)s, which we need."),
                    column=spec[name_][0],
                )

    def value(self, values: Mapping[str, str], name: str) -> str:
        column = self.columns.get(name)
        return values.get(column, "") if column else ""

    def problem(
        self,
        row: int | None,
        name: str | None,
        code: str,
        message: str,
        /,
        *,
        column: str | None = None,
        **params: Any,
    ) -> None:
        if name is not None and name not in self.columns and code in _EMPTY_CELL_CODES:
            return  # the missing column was reported once, not on every row
        if column is None and name is not None:
            # The heading as written, or the profile's name for a missing column.
            column = self.columns.get(name) or self.spec[name][0]
        self.problems.append(
            Problem(
                code=code,
                message=message,
                params={"file": self.name, "column": column or "", **params},
                row=row,
                column=column,
                field=name,
                file=self.name,
            )
        )


_SPECS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    MANIFEST: {"property": ("propertyName",), "value": ("value",)},
    "academicSessions.csv": {
        "sourced_id": ("sourcedId",),
        "status": ("status",),
        "title": ("title",),
        "type": ("type",),
        "start": ("startDate",),
        "end": ("endDate",),
        "school_year": ("schoolYear",),
    },
    "orgs.csv": {
        "sourced_id": ("sourcedId",),
        "status": ("status",),
        "name": ("name",),
        "type": ("type",),
        "identifier": ("identifier",),
        "parent": ("parentSourcedId",),
    },
    "classes.csv": {
        "sourced_id": ("sourcedId",),
        "status": ("status",),
        "title": ("title",),
        "grades": ("grades",),
        "class_type": ("classType",),
        "school": ("schoolSourcedId",),
        "terms": ("termSourcedIds",),
    },
    "users.csv": {
        "sourced_id": ("sourcedId",),
        "status": ("status",),
        "modified": ("dateLastModified",),
        "given_name": ("givenName",),
        "family_name": ("familyName",),
        "identifier": ("identifier",),
        "grades": ("grades",),
        "primary_org": ("primaryOrgSourcedId",),
        "given_kana": ("metadata.jp.kanaGivenName",),
        "family_kana": ("metadata.jp.kanaFamilyName",),
        "home_class": ("metadata.jp.homeClass",),
        "email": ("email",),
    },
    "roles.csv": {
        "sourced_id": ("sourcedId",),
        "status": ("status",),
        "user": ("userSourcedId",),
        "role_type": ("roleType",),
        "role": ("role",),
        "end": ("endDate",),
        "org": ("orgSourcedId",),
    },
    "enrollments.csv": {
        "sourced_id": ("sourcedId",),
        "status": ("status",),
        "class": ("classSourcedId",),
        "school": ("schoolSourcedId",),
        "user": ("userSourcedId",),
        "role": ("role",),
        "begin": ("beginDate",),
        "end": ("endDate",),
        # Japan Profile 1.2 spells it ShussekiNo; later editions shussekiNo
        # (the same after case-folding), some exporters without the prefix.
        "number": ("metadata.jp.ShussekiNo", "shussekiNo"),
    },
    "demographics.csv": {
        "sourced_id": ("sourcedId",),
        "status": ("status",),
        "birth_date": ("birthDate",),
        "sex": ("sex",),
    },
}
#: Problems about an empty cell, not reported for a column that is missing.
_EMPTY_CELL_CODES: Final = frozenset({"oneroster.required", "oneroster.kana.required"})
#: Columns without which a file cannot be joined to the others.
_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "academicSessions.csv": ("sourced_id",),
    "orgs.csv": ("sourced_id", "type", "identifier"),
    "classes.csv": ("sourced_id",),
    "users.csv": ("sourced_id",),
    "roles.csv": ("user", "role", "org"),
    "enrollments.csv": ("class", "user", "role"),
    "demographics.csv": ("sourced_id",),
}
_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    MANIFEST: ("property", "value"),
    "academicSessions.csv": ("sourced_id", "title", "type"),
    "orgs.csv": ("sourced_id", "name", "type", "identifier"),
    "classes.csv": ("sourced_id", "title", "school"),
    "users.csv": ("sourced_id", "given_name", "family_name", "given_kana", "family_kana"),
    "roles.csv": ("user", "role", "org"),
    "enrollments.csv": ("class", "user", "role"),
    "demographics.csv": ("sourced_id",),
}


def _read_sheet(
    files: Mapping[str, bytes], name: str, problems: list[Problem], encodings: dict[str, str]
) -> _Sheet | None:
    if files[name].startswith(b"PK"):  # an Excel workbook saved under the CSV's name
        problems.append(
            Problem(
                code="oneroster.not_csv",
                message=gettext_noop(
                    "%(file)s is an Excel workbook, not a CSV file. OneRoster files are CSV: "
                    "export the package again from the school affairs system."
                ),
                params={"file": name},
                file=name,
            )
        )
        return None
    try:
        table = read_table(
            files[name],
            name,
            max_rows=MAX_ROWS,
            max_bytes=MAX_FILE_BYTES,
            collect_row_problems=True,
        )
    except TableError as exc:
        problems.extend(_in_file(p, name) for p in exc.problems)
        return None
    encodings[name] = table.encoding or ""
    problems.extend(_in_file(p, name) for p in table.problems)
    return _Sheet(name, table.headers, table.rows, _SPECS[name], _REQUIRED[name], problems)


def _in_file(problem: Problem, name: str) -> Problem:
    return Problem(
        code=problem.code,
        message=problem.message,
        params={"file": name, **problem.params},
        row=problem.row,
        column=problem.column,
        field=problem.field,
        file=name,
    )


# --------------------------------------------------------------------------
# The manifest


def _read_manifest(
    files: Mapping[str, bytes],
    problems: list[Problem],
    warnings: list[Problem],
    encodings: dict[str, str],
) -> set[str]:
    """Which data files to read: those the manifest marks ``bulk`` (and present)."""
    sheet = _read_sheet(files, MANIFEST, problems, encodings)
    if sheet is None or not sheet.complete:
        return set()
    entries: dict[str, tuple[int, str, str]] = {}  # casefolded key -> (row, key, value)
    for row, values in sheet.rows:
        key = _nfkc(sheet.value(values, "property"))
        if not key:
            continue
        if key.casefold() in entries:
            sheet.problem(
                row,
                "property",
                "oneroster.manifest.duplicate",
                gettext_noop(
                    "%(value)s appears twice in manifest.csv (rows %(first)s and %(row)s)."
                ),
                value=key,
                first=entries[key.casefold()][0],
                row=row,
            )
            continue
        entries[key.casefold()] = (row, key, _nfkc(sheet.value(values, "value")))
    for key, expected in (("manifest.version", "1.0"), ("oneroster.version", "1.2")):
        entry = entries.get(key)
        if entry is None:
            sheet.problem(
                None,
                "property",
                "oneroster.manifest.missing",
                gettext_noop("manifest.csv has no %(key)s row (it should be %(expected)s)."),
                key=key,
                expected=expected,
            )
        elif entry[2] != expected:
            sheet.problem(
                entry[0],
                "value",
                "oneroster.manifest.version",
                gettext_noop(
                    "%(key)s is %(value)s, but we read OneRoster 1.2 packages "
                    "(%(key)s %(expected)s): export the package as OneRoster 1.2, Japan Profile."
                ),
                key=key,
                value=entry[2],
                expected=expected,
            )
    present: set[str] = set()
    modes: dict[str, str] = {}
    for name in CSV_FILES:
        key = f"file.{name.removesuffix('.csv')}"
        entry = entries.get(key.casefold())
        if entry is None:
            modes[name] = "absent"
            if name in files:
                sheet.problem(
                    None,
                    "property",
                    "oneroster.manifest.file_line",
                    gettext_noop(
                        "%(name)s is in the zip file, but manifest.csv has no %(key)s row. "
                        "Add the row %(key)s,bulk."
                    ),
                    name=name,
                    key=key,
                )
            continue
        row, _key, mode = entry
        modes[name] = mode = mode.casefold()
        if mode == "bulk":
            if name in files:
                present.add(name)
            else:
                sheet.problem(
                    row,
                    "value",
                    "oneroster.file_missing",
                    gettext_noop(
                        "manifest.csv says %(name)s is in the package (bulk), but the zip "
                        "file does not contain it."
                    ),
                    name=name,
                )
        elif mode == "delta":
            sheet.problem(
                row,
                "value",
                "oneroster.delta",
                gettext_noop(
                    "%(name)s is a delta (差分) file. We import only complete (bulk, 全件) "
                    "packages, which also tell us who left: export all students again."
                ),
                name=name,
            )
        elif mode == "absent":
            if name in files:
                warnings.append(
                    Problem(
                        code="oneroster.file_ignored",
                        message=gettext_noop(
                            "%(name)s is in the zip file, but manifest.csv marks it absent: "
                            "it was not read."
                        ),
                        params={"name": name},
                        file=name,
                    )
                )
        else:
            sheet.problem(
                row,
                "value",
                "oneroster.manifest.mode",
                gettext_noop("%(key)s is %(value)s; it must be bulk, delta or absent."),
                key=key,
                value=mode,
            )
    for name in ("users.csv", "orgs.csv"):
        if modes[name] == "absent":
            key = f"file.{name.removesuffix('.csv')}"
            sheet.problem(
                entries.get(key.casefold(), (None,))[0],
                "value",
                "oneroster.file_required",
                gettext_noop("The package must contain %(name)s (as a bulk file)."),
                name=name,
            )
    if all(modes[n] == "absent" for n in ("roles.csv", "enrollments.csv")):
        sheet.problem(
            None,
            None,
            "oneroster.no_roles",
            gettext_noop(
                "The package has neither roles.csv nor enrollments.csv, so it does not say "
                "who is a student."
            ),
        )
    return present


def _half_width(sheet: _Sheet, row: int, name: str, value: str) -> None:
    char = _HALF_WIDTH_KATAKANA.search(value)
    sheet.problem(
        row,
        name,
        "oneroster.half_width_kana",
        gettext_noop(
            "%(column)s contains half-width katakana (“%(char)s”). The Japan Profile "
            "asks for full-width characters: write it in full-width katakana or hiragana."
        ),
        char=char[0] if char else "",
        value=value,
    )


# --------------------------------------------------------------------------
# Records joined across files


@dataclass(slots=True)
class _Org:
    row: int
    sourced_id: str
    type: str
    name: str
    identifier: str  # normalised 学校コード / 教育委員会コード, or as written if invalid
    parent: str
    valid: bool


@dataclass(slots=True)
class _Class:
    row: int
    sourced_id: str
    title: str
    grades: tuple[str, ...]
    school: str
    class_type: str


@dataclass(slots=True)
class _Enrollment:
    row: int
    class_id: str
    school_id: str
    role: str
    ended_on: date | None  # the day it ended, if before the reference date
    number: int | None


@dataclass(slots=True)
class _Role:
    row: int
    role_type: str
    org_id: str
    ended_on: date | None


class _Checker:
    """Runs the file checks and joins; collects problems and warnings."""

    def __init__(self, reference_date: date) -> None:
        self.today = reference_date
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.encodings: dict[str, str] = {}
        #: Users with a problem in a row of roles, enrollments or demographics.
        self.bad_users: set[str] = set()

    # -- shared cell rules ---------------------------------------------------

    def status(self, sheet: _Sheet, row: int, values: Mapping[str, str]) -> str:
        status = _nfkc(sheet.value(values, "status"))
        if status not in _STATUSES:
            sheet.problem(
                row,
                "status",
                "oneroster.status",
                gettext_noop("%(column)s is %(value)s; it must be empty, active or tobedeleted."),
                value=status,
            )
            return ""
        return status

    def sourced_id(
        self, sheet: _Sheet, row: int, values: Mapping[str, str], seen: dict[str, int], name: str
    ) -> str:
        value = sheet.value(values, name).strip()
        if not value:
            sheet.problem(
                row,
                name,
                "oneroster.required",
                gettext_noop("%(column)s is empty, but it is required."),
            )
            return ""
        if len(value) > MAX_SOURCED_ID_LENGTH or _SPACE_OR_CONTROL.search(value):
            sheet.problem(
                row,
                name,
                "oneroster.sourced_id.invalid",
                gettext_noop(
                    "%(column)s must be an id of at most %(max_length)s characters without "
                    "spaces (usually a UUID)."
                ),
                max_length=MAX_SOURCED_ID_LENGTH,
            )
            return ""
        if value in seen:
            sheet.problem(
                row,
                name,
                "oneroster.sourced_id.duplicate",
                gettext_noop("%(value)s already appears in row %(first_row)s of %(file)s."),
                value=value,
                first_row=seen[value],
            )
            return ""
        seen[value] = row
        return value

    def date_cell(
        self, sheet: _Sheet, row: int, values: Mapping[str, str], name: str
    ) -> date | None:
        raw = _nfkc(sheet.value(values, name))
        if not raw:
            return None
        try:
            if not _ISO_DATE.fullmatch(raw):
                raise ValueError(raw)
            return date.fromisoformat(raw)
        except ValueError:
            sheet.problem(
                row,
                name,
                "oneroster.date",
                gettext_noop(
                    "%(column)s is %(value)s, which is not a date written as YYYY-MM-DD "
                    "(e.g. 2025-04-01)."
                ),
                value=raw,
            )
            return None

    def reference(
        self,
        sheet: _Sheet,
        row: int,
        name: str,
        value: str,
        known: Container[str],
        target: str,
    ) -> bool:
        if value in known:
            return True
        sheet.problem(
            row,
            name,
            "oneroster.reference",
            gettext_noop("%(column)s refers to %(value)s, which is not in %(target)s."),
            value=value,
            target=target,
        )
        return False

    def ended(self, end: date | None, status: str) -> date | None:
        if status == "tobedeleted":
            return end if end is not None and end <= self.today else self.today
        if end is not None and end < self.today:
            return end
        return None

    # -- academicSessions.csv ------------------------------------------------

    def sessions(self, sheet: _Sheet) -> tuple[set[str], list[int]]:
        seen: dict[str, int] = {}
        years: set[int] = set()
        for row, values in sheet.rows:
            self.sourced_id(sheet, row, values, seen, "sourced_id")
            self.status(sheet, row, values)
            kind = _nfkc(sheet.value(values, "type"))
            if kind not in _SESSION_TYPES:
                sheet.problem(
                    row,
                    "type",
                    "oneroster.session.type",
                    gettext_noop(
                        "%(column)s is %(value)s; it must be schoolYear (or term, semester, "
                        "gradingPeriod)."
                    ),
                    value=kind,
                )
            title = _nfkc(sheet.value(values, "title"))
            start = self.date_cell(sheet, row, values, "start")
            end = self.date_cell(sheet, row, values, "end")
            if start and end and start > end:
                sheet.problem(
                    row,
                    "end",
                    "oneroster.session.order",
                    gettext_noop("%(column)s %(end)s is before the start date %(start)s."),
                    end=end.isoformat(),
                    start=start.isoformat(),
                )
            if kind != "schoolYear":
                continue
            match = _FISCAL_YEAR_TITLE.fullmatch(title)
            if not match:
                sheet.problem(
                    row,
                    "title",
                    "oneroster.session.title",
                    gettext_noop(
                        "%(column)s is “%(value)s”, but a school year's title is the western "
                        "year followed by 年度, e.g. 2025年度 (not 令和7年度)."
                    ),
                    value=title,
                )
                continue
            year = int(match[1])
            years.add(year)
            school_year = _nfkc(sheet.value(values, "school_year"))
            if school_year and (not _YEAR.fullmatch(school_year) or int(school_year) != year):
                sheet.problem(
                    row,
                    "school_year",
                    "oneroster.session.school_year",
                    gettext_noop(
                        "%(column)s is %(value)s, but the title says %(title)s: "
                        "they must name the same year."
                    ),
                    value=school_year,
                    title=title,
                )
        return set(seen), sorted(years)

    # -- orgs.csv ------------------------------------------------------------

    def orgs(self, sheet: _Sheet) -> dict[str, _Org]:
        seen: dict[str, int] = {}
        orgs: dict[str, _Org] = {}
        for row, values in sheet.rows:
            sourced_id = self.sourced_id(sheet, row, values, seen, "sourced_id")
            self.status(sheet, row, values)
            kind = _nfkc(sheet.value(values, "type"))
            name = sheet.value(values, "name").strip(" \u3000")
            raw_identifier = sheet.value(values, "identifier")
            valid = True
            if kind not in _ORG_TYPES:
                sheet.problem(
                    row,
                    "type",
                    "oneroster.org.type",
                    gettext_noop("%(column)s is %(value)s; it must be school or district."),
                    value=kind,
                )
                valid = False
            if not name:
                sheet.problem(
                    row,
                    "name",
                    "oneroster.required",
                    gettext_noop("%(column)s is empty, but it is required."),
                )
            identifier = _nfkc(raw_identifier)
            if kind == "school":
                try:
                    identifier = validate_school_code(raw_identifier).code
                except CodeError as exc:
                    valid = False
                    self._code_problem(sheet, row, exc.problem)
            elif kind == "district" and identifier:
                try:
                    identifier = normalize_board_code(raw_identifier)
                except CodeError as exc:
                    valid = False
                    self._code_problem(sheet, row, exc.problem)
            if sourced_id:
                orgs[sourced_id] = _Org(
                    row=row,
                    sourced_id=sourced_id,
                    type=kind,
                    name=name,
                    identifier=identifier,
                    parent=sheet.value(values, "parent").strip(),
                    valid=valid,
                )
        for org in orgs.values():
            if org.parent:
                self.reference(sheet, org.row, "parent", org.parent, orgs, "orgs.csv")
        return orgs

    def _code_problem(self, sheet: _Sheet, row: int, problem: Problem) -> None:
        column = sheet.columns.get("identifier", "")
        self.problems.append(
            Problem(
                code=problem.code,
                message=problem.message,
                params={"file": sheet.name, "column": column, **problem.params},
                row=row,
                column=column or None,
                field="identifier",
                file=sheet.name,
            )
        )

    # -- classes.csv ---------------------------------------------------------

    def classes(
        self, sheet: _Sheet, orgs: Mapping[str, _Org], sessions: set[str] | None
    ) -> dict[str, _Class]:
        seen: dict[str, int] = {}
        classes: dict[str, _Class] = {}
        for row, values in sheet.rows:
            sourced_id = self.sourced_id(sheet, row, values, seen, "sourced_id")
            self.status(sheet, row, values)
            title = sheet.value(values, "title").strip(" \u3000")
            if not title:
                sheet.problem(
                    row,
                    "title",
                    "oneroster.required",
                    gettext_noop("%(column)s is empty, but it is required."),
                )
            elif _HALF_WIDTH_KATAKANA.search(title):
                _half_width(sheet, row, "title", title)
            elif len(title) > MAX_CLASS_TITLE_LENGTH:
                sheet.problem(
                    row,
                    "title",
                    "oneroster.too_long",
                    gettext_noop("%(column)s is longer than %(max_length)s characters."),
                    max_length=MAX_CLASS_TITLE_LENGTH,
                )
            grades = self.grade_codes(sheet, row, values)
            class_type = _nfkc(sheet.value(values, "class_type"))
            if class_type not in ("", "homeroom", "scheduled"):
                sheet.problem(
                    row,
                    "class_type",
                    "oneroster.class.type",
                    gettext_noop("%(column)s is %(value)s; it must be homeroom or scheduled."),
                    value=class_type,
                )
            school = sheet.value(values, "school").strip()
            if school and self.reference(sheet, row, "school", school, orgs, "orgs.csv"):
                if orgs[school].type != "school":
                    sheet.problem(
                        row,
                        "school",
                        "oneroster.not_a_school",
                        gettext_noop(
                            "%(column)s refers to %(value)s, which orgs.csv lists as a "
                            "%(type)s, not a school."
                        ),
                        value=school,
                        type=orgs[school].type,
                    )
            elif not school:
                sheet.problem(
                    row,
                    "school",
                    "oneroster.required",
                    gettext_noop("%(column)s is empty, but it is required."),
                )
            if sessions is not None:
                for term in sheet.value(values, "terms").split(","):
                    term = term.strip()
                    if term:
                        self.reference(
                            sheet,
                            row,
                            "terms",
                            term,
                            sessions,
                            "academicSessions.csv",
                        )
            if sourced_id:
                classes[sourced_id] = _Class(row, sourced_id, title, grades, school, class_type)
        return classes

    def grade_codes(self, sheet: _Sheet, row: int, values: Mapping[str, str]) -> tuple[str, ...]:
        raw = sheet.value(values, "grades")
        codes = tuple(
            dict.fromkeys(c for c in (_nfkc(part).upper() for part in raw.split(",")) if c)
        )
        bad = [c for c in codes if c not in GRADE_CODES]
        if bad:
            sheet.problem(
                row,
                "grades",
                "oneroster.grade.code",
                gettext_noop(
                    "%(column)s holds %(value)s, which is not a grade code of the Japan "
                    "Profile (P1-P6, J1-J3, H1-H3)."
                ),
                value=", ".join(bad),
            )
            return ()
        return codes

    # -- roles.csv -----------------------------------------------------------

    def roles(
        self, sheet: _Sheet, users: Mapping[str, Any], orgs: Mapping[str, _Org]
    ) -> dict[str, list[_Role]]:
        """Student roles by user sourcedId (other roles are only checked)."""
        seen: dict[str, int] = {}
        students: dict[str, list[_Role]] = {}
        for row, values in sheet.rows:
            before = len(self.problems)
            if "sourced_id" in sheet.columns:
                self.sourced_id(sheet, row, values, seen, "sourced_id")
            status = self.status(sheet, row, values)
            user = sheet.value(values, "user").strip()
            role = _nfkc(sheet.value(values, "role"))
            role_type = _nfkc(sheet.value(values, "role_type"))
            org = sheet.value(values, "org").strip()
            if role not in _ROLES:
                sheet.problem(
                    row,
                    "role",
                    "oneroster.role",
                    gettext_noop(
                        "%(column)s is %(value)s; it must be a OneRoster role such as "
                        "student, teacher or guardian."
                    ),
                    value=role,
                )
            if role_type not in _ROLE_TYPES:
                sheet.problem(
                    row,
                    "role_type",
                    "oneroster.role_type",
                    gettext_noop("%(column)s is %(value)s; it must be primary or secondary."),
                    value=role_type,
                )
            end = self.date_cell(sheet, row, values, "end")
            known_user = self._required_reference(sheet, row, "user", user, users, "users.csv")
            known_org = self._required_reference(sheet, row, "org", org, orgs, "orgs.csv")
            if len(self.problems) > before:
                self.bad_users.add(user)
            if role == "student" and known_user and known_org:
                students.setdefault(user, []).append(
                    _Role(row, role_type, org, self.ended(end, status))
                )
        return students

    def _required_reference(
        self, sheet: _Sheet, row: int, name: str, value: str, known: Container[str], target: str
    ) -> bool:
        if not value:
            sheet.problem(
                row,
                name,
                "oneroster.required",
                gettext_noop("%(column)s is empty, but it is required."),
            )
            return False
        return self.reference(sheet, row, name, value, known, target)

    # -- enrollments.csv -----------------------------------------------------

    def enrollments(
        self,
        sheet: _Sheet,
        users: Mapping[str, Any],
        orgs: Mapping[str, _Org],
        classes: Mapping[str, _Class] | None,
    ) -> dict[str, list[_Enrollment]]:
        """Student enrollments by user sourcedId (others are only checked)."""
        seen: dict[str, int] = {}
        students: dict[str, list[_Enrollment]] = {}
        for row, values in sheet.rows:
            before = len(self.problems)
            if "sourced_id" in sheet.columns:
                self.sourced_id(sheet, row, values, seen, "sourced_id")
            status = self.status(sheet, row, values)
            user = sheet.value(values, "user").strip()
            class_id = sheet.value(values, "class").strip()
            school = sheet.value(values, "school").strip()
            role = _nfkc(sheet.value(values, "role"))
            if role not in _ENROLLMENT_ROLES:
                sheet.problem(
                    row,
                    "role",
                    "oneroster.enrollment.role",
                    gettext_noop(
                        "%(column)s is %(value)s; it must be student, teacher, administrator, "
                        "proctor or guardian."
                    ),
                    value=role,
                )
            known_user = self._required_reference(sheet, row, "user", user, users, "users.csv")
            if classes is not None:
                known_class = self._required_reference(
                    sheet, row, "class", class_id, classes, "classes.csv"
                )
            else:
                known_class = bool(class_id)
            if school:
                self.reference(sheet, row, "school", school, orgs, "orgs.csv")
            self.date_cell(sheet, row, values, "begin")
            end = self.date_cell(sheet, row, values, "end")
            number = self.attendance_number(sheet, row, values) if role == "student" else None
            if len(self.problems) > before:
                self.bad_users.add(user)
            if role == "student" and known_user and known_class:
                if not school and classes is not None:
                    school = classes[class_id].school
                students.setdefault(user, []).append(
                    _Enrollment(row, class_id, school, role, self.ended(end, status), number)
                )
        return students

    def attendance_number(self, sheet: _Sheet, row: int, values: Mapping[str, str]) -> int | None:
        raw = _nfkc(sheet.value(values, "number"))
        if not raw:
            return None
        if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_ATTENDANCE_NUMBER:
            sheet.problem(
                row,
                "number",
                "oneroster.attendance_number",
                gettext_noop(
                    "%(column)s (出席番号) is %(value)s; it must be a whole number from 1 to "
                    "%(max)s."
                ),
                value=raw,
                max=MAX_ATTENDANCE_NUMBER,
            )
            return None
        return int(raw)

    # -- demographics.csv ----------------------------------------------------

    def demographics(
        self, sheet: _Sheet, users: Mapping[str, Any], students: set[str]
    ) -> dict[str, tuple[int, str, date | None]]:
        seen: dict[str, int] = {}
        found: dict[str, tuple[int, str, date | None]] = {}
        for row, values in sheet.rows:
            before = len(self.problems)
            sourced_id = self._demographic(sheet, row, values, seen, users, students, found)
            if sourced_id and len(self.problems) > before:
                self.bad_users.add(sourced_id)
        return found

    def _demographic(
        self,
        sheet: _Sheet,
        row: int,
        values: Mapping[str, str],
        seen: dict[str, int],
        users: Container[str],
        students: Container[str],
        found: dict[str, tuple[int, str, date | None]],
    ) -> str:
        """Check one row; record the user's (row, sex, birth date); their sourcedId."""
        sourced_id = self.sourced_id(sheet, row, values, seen, "sourced_id")
        self.status(sheet, row, values)
        if not sourced_id or not self.reference(
            sheet, row, "sourced_id", sourced_id, users, "users.csv"
        ):
            return ""
        raw_sex = _nfkc(sheet.value(values, "sex"))
        sex = _SEXES.get(raw_sex) if raw_sex else ""
        if sex is None:
            sheet.problem(
                row,
                "sex",
                "oneroster.sex",
                gettext_noop(
                    "%(column)s is %(value)s; it must be male, female, other, unspecified or empty."
                ),
                value=raw_sex,
            )
            sex = ""
        born = self.date_cell(sheet, row, values, "birth_date")
        if born is not None and sourced_id in students:
            born = self.plausible_birth(sheet, row, born)
        found[sourced_id] = (row, sex, born)
        return sourced_id

    def plausible_birth(self, sheet: _Sheet, row: int, born: date) -> date | None:
        if born > self.today:
            sheet.problem(
                row,
                "birth_date",
                "oneroster.birth_date.future",
                gettext_noop("Birth date %(value)s is in the future."),
                value=born.isoformat(),
            )
            return None
        age = self.today.year - born.year
        if (self.today.month, self.today.day) < (born.month, born.day):
            age -= 1
        if not MIN_AGE <= age <= MAX_AGE:
            sheet.problem(
                row,
                "birth_date",
                "oneroster.birth_date.implausible_age",
                gettext_noop(
                    "Birth date %(value)s gives an age of %(age)s on %(reference_date)s, but "
                    "students are %(min_age)s to %(max_age)s years old. Please check the year."
                ),
                value=born.isoformat(),
                age=age,
                reference_date=self.today.isoformat(),
                min_age=MIN_AGE,
                max_age=MAX_AGE,
            )
            return None
        return born


# --------------------------------------------------------------------------
# Students


class _StudentRow:
    """Checks one student's users.csv row; problems go to the sheet."""

    def __init__(self, sheet: _Sheet, row: int, values: Mapping[str, str]) -> None:
        self.sheet = sheet
        self.row = row
        self.values = values
        self.failed = False

    def problem(self, name: str, code: str, message: str, /, **params: Any) -> None:
        self.failed = True
        self.sheet.problem(self.row, name, code, message, **params)

    def email(self) -> str:
        """The school e-mail (signing in with Google / Microsoft matches it)."""
        value = self.sheet.value(self.values, "email").strip(" \u3000").lower()
        if not value:
            return ""
        if len(value) > 254 or not _EMAIL.match(value):
            self.problem(
                "email",
                "oneroster.email.invalid",
                gettext_noop("%(value)s in %(column)s is not an e-mail address."),
                value=value,
            )
            return ""
        return value

    def name(self, name: str) -> str:
        value = self.sheet.value(self.values, name).strip(" \u3000")
        if not value:
            self.problem(
                name, "oneroster.required", gettext_noop("%(column)s is empty, but it is required.")
            )
            return ""
        bad = _FORBIDDEN_IN_TEXT.search(value)
        if bad:
            self.problem(
                name,
                "oneroster.control_character",
                gettext_noop(
                    "%(column)s contains a control character (%(codepoint)s), for example "
                    "a line break inside the cell. Remove it."
                ),
                codepoint=f"U+{ord(bad[0]):04X}",
            )
            return ""
        if _HALF_WIDTH_KATAKANA.search(value):
            self.failed = True
            _half_width(self.sheet, self.row, name, value)
            return ""
        if len(value) > MAX_NAME_LENGTH:
            self.problem(
                name,
                "oneroster.too_long",
                gettext_noop("%(column)s is longer than %(max_length)s characters."),
                max_length=MAX_NAME_LENGTH,
            )
            return ""
        return value

    def kana(self, name: str) -> str:
        raw = self.sheet.value(self.values, name)
        if not raw.strip(" \u3000"):
            self.problem(
                name,
                "oneroster.kana.required",
                gettext_noop(
                    "%(column)s is empty. Write the reading of the name in full-width katakana "
                    "or hiragana; for a name that is not Japanese, a katakana transcription."
                ),
            )
            return ""
        if _HALF_WIDTH_KATAKANA.search(raw):
            self.failed = True
            _half_width(self.sheet, self.row, name, raw)
            return ""
        reading, bad = normalize_kana(raw)
        if bad:
            self.problem(
                name,
                "oneroster.kana.invalid_character",
                gettext_noop(
                    "%(column)s may contain only hiragana or katakana (with ー, ・ and spaces "
                    "between words), but it contains “%(char)s” (%(codepoint)s). For a name "
                    "that is not Japanese, write its reading in katakana."
                ),
                char=bad[0],
                codepoint=f"U+{ord(bad[0]):04X}",
                value=raw,
            )
            return ""
        if len(reading) > MAX_NAME_LENGTH:
            self.problem(
                name,
                "oneroster.too_long",
                gettext_noop("%(column)s is longer than %(max_length)s characters."),
                max_length=MAX_NAME_LENGTH,
            )
            return ""
        return reading

    def student_number(self, sourced_id: str) -> str:
        identifier = _nfkc(self.sheet.value(self.values, "identifier"))
        if identifier:
            if _SPACE_OR_CONTROL.search(identifier) or len(identifier) > MAX_STUDENT_NUMBER_LENGTH:
                self.problem(
                    "identifier",
                    "oneroster.identifier.invalid",
                    gettext_noop(
                        "%(column)s (the student number) is %(value)s; it must have at most "
                        "%(max_length)s characters and no spaces."
                    ),
                    value=identifier,
                    max_length=MAX_STUDENT_NUMBER_LENGTH,
                )
                return ""
            return identifier
        if len(sourced_id) <= MAX_STUDENT_NUMBER_LENGTH:
            return sourced_id
        try:
            return uuid.UUID(sourced_id).hex
        except ValueError:
            self.problem(
                "identifier",
                "oneroster.identifier.required",
                gettext_noop(
                    "%(column)s is empty and the sourcedId is too long to serve as the "
                    "student number: fill in %(column)s (学籍番号)."
                ),
            )
            return ""


def _left_on(
    status: str, modified: str, roles: list[_Role], enrollments: list[_Enrollment], today: date
) -> date | None:
    """When the student left their school, or None while enrolled."""
    if status == "tobedeleted":
        try:
            return datetime.fromisoformat(_nfkc(modified)).date() if modified.strip() else today
        except ValueError:
            return today
    if roles and all(r.ended_on is not None for r in roles):
        return max(r.ended_on for r in roles if r.ended_on is not None)
    if enrollments and all(e.ended_on is not None for e in enrollments):
        return max(e.ended_on for e in enrollments if e.ended_on is not None)
    return None


def _school_of(
    user_id: str,
    roles: Mapping[str, list[_Role]] | None,
    enrollments: Mapping[str, list[_Enrollment]],
    primary_org: str,
    orgs: Mapping[str, _Org],
) -> tuple[set[str], list[_Role]]:
    """The school org(s) the student belongs to, and their student roles there.

    roles.csv decides (a current primary role first), then enrollments.csv
    (current enrollments first), then ``primaryOrgSourcedId``. A student who
    moved between two schools of a board has an ended role at the old one and
    belongs to the new one."""
    own_roles = [r for r in (roles or {}).get(user_id, []) if orgs[r.org_id].type == "school"]
    if own_roles:
        candidates = [r for r in own_roles if r.ended_on is None] or own_roles
        primary = [r for r in candidates if r.role_type == "primary"] or candidates
        schools = {r.org_id for r in primary}
        return schools, [r for r in own_roles if r.org_id in schools]
    own = [
        e
        for e in enrollments.get(user_id, [])
        if e.school_id in orgs and orgs[e.school_id].type == "school"
    ]
    if own:
        current = [e for e in own if e.ended_on is None] or own
        return {e.school_id for e in current}, []
    if primary_org in orgs and orgs[primary_org].type == "school":
        return {primary_org}, []
    return set(), []


def _scope(
    checker: _Checker,
    orgs_sheet: _Sheet | None,
    orgs: Mapping[str, _Org],
    school_code: str | None,
    board_code: str | None,
) -> tuple[set[str], tuple[str, str] | None]:
    """The school orgs the import covers, and the board's (code, name)."""

    def problem(code: str, message: str, /, **params: Any) -> None:
        if orgs_sheet is not None:
            orgs_sheet.problem(None, "identifier", code, message, **params)

    schools = [o for o in orgs.values() if o.type == "school" and o.valid]
    if school_code is not None:
        target = school_code
        found = [o for o in schools if o.identifier == target]
        if not found:
            problem(
                "oneroster.school_not_in_file",
                gettext_noop(
                    "orgs.csv has no school with the school code (学校コード) %(code)s. Check "
                    "that the package is this school's export."
                ),
                code=target,
            )
        elif len(found) > 1:
            problem(
                "oneroster.school_twice",
                gettext_noop(
                    "orgs.csv lists the school code %(code)s more than once (rows %(rows)s)."
                ),
                code=target,
                rows=", ".join(str(o.row) for o in found),
            )
        return {o.sourced_id for o in found[:1]}, None
    assert board_code is not None
    target = board_code
    districts = [o for o in orgs.values() if o.type == "district" and o.identifier == target]
    if not districts:
        problem(
            "oneroster.board_not_in_file",
            gettext_noop(
                "orgs.csv has no district with the board of education code (教育委員会コード) "
                "%(code)s. Check that the package is this board's export."
            ),
            code=target,
        )
        return set(), None
    district = districts[0]
    in_scope = {o.sourced_id for o in schools if o.parent == district.sourced_id}
    if not in_scope:
        problem(
            "oneroster.board_without_schools",
            gettext_noop(
                "orgs.csv lists no school whose parentSourcedId is the board %(code)s (%(name)s)."
            ),
            code=target,
            name=district.name,
        )
    return in_scope, (target, district.name)


def parse_oneroster(
    source: bytes | str | os.PathLike[str],
    *,
    reference_date: date,
    school_code: str | None = None,
    board_code: str | None = None,
) -> OneRosterResult:
    """Read and validate a OneRoster Japan Profile package; never raises for bad input.

    Give exactly one of ``school_code`` (学校コード: the package's students of
    that school) or ``board_code`` (教育委員会コード: the students of every school
    under that district). ``reference_date`` (normally today in Japan) decides
    which enrollments have ended and bounds birth dates.
    """
    if (school_code is None) == (board_code is None):
        raise ValueError("give exactly one of school_code and board_code")
    try:
        if school_code is not None:
            school_code = validate_school_code(school_code).code
        else:
            board_code = normalize_board_code(board_code or "")
    except CodeError as exc:
        return OneRosterResult(students=[], problems=[exc.problem])
    checker = _Checker(reference_date)
    problems = checker.problems
    try:
        files = read_package(source)
    except PackageError as exc:
        return OneRosterResult(students=[], problems=exc.problems)
    present = _read_manifest(files, problems, checker.warnings, checker.encodings)
    sheets: dict[str, _Sheet | None] = {
        name: _read_sheet(files, name, problems, checker.encodings)
        for name in CSV_FILES
        if name in present
    }
    result = _join(checker, sheets, school_code=school_code, board_code=board_code)
    result.problems = _sorted(problems, sheets)
    result.warnings = checker.warnings
    result.encodings = checker.encodings
    return result


def _usable(sheets: Mapping[str, _Sheet | None], name: str) -> _Sheet | None:
    sheet = sheets.get(name)
    if sheet is None or any(key not in sheet.columns for key in _KEYS[name]):
        return None
    return sheet


def _join(
    checker: _Checker,
    sheets: Mapping[str, _Sheet | None],
    *,
    school_code: str | None,
    board_code: str | None,
) -> OneRosterResult:
    empty = OneRosterResult(students=[], problems=[])
    users_sheet = _usable(sheets, "users.csv")
    orgs_sheet = _usable(sheets, "orgs.csv")
    if users_sheet is None or orgs_sheet is None:
        return empty
    sessions_sheet = _usable(sheets, "academicSessions.csv")
    sessions, years = checker.sessions(sessions_sheet) if sessions_sheet else (None, [])
    orgs = checker.orgs(orgs_sheet)
    in_scope, board = _scope(checker, orgs_sheet, orgs, school_code, board_code)
    classes_sheet = _usable(sheets, "classes.csv")
    # A classes.csv that could not be read has its own problems; references to
    # it are then not checked (each would repeat them).
    classes = checker.classes(classes_sheet, orgs, sessions) if classes_sheet else None

    # Every user's sourcedId first: roles and enrollments refer to them.
    seen: dict[str, int] = {}
    users: dict[str, tuple[int, dict[str, str]]] = {}
    for row, values in users_sheet.rows:
        sourced_id = checker.sourced_id(users_sheet, row, values, seen, "sourced_id")
        if sourced_id:
            users[sourced_id] = (row, values)

    roles_sheet = _usable(sheets, "roles.csv")
    roles = checker.roles(roles_sheet, users, orgs) if roles_sheet else None
    enrollments_sheet = _usable(sheets, "enrollments.csv")
    enrollments = (
        checker.enrollments(enrollments_sheet, users, orgs, classes) if enrollments_sheet else {}
    )
    student_ids = set(roles) if roles is not None else set(enrollments)
    demographics_sheet = _usable(sheets, "demographics.csv")
    demographics = (
        checker.demographics(demographics_sheet, users, student_ids) if demographics_sheet else {}
    )

    students: list[OneRosterStudent] = []
    counts: dict[str, int] = {}
    skipped: dict[str, int] = {}
    numbers: dict[tuple[str, str], int] = {}  # (school, student number) -> users row
    seats: dict[tuple[str, int], int] = {}  # (class, 出席番号) -> enrollments row
    emails: dict[str, int] = {}  # school e-mail -> users row
    for user_id, (row, values) in users.items():
        if user_id not in student_ids:
            continue
        check = _StudentRow(users_sheet, row, values)
        check.failed = user_id in checker.bad_users
        schools, own_roles = _school_of(
            user_id, roles, enrollments, users_sheet.value(values, "primary_org").strip(), orgs
        )
        if not schools:
            check.problem(
                "sourced_id",
                "oneroster.student_without_school",
                gettext_noop(
                    "We cannot tell which school the student %(value)s attends: roles.csv and "
                    "enrollments.csv give no school for them."
                ),
                value=user_id,
            )
            continue
        if len(schools) > 1:
            check.problem(
                "sourced_id",
                "oneroster.student_two_schools",
                gettext_noop(
                    "The student %(value)s is a student of several schools (%(schools)s); "
                    "give one primary role."
                ),
                value=user_id,
                schools=", ".join(sorted(orgs[s].name or s for s in schools)),
            )
            continue
        school = next(iter(schools))
        org = orgs[school]
        if school not in in_scope:
            skipped[school] = skipped.get(school, 0) + 1
            continue
        kind = org.identifier[:2]
        if kind not in SERVED_SCHOOL_KINDS:
            skipped[school] = skipped.get(school, 0) + 1
            continue
        counts[school] = counts.get(school, 0) + 1
        own_enrollments = [e for e in enrollments.get(user_id, []) if e.school_id == school]
        status = checker.status(users_sheet, row, values)
        family = check.name("family_name")
        given = check.name("given_name")
        family_kana = check.kana("family_kana")
        given_kana = check.kana("given_kana")
        number = check.student_number(user_id)
        email = check.email()
        if email and email in emails:
            check.problem(
                "email",
                "oneroster.email.duplicate",
                gettext_noop(
                    "The e-mail address %(value)s is given to two students (rows %(first_row)s "
                    "and %(row)s of %(file)s)."
                ),
                value=email,
                first_row=emails[email],
                row=row,
            )
        elif email:
            emails[email] = row

        home_class_id = users_sheet.value(values, "home_class").strip()
        home: _Class | None = None
        if home_class_id and classes is not None:
            if home_class_id not in classes:
                check.problem(
                    "home_class",
                    "oneroster.reference",
                    gettext_noop("%(column)s refers to %(value)s, which is not in %(target)s."),
                    value=home_class_id,
                    target="classes.csv",
                )
            else:
                home = classes[home_class_id]
                if home.school != school:
                    check.problem(
                        "home_class",
                        "oneroster.home_class.school",
                        gettext_noop("%(column)s refers to the class %(value)s of another school."),
                        value=home.title or home_class_id,
                    )
                    home = None
        in_home = [e for e in own_enrollments if home is not None and e.class_id == home.sourced_id]
        if home is None and not home_class_id and classes:
            # No homeClass given: the homeroom the student is enrolled in.
            homerooms = [
                e
                for e in own_enrollments
                if e.class_id in classes and classes[e.class_id].class_type == "homeroom"
            ]
            current = [e for e in homerooms if e.ended_on is None] or homerooms
            if current:
                home, in_home = classes[current[0].class_id], current[:1]
        grade = _grade(check, users_sheet, row, values, home, kind, org, checker)

        attendance: int | None = None
        numbered = [e for e in in_home or own_enrollments if e.number is not None]
        numbered = [e for e in numbered if e.ended_on is None] or numbered
        if numbered:
            enrollment = numbered[0]
            attendance = enrollment.number
            seat = (enrollment.class_id, enrollment.number or 0)
            if enrollment.ended_on is None and enrollments_sheet is not None:
                if seat in seats:
                    check.failed = True
                    enrollments_sheet.problem(
                        enrollment.row,
                        "number",
                        "oneroster.attendance_number.duplicate",
                        gettext_noop(
                            "出席番号 %(value)s is given twice in the same class (rows "
                            "%(first_row)s and %(row)s of %(file)s)."
                        ),
                        value=attendance,
                        first_row=seats[seat],
                        row=enrollment.row,
                    )
                else:
                    seats[seat] = enrollment.row

        if number:
            key = (school, number)
            if key in numbers:
                check.problem(
                    "identifier",
                    "oneroster.identifier.duplicate",
                    gettext_noop(
                        "The student number %(value)s already belongs to the student in row "
                        "%(first_row)s; each student of a school needs a different one."
                    ),
                    value=number,
                    first_row=numbers[key],
                )
            else:
                numbers[key] = row
        sex, born, has_demographics = "", None, False
        if user_id in demographics:
            _drow, sex, born = demographics[user_id]
            has_demographics = True
        left_on = _left_on(
            status,
            users_sheet.value(values, "modified"),
            own_roles,
            own_enrollments,
            checker.today,
        )
        if check.failed or grade is None:
            continue
        students.append(
            OneRosterStudent(
                sourced_id=user_id,
                school_code=org.identifier,
                row=RosterRow(
                    row_number=row,
                    student_number=number,
                    family_name=family,
                    given_name=given,
                    family_name_kana=family_kana,
                    given_name_kana=given_kana,
                    romanized_name="",
                    grade=grade,
                    gender=sex,
                    birth_date=born,
                    home_municipality_code=None,
                    home_country="JP",
                    preferred_language="ja",
                    guardian_email="",
                ),
                home_class=home.title if home is not None else "",
                attendance_number=attendance,
                left_on=left_on,
                has_demographics=has_demographics,
                email=email,
            )
        )

    for school, n in sorted(skipped.items(), key=lambda item: orgs[item[0]].row):
        org = orgs[school]
        if school in in_scope:
            message = gettext_noop(
                "%(count)s students of %(name)s (%(code)s) were skipped: ekkyo serves middle "
                "and high schools, not this kind of school."
            )
        else:
            message = gettext_noop(
                "%(count)s students of %(name)s (%(code)s) were skipped: the school is not "
                "part of this import."
            )
        checker.warnings.append(
            Problem(
                code="oneroster.school_skipped",
                message=message,
                params={"count": n, "name": org.name, "code": org.identifier},
                row=org.row,
                column=orgs_sheet.columns.get("identifier"),
                file="orgs.csv",
            )
        )
    served = sorted(
        (o for o in orgs.values() if o.sourced_id in in_scope),
        key=lambda o: o.row,
    )
    return OneRosterResult(
        students=students,
        problems=[],
        schools=[
            SchoolInScope(o.identifier, o.name, o.sourced_id, o.row, counts.get(o.sourced_id, 0))
            for o in served
            if o.identifier[:2] in SERVED_SCHOOL_KINDS
        ],
        board=board,
        school_years=years,
        ignored_users=len(users) - len(student_ids & set(users)),
    )


def _grade(
    check: _StudentRow,
    sheet: _Sheet,
    row: int,
    values: Mapping[str, str],
    home: _Class | None,
    kind: str,
    org: _Org,
    checker: _Checker,
) -> int | None:
    """The student's grade from users.grades, else from the homeroom class."""
    before = len(checker.problems)
    codes = checker.grade_codes(sheet, row, values)
    if len(checker.problems) > before:
        check.failed = True
        return None
    source = "grades"
    if not codes and home is not None:
        codes, source = home.grades, "home_class"
    if not codes:
        check.problem(
            "grades",
            "oneroster.grade.required",
            gettext_noop(
                "%(column)s is empty and the student's homeroom class gives no grade either: "
                "write the grade code (e.g. J1)."
            ),
        )
        return None
    if len(codes) > 1:
        check.problem(
            source,
            "oneroster.grade.several",
            gettext_noop("%(column)s gives several grades (%(value)s); a student has one."),
            value=", ".join(codes),
        )
        return None
    mapping = GRADES_BY_KIND[kind]
    if codes[0] not in mapping:
        check.problem(
            source,
            "oneroster.grade.for_school",
            gettext_noop(
                "Grade %(value)s does not exist at %(school)s (%(kind)s); use %(accepted)s."
            ),
            value=codes[0],
            school=org.name,
            kind=kind,
            accepted=", ".join(mapping),
        )
        return None
    return mapping[codes[0]]


def _sorted(problems: list[Problem], sheets: Mapping[str, _Sheet | None]) -> list[Problem]:
    def key(item: tuple[int, Problem]) -> tuple[int, int, int, int]:
        index, p = item
        sheet = sheets.get(p.file or "")
        column = sheet.order.get(p.column or "", -1) if sheet is not None else -1
        return (_FILE_ORDER.get(p.file or "", -1), p.row or 0, column, index)

    return [p for _, p in sorted(enumerate(problems), key=key)]
