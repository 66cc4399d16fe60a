"""Benchmark of the OneRoster Japan Profile reader (ekkyo.core.oneroster).

For each size (by default 1,000 students of one 中学校, then 10,000 students
of a board's 12 schools) writes a deterministic synthetic package with
:mod:`ekkyo.core.oneroster_sample` — the profile's files with homeroom
teachers, roles, enrollments with 出席番号 and demographics, zipped as a
校務支援システム exports it — and times ``parse_oneroster`` on the zip's
bytes (unzip, decode, every check, the joins), ``--runs`` times. Prints the
package's size, the median, min and max, and a calibration figure (an empty
loop) before and after, since the machine is shared and noisy. A script, not
a test:

    .venv/bin/python bench/bench_oneroster.py [--students 1000 --students 10000] [--runs R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.codes import school_code_with_check_digit
from ekkyo.core.oneroster import parse_oneroster
from ekkyo.core.oneroster_sample import SampleSchool, package_zip, sample_package

FY = 2025
BOARD = ("064000", "試験町教育委員会")
TODAY = date(FY, 6, 1)


def calibration() -> float:
    """Seconds for an empty loop of a million iterations: how fast the machine is now."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(1_000_000):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def schools_for(students: int) -> list[SampleSchool]:
    """One school up to 1,000 students; beyond, a board's schools of about 850 each."""
    count = max(1, round(students / 850)) if students > 1_000 else 1
    kinds = ["C1", "C1", "D1", "C2"]
    schools = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        code = school_code_with_check_digit(f"{kind}062{9000000 + i:07d}")
        share = students // count + (1 if i < students % count else 0)
        schools.append(SampleSchool(code, f"試験{i + 1}学校", share))
    return schools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, action="append")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = args.students or [1_000, 10_000]
    before = calibration()
    print(f"Python {sys.version.split()[0]}; {args.runs} runs per size")
    for students in sizes:
        schools = schools_for(students)
        started = time.perf_counter()
        package = sample_package(schools=schools, fiscal_year=FY, board=BOARD)
        data = package_zip(package)
        written = time.perf_counter() - started
        scope = {"board_code": BOARD[0]} if len(schools) > 1 else {"school_code": schools[0].code}
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = parse_oneroster(data, reference_date=TODAY, **scope)  # type: ignore[arg-type]
            times.append(time.perf_counter() - started)
            assert result.ok and len(result.students) == students, result.problems[:3]
        rows = {name: len(table.rows) for name, table in package.items()}
        print(
            f"{students:,} students, {len(schools)} school(s): zip {len(data) / 1e6:.1f} MB "
            f"(users {rows['users.csv']:,}, enrollments {rows['enrollments.csv']:,}, "
            f"classes {rows['classes.csv']:,} rows); written in {written:.2f} s"
        )
        print(
            f"  parse_oneroster: median {statistics.median(times):.3f} s, "
            f"min {min(times):.3f} s, max {max(times):.3f} s"
        )
    print(
        f"calibration (empty loop, 10^6 iterations): {before * 1e3:.1f} ms before, "
        f"{calibration() * 1e3:.1f} ms after"
    )


if __name__ == "__main__":
    main()
