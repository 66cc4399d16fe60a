"""Benchmark of homestay placement (ekkyo.core.hostmatch): OR-Tools against the old solver.

For each size (by default 300 guests for 200 host families, then 1,000 for
600) generates a deterministic instance — students arriving for one offline
programme, most for the same week, and registered families with 1–3 places
each — and times:

- ``suggest_placements`` (scoring every pair with numpy, then OR-Tools'
  min-cost flow), ``--runs`` times, with its two phases timed separately;
- the pure-Python reference (pair-by-pair scoring and successive shortest
  paths: the solver before OR-Tools) on the same integer costs, up to
  ``--reference-runs`` times but no more runs than fit in
  ``--reference-seconds`` after the first (about 40 s a run at 1,000 × 600).

Checks that both place the same number of guests at the same integer cost,
and counts the guests they place differently (an exchange among guests of
equal cost). Prints medians with min and max, and a calibration figure (an
empty loop) before and after, since the machine is shared and noisy. A
script, not a test:

    .venv/bin/python bench/bench_hostmatch.py [--size 300x200 --size 1000x600] [--runs R]
        [--reference-runs R] [--reference-seconds S] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core import hostmatch
from ekkyo.core.hostmatch import (
    GuestProfile,
    HostProfile,
    Placement,
    Weights,
    suggest_placements,
)

START = date(2025, 8, 1)
ALLERGENS = ["egg", "milk", "wheat", "buckwheat", "peanut", "shrimp", "crab"]
DIETS = ["vegetarian", "halal", "no_pork", "no_beef"]
FOREIGN = ["en", "zh", "ko", "vi", "fr"]


def generate(guests: int, hosts: int, seed: int) -> tuple[list[GuestProfile], list[HostProfile]]:
    """A deterministic instance shaped like a rural town's register and programme."""
    rng = random.Random(seed)
    hs: list[HostProfile] = []
    for j in range(hosts):
        min_age = rng.choice([12, 12, 13, 15])
        genders = rng.choice(
            [{"female", "male", "other"}] * 2 + [{"female"}, {"male"}, {"female", "other"}]
        )
        languages = {"ja"} | set(rng.sample(FOREIGN, rng.choice([0, 0, 1, 1, 2])))
        checked = rng.random()
        hs.append(
            HostProfile(
                key=f"h{j:04d}",
                capacity=rng.randint(1, 3),
                languages=frozenset(languages),
                accepts_genders=frozenset(genders),
                min_age=min_age,
                max_age=rng.choice([15, 18, 18, 18]) if min_age < 15 else 18,
                available_from=START - timedelta(days=rng.choice([0, 0, 7, 30])),
                available_until=START + timedelta(days=rng.choice([6, 10, 14, 30, 60])),
                pets=rng.random() < 0.3,
                diet_options=frozenset(rng.sample(DIETS, rng.choice([0, 0, 1, 2]))),
                allergy_ok=frozenset(rng.sample(ALLERGENS, rng.randint(0, len(ALLERGENS)))),
                distance_km=round(rng.uniform(0.2, 25.0), 1),
                checked_until=(
                    None if checked < 0.03 else START + timedelta(days=3 if checked < 0.08 else 365)
                ),
            )
        )
    gs: list[GuestProfile] = []
    for i in range(guests):
        foreign = rng.random() < 0.2
        arrival = START + timedelta(days=rng.choice([0, 0, 0, 0, 1]))
        gs.append(
            GuestProfile(
                key=f"g{i:04d}",
                gender=rng.choice(["female", "male", "female", "male", "other"]),
                age=rng.randint(13, 17),
                languages=frozenset({rng.choice(FOREIGN)} if foreign else {"ja"}),
                arrival=arrival,
                departure=arrival + timedelta(days=rng.choice([4, 6, 6, 6, 9])),
                needs_diet=frozenset(rng.sample(DIETS, 1) if rng.random() < 0.1 else ()),
                allergies=frozenset(rng.sample(ALLERGENS, 1) if rng.random() < 0.12 else ()),
                pet_allergy=rng.random() < 0.08,
                prefers_no_pets=rng.random() < 0.2,
            )
        )
    return gs, hs


def calibration() -> float:
    """Seconds for an empty loop of a million iterations: how fast the machine is now."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(1_000_000):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def timed(label: str, times: list[float]) -> str:
    return (
        f"{label:<36} median {statistics.median(times):7.3f} s   "
        f"min {min(times):7.3f} s   max {max(times):7.3f} s   ({len(times)} runs)"
    )


def outcome(placement: Placement) -> str:
    placed = sum(key is not None for key in placement.assignment.values())
    reasons: dict[str, int] = {}
    for u in placement.unplaced:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    return (
        f"{placed} of {len(placement.assignment)} guests placed, total score "
        f"{placement.total_score:.3f} (mean {placement.total_score / max(placed, 1):.3f}), "
        f"unplaced by reason {reasons}"
    )


def bench(guests: int, hosts: int, args: argparse.Namespace) -> None:
    gs, hs = generate(guests, hosts, args.seed)
    weights = Weights()
    by_key = sorted(gs, key=lambda g: g.key)
    with_place = sorted((h for h in hs if h.capacity > 0), key=lambda h: h.key)
    capacity = [h.capacity for h in with_place]
    pairs = hostmatch._candidates(by_key, with_place, weights)
    resolution, _ = hostmatch._resolution(len(by_key), len(with_place), sum(capacity))
    print(
        f"\ninstance: {len(gs)} guests, {len(hs)} hosts with {sum(capacity)} places, "
        f"{len(pairs.guest)} feasible pairs of {len(gs) * len(hs)}, seed {args.seed}, "
        f"scores in units of 1e-{len(str(resolution)) - 1}"
    )

    times: list[float] = []
    scoring: list[float] = []
    solving: list[float] = []
    first: Placement | None = None
    for _ in range(args.runs):
        started = time.perf_counter()
        placement = suggest_placements(gs, hs, weights)
        times.append(time.perf_counter() - started)
        if first is None:
            first = placement
        assert placement == first, "placement is not deterministic"
        started = time.perf_counter()
        pairs = hostmatch._candidates(by_key, with_place, weights)
        scoring.append(time.perf_counter() - started)
        costs = hostmatch._costs(pairs, len(by_key), len(with_place), sum(capacity))
        started = time.perf_counter()
        chosen = hostmatch._solve(pairs, costs, capacity, len(by_key))
        solving.append(time.perf_counter() - started)
    assert first is not None
    print(f"outcome: {outcome(first)}")
    print(timed("suggest_placements (OR-Tools)", times))
    print(timed("  of which scoring (numpy)", scoring))
    print(timed("  of which min-cost flow", solving))

    if args.reference_runs < 1:
        return
    reference: list[float] = []
    while len(reference) < args.reference_runs and (
        not reference or sum(reference) * (1 + 1 / len(reference)) <= args.reference_seconds
    ):
        started = time.perf_counter()
        old = hostmatch._suggest(gs, hs, weights, reference=True)
        reference.append(time.perf_counter() - started)
    print(timed("reference (pure Python, old solver)", reference))
    old_chosen = hostmatch._solve_reference(pairs, costs, capacity, len(by_key))
    assert (chosen >= 0).sum() == (old_chosen >= 0).sum(), "not as many guests placed"
    cost = int(costs[chosen[chosen >= 0]].sum())
    assert cost == int(costs[old_chosen[old_chosen >= 0]].sum()), "not the same cost"
    differ = sum(old.assignment[k] != v for k, v in first.assignment.items())
    print(
        f"same guests placed at the same integer cost; {differ} guests placed differently; "
        f"speed-up {statistics.median(reference) / statistics.median(times):.1f}x"
    )


def size(text: str) -> tuple[int, int]:
    guests, _, hosts = text.partition("x")
    return int(guests), int(hosts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=size, action="append", help="GUESTSxHOSTS, repeatable")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reference-runs", type=int, default=3)
    parser.add_argument("--reference-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    before = calibration()
    for guests, hosts in args.size or [(300, 200), (1000, 600)]:
        bench(guests, hosts, args)
    print(
        f"\ncalibration (empty loop, 10^6 iterations): {before * 1e3:.1f} ms before, "
        f"{calibration() * 1e3:.1f} ms after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
