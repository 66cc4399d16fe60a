"""Benchmark of the dashboards' per-student keys (ekkyo.core.kpi_aggregates).

Uses the input of ``bench_kpi.py`` (by default 120,000 students over five
fiscal years, 350 municipalities, 44 members) turned into activities, then
times, ``--runs`` times each:

- rebuild: ``student_keys`` for every student with records, plus
  ``tally_keys`` — the pure-Python part of ``ekkyo kpi-aggregates``;
- refresh: ``student_keys`` for one student before and after a change, plus
  ``key_delta`` — what a saved stay or attendance costs in Python.

    .venv/bin/python bench/bench_kpi_aggregates.py [--students N] [--runs R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_kpi import generate

from ekkyo.core.kpi import MemberYears
from ekkyo.core.kpi_aggregates import (
    Activity,
    StudentInfo,
    key_delta,
    student_keys,
    tally_keys,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=120_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args()
    residences, stays, attendances, memberships = generate(args.students, args.seed)
    acts: dict[str, list[Activity]] = defaultdict(list)
    homes: dict[str, str | None] = {}
    for r in residences:
        acts[r.student].append(
            Activity(
                "residence", r.host_municipality, None, r.start, r.end, home=r.home_municipality
            )
        )
    for s in stays:
        homes[s.student] = s.home_municipality
        acts[s.student].append(
            Activity(
                "stay", s.host_municipality, "p", s.arrival, s.departure, cancelled=s.cancelled
            )
        )
    for a in attendances:
        homes[a.student] = a.home_municipality
        if a.online:
            acts[a.student].append(Activity("online", None, "o", a.session_date, a.session_date))
    memberships = MemberYears(memberships)  # as the Django layer passes them
    infos = {sid: StudentInfo(sid, homes.get(sid), "S") for sid in acts}
    years = sorted({m.first_fy for m in memberships} | {2025})
    years = list(range(min(years), 2026))
    today = date(2026, 3, 31)
    n_acts = sum(len(v) for v in acts.values())
    print(f"{len(acts)} students with records, {n_acts} activities, FY{years[0]}–FY{years[-1]}")
    rebuild = []
    counts = None
    for _ in range(args.runs):
        t = time.perf_counter()
        counts = tally_keys(
            student_keys(infos[sid], a, memberships, years, until=today) for sid, a in acts.items()
        )
        rebuild.append(time.perf_counter() - t)
    assert counts is not None
    print(f"rebuild: {len(counts)} keys; median {statistics.median(rebuild):.2f} s "
          f"(min {min(rebuild):.2f}, max {max(rebuild):.2f})")  # fmt: skip
    rng = random.Random(args.seed)
    sample = rng.sample(sorted(acts), min(2000, len(acts)))
    per = []
    for _ in range(args.runs):
        t = time.perf_counter()
        for sid in sample:
            before = student_keys(infos[sid], acts[sid], memberships, years, until=today)
            after = student_keys(infos[sid], acts[sid][:-1], memberships, years, until=today)
            key_delta(before, after)
        per.append((time.perf_counter() - t) / len(sample))
    print(f"refresh of one student (keys before and after, delta): median "
          f"{statistics.median(per) * 1e6:.0f} µs")  # fmt: skip


if __name__ == "__main__":
    main()
