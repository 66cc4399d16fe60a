"""Benchmark of KPI counting (ekkyo.core.kpi) at the national network's size.

Generates a deterministic input — by default 120,000 students over five
fiscal years (FY2021–FY2025), 350 municipalities of which 44 are members (40
from the start, 4 joining in FY2023, one of the first leaving after FY2024),
homes 30 % in member towns, 68 % elsewhere in Japan and 2 % abroad; about
15 % of students with 1–3 stays (a fifth of them mid-term, 5 % cancelled,
some crossing 31 March), about 3 % with a residence of 1–3 years (a tenth
still open) and about 25 % attending 1–20 sessions in each of 1–3 years (a
tenth of the sessions in person) — then times ``all_kpis`` for the five
years ``--runs`` times and prints the median, min and max. For comparison it
also times five single-year calls of ``kpi1/2/3`` and the per-student
``student_fy_contributions`` used for incremental updates, and KPI ④ of one
national annual wave (75 % of the students answering, four constructs, 350
schools) through ``kpi4_share`` (records) and ``kpi4_share_columns`` (the
numpy columns the recount passes; consortium and town rows, then one call per
school). A script, not a test:

    .venv/bin/python bench/bench_kpi.py [--students N] [--runs R] [--seed S]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.kpi import (
    AttendanceRec,
    Membership,
    ResidenceRec,
    ScoreRec,
    StayRec,
    all_kpis,
    kpi1_residence,
    kpi2_offline,
    kpi3_online,
    kpi4_share,
    kpi4_share_columns,
    student_fy_contributions,
)

FYS = [2021, 2022, 2023, 2024, 2025]
FIRST_DAY, LAST_DAY = date(2021, 4, 1), date(2026, 3, 31)
SPAN = (LAST_DAY - FIRST_DAY).days


def generate(
    students: int, seed: int
) -> tuple[list[ResidenceRec], list[StayRec], list[AttendanceRec], list[Membership]]:
    rng = random.Random(seed)
    towns = [f"{10000 + 97 * i:05d}" for i in range(350)]
    members, others = towns[:44], towns[44:]
    memberships = [Membership(m, 2021) for m in members[1:40]]
    memberships += [Membership(members[0], 2021, 2024)]
    memberships += [Membership(m, 2023) for m in members[40:]]

    residences: list[ResidenceRec] = []
    stays: list[StayRec] = []
    attendances: list[AttendanceRec] = []
    for i in range(students):
        student = f"st{i:06d}"
        draw = rng.random()
        home = rng.choice(members) if draw < 0.30 else rng.choice(others) if draw < 0.98 else None
        if rng.random() < 0.15:
            for _ in range(rng.randint(1, 3)):
                arrival = FIRST_DAY + timedelta(days=rng.randrange(SPAN))
                length = rng.randint(20, 200) if rng.random() < 0.2 else rng.randint(1, 14)
                host = rng.choice(members) if rng.random() < 0.97 else rng.choice(others)
                stays.append(
                    StayRec(
                        student,
                        home,
                        host,
                        arrival,
                        arrival + timedelta(days=length),
                        rng.random() < 0.05,
                    )
                )
        if rng.random() < 0.03:
            start = FIRST_DAY + timedelta(days=rng.randrange(SPAN))
            host = home if home in members and rng.random() < 0.05 else rng.choice(members)
            end = None if rng.random() < 0.1 else start + timedelta(days=365 * rng.randint(1, 3))
            residences.append(ResidenceRec(student, home, host, start, end))
        if rng.random() < 0.25:
            for fy in rng.sample(FYS, rng.randint(1, 3)):
                for _ in range(rng.randint(1, 20)):
                    day = date(fy, 4, 1) + timedelta(days=rng.randrange(365))
                    attendances.append(AttendanceRec(student, home, day, rng.random() < 0.9))
    return residences, stays, attendances, memberships


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def show(label: str, times: list[float]) -> None:
    print(
        f"{label:<42} median {statistics.median(times):7.3f} s"
        f"  (min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=120_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20250401)
    args = parser.parse_args()

    t0 = time.perf_counter()
    residences, stays, attendances, memberships = generate(args.students, args.seed)
    print(
        f"{args.students:,} students, {len(FYS)} FYs, {len(memberships)} memberships; "
        f"{len(residences):,} residences, {len(stays):,} stays, "
        f"{len(attendances):,} attendance records "
        f"(generated in {time.perf_counter() - t0:.1f} s)"
    )

    result = all_kpis(residences, stays, attendances, memberships, FYS)
    for fy, k in result.items():
        print(
            f"  FY{fy}: KPI① {k.residence.consortium:,} (new {k.residence.new_arrivals:,})"
            f"  KPI② {k.offline.consortium:,}  KPI③ {k.online.consortium:,}"
            f" (unattributed {k.online.unattributed:,})  members {len(k.online.by_municipality)}"
        )

    show(
        "all_kpis, 5 FYs (one pass)",
        timed(lambda: all_kpis(residences, stays, attendances, memberships, FYS), args.runs),
    )

    def per_year() -> None:
        for fy in FYS:
            kpi1_residence(residences, memberships, fy)
            kpi2_offline(stays, memberships, fy)
            kpi3_online(attendances, memberships, fy)

    show("kpi1/2/3 called per FY (5 x 3 calls)", timed(per_year, args.runs))

    mine: dict[str, tuple[list[Any], list[Any], list[Any]]] = defaultdict(lambda: ([], [], []))
    for res in residences:
        mine[res.student][0].append(res)
    for st in stays:
        mine[st.student][1].append(st)
    for att in attendances:
        mine[att.student][2].append(att)
    sample = sorted(mine)[:2000]

    def contributions() -> None:
        for s in sample:
            student_fy_contributions(s, *mine[s], memberships, FYS)

    times = timed(contributions, args.runs)
    per_student = statistics.median(times) / len(sample) * 1e6
    print(
        f"{'student_fy_contributions, one student':<42} median {per_student:7.1f} µs"
        f"  (over {len(sample):,} students with records)"
    )

    kpi4_bench(args.students, args.seed, memberships, args.runs)


def kpi4_bench(students: int, seed: int, memberships: list[Membership], runs: int) -> None:
    """KPI ④ of one annual wave: the records form against the columns form."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(students * 0.75)
    constructs = ["agency", "belonging", "collaboration", "attachment"]
    thresholds = dict.fromkeys(constructs, 3.0)
    towns = np.array([m.municipality for m in memberships] + [None] * 80, dtype=object)
    who = np.array([f"st{i:06d}" for i in range(n)], dtype=object)
    homes = towns[rng.integers(0, len(towns), size=n)]
    scores = {c: rng.integers(4, 21, size=n) / 4 for c in constructs}
    for column in scores.values():
        column[rng.random(n) < 0.03] = np.nan  # too few items answered: no score
    school = rng.integers(0, 350, size=n)
    at_school = [np.flatnonzero(school == k) for k in range(350)]
    records = [
        ScoreRec(who[i], homes[i], c, float(scores[c][i]))
        for c in constructs
        for i in range(n)
        if scores[c][i] == scores[c][i]
    ]
    fy = FYS[-1]
    columns = kpi4_share_columns(who, homes, scores, thresholds, fy, memberships=memberships)
    assert kpi4_share(records, thresholds, fy, memberships=memberships) == columns
    print(f"KPI ④: {n:,} respondents, {len(constructs)} constructs, {len(records):,} scores")
    show(
        "kpi4_share (records)",
        timed(lambda: kpi4_share(records, thresholds, fy, memberships=memberships), runs),
    )
    show(
        "kpi4_share_columns (numpy columns)",
        timed(
            lambda: kpi4_share_columns(who, homes, scores, thresholds, fy, memberships=memberships),
            runs,
        ),
    )

    def per_school() -> None:
        for at in at_school:
            kpi4_share_columns(
                who[at], homes[at], {c: v[at] for c, v in scores.items()}, thresholds, fy,
                by_home=False,
            )  # fmt: skip

    show("kpi4_share_columns, 350 schools one by one", timed(per_school, runs))


if __name__ == "__main__":
    main()
