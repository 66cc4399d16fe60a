"""Common free slots across schools' timetables and calendars (online sessions).

An online programme meets several small schools at once, each with its own
bell schedule (時程) and calendar. This module answers: on which dates and at
which times can *every* participating school join a session of a given
length, and which of those times cost the schools least?

Definitions (the tests check exactly these):

* A **school day** is a date whose weekday has at least one period, that is
  not a national holiday (国民の祝日・振替休日, computed with ``jpholiday``,
  never stored) and that no calendar event of the school covers (school
  holidays, long vacations, exam weeks, closures such as snow days and
  school events all block the whole day).
* On a school day the school is **available** for the minutes of its *window*:
  without restriction, from the start of the first period to the end of the
  last (breaks between periods included). When the caller restricts to
  certain periods (only periods flagged as preferred, e.g. 総合的な探究の時間,
  and/or only periods with given labels), the windows are the runs of
  consecutive allowed periods, from the first one's start to the last one's
  end (so the break between two allowed periods counts, a break next to a
  lesson that is not allowed does not).
* A session ``[start, start + length)`` **displaces** each lesson period it
  overlaps that is not preferred; a school **sits in a preferred period** when
  the session overlaps at least one period, every period it overlaps is
  preferred, and it lies between the first such period's start and the last
  one's end (so it is not hanging into a break before or after).
* The **common windows** of a date are the intersection of every school's
  windows; only windows at least ``length`` long are kept.
* **Slots**: inside each common window ``[a, b)`` the candidate starts are
  ``a``, ``b - length``, every multiple of ``grid`` minutes (from midnight)
  in ``[a, b - length]`` and every period start of any school in that range.
  Slots are ranked by (schools sitting in a preferred period, descending;
  lessons displaced, ascending; date and start, ascending).

Times are minutes after midnight, local time (all schools are in Japan).

Functional core: no Django import (stdlib and jpholiday only).
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Final, Generic, TypeVar

import jpholiday

from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.core.tabular import (
    DateParseError,
    TableError,
    parse_date,
    read_table,
    write_csv_for_excel,
)

__all__ = [
    "BELL_TEMPLATE_HEADERS",
    "CALENDAR_TEMPLATE_HEADERS",
    "BellRow",
    "CalendarEvent",
    "EventKind",
    "ImportResult",
    "Period",
    "SchoolFit",
    "SchoolTimetable",
    "SearchOptions",
    "Slot",
    "bell_template_csv",
    "calendar_template_csv",
    "common_windows",
    "day_windows",
    "find_slots",
    "format_minutes",
    "is_national_holiday",
    "is_school_day",
    "parse_bell_schedule",
    "parse_calendar",
    "parse_minutes",
    "validate_periods",
]

Interval = tuple[int, int]
T = TypeVar("T")
MINUTES_PER_DAY: Final = 24 * 60


class EventKind(StrEnum):
    SCHOOL_HOLIDAY = "school_holiday"  # 休業日 (開校記念日, 振替休業日 …)
    VACATION = "vacation"  # 長期休業 (夏季・冬季・学年末)
    EXAM = "exam"  # 定期考査
    CLOSURE = "closure"  # 臨時休校 (雪, 台風 …)
    SCHOOL_EVENT = "school_event"  # 学校行事 (体育祭, 修学旅行 …)


@dataclass(frozen=True)
class Period:
    """One lesson period of a weekday: ``start``/``end`` in minutes after midnight."""

    number: int
    start: int
    end: int
    label: str = ""
    preferred: bool = False  # e.g. 総合的な探究の時間: joining displaces nothing


@dataclass(frozen=True)
class CalendarEvent:
    kind: EventKind
    start: date
    end: date  # inclusive
    title: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class SchoolTimetable:
    """A school's bell schedule per weekday (0 = Monday) and its calendar events."""

    key: str
    week: dict[int, tuple[Period, ...]]
    events: tuple[CalendarEvent, ...] = ()

    def periods_on(self, weekday: int) -> tuple[Period, ...]:
        return self.week.get(weekday, ())


@dataclass(frozen=True)
class SearchOptions:
    length: int  # minutes
    grid: int = 5
    only_preferred: bool = False
    only_labels: frozenset[str] = frozenset()

    @property
    def restricted(self) -> bool:
        return self.only_preferred or bool(self.only_labels)

    def allows(self, period: Period) -> bool:
        if self.only_preferred and not period.preferred:
            return False
        return not self.only_labels or period.label in self.only_labels


@dataclass(frozen=True)
class SchoolFit:
    """How a slot sits in one school's day."""

    school: str
    periods: tuple[int, ...]  # numbers of the periods the session overlaps
    displaced: int  # lessons displaced (overlapped periods that are not preferred)
    in_preferred: bool


@dataclass(frozen=True)
class Slot:
    day: date
    start: int
    end: int
    window: Interval
    preferred_schools: int
    displaced: int
    fits: tuple[SchoolFit, ...] = field(compare=False)

    @property
    def rank_key(self) -> tuple[int, int, date, int]:
        return (-self.preferred_schools, self.displaced, self.day, self.start)


# --------------------------------------------------------------------------
# Days and windows


@lru_cache(maxsize=4096)
def is_national_holiday(day: date) -> bool:
    """国民の祝日 and 振替休日 (jpholiday)."""
    return bool(jpholiday.is_holiday(day))


def _sorted_events(events: Sequence[CalendarEvent]) -> tuple[list[date], list[date]]:
    ordered = sorted(events, key=lambda e: e.start)
    starts = [e.start for e in ordered]
    running: list[date] = []
    latest = date.min
    for e in ordered:
        latest = max(latest, e.end)
        running.append(latest)
    return starts, running


def is_school_day(school: SchoolTimetable, day: date) -> bool:
    if not school.periods_on(day.weekday()) or is_national_holiday(day):
        return False
    return not any(e.covers(day) for e in school.events)


def _windows_of_periods(periods: Sequence[Period], options: SearchOptions) -> list[Interval]:
    ordered = sorted(periods, key=lambda p: p.start)
    if not ordered:
        return []
    if not options.restricted:
        return [(ordered[0].start, max(p.end for p in ordered))]
    windows: list[Interval] = []
    run: Interval | None = None
    for p in ordered:
        if options.allows(p):
            run = (run[0], p.end) if run is not None else (p.start, p.end)
        elif run is not None:
            windows.append(run)
            run = None
    if run is not None:
        windows.append(run)
    return windows


def day_windows(school: SchoolTimetable, day: date, options: SearchOptions) -> list[Interval]:
    """The school's available intervals on ``day`` (empty when not a school day)."""
    if not is_school_day(school, day):
        return []
    return _windows_of_periods(school.periods_on(day.weekday()), options)


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


class _Prepared:
    """Per-school caches: windows per weekday, blocked dates from events."""

    def __init__(self, school: SchoolTimetable, options: SearchOptions) -> None:
        self.school = school
        self.windows = {wd: _windows_of_periods(school.periods_on(wd), options) for wd in range(7)}
        self.periods = {wd: sorted(school.periods_on(wd), key=lambda p: p.start) for wd in range(7)}
        self.period_starts = {wd: [p.start for p in self.periods[wd]] for wd in range(7)}
        self._event_starts, self._event_reach = _sorted_events(school.events)
        self._fits: dict[tuple[int, int, int], SchoolFit] = {}

    def blocked(self, day: date) -> bool:
        # Events sorted by start with the running maximum of their ends: some
        # event starting on or before ``day`` covers it iff that maximum reaches it.
        i = bisect.bisect_right(self._event_starts, day)
        return i > 0 and self._event_reach[i - 1] >= day

    def windows_on(self, day: date) -> list[Interval]:
        wd = day.weekday()
        wins = self.windows[wd]
        if not wins or is_national_holiday(day) or self.blocked(day):
            return []
        return wins

    def fit(self, weekday: int, start: int, end: int) -> SchoolFit:
        key = (weekday, start, end)
        found = self._fits.get(key)
        if found is None:
            overlapped = [p for p in self.periods[weekday] if p.start < end and start < p.end]
            displaced = sum(1 for p in overlapped if not p.preferred)
            found = SchoolFit(
                school=self.school.key,
                periods=tuple(p.number for p in overlapped),
                displaced=displaced,
                in_preferred=bool(overlapped)
                and displaced == 0
                and overlapped[0].start <= start
                and end <= overlapped[-1].end,
            )
            self._fits[key] = found
        return found


def common_windows(
    schools: Sequence[SchoolTimetable], *, first: date, last: date, options: SearchOptions
) -> dict[date, list[Interval]]:
    """Dates with their common windows at least ``options.length`` long."""
    prepared = [_Prepared(s, options) for s in schools]
    return _common_windows(prepared, first, last, options.length)


def _common_windows(
    prepared: Sequence[_Prepared], first: date, last: date, length: int
) -> dict[date, list[Interval]]:
    result: dict[date, list[Interval]] = {}
    if not prepared:
        return result
    for day in _dates(first, last):
        common: list[Interval] | None = None
        for p in prepared:
            wins = p.windows_on(day)
            common = list(wins) if common is None else _intersect(common, wins)
            if not common:
                break
        kept = [w for w in common or [] if w[1] - w[0] >= length]
        if kept:
            result[day] = kept
    return result


def _starts(window: Interval, length: int, grid: int, period_starts: Iterable[int]) -> list[int]:
    a, b = window
    latest = b - length
    starts = {a, latest}
    first_grid = -(-a // grid) * grid
    starts.update(range(first_grid, latest + 1, grid))
    starts.update(s for s in period_starts if a <= s <= latest)
    return sorted(starts)


def find_slots(
    schools: Sequence[SchoolTimetable],
    *,
    first: date,
    last: date,
    options: SearchOptions,
    limit: int | None = None,
) -> list[Slot]:
    """Every candidate slot where all ``schools`` are available, best first."""
    if options.length <= 0 or options.grid <= 0:
        raise ValueError("length and grid must be positive")
    prepared = [_Prepared(s, options) for s in schools]
    windows = _common_windows(prepared, first, last, options.length)
    slots: list[Slot] = []
    length = options.length
    all_starts = {wd: sorted({s for p in prepared for s in p.period_starts[wd]}) for wd in range(7)}
    # How a start time sits in every school depends only on the weekday (the
    # bell schedule is weekly), so it is computed once per weekday and start.
    costs: dict[tuple[int, int], tuple[tuple[SchoolFit, ...], int, int]] = {}
    for day, wins in windows.items():
        wd = day.weekday()
        for window in wins:
            for start in _starts(window, length, options.grid, all_starts[wd]):
                cost = costs.get((wd, start))
                if cost is None:
                    fits = tuple(p.fit(wd, start, start + length) for p in prepared)
                    cost = (
                        fits,
                        sum(1 for f in fits if f.in_preferred),
                        sum(f.displaced for f in fits),
                    )
                    costs[(wd, start)] = cost
                slots.append(
                    Slot(
                        day=day,
                        start=start,
                        end=start + length,
                        window=window,
                        preferred_schools=cost[1],
                        displaced=cost[2],
                        fits=cost[0],
                    )
                )
    slots.sort(key=lambda s: s.rank_key)
    return slots[:limit] if limit is not None else slots


# --------------------------------------------------------------------------
# Validation and CSV import


def format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_TIME = re.compile(r"(\d{1,2})[:時](\d{2})分?(?::\d{2})?")


def parse_minutes(text: str) -> int:
    """``8:50``, ``08:50``, ``8時50分``, ``08:50:00`` (full width too) → minutes."""
    value = unicodedata.normalize("NFKC", text).strip()
    match = _TIME.fullmatch(value)
    if not match:
        raise ValueError(text)
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        raise ValueError(text)
    return hours * 60 + minutes


def validate_periods(periods: Sequence[Period]) -> list[Problem]:
    """Periods of one weekday: start before end, unique numbers, no overlap."""
    problems: list[Problem] = []
    seen: set[int] = set()
    for p in periods:
        if p.start >= p.end:
            problems.append(
                Problem(
                    code="period.order",
                    message=gettext_noop("Period %(number)s must end after it starts."),
                    params={"number": p.number},
                )
            )
        if p.number in seen:
            problems.append(
                Problem(
                    code="period.duplicate",
                    message=gettext_noop("Period %(number)s appears twice on the same day."),
                    params={"number": p.number},
                )
            )
        seen.add(p.number)
    ordered = sorted(periods, key=lambda p: (p.start, p.number))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            problems.append(
                Problem(
                    code="period.overlap",
                    message=gettext_noop("Periods %(first)s and %(second)s overlap."),
                    params={"first": before.number, "second": after.number},
                )
            )
    return problems


WEEKDAY_NAMES: Final[dict[str, int]] = {
    **{c: i for i, c in enumerate("月火水木金土日")},
    **{f"{c}曜": i for i, c in enumerate("月火水木金土日")},
    **{f"{c}曜日": i for i, c in enumerate("月火水木金土日")},
    **{n: i for i, n in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
    **{
        n: i
        for i, n in enumerate(
            ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        )
    },
}

BELL_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "weekday": ("曜日", "weekday"),
    "number": ("時限", "校時", "period"),
    "start": ("開始", "開始時刻", "start"),
    "end": ("終了", "終了時刻", "end"),
    "label": ("名称", "科目", "label"),
    "preferred": ("探究", "優先", "preferred"),
}
BELL_TEMPLATE_HEADERS: Final = ("曜日", "時限", "開始", "終了", "名称", "探究")

CALENDAR_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "kind": ("種別", "kind"),
    "start": ("開始日", "start"),
    "end": ("終了日", "end"),
    "title": ("名称", "title"),
}
CALENDAR_TEMPLATE_HEADERS: Final = ("種別", "開始日", "終了日", "名称")

KIND_NAMES: Final[dict[str, EventKind]] = {
    "休業日": EventKind.SCHOOL_HOLIDAY,
    "休日": EventKind.SCHOOL_HOLIDAY,
    "長期休業": EventKind.VACATION,
    "休暇": EventKind.VACATION,
    "考査": EventKind.EXAM,
    "定期考査": EventKind.EXAM,
    "試験": EventKind.EXAM,
    "休校": EventKind.CLOSURE,
    "臨時休校": EventKind.CLOSURE,
    "行事": EventKind.SCHOOL_EVENT,
    "学校行事": EventKind.SCHOOL_EVENT,
    **{k.value: k for k in EventKind},
}

_TRUE: Final = frozenset({"1", "○", "〇", "◯", "yes", "y", "true", "はい", "探究"})
_FALSE: Final = frozenset({"", "0", "×", "no", "n", "false", "いいえ", "-"})


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")


@dataclass(frozen=True)
class BellRow:
    row: int
    weekday: int
    period: Period


@dataclass
class ImportResult(Generic[T]):
    rows: list[T] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def _map_headers(
    headers: Sequence[str], fields: dict[str, tuple[str, ...]], required: Sequence[str]
) -> tuple[dict[str, str], list[Problem]]:
    mapping: dict[str, str] = {}
    for heading in headers:
        n = _norm(heading)
        for name, aliases in fields.items():
            if name not in mapping and n in {_norm(a) for a in aliases}:
                mapping[name] = heading
    problems = [
        Problem(
            code="import.missing_column",
            message=gettext_noop("The column “%(column)s” is missing from the heading row."),
            params={"column": fields[name][0]},
            row=1,
            field=name,
        )
        for name in required
        if name not in mapping
    ]
    return mapping, problems


def _cell_problem(row: int, column: str, name: str, message: str, **params: object) -> Problem:
    return Problem(
        code=f"import.{name}",
        message=message,
        params={"row": row, "column": column, **params},
        row=row,
        column=column,
        field=name,
    )


def _read(
    data: bytes, filename: str, result: ImportResult[T]
) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    table = read_table(data, filename=filename, max_rows=5000, collect_row_problems=True)
    result.problems.extend(table.problems)
    return table.rows, table.headers


def bell_template_csv() -> bytes:
    """The bell schedule template (UTF-8 with BOM): a 6-period Monday as an example."""
    times = [("08:50", "09:40"), ("09:50", "10:40"), ("10:50", "11:40"), ("11:50", "12:40")]
    times += [("13:30", "14:20"), ("14:30", "15:20")]
    rows = [
        ("月", n, start, end, "総合的な探究の時間" if n == 6 else "", "1" if n == 6 else "")
        for n, (start, end) in enumerate(times, start=1)
    ]
    return write_csv_for_excel(BELL_TEMPLATE_HEADERS, rows)


def calendar_template_csv() -> bytes:
    """The calendar template (UTF-8 with BOM) with one row of each kind."""
    rows = [
        ("長期休業", "2026-07-20", "2026-08-25", "夏季休業"),
        ("考査", "2026-06-29", "2026-07-02", "前期中間考査"),
        ("休業日", "2026-05-15", "", "開校記念日"),
        ("休校", "2027-01-14", "", "大雪による臨時休校"),
        ("行事", "2026-09-26", "", "体育祭"),
    ]
    return write_csv_for_excel(CALENDAR_TEMPLATE_HEADERS, rows)


def parse_bell_schedule(data: bytes, *, filename: str) -> ImportResult[BellRow]:
    """A bell schedule file: one row per weekday and period. All problems are listed."""
    result: ImportResult[BellRow] = ImportResult()
    try:
        rows, headers = _read(data, filename, result)
    except TableError as exc:
        result.problems.extend(exc.problems)
        return result
    mapping, problems = _map_headers(headers, BELL_FIELDS, ("weekday", "number", "start", "end"))
    if problems:
        result.problems.extend(problems)
        return result
    for row, values in rows:

        def get(name: str, _values: dict[str, str] = values) -> str:
            return _values.get(mapping[name], "") if name in mapping else ""

        row_problems: list[Problem] = []
        weekday = WEEKDAY_NAMES.get(_norm(get("weekday")))
        if weekday is None and _norm(get("weekday")).isdigit():
            n = int(_norm(get("weekday")))
            weekday = n if 0 <= n <= 6 else None
        if weekday is None:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["weekday"],
                    "weekday",
                    gettext_noop(
                        "Row %(row)s, column “%(column)s”: write the weekday as 月, 火, 水, "
                        "木, 金, 土 or 日."
                    ),
                )
            )
        number_text = _norm(get("number")).removesuffix("限").removesuffix("校時")
        number = int(number_text) if number_text.isdigit() and 0 < int(number_text) < 20 else None
        if number is None:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["number"],
                    "number",
                    gettext_noop(
                        "Row %(row)s, column “%(column)s”: write the period as a number "
                        "from 1 to 19."
                    ),
                )
            )
        times: dict[str, int] = {}
        for name in ("start", "end"):
            try:
                times[name] = parse_minutes(get(name))
            except ValueError:
                row_problems.append(
                    _cell_problem(
                        row,
                        mapping[name],
                        name,
                        gettext_noop(
                            "Row %(row)s, column “%(column)s”: write the time as HH:MM, "
                            "for example 08:50."
                        ),
                    )
                )
        if len(times) == 2 and times["start"] >= times["end"]:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["end"],
                    "end",
                    gettext_noop(
                        "Row %(row)s, column “%(column)s”: the period must end after it starts."
                    ),
                )
            )
        preferred_text = _norm(get("preferred"))
        if preferred_text not in _TRUE and preferred_text not in _FALSE:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["preferred"],
                    "preferred",
                    gettext_noop(
                        "Row %(row)s, column “%(column)s”: write 1 (or ○) for a period open to "
                        "cross-school learning, or leave it empty."
                    ),
                )
            )
        label = get("label")
        if len(label) > 60:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["label"],
                    "label",
                    gettext_noop("Row %(row)s, column “%(column)s”: at most 60 characters."),
                )
            )
        if row_problems:
            result.problems.extend(row_problems)
            continue
        assert weekday is not None and number is not None
        result.rows.append(
            BellRow(
                row=row,
                weekday=weekday,
                period=Period(
                    number=number,
                    start=times["start"],
                    end=times["end"],
                    label=label,
                    preferred=preferred_text in _TRUE,
                ),
            )
        )
    by_day: dict[int, list[BellRow]] = {}
    for r in result.rows:
        by_day.setdefault(r.weekday, []).append(r)
    for day_rows in by_day.values():
        for problem in validate_periods([r.period for r in day_rows]):
            numbers = {problem.params.get("number"), problem.params.get("first")}
            numbers.add(problem.params.get("second"))
            row = max(r.row for r in day_rows if r.period.number in numbers)
            result.problems.append(
                Problem(
                    code=problem.code,
                    message=gettext_noop("Row %(row)s: %(problem)s"),
                    params={"row": row, "problem": problem.render()},
                    row=row,
                )
            )
    if not rows and not result.problems:
        result.problems.append(
            Problem(code="import.empty", message=gettext_noop("The file has no data rows."))
        )
    return result


def parse_calendar(data: bytes, *, filename: str) -> ImportResult[CalendarEvent]:
    """A calendar file: one row per event (a day or a range of days)."""
    result: ImportResult[CalendarEvent] = ImportResult()
    try:
        rows, headers = _read(data, filename, result)
    except TableError as exc:
        result.problems.extend(exc.problems)
        return result
    mapping, problems = _map_headers(headers, CALENDAR_FIELDS, ("kind", "start"))
    if problems:
        result.problems.extend(problems)
        return result
    for row, values in rows:

        def get(name: str, _values: dict[str, str] = values) -> str:
            return _values.get(mapping[name], "") if name in mapping else ""

        row_problems: list[Problem] = []
        kind = KIND_NAMES.get(_norm(get("kind")))
        if kind is None:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["kind"],
                    "kind",
                    gettext_noop(
                        "Row %(row)s, column “%(column)s”: write one of 休業日, 長期休業, "
                        "考査, 休校, 行事."
                    ),
                )
            )
        days: dict[str, date] = {}
        for name in ("start", "end"):
            text = get(name)
            if name == "end" and not text:
                continue
            try:
                days[name] = parse_date(text)
            except DateParseError:
                row_problems.append(
                    _cell_problem(
                        row,
                        mapping[name],
                        name,
                        gettext_noop(
                            "Row %(row)s, column “%(column)s”: write the date as "
                            "YYYY-MM-DD, for example 2026-07-20."
                        ),
                    )
                )
        if "start" in days and "end" in days and days["end"] < days["start"]:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["end"],
                    "end",
                    gettext_noop("Row %(row)s, column “%(column)s”: the end is before the start."),
                )
            )
        if "start" in days and days.get("end", days["start"]) - days["start"] > timedelta(days=366):
            row_problems.append(
                _cell_problem(
                    row,
                    mapping.get("end", mapping["start"]),
                    "end",
                    gettext_noop(
                        "Row %(row)s, column “%(column)s”: an event lasts at most a year."
                    ),
                )
            )
        title = get("title")
        if len(title) > 100:
            row_problems.append(
                _cell_problem(
                    row,
                    mapping["title"],
                    "title",
                    gettext_noop("Row %(row)s, column “%(column)s”: at most 100 characters."),
                )
            )
        if row_problems:
            result.problems.extend(row_problems)
            continue
        assert kind is not None
        result.rows.append(
            CalendarEvent(
                kind=kind, start=days["start"], end=days.get("end", days["start"]), title=title
            )
        )
    if not rows and not result.problems:
        result.problems.append(
            Problem(code="import.empty", message=gettext_noop("The file has no data rows."))
        )
    return result
