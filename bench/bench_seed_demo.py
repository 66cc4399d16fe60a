"""Benchmark of ``ekkyo seed-demo``: wall time per phase, ``--runs`` times.

Runs the seeder against the database of DATABASE_URL (migrated first; the
demo consortium there is replaced), printing each phase's own time, then the
median, min and max of the totals (and the load average before and after).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ekkyo_seed \\
        .venv/bin/python bench/bench_seed_demo.py --students 120000 --schools 350 --runs 1
    .venv/bin/python bench/bench_seed_demo.py --runs 3          # SQLite, the make demo size
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekkyo.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from ekkyo.demo.services import demo_reset, demo_seed

    print(f"database: {connection.vendor}; load average before: {os.getloadavg()}")
    totals = []
    for run in range(1, args.runs + 1):
        started = last = time.perf_counter()
        demo_reset()
        print(f"run {run}: reset {time.perf_counter() - last:.1f} s")
        last = time.perf_counter()

        def phase(msg: str) -> None:
            nonlocal last
            now = time.perf_counter()
            print(f"  {now - last:7.1f} s  {msg[:110]}")
            last = now

        demo_seed(
            students=args.students,
            schools=args.schools,
            reference_date=timezone.localdate(),
            progress=phase,
        )
        phase("annual report and commit")
        totals.append(time.perf_counter() - started)
        print(f"run {run}: total {totals[-1]:.1f} s (reset included)")
    print(
        f"median {statistics.median(totals):.1f} s, min {min(totals):.1f} s, "
        f"max {max(totals):.1f} s over {len(totals)} runs; load average after: {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
