"""Benchmark of homestay placement (ekkyo.core.hostmatch) at a town's size.

Generates a deterministic instance — by default 300 guests (students arriving
for one offline programme, most for the same week) and 200 registered host
families with 1–3 places each — and times ``suggest_placements`` (scoring every
pair, then the min-cost flow) ``--runs`` times. Prints the instance, the
outcome, the median, min and max time, and a calibration figure (an empty loop)
taken before and after, since the machine is shared and noisy. A script, not a
test:

    .venv/bin/python bench/bench_hostmatch.py [--guests N] [--hosts M] [--runs R] [--seed S]
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

from ekkyo.core.hostmatch import (
    GuestProfile,
    HostProfile,
    Placement,
    Weights,
    score_pair,
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    before = calibration()
    gs, hs = generate(args.guests, args.hosts, args.seed)
    weights = Weights()
    feasible = sum(score_pair(h, g, weights).feasible for g in gs for h in hs)
    places = sum(h.capacity for h in hs)
    print(
        f"instance: {len(gs)} guests, {len(hs)} hosts with {places} places, "
        f"{feasible} feasible pairs of {len(gs) * len(hs)}, seed {args.seed}"
    )

    times: list[float] = []
    first: Placement | None = None
    for _ in range(args.runs):
        started = time.perf_counter()
        placement = suggest_placements(gs, hs, weights)
        times.append(time.perf_counter() - started)
        if first is None:
            first = placement
        assert placement == first, "placement is not deterministic"
    assert first is not None
    placed = sum(key is not None for key in first.assignment.values())
    reasons: dict[str, int] = {}
    for u in first.unplaced:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    print(
        f"outcome: {placed} of {len(gs)} guests placed, total score {first.total_score:.3f} "
        f"(mean {first.total_score / max(placed, 1):.3f}), unplaced by reason {reasons}"
    )
    print(
        f"suggest_placements     median {statistics.median(times):7.3f} s   "
        f"min {min(times):7.3f} s   max {max(times):7.3f} s   ({len(times)} runs)"
    )
    print(
        f"calibration (empty loop, 10^6 iterations): {before * 1e3:.1f} ms before, "
        f"{calibration() * 1e3:.1f} ms after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
