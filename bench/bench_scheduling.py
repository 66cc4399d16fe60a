"""Benchmark of common-slot search (ekkyo.core.scheduling) over a school year.

Generates a deterministic instance — by default 40 schools in different
prefectures, each with six periods Monday to Friday (start times differ by
school), one or two 探究 periods a week, regional vacations, three exam
weeks, a foundation day and snow days in the north — and times, ``--runs``
times each, for one fiscal year (April–March) and 50-minute sessions:

- windows: ``common_windows`` (the intersection only);
- slots: ``find_slots`` over the whole school day (every candidate start on a
  5-minute grid, ranked);
- slots (探究 only): ``find_slots`` restricted to preferred periods.

Prints the median, min and max of each and a calibration figure. A script,
not a test:

    .venv/bin/python bench/bench_scheduling.py [--schools N] [--runs R] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.scheduling import (
    CalendarEvent,
    EventKind,
    Period,
    SchoolTimetable,
    SearchOptions,
    common_windows,
    find_slots,
)

NORTH = {"01", "02", "03", "04", "05", "06", "07", "15", "16", "17", "18"}


def school(i: int, fy: int, rng: random.Random) -> SchoolTimetable:
    pref = f"{rng.randint(1, 47):02d}"
    first = 8 * 60 + rng.choice([35, 40, 45, 50])
    inquiry = {(rng.randrange(5), rng.choice([5, 6])) for _ in range(rng.randint(1, 2))}
    week: dict[int, tuple[Period, ...]] = {}
    for wd in range(5):
        t, periods = first, []
        for n in range(1, 7):
            periods.append(Period(n, t, t + 50, preferred=(wd, n) in inquiry))
            t += 50 + (45 if n == 4 else 10)
        week[wd] = tuple(periods)
    nxt = fy + 1
    north = pref in NORTH
    events = [
        CalendarEvent(EventKind.VACATION, date(fy, 4, 1), date(fy, 4, 7)),
        CalendarEvent(
            EventKind.VACATION, date(fy, 7, 24 if north else 20), date(fy, 8, 18 if north else 31)
        ),
        CalendarEvent(EventKind.VACATION, date(fy, 12, 24), date(nxt, 1, 16 if north else 7)),
        CalendarEvent(EventKind.VACATION, date(nxt, 3, 24), date(nxt, 3, 31)),
    ]
    for start in (date(fy, 6, 29), date(fy, 11, 30), date(nxt, 2, 22)):
        s = start + timedelta(days=rng.randrange(7))
        events.append(CalendarEvent(EventKind.EXAM, s, s + timedelta(days=3)))
    d = date(fy, 5, 1) + timedelta(days=rng.randrange(150))
    events.append(CalendarEvent(EventKind.SCHOOL_HOLIDAY, d, d))
    if north:
        for _ in range(rng.randint(1, 3)):
            d = date(nxt, 1, 20) + timedelta(days=rng.randrange(35))
            events.append(CalendarEvent(EventKind.CLOSURE, d, d))
    return SchoolTimetable(key=f"s{i:03d}-{pref}", week=week, events=tuple(events))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def calibration() -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(1_000_000):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=40)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--fy", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    before = calibration()
    rng = random.Random(args.seed)
    schools = [school(i, args.fy, rng) for i in range(args.schools)]
    first, last = date(args.fy, 4, 1), date(args.fy + 1, 3, 31)
    whole = SearchOptions(length=args.length)
    inquiry = SearchOptions(length=args.length, only_preferred=True)
    phases: dict[str, list[float]] = {"windows": [], "slots": [], "slots (探究 only)": []}
    outcome: dict[str, int] = {}
    for _ in range(args.runs):
        t, windows = timed(lambda: common_windows(schools, first=first, last=last, options=whole))
        phases["windows"].append(t)
        outcome["days with a common window"] = len(windows)
        t, slots = timed(lambda: find_slots(schools, first=first, last=last, options=whole))
        phases["slots"].append(t)
        outcome["slots"] = len(slots)
        t, only = timed(lambda: find_slots(schools, first=first, last=last, options=inquiry))
        phases["slots (探究 only)"].append(t)
        outcome["slots (探究 only)"] = len(only)
    print(
        f"instance: {args.schools} schools, FY{args.fy} ({first} – {last}), "
        f"{args.length}-minute sessions, seed {args.seed}"
    )
    print("outcome: " + ", ".join(f"{k} {v}" for k, v in outcome.items()))
    for name, times in phases.items():
        print(
            f"{name:<20} median {statistics.median(times) * 1e3:8.1f} ms   "
            f"min {min(times) * 1e3:8.1f} ms   max {max(times) * 1e3:8.1f} ms   "
            f"({len(times)} runs)"
        )
    print(
        f"calibration (empty loop, 10^6 iterations): {before * 1e3:.1f} ms before, "
        f"{calibration() * 1e3:.1f} ms after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
