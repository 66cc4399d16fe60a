"""Benchmark of seat allocation (ekkyo.core.allocation) at New York City's size.

Generates a deterministic instance — by default 90,000 students, 700
programmes, 12 preferences each drawn with a popularity skew (Zipf-like),
capacities summing to about 90% of the students, each programme ranking ALL its
applicants (a district priority for half the programmes, ties broken by one
lottery shared across programmes) — writes it to a temporary JSON file, then
times separately, ``--runs`` times each:

- load: ``read_problem``, i.e. ``json.load`` of the file plus ``from_json_dict``
  (parsing + validation), as the command does;
- allocate: ``deferred_acceptance`` on the in-memory problem (what the CLI runs
  after loading, i.e. without validating again), and with validation;
- explain: every student's explanation (``Result.explanations``);
- write: ``to_json_dict`` plus ``json.dumps`` and writing the output file;
- command: the whole ``allocate`` command (``main``), file to file.

Prints the median, min and max of each phase, and a calibration figure (an
empty loop) taken before and after, since the machine is shared and noisy.
A script, not a test:

    .venv/bin/python bench/bench_allocation.py [--students N] [--programs M]
        [--prefs K] [--runs R] [--seed S]
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.allocation import (
    deferred_acceptance,
    draw_lottery,
    priority_order,
    read_problem,
    to_json_dict,
)
from ekkyo.core.allocation import main as allocation_main


def generate(students: int, programs: int, prefs: int, seed: int) -> dict[str, Any]:
    """A deterministic instance in the CLI's JSON format."""
    rng = random.Random(seed)
    prefs = min(prefs, programs)
    width = max(len(str(students)), 1)
    student_ids = [f"s{i:0{width}d}" for i in range(students)]
    program_ids = [f"p{j:04d}" for j in range(programs)]

    # Popularity: Zipf-like weights over a shuffled order of programmes.
    order = list(range(programs))
    rng.shuffle(order)
    weights = [0.0] * programs
    for position, j in enumerate(order):
        weights[j] = 1.0 / (position + 1) ** 0.7
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]

    # Capacities: random sizes scaled so that they sum to about 90% of students.
    raw = [rng.uniform(20, 200) for _ in range(programs)]
    scale = 0.9 * students / sum(raw)
    capacities = [max(1, round(r * scale)) for r in raw]

    districts = 32
    student_district = [rng.randrange(districts) for _ in range(students)]
    program_district = [rng.randrange(districts) for _ in range(programs)]
    district_priority = [rng.random() < 0.5 for _ in range(programs)]

    applicants: list[list[int]] = [[] for _ in range(programs)]
    preferences: list[list[str]] = []
    for s in range(students):
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < prefs:
            j = bisect.bisect_left(cumulative, rng.random() * total)
            j = min(j, programs - 1)
            if j not in seen:
                seen.add(j)
                chosen.append(j)
        for j in chosen:
            applicants[j].append(s)
        preferences.append([program_ids[j] for j in chosen])

    lottery = draw_lottery(student_ids, seed=seed)
    programs_out = []
    for j in range(programs):
        home = program_district[j]

        def key(sid: str, _home: int = home, _on: bool = district_priority[j]) -> tuple[int]:
            return ((0 if student_district[int(sid[1:])] == _home else 1) if _on else 0,)

        ranking = priority_order(
            [student_ids[s] for s in applicants[j]], keys=key, seed=seed, lottery=lottery
        )
        programs_out.append({"id": program_ids[j], "capacity": capacities[j], "ranking": ranking})
    return {
        "programs": programs_out,
        "students": [
            {"id": sid, "preferences": p} for sid, p in zip(student_ids, preferences, strict=True)
        ],
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def calibration() -> float:
    """Seconds for an empty loop of a million iterations: how fast the machine is now.

    The machine is shared and noisy; this figure, printed before and after,
    lets a reader compare runs made at different times.
    """
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(1_000_000):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def summary(name: str, times: list[float]) -> str:
    return (
        f"{name:<22} median {statistics.median(times):7.3f} s   "
        f"min {min(times):7.3f} s   max {max(times):7.3f} s   ({len(times)} runs)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=90_000)
    parser.add_argument("--programs", type=int, default=700)
    parser.add_argument("--prefs", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    before = calibration()
    generation, data = timed(lambda: generate(args.students, args.programs, args.prefs, args.seed))
    workdir = tempfile.mkdtemp(prefix="bench-allocation-")
    source = os.path.join(workdir, "in.json")
    target = os.path.join(workdir, "out.json")
    with open(source, "w", encoding="utf-8") as f:
        json.dump(data, f)
    preference_entries = sum(len(s["preferences"]) for s in data["students"])
    ranking_entries = sum(len(p["ranking"]) for p in data["programs"])
    seats = sum(p["capacity"] for p in data["programs"])
    del data
    print(
        f"instance: {args.students} students, {args.programs} programmes, "
        f"{args.prefs} preferences each ({preference_entries} entries), "
        f"rankings {ranking_entries} entries, {seats} seats, "
        f"input {os.path.getsize(source) / 1e6:.1f} MB, seed {args.seed} "
        f"(generated in {generation:.1f} s)"
    )

    def load() -> Any:
        return read_problem(source)

    def write(result: Any) -> None:
        with open(target, "w", encoding="utf-8") as f:
            f.write(json.dumps(to_json_dict(result), ensure_ascii=False) + "\n")

    phases: dict[str, list[float]] = {
        "load + validate": [],
        "allocate": [],
        "allocate (+ validate)": [],
        "explain all": [],
        "write": [],
        "command (main)": [],
    }

    def one_run() -> tuple[dict[str, float], dict[str, str | None]]:
        times: dict[str, float] = {}
        times["load + validate"], problem = timed(load)
        # The problem is now "already in memory": let the collector age it as
        # it would in a running process, outside the timings.
        gc.collect()
        times["allocate"], result = timed(lambda: deferred_acceptance(problem, check=False))
        times["allocate (+ validate)"], checked = timed(lambda: deferred_acceptance(problem))
        times["explain all"], _ = timed(result.explanations)
        times["write"], _ = timed(lambda: write(result))
        assert checked.assignment == result.assignment
        return times, result.assignment

    def command() -> None:
        assert allocation_main(["--input", source, "--output", target]) == 0

    first = None
    for _ in range(args.runs):
        times, assignment = one_run()
        gc.collect()
        times["command (main)"], _ = timed(command)
        for name, t in times.items():
            phases[name].append(t)
        if first is None:
            first = assignment
        assert assignment == first, "allocation is not deterministic"
    assert first is not None
    assigned = sum(1 for p in first.values() if p is not None)
    print(f"outcome: {assigned} of {len(first)} students assigned")
    for name, measured in phases.items():
        print(summary(name, measured))
    print(
        f"calibration (empty loop, 10^6 iterations): {before * 1e3:.1f} ms before, "
        f"{calibration() * 1e3:.1f} ms after"
    )
    for path in (source, target):
        os.unlink(path)
    os.rmdir(workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
