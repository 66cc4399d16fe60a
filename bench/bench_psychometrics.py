"""Benchmark of the survey psychometrics (ekkyo.core.psychometrics) at national scale.

Generates a deterministic wave shaped like the national evaluation survey —
by default 120,000 respondents answering 40 five-point Likert items in 8
constructs of 5 items (one reverse-coded item each), congeneric loadings
0.45–0.80, 5 % of answers missing at random — and times:

1. ``summarize`` of the whole wave (scores, pairwise alpha with Feldt CI, ML
   omega with a 1,000-replicate bootstrap CI per construct, KPI④ share);
2. ``mcdonald_omega`` with ``n_boot=1000`` for one construct of 6 items
   answered by 5,000 respondents.

Each is run ``--runs`` times (default 5); the median, min and max are printed.
The bootstrap's matrix products go through BLAS: on a shared, busy machine a
multithreaded OpenBLAS can slow down by an order of magnitude (threads spin
waiting for a core), so set ``OPENBLAS_NUM_THREADS=1`` for stable figures —
and in workers that run many processes side by side. A script, not a test:

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_psychometrics.py [--runs R] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.psychometrics import ScaleSpec, mcdonald_omega, summarize


def likert_wave(
    respondents: int,
    constructs: int,
    items_per_construct: int,
    missing: float,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, ScaleSpec]]:
    """A deterministic wave: congeneric items cut into 1..5, some reversed, MCAR gaps."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    specs: dict[str, ScaleSpec] = {}
    for c in range(constructs):
        code = f"c{c + 1}"
        factor = rng.standard_normal(respondents)
        loadings = np.linspace(0.45, 0.80, items_per_construct)
        rng.shuffle(loadings)
        names = tuple(f"{code}_q{j + 1}" for j in range(items_per_construct))
        for j, name in enumerate(names):
            noise = rng.standard_normal(respondents) * np.sqrt(1 - loadings[j] ** 2)
            latent = loadings[j] * factor + noise
            answer = np.clip(np.round(3.2 + 1.1 * latent), 1, 5)
            if j == 0:  # the first item of every construct is worded negatively
                answer = 6 - answer
            columns[name] = answer
        specs[code] = ScaleSpec(items=names, reverse=frozenset({names[0]}))
    frame = pd.DataFrame(columns)
    frame = frame.mask(rng.random(frame.shape) < missing)
    return frame, specs


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float]) -> None:
    print(
        f"{label}: median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=120_000)
    parser.add_argument("--constructs", type=int, default=8)
    parser.add_argument("--items", type=int, default=5, help="items per construct")
    parser.add_argument("--missing", type=float, default=0.05)
    parser.add_argument("--omega-respondents", type=int, default=5_000)
    parser.add_argument("--omega-items", type=int, default=6)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    frame, specs = likert_wave(
        args.respondents, args.constructs, args.items, args.missing, args.seed
    )
    thresholds = dict.fromkeys(specs, 3.5)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "unset (OpenBLAS default)")
    print(f"OPENBLAS_NUM_THREADS={blas}; {os.cpu_count()} CPUs")
    print(
        f"wave: {frame.shape[0]:,} respondents x {frame.shape[1]} items in "
        f"{len(specs)} constructs, {frame.isna().to_numpy().mean():.1%} missing; "
        f"n_boot={args.n_boot}"
    )
    result = summarize(frame, specs, thresholds=thresholds, n_boot=args.n_boot)
    first = next(iter(result))
    print(f"  {first}: " + ", ".join(f"{k}={v}" for k, v in result[first].items()))
    report(
        "summarize",
        timed(
            lambda: summarize(frame, specs, thresholds=thresholds, n_boot=args.n_boot), args.runs
        ),
    )

    one, one_specs = likert_wave(
        args.omega_respondents, 1, args.omega_items, args.missing, args.seed + 1
    )
    spec = next(iter(one_specs.values()))
    items = one[list(spec.items)].copy()
    items[spec.items[0]] = 6 - items[spec.items[0]]
    omega = mcdonald_omega(items, n_boot=args.n_boot)
    print(
        f"one construct: {items.shape[0]:,} respondents x {items.shape[1]} items; "
        f"omega={omega.omega:.4f} [{omega.ci_low:.4f}, {omega.ci_high:.4f}] n={omega.n}"
    )
    report(
        f"mcdonald_omega(n_boot={args.n_boot})",
        timed(lambda: mcdonald_omega(items, n_boot=args.n_boot), args.runs),
    )


if __name__ == "__main__":
    main()
