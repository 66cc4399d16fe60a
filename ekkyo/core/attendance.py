"""Reading a meeting tool's attendance report and matching it to students.

KPI ③ counts students who attended at least one Session of an online
programme in the FY. Sessions run on Zoom, Microsoft Teams or Google Meet;
after a Session the teacher downloads the tool's attendance report and
uploads it here. This module

1. reads the report (:func:`parse_attendance_report`): finds the table of
   participants — also inside a report that has other sections before or
   after it —, tells which tool wrote it (:func:`detect_source`), and sums
   each person's minutes over their rejoins; and
2. matches the participants to a school's roster
   (:func:`match_participants`): exact email first, then exact name after
   normalisation, and never a guess: a name that fits two students is
   reported as ambiguous, not assigned.

Every problem is a :class:`~ekkyo.core.messages.Problem` with a translatable
English msgid; bad input never raises.

Functional core: no Django import (stdlib only, plus openpyxl via
:mod:`ekkyo.core.tabular`).

The column layouts were taken from public material (stored copies, read in
2025; none of it is copied here):

* Zoom participant report (web portal, Reports → Usage → Participants). With
  "show unique users": ``Name (Original Name), User Email, Total Duration
  (Minutes), Guest`` below a two-row meeting header ``Meeting ID, Topic,
  Start Time, End Time, User Email, Duration (Minutes), Participants`` and a
  blank line (sample file ``inst/extdata/meeting001_participants.csv`` of
  the R package andrewpknight/zoomGroupStats). Without it, one row per join:
  ``Name (Original Name), User Email, Join Time, Leave Time, Duration
  (Minutes), Guest`` — newer exports write ``Name (original name), Email,
  Join time, Leave time, Duration (minutes), Guest, In waiting room`` (test
  fixtures in several public repositories). The Japanese UI writes ``名前
  (元の名前)`` (seen in public Japanese scripts reading such files);
  ``ユーザーメール``, ``参加時間``, ``退出時間``, ``期間 (分)``, ``ゲスト``
  are from our brief and not confirmed by a file we could read.
* Microsoft Teams attendance report: UTF-16 LE with BOM, TAB-separated, in
  sections ``1. Summary`` / ``2. Participants`` / ``3. In-Meeting
  Activities``; participants are ``Name, First Join, Last Leave, In-Meeting
  Duration, Email, Participant ID (UPN), Role`` with durations such as
  ``1h 2m 10s`` and roles Organizer/Presenter/Attendee (sample report in
  dvaneynde/teams-attendance ``data/``; capitalisation varies between
  versions). The Japanese UI: sections 「1. 要約」「2. 参加者」「3.
  会議中のアクティビティ」, columns 名前、初めての参加、最終退出、会議の長さ、
  メール、参加者 ID (UPN)、役割 and durations ``X 時間 Y 分 Z 秒`` (a public
  project's design notes). The 2021 layout ``Full Name, Join Time, Leave
  Time, Duration, Email, Role, Participant ID (UPN)`` is also read; the 2020
  one (``Full Name, User Action, Timestamp``) has no durations and is
  refused with an explanation.
* Google Meet attendance report (Workspace attendance tracking, CSV from the
  Sheet): ``First name, Last name, Email, Duration, Time joined, Time
  exited`` since 2021, ``Name, Email, Duration, Time joined, Time exited``
  before, durations such as ``1 hr 5 min`` or ``30 sec`` (Nick Young's
  public Apps Script "Google Meet Attendance Tracker"). We found no Japanese
  Meet export; the Japanese aliases for Meet below are unconfirmed.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple

from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.roster import normalize_header
from ekkyo.core.tabular import DEFAULT_MAX_BYTES, Table, TableError, decode_text, read_table

__all__ = [
    "AttendanceReport",
    "MatchResult",
    "Matched",
    "Participant",
    "RosterEntry",
    "Source",
    "Unmatched",
    "detect_source",
    "match_participants",
    "normalize_name",
    "parse_attendance_report",
    "parse_duration_seconds",
]

Source = Literal["zoom", "teams", "meet"]
ReportSource = Literal["zoom", "teams", "meet", "generic"]
MatchHow = Literal["email", "name"]
UnmatchedReason = Literal["no_match", "ambiguous", "organizer"]

_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_ZIP_MAGIC: Final = b"PK\x03\x04"
_DELIMITERS: Final = ("\t", ",", ";")

# --------------------------------------------------------------------------
# Column layouts

# field -> headings, as written by the tool; matched with roster's
# normalize_header (width, case, spaces, brackets, "-" and kana ignored).
_Layout = dict[str, tuple[str, ...]]

_LAYOUTS: Final[dict[ReportSource, _Layout]] = {
    "teams": {
        "name": ("Name", "Full Name", "名前"),
        "email": ("Email", "メール", "メールアドレス"),
        "upn": ("Participant ID (UPN)", "参加者 ID (UPN)"),
        "duration": ("In-Meeting Duration", "Duration", "会議の長さ", "期間"),
        "role": ("Role", "役割"),
    },
    "meet": {
        "name": ("Name", "名前"),
        "first_name": ("First name", "名"),
        "last_name": ("Last name", "姓"),
        "email": ("Email", "メールアドレス", "メール"),
        "duration": ("Duration", "期間", "時間"),
    },
    "zoom": {
        # Not "User Name": Zoom's meeting header row has the host's
        # "User Name" and must not be taken for the participant table.
        "name": ("Name (Original Name)", "名前 (元の名前)", "Name", "名前"),
        "email": ("User Email", "ユーザーメール", "Email", "メール", "メールアドレス"),
        "duration": (
            "Duration (Minutes)",
            "Total Duration (Minutes)",
            "期間 (分)",
            "合計期間 (分)",
        ),
        "waiting_room": ("In Waiting Room", "待機室内"),
    },
    "generic": {
        "name": ("name", "氏名", "名前", "full name", "display name", "表示名", "参加者名"),
        "email": ("email", "e-mail", "mail", "email address", "メール", "メールアドレス"),
        "duration": (
            "minutes",
            "mins",
            "分",
            "時間 (分)",
            "参加時間 (分)",
            "duration (minutes)",
        ),
    },
}

# Headings only one tool writes; a table needs one of them (and a name and a
# duration column) to be taken for that tool's report.
_SIGNATURES: Final[dict[Source, tuple[str, ...]]] = {
    "teams": (
        "Participant ID (UPN)",
        "参加者 ID (UPN)",
        "First Join",
        "Last Leave",
        "In-Meeting Duration",
        "初めての参加",
        "最終退出",
        "会議の長さ",
        "Role",
        "役割",
    ),
    "meet": ("Time joined", "Time exited", "First name"),
    "zoom": (
        "Name (Original Name)",
        "名前 (元の名前)",
        "User Email",
        "ユーザーメール",
        "Guest",
        "ゲスト",
        "Duration (Minutes)",
        "Total Duration (Minutes)",
        "期間 (分)",
    ),
}

_DETECTION_ORDER: Final[tuple[Source, ...]] = ("teams", "meet", "zoom")
_TOOLS: Final[dict[ReportSource, Source]] = {"teams": "teams", "meet": "meet", "zoom": "zoom"}

_LAYOUT_KEYS: Final[dict[ReportSource, dict[str, frozenset[str]]]] = {
    source: {
        name: frozenset(normalize_header(a) for a in aliases) for name, aliases in fields.items()
    }
    for source, fields in _LAYOUTS.items()
}
_SIGNATURE_KEYS: Final[dict[Source, frozenset[str]]] = {
    source: frozenset(normalize_header(h) for h in headings)
    for source, headings in _SIGNATURES.items()
}
_ANY_NAME_KEYS: Final = frozenset().union(
    *(
        keys[f]
        for keys in _LAYOUT_KEYS.values()
        for f in ("name", "first_name", "last_name")
        if f in keys
    )
)
_ORGANIZER_ROLES: Final = frozenset(
    normalize_header(r) for r in ("Organizer", "Co-organizer", "開催者", "共同開催者", "主催者")
)
_YES: Final = frozenset(normalize_header(v) for v in ("yes", "y", "true", "はい", "1"))
_EXPECTED_HEADINGS: Final = (
    "Zoom: Name (Original Name), Duration (Minutes); "
    "Microsoft Teams: Name, In-Meeting Duration; "
    "Google Meet: First name, Last name, Duration; "
    "other tools: name (氏名), email (メール), minutes (分)"
)


def _map_columns(headers: Sequence[str], source: ReportSource) -> dict[str, str] | None:
    """Our field -> heading as written, or ``None`` without name and duration."""
    keys = _LAYOUT_KEYS[source]
    columns: dict[str, str] = {}
    for heading in headers:
        key = normalize_header(heading)
        for name, aliases in keys.items():
            if name not in columns and key in aliases:
                columns[name] = heading
                break
    has_name = any(f in columns for f in ("name", "first_name", "last_name"))
    return columns if has_name and "duration" in columns else None


def _recognise(headers: Sequence[str]) -> tuple[ReportSource, dict[str, str]] | None:
    keys = {normalize_header(h) for h in headers}
    for source in _DETECTION_ORDER:
        if keys & _SIGNATURE_KEYS[source]:
            columns = _map_columns(headers, source)
            if columns is not None:
                return source, columns
    columns = _map_columns(headers, "generic")
    return ("generic", columns) if columns is not None else None


def detect_source(headers: Sequence[str]) -> Source | None:
    """Which tool wrote a participant table with these headings.

    ``"zoom"``, ``"teams"`` or ``"meet"`` when the headings carry a column
    only that tool writes (e.g. Zoom's ``Name (Original Name)``, Teams'
    ``Participant ID (UPN)`` or ``Role``, Meet's ``Time joined``) together
    with a name and a duration column; ``None`` otherwise, including for the
    generic name/email/minutes layout.
    """
    found = _recognise(headers)
    return _TOOLS.get(found[0]) if found else None


# --------------------------------------------------------------------------
# Durations

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CLOCK = re.compile(r"(\d+):([0-5]?\d):([0-5]?\d)")
_UNIT_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(hours?|hrs?|h|時間|minutes?|mins?|m|分|seconds?|secs?|s|秒)",
    re.IGNORECASE,
)
_UNIT_SECONDS: Final = {"h": 3600, "時": 3600, "m": 60, "分": 60, "s": 1, "秒": 1}


def parse_duration_seconds(text: str) -> int | None:
    """A duration cell as whole seconds, or ``None`` if it is not one.

    Accepts a plain number of minutes (``45``, ``12.5``, full-width digits
    too), a clock ``h:mm:ss`` (Excel, and XLSX time cells) and durations
    with units as the tools write them: ``1h 2m 10s`` (Teams), ``1 時間 2 分
    10 秒`` (Teams in Japanese), ``1 hr 5 min`` and ``30 sec`` (Meet).
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return None
    if _NUMBER.fullmatch(value):
        return round(float(value) * 60)
    clock = _CLOCK.fullmatch(value)
    if clock:
        hours, minutes, seconds = (int(g) for g in clock.groups())
        return hours * 3600 + minutes * 60 + seconds
    total = 0.0
    position = 0
    for part in _UNIT_PART.finditer(value):
        if value[position : part.start()].strip(" ,"):
            return None
        unit = part.group(2).lower()
        total += float(part.group(1)) * _UNIT_SECONDS[unit[0]]
        position = part.end()
    if position == 0 or value[position:].strip(" ,"):
        return None
    return round(total)


# --------------------------------------------------------------------------
# Names

_NAME_NOISE = re.compile(r"[\s,、・.\ufe00-\ufe0f\U000e0100-\U000e01ef]+")
_KATAKANA_TO_HIRAGANA: Final = {
    code: code - 0x60 for code in [*range(0x30A1, 0x30F7), 0x30FD, 0x30FE]
}
_PARENTHESISED = re.compile(r"(.*?)\s*\((.*)\)")


def normalize_name(text: str) -> str:
    """The key two names are compared by.

    NFKC (full-width letters and half-width kana become ordinary), katakana
    as hiragana, case-folded, without any whitespace (ASCII or U+3000),
    without the separators ``,``, ``、``, ``・`` and ``.``, and without
    variation selectors (a roster's 葛󠄀 equals a typed 葛).
    """
    key = unicodedata.normalize("NFKC", text).translate(_KATAKANA_TO_HIRAGANA).casefold()
    return _NAME_NOISE.sub("", key)


def _name_variants(name: str) -> list[str]:
    """The name, and both parts of Zoom's "New name (Original name)"."""
    variants = [name]
    match = _PARENTHESISED.fullmatch(unicodedata.normalize("NFKC", name).strip())
    if match:
        variants.extend(part for part in match.groups() if part.strip())
    return variants


# --------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Participant:
    """One person in a report, after merging their rejoins.

    ``name`` is the display name as written on the person's first row and
    ``names`` every distinct display name they used; ``email`` is lowercased
    (``""`` when the report has none); ``seconds`` the total time over all
    their rows; ``rows`` the spreadsheet rows merged. ``organizer`` is set
    when the tool marked a row Organizer or Co-organizer (Teams).
    """

    name: str
    email: str
    seconds: int
    rows: tuple[int, ...]
    names: tuple[str, ...] = ()
    organizer: bool = False

    @property
    def minutes(self) -> float:
        """Total minutes in the meeting."""
        return self.seconds / 60


@dataclass
class AttendanceReport:
    """What :func:`parse_attendance_report` found.

    ``source`` is the tool (``"generic"`` for the name/email/minutes layout,
    ``None`` when no table was found); ``columns`` maps our fields to the
    headings as written; ``problems`` lists everything the user should fix.
    Participants from valid rows are returned even when some rows had
    problems.
    """

    source: ReportSource | None
    participants: list[Participant]
    problems: list[Problem]
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------
# Reading


def _problem(code: str, message: str, row: int | None = None, **params: Any) -> Problem:
    column = params.get("column")
    if row is not None:
        params["row"] = row
    return Problem(
        code=code,
        message=message,
        params=params,
        row=row,
        column=column if isinstance(column, str) else None,
    )


def _shift(problem: Problem, offset: int) -> Problem:
    """A problem from a table read from line ``offset + 1`` of the file."""
    if not offset:
        return problem
    params = {
        key: value + offset
        if key in ("row", "header_row", "line") and isinstance(value, int)
        else value
        for key, value in problem.params.items()
    }
    row = problem.row + offset if problem.row is not None else None
    return dataclasses.replace(problem, params=params, row=row)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
        raise TableError(
            [
                _problem(
                    "attendance.encoding",
                    gettext_noop(
                        "The file starts like UTF-16 text (as Microsoft Teams writes it) "
                        "but cannot be read as such. Download the report again and upload "
                        "it without opening and saving it in another program."
                    ),
                )
            ]
        )
    return decode_text(data)


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        record = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []
    return [cell.strip() for cell in record]


#: Reports put at most a dozen lines before the participants; garbage is not
#: searched further.
_MAX_PREAMBLE_LINES: Final = 200
_SECTION_HEADING = re.compile(r"\s*\d+\.\s*\S.*")


def _is_section_heading(line: str) -> bool:
    """``3. In-Meeting Activities``, ``3. 会議中のアクティビティ`` and the like."""
    cells = [c for c in _cells(line, "\t") if c]
    if len(cells) != 1:
        cells = [c for c in _cells(line, ",") if c]
    return len(cells) == 1 and bool(_SECTION_HEADING.fullmatch(cells[0]))


def _find_table(lines: Sequence[str]) -> tuple[int, int, str] | None:
    """``(heading line, end line, delimiter)`` of the participants table.

    The heading row is the first line (among the first
    :data:`_MAX_PREAMBLE_LINES`) whose cells, split by TAB, comma or
    semicolon, are headings we know. The table ends at the next section
    heading (``3. …``) or at the end of the file.
    """
    for index, line in enumerate(lines[:_MAX_PREAMBLE_LINES]):
        if not line.strip():
            continue
        splits = sorted(((d, _cells(line, d)) for d in _DELIMITERS), key=lambda s: -len(s[1]))
        for delimiter, cells in splits:
            if len(cells) > 1 and _recognise([c for c in cells if c]) is not None:
                end = next(
                    (j for j in range(index + 1, len(lines)) if _is_section_heading(lines[j])),
                    len(lines),
                )
                return index, end, delimiter
    return None


def _unknown_columns(found: Sequence[str]) -> Problem:
    names = {normalize_header(h) for h in found}
    if names & _ANY_NAME_KEYS:
        return _problem(
            "attendance.no_duration_column",
            gettext_noop(
                "The file has a name column but no column with the time each person "
                "was in the meeting, so attendance cannot be counted. Expected headings: "
                "%(expected)s. Found: %(found)s."
            ),
            expected=_EXPECTED_HEADINGS,
            found=", ".join(found) or "—",
        )
    return _problem(
        "attendance.unknown_columns",
        gettext_noop(
            "No attendance table was found in the file. Upload the attendance or "
            "participant report as the meeting tool exports it, or a table whose first "
            "row has the headings %(expected)s. Found: %(found)s."
        ),
        expected=_EXPECTED_HEADINGS,
        found=", ".join(found) or "—",
    )


def _read(data: bytes, filename: str) -> tuple[Table, int, ReportSource, dict[str, str]]:
    """The participants table, its row offset in the file, source and columns."""
    if len(data) > DEFAULT_MAX_BYTES:
        raise TableError(
            [
                _problem(
                    "attendance.too_large",
                    gettext_noop(
                        "The file is larger than %(max_mb)s MB, which no attendance "
                        "report of one meeting is. Check that this is the right file."
                    ),
                    max_mb=DEFAULT_MAX_BYTES // (1024 * 1024),
                )
            ]
        )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(_ZIP_MAGIC) or extension in ("xlsx", "xlsm", "xls"):
        table = read_table(data, filename, collect_row_problems=True)
        found = _recognise(table.headers)
        if found is None:
            raise TableError([_unknown_columns(table.headers)])
        return table, 0, found[0], found[1]
    text, encoding = _decode(data)
    lines = [line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n")]
    located = _find_table(lines)
    if located is None:
        first = next((line for line in lines if line.strip()), "")
        cells = max((_cells(first, d) for d in _DELIMITERS), key=len)
        raise TableError([_unknown_columns([c for c in cells if c])])
    start, end, delimiter = located
    body = "\n".join(lines[start:end])
    # Excel's "sep=" line fixes the delimiter for read_table; it is not a row.
    payload = f"sep={delimiter}\n{body}".encode()
    try:
        table = read_table(payload, "attendance.csv", collect_row_problems=True)
    except TableError as exc:
        raise TableError([_shift(p, start) for p in exc.problems]) from exc
    table.encoding = encoding
    found = _recognise(table.headers)
    if found is None:  # pragma: no cover - _find_table checked these headings
        raise TableError([_unknown_columns(table.headers)])
    return table, start, found[0], found[1]


def _row_name(values: Mapping[str, str], columns: Mapping[str, str]) -> str:
    if "name" in columns and values.get(columns["name"], ""):
        return values[columns["name"]]
    parts = [values.get(columns[f], "") for f in ("first_name", "last_name") if f in columns]
    return " ".join(p for p in parts if p)


def parse_attendance_report(data: bytes, filename: str) -> AttendanceReport:
    """Read an uploaded attendance report; never raises on bad input.

    Reads CSV (UTF-8 with or without BOM, CP932, and UTF-16 with BOM as
    Teams writes it; comma, TAB or semicolon) and XLSX (first sheet, table
    at the top). In a text file the participants table may follow other
    rows (Zoom's meeting header, Teams' summary section) and be followed by
    another section, which is ignored. Rows of one person (a rejoin) are
    merged by email, or by normalised name when there is no email, and
    their durations summed. Zoom rows marked as in the waiting room are
    skipped.
    """
    try:
        table, offset, source, columns = _read(data, filename)
    except TableError as exc:
        return AttendanceReport(source=None, participants=[], problems=list(exc.problems))
    problems = [_shift(p, offset) for p in table.problems]
    merged: dict[str, _Accumulator] = {}
    for table_row, values in table.rows:
        row = table_row + offset
        if "waiting_room" in columns and (
            normalize_header(values.get(columns["waiting_room"], "")) in _YES
        ):
            continue
        name = _row_name(values, columns)
        email = values.get(columns["email"], "").strip().lower() if "email" in columns else ""
        if not email and "upn" in columns:
            upn = values.get(columns["upn"], "").strip().lower()
            email = upn if "@" in upn else ""
        if not name and not email:
            problems.append(
                _problem(
                    "attendance.missing_name",
                    gettext_noop(
                        "Row %(row)s has neither a name nor an email address and was skipped."
                    ),
                    row=row,
                )
            )
            continue
        duration_column = columns["duration"]
        raw = values.get(duration_column, "")
        seconds = parse_duration_seconds(raw)
        if seconds is None:
            if raw.strip():
                problems.append(
                    _problem(
                        "attendance.bad_duration",
                        gettext_noop(
                            "Row %(row)s, column “%(column)s”: “%(value)s” is not a "
                            "duration. Write minutes as a number (45) or as the meeting "
                            "tool writes durations (1h 5m 30s)."
                        ),
                        row=row,
                        column=duration_column,
                        value=raw,
                    )
                )
            else:
                problems.append(
                    _problem(
                        "attendance.missing_duration",
                        gettext_noop(
                            "Row %(row)s, column “%(column)s”: the duration is empty, so "
                            "the row was skipped."
                        ),
                        row=row,
                        column=duration_column,
                    )
                )
            continue
        organizer = (
            "role" in columns
            and normalize_header(values.get(columns["role"], "")) in _ORGANIZER_ROLES
        )
        key = email or "name:" + normalize_name(name)
        entry = merged.setdefault(key, _Accumulator(name=name, email=email))
        entry.add(row, name, seconds, organizer)
    if not table.rows:
        problems.append(
            _problem(
                "attendance.empty",
                gettext_noop("The attendance table has headings but no participants."),
            )
        )
    return AttendanceReport(
        source=source,
        participants=[entry.participant() for entry in merged.values()],
        problems=problems,
        columns=columns,
        encoding=table.encoding,
    )


@dataclass
class _Accumulator:
    name: str
    email: str
    seconds: int = 0
    rows: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    organizer: bool = False

    def add(self, row: int, name: str, seconds: int, organizer: bool) -> None:
        if not self.name:
            self.name = name
        self.seconds += seconds
        self.rows.append(row)
        if name and name not in self.names:
            self.names.append(name)
        self.organizer = self.organizer or organizer

    def participant(self) -> Participant:
        return Participant(
            name=self.name,
            email=self.email,
            seconds=self.seconds,
            rows=tuple(self.rows),
            names=tuple(self.names),
            organizer=self.organizer,
        )


# --------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class RosterEntry:
    """A student as matching needs them; ``student_key`` is opaque to us."""

    student_key: str
    family_name: str
    given_name: str
    family_name_kana: str = ""
    given_name_kana: str = ""
    romanized_name: str = ""
    emails: tuple[str, ...] = ()


class Matched(NamedTuple):
    participant: Participant
    student_key: str
    how: MatchHow


class Unmatched(NamedTuple):
    participant: Participant
    reason: UnmatchedReason


@dataclass
class MatchResult:
    """What :func:`match_participants` decided.

    Every participant is in exactly one of ``matched`` and ``unmatched``.
    ``candidates`` gives, for each participant unmatched as ``"ambiguous"``,
    the keys of the students it could be (in roster order).
    ``multiple`` lists students matched by two or more participants (two
    devices, or a rename the report kept apart) — worth a look, not an
    error. ``seconds`` sums each matched student's time over their
    participants; ``attended`` is the students, in roster order, whose time
    reaches ``min_minutes`` and ``below_threshold`` the matched ones whose
    time does not.
    """

    matched: list[Matched]
    unmatched: list[Unmatched]
    candidates: dict[Participant, tuple[str, ...]] = field(default_factory=dict)
    multiple: dict[str, list[Participant]] = field(default_factory=dict)
    seconds: dict[str, int] = field(default_factory=dict)
    attended: list[str] = field(default_factory=list)
    below_threshold: list[str] = field(default_factory=list)
    min_minutes: float = 0


def _roster_name_keys(entry: RosterEntry) -> set[str]:
    keys: set[str] = set()
    for first, second in (
        (entry.family_name, entry.given_name),
        (entry.family_name_kana, entry.given_name_kana),
    ):
        if first.strip() and second.strip():
            keys.add(normalize_name(first + second))
            keys.add(normalize_name(second + first))
    tokens = [
        t for t in re.split(r"[\s,]+", unicodedata.normalize("NFKC", entry.romanized_name)) if t
    ]
    if tokens:
        keys.add(normalize_name("".join(tokens)))
        keys.add(normalize_name("".join(reversed(tokens))))
    keys.discard("")
    return keys


def _index(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for key, student in pairs:
        students = index.setdefault(key, [])
        if student not in students:
            students.append(student)
    return index


def match_participants(
    participants: Sequence[Participant],
    roster: Sequence[RosterEntry],
    *,
    min_minutes: float = 0,
) -> MatchResult:
    """Match report participants to roster students; never guess.

    Rules, in order, for each participant:

    1. Email: the participant's email equals (ignoring case and surrounding
       spaces) an email of exactly one student → matched ``"email"``; of
       two or more → unmatched ``"ambiguous"``.
    2. Name: any of the participant's display names — and, for Zoom's
       ``New name (Original name)``, each part — equals after
       :func:`normalize_name` a student's 姓名 or 名姓, kana reading in either
       order (hiragana and katakana compare equal) or romanized name in
       either order. Exactly one student → matched ``"name"``; two or more
       (two 佐藤 花子) → unmatched ``"ambiguous"`` with the candidates.
    3. Otherwise unmatched ``"no_match"``.

    Hosts: only a participant the report explicitly marks as Organizer or
    Co-organizer (Teams' role column) and who matches no student is set
    aside, as unmatched ``"organizer"``; an organiser who matches a student
    is matched like anyone else. Zoom and Meet reports mark no role, so the
    teacher there is simply unmatched ``"no_match"``.

    A student counts as attended when the summed time of the participants
    matched to them is at least ``min_minutes`` (default 0: anyone matched).
    """
    order = {entry.student_key: position for position, entry in enumerate(roster)}
    by_email = _index(
        (email.strip().lower(), entry.student_key)
        for entry in roster
        for email in entry.emails
        if email.strip()
    )
    by_name = _index(
        (key, entry.student_key) for entry in roster for key in sorted(_roster_name_keys(entry))
    )
    result = MatchResult(matched=[], unmatched=[], min_minutes=min_minutes)
    for participant in participants:
        how: MatchHow = "email"
        email = participant.email.strip().lower()
        found = list(by_email.get(email, [])) if email else []
        if not found:
            how = "name"
            found = []
            for name in participant.names or (participant.name,):
                for variant in _name_variants(name):
                    for student in by_name.get(normalize_name(variant), []):
                        if student not in found:
                            found.append(student)
        if len(found) == 1:
            result.matched.append(Matched(participant, found[0], how))
        elif participant.organizer:
            result.unmatched.append(Unmatched(participant, "organizer"))
        elif found:
            result.unmatched.append(Unmatched(participant, "ambiguous"))
            result.candidates[participant] = tuple(sorted(found, key=order.__getitem__))
        else:
            result.unmatched.append(Unmatched(participant, "no_match"))
    by_student: dict[str, list[Participant]] = {}
    for match in result.matched:
        by_student.setdefault(match.student_key, []).append(match.participant)
    threshold = min_minutes * 60
    for student in sorted(by_student, key=order.__getitem__):
        group = by_student[student]
        if len(group) > 1:
            result.multiple[student] = group
        total = sum(p.seconds for p in group)
        result.seconds[student] = total
        (result.attended if total >= threshold else result.below_threshold).append(student)
    return result
