"""Common free slots (ekkyo.core.scheduling): properties against a naive checker, hand cases.

The naive checker below is written from the module docstring's definitions,
minute by minute and independently of the interval code: a minute is free at
a school when the date is a school day and the minute lies in an allowed
period or in the break between two consecutive allowed periods (or, without
restriction, anywhere from the first period's start to the last one's end).
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import jpholiday
from hypothesis import given, settings
from hypothesis import strategies as st

from ekkyo.core.scheduling import (
    CalendarEvent,
    EventKind,
    Period,
    SchoolTimetable,
    SearchOptions,
    bell_template_csv,
    calendar_template_csv,
    common_windows,
    find_slots,
    parse_bell_schedule,
    parse_calendar,
    parse_minutes,
)

# --- the naive checker -------------------------------------------------------


def naive_school_day(school: SchoolTimetable, day: date) -> bool:
    if day.weekday() not in school.week or not school.week[day.weekday()]:
        return False
    if jpholiday.is_holiday(day):
        return False
    return all(not (e.start <= day <= e.end) for e in school.events)


def naive_free(school: SchoolTimetable, day: date, minute: int, options: SearchOptions) -> bool:
    if not naive_school_day(school, day):
        return False
    periods = sorted(school.week[day.weekday()], key=lambda p: p.start)
    if not options.restricted:
        return periods[0].start <= minute < max(p.end for p in periods)
    for p in periods:
        if options.allows(p) and p.start <= minute < p.end:
            return True
    for before, after in itertools.pairwise(periods):
        if options.allows(before) and options.allows(after) and before.end <= minute < after.start:
            return True
    return False


def naive_common_free_minutes(
    schools: list[SchoolTimetable], day: date, options: SearchOptions
) -> set[int]:
    return {m for m in range(24 * 60) if all(naive_free(s, day, m, options) for s in schools)}


def runs(minutes: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for m in sorted(minutes):
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0], m + 1)
        else:
            out.append((m, m + 1))
    return out


# --- strategies ---------------------------------------------------------------


@st.composite
def periods_strategy(draw: st.DrawFn) -> tuple[Period, ...]:
    n = draw(st.integers(0, 4))
    t = draw(st.integers(8 * 60, 9 * 60))
    out = []
    for number in range(1, n + 1):
        t += draw(st.integers(0, 15))  # break (maybe none)
        length = draw(st.integers(10, 60))
        out.append(
            Period(
                number=number,
                start=t,
                end=t + length,
                label=draw(st.sampled_from(["", "探究", "数学"])),
                preferred=draw(st.booleans()),
            )
        )
        t += length
    return tuple(out)


START = date(2026, 11, 2)  # a Monday; 2026-11-03 is 文化の日


@st.composite
def school_strategy(draw: st.DrawFn, key: str) -> SchoolTimetable:
    week = {wd: draw(periods_strategy()) for wd in range(7) if draw(st.booleans())}
    events = []
    for _ in range(draw(st.integers(0, 2))):
        first = START + timedelta(days=draw(st.integers(0, 9)))
        events.append(
            CalendarEvent(
                kind=draw(st.sampled_from(list(EventKind))),
                start=first,
                end=first + timedelta(days=draw(st.integers(0, 3))),
            )
        )
    return SchoolTimetable(key=key, week=week, events=tuple(events))


@st.composite
def instance(draw: st.DrawFn) -> tuple[list[SchoolTimetable], SearchOptions, date, date]:
    n = draw(st.integers(1, 3))
    schools = [draw(school_strategy(f"s{i}")) for i in range(n)]
    options = SearchOptions(
        length=draw(st.integers(5, 90)),
        grid=draw(st.sampled_from([1, 5, 10, 15])),
        only_preferred=draw(st.booleans()),
        only_labels=frozenset(draw(st.sets(st.sampled_from(["探究", "数学"]), max_size=1))),
    )
    first = START + timedelta(days=draw(st.integers(0, 3)))
    last = first + timedelta(days=draw(st.integers(0, 5)))
    return schools, options, first, last


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- properties ---------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(instance())
def test_every_proposed_slot_is_free_at_every_school(
    case: tuple[list[SchoolTimetable], SearchOptions, date, date],
) -> None:
    schools, options, first, last = case
    for slot in find_slots(schools, first=first, last=last, options=options):
        assert first <= slot.day <= last
        assert slot.end - slot.start == options.length
        for school in schools:
            for minute in range(slot.start, slot.end):
                assert naive_free(school, slot.day, minute, options), (school.key, slot)


@settings(max_examples=150, deadline=None)
@given(instance())
def test_no_common_free_time_is_missed(
    case: tuple[list[SchoolTimetable], SearchOptions, date, date],
) -> None:
    """The windows are exactly the naive free runs of at least ``length`` minutes,
    and every free start on the grid (and every free window start) is proposed."""
    schools, options, first, last = case
    windows = common_windows(schools, first=first, last=last, options=options)
    slots = find_slots(schools, first=first, last=last, options=options)
    starts = {(s.day, s.start) for s in slots}
    assert len(starts) == len(slots), "a slot is proposed twice"
    for day in _days(first, last):
        free = naive_common_free_minutes(schools, day, options)
        expected = [r for r in runs(free) if r[1] - r[0] >= options.length]
        assert windows.get(day, []) == expected
        for a, b in expected:
            assert (day, a) in starts
            for t in range(a, b - options.length + 1):
                if t % options.grid == 0:
                    assert (day, t) in starts


@settings(max_examples=100, deadline=None)
@given(instance())
def test_ranking_and_costs(case: tuple[list[SchoolTimetable], SearchOptions, date, date]) -> None:
    schools, options, first, last = case
    slots = find_slots(schools, first=first, last=last, options=options)
    keys = [s.rank_key for s in slots]
    assert keys == sorted(keys)
    by_key = {s.key: s for s in schools}
    for slot in slots:
        assert slot.displaced == sum(f.displaced for f in slot.fits)
        for fit in slot.fits:
            periods = by_key[fit.school].week[slot.day.weekday()]
            overlapped = [p for p in periods if p.start < slot.end and slot.start < p.end]
            assert fit.displaced == sum(1 for p in overlapped if not p.preferred)
            assert fit.in_preferred == (
                bool(overlapped)
                and all(p.preferred for p in overlapped)
                and min(p.start for p in overlapped) <= slot.start
                and slot.end <= max(p.end for p in overlapped)
            )
    limited = find_slots(schools, first=first, last=last, options=options, limit=3)
    assert limited == slots[:3]


# --- hand cases -----------------------------------------------------------------


def _six_periods(inquiry: set[int]) -> tuple[Period, ...]:
    starts = [8 * 60 + 50, 9 * 60 + 50, 10 * 60 + 50, 11 * 60 + 50, 13 * 60 + 30, 14 * 60 + 30]
    return tuple(
        Period(
            number=i,
            start=s,
            end=s + 50,
            label="総合的な探究の時間" if i in inquiry else "",
            preferred=i in inquiry,
        )
        for i, s in enumerate(starts, start=1)
    )


def _school(key: str, inquiry: set[int], events: tuple[CalendarEvent, ...] = ()) -> SchoolTimetable:
    return SchoolTimetable(
        key=key, week={wd: _six_periods(inquiry) for wd in range(5)}, events=events
    )


def test_national_holiday_yields_no_slot() -> None:
    culture_day = date(2026, 11, 3)  # 文化の日 (a Tuesday)
    slots = find_slots(
        [_school("a", {6})],
        first=culture_day,
        last=culture_day,
        options=SearchOptions(length=50),
    )
    assert slots == []
    assert find_slots(
        [_school("a", {6})],
        first=date(2026, 11, 4),
        last=date(2026, 11, 4),
        options=SearchOptions(length=50),
    )


def test_exam_week_at_one_school_blocks_everyone() -> None:
    exam = CalendarEvent(EventKind.EXAM, date(2026, 11, 9), date(2026, 11, 13), "期末考査")
    schools = [_school("a", {6}), _school("b", {6}, (exam,))]
    slots = find_slots(
        schools, first=date(2026, 11, 9), last=date(2026, 11, 16), options=SearchOptions(50)
    )
    assert {s.day for s in slots} == {date(2026, 11, 16)}


def test_preferred_period_ranks_first_and_only_preferred_restricts() -> None:
    schools = [_school("a", {5, 6}), _school("b", {6})]
    monday = date(2026, 11, 9)
    slots = find_slots(schools, first=monday, last=monday, options=SearchOptions(50))
    best = slots[0]
    assert (best.start, best.preferred_schools, best.displaced) == (14 * 60 + 30, 2, 0)
    assert [f.periods for f in best.fits] == [(6,), (6,)]
    only = find_slots(
        schools, first=monday, last=monday, options=SearchOptions(50, only_preferred=True)
    )
    assert [(s.start, s.end) for s in only] == [(14 * 60 + 30, 15 * 60 + 20)]
    # 100 minutes fit school a's two inquiry periods but not school b's single one.
    assert not find_slots(
        schools, first=monday, last=monday, options=SearchOptions(100, only_preferred=True)
    )


def test_different_timetables_in_different_prefectures() -> None:
    north = SchoolTimetable(
        key="hokkaido",
        week={0: (Period(1, 9 * 60, 10 * 60), Period(2, 10 * 60 + 10, 11 * 60 + 10))},
        events=(CalendarEvent(EventKind.VACATION, date(2026, 12, 24), date(2027, 1, 19)),),
    )
    south = SchoolTimetable(
        key="okinawa",
        week={0: (Period(1, 8 * 60 + 40, 9 * 60 + 30), Period(2, 9 * 60 + 40, 10 * 60 + 30))},
    )
    opts = SearchOptions(length=30)
    windows = common_windows(
        [north, south], first=date(2027, 1, 11), last=date(2027, 1, 25), options=opts
    )
    # 2027-01-11 is 成人の日; the north's winter vacation covers the 18th.
    assert list(windows) == [date(2027, 1, 25)]
    assert windows[date(2027, 1, 25)] == [(9 * 60, 10 * 60 + 30)]


def test_parse_minutes() -> None:
    assert parse_minutes("8:50") == 530
    assert parse_minutes("０８：５０") == 530
    assert parse_minutes("8時50分") == 530
    assert parse_minutes("08:50:00") == 530


def test_bell_and_calendar_templates_parse() -> None:
    bell = parse_bell_schedule(bell_template_csv(), filename="bell.csv")
    assert bell.ok and len(bell.rows) == 6 and bell.rows[5].period.preferred
    cal = parse_calendar(calendar_template_csv(), filename="cal.csv")
    assert cal.ok and {e.kind for e in cal.rows} == set(EventKind)


def test_bell_import_lists_every_problem() -> None:
    text = (
        "曜日,時限,開始,終了,名称,探究\n"
        "月,1,08:50,09:40,,\n"
        "X,1,08:50,09:40,,\n"
        "火,1,25:00,09:40,,maybe\n"
        "月,2,09:30,10:20,,\n"
    )
    result = parse_bell_schedule(text.encode("cp932"), filename="bell.csv")
    assert not result.ok
    codes = {(p.row, p.code) for p in result.problems}
    assert (3, "import.weekday") in codes
    assert (4, "import.start") in codes
    assert (4, "import.preferred") in codes
    assert (5, "period.overlap") in codes


def test_calendar_import_problems() -> None:
    text = (
        "種別,開始日,終了日,名称\n"
        "雪,2026-01-01,,x\n"
        "考査,2026-07-02,2026-07-01,y\n"
        "休校,令和8年1月14日,,大雪\n"
    )
    result = parse_calendar(text.encode(), filename="cal.csv")
    assert {(p.row, p.field) for p in result.problems} == {(2, "kind"), (3, "end")}
    assert result.rows == [
        CalendarEvent(EventKind.CLOSURE, date(2026, 1, 14), date(2026, 1, 14), "大雪")
    ]
