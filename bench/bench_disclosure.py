"""Benchmark of disclosure control (ekkyo.core.disclosure) at the national network's size.

Generates deterministic data for 350 schools (DESIGN.md, "Scale it must hold")
and times, ``--runs`` times each:

- table: ``suppress_table`` on a schools × (6 grades × 2 genders) table of
  people counts with row, column and grand totals published, with the
  default interval protection (width >= 1) and with ``protection=None``
  (exact recovery only);
- roll-up: ``roll_up`` of per-school counts, 350 schools → 44 municipalities
  → 18 prefectures.

School sizes are log-normal (median ``--median`` people) except for a share
``--tiny`` of small rural schools (2 to 40 pupils), split over the 12 cells
at random, so that small schools produce many small and zero cells. ``--share`` scales every school
down (e.g. the share of students who answered a survey), which makes the
table harder. Prints the median, min and max of each, what was hidden, and a
calibration figure (an empty loop) taken before and after, since the machine
is shared and noisy. A script, not a test:

    .venv/bin/python bench/bench_disclosure.py [--schools N] [--median M]
        [--tiny T] [--share S] [--k K] [--runs R] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.disclosure import Cell, TableResult, roll_up, suppress_table

GRADES = ("中1", "中2", "中3", "高1", "高2", "高3")
GENDERS = ("f", "m")


def school_sizes(
    schools: int, median: float, tiny: float, share: float, rng: random.Random
) -> list[int]:
    """People per school, scaled by ``share``.

    A fraction ``tiny`` of the schools are small rural ones (2 to 40 pupils);
    the rest are log-normal around ``median``.
    """
    sizes = []
    for _ in range(schools):
        if rng.random() < tiny:
            size = rng.randint(2, 40)
        else:
            size = round(rng.lognormvariate(0.0, 0.8) * median)
        sizes.append(round(size * share))
    return sizes


def make_table(sizes: list[int], rng: random.Random) -> dict[tuple[str, tuple[str, str]], Cell]:
    """Schools × (grade, gender): each school's people spread over the 12 cells."""
    cells = [(grade, gender) for grade in GRADES for gender in GENDERS]
    table: dict[tuple[str, tuple[str, str]], Cell] = {}
    for i, size in enumerate(sizes):
        weights = [rng.uniform(0.3, 1.0) for _ in cells]
        counts = [0] * len(cells)
        for pick in rng.choices(range(len(cells)), weights=weights, k=size):
            counts[pick] += 1
        for cell, count in zip(cells, counts, strict=True):
            table[(f"school-{i:03d}", cell)] = Cell(float(count), count)
    return table


def make_hierarchy(
    schools: int, municipalities: int, prefectures: int, rng: random.Random
) -> dict[str, str]:
    """school → municipality → prefecture, every municipality and prefecture used."""
    parent: dict[str, str] = {}
    towns = [f"town-{m:02d}" for m in range(municipalities)]
    for m, town in enumerate(towns):
        parent[town] = f"pref-{m % prefectures:02d}"
    for s in range(schools):
        town = towns[s] if s < municipalities else rng.choice(towns)
        parent[f"school-{s:03d}"] = town
    return parent


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def calibration() -> float:
    """Seconds for an empty loop of a million iterations: how fast the machine is now."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(1_000_000):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def summary(name: str, times: list[float]) -> str:
    return (
        f"{name:<28} median {statistics.median(times) * 1000:8.1f} ms   "
        f"min {min(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms   ({len(times)} runs)"
    )


def describe(table: dict[Any, Cell], result: TableResult[Any, Any]) -> str:
    reasons: dict[str, int] = {}
    people = 0
    for key, published in result.entries():
        if published.suppressed:
            reasons[published.reason] = reasons.get(published.reason, 0) + 1
            if key in table:
                people += table[key].n
    total = sum(cell.n for cell in table.values())
    hidden_totals = sum(
        published.suppressed
        for key, published in result.entries()
        if key not in table  # row, column or grand total
    )
    return (
        f"hidden: {reasons.get('small', 0)} small, "
        f"{reasons.get('complementary', 0)} complementary; "
        f"{hidden_totals} of the hidden figures are totals; "
        f"people in hidden cells {people} of {total} ({100 * people / max(total, 1):.1f} %)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=350)
    parser.add_argument("--municipalities", type=int, default=44)
    parser.add_argument("--prefectures", type=int, default=18)
    parser.add_argument("--median", type=float, default=300.0)
    parser.add_argument("--tiny", type=float, default=0.2)
    parser.add_argument("--share", type=float, default=1.0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    sizes = school_sizes(args.schools, args.median, args.tiny, args.share, rng)
    table = make_table(sizes, rng)
    parent = make_hierarchy(args.schools, args.municipalities, args.prefectures, rng)
    units = {f"school-{i:03d}": Cell(float(n), n) for i, n in enumerate(sizes)}

    before = calibration()
    small_cells = sum(cell.n < args.k for cell in table.values())
    print(
        f"{args.schools} schools × {len(GRADES) * len(GENDERS)} cells = {len(table)} cells, "
        f"{sum(sizes)} people, median school {statistics.median(sizes):.0f}, "
        f"{sum(n < args.k for n in sizes)} schools and {small_cells} cells under k={args.k}"
    )
    print(f"calibration before: {before * 1000:.1f} ms")

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("suppress_table (p=1)", lambda: suppress_table(table, k=args.k)),
        ("suppress_table (exact only)", lambda: suppress_table(table, k=args.k, protection=None)),
        ("roll_up", lambda: roll_up(units, parent, k=args.k)),
    ]
    for name, fn in cases:
        times = []
        result: Any = None
        for _ in range(args.runs):
            seconds, result = timed(fn)
            times.append(seconds)
        print(summary(name, times))
        if isinstance(result, TableResult):
            print("    " + describe(table, result))
        else:
            shown = sum(not p.suppressed for p in result.values())
            rolled = sum(p.reason == "rolled_up" for p in result.values())
            print(f"    {shown} figures shown, {rolled} units or groups rolled up")
    print(f"calibration after: {calibration() * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
