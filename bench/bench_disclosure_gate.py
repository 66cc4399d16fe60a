"""Benchmark of the publishing gate (``ekkyo.core.disclosure.publish``): a whole publication.

The consortium's publication for one FY, as its dashboards, the public page
and the exports show it together: 350 schools in ``--towns`` towns in 18
prefectures, KPI ① to ④, each node split into participants and the others
(everyone = participants + others), every level's sum declared (consortium
= Σ prefectures, prefecture = Σ towns, town = Σ schools). Deterministic
synthetic counts per school and KPI: ① residence few (Poisson 2), ② stays
(Poisson 15), ③ online (Poisson 30), ④ survey respondents (Poisson 80),
with a share ``--tiny`` of tiny rural schools at a tenth of that. Times
``publish`` ``--runs`` times (median, min, max) and prints the sizes, how
many figures were hidden and how many the LP audit checked. A script, not a
test:

    .venv/bin/python bench/bench_disclosure_gate.py [--schools 350] [--towns 70]
        [--k 10] [--runs 5] [--seed 1] [--tiny 0.2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.disclosure import Cell, Publication, publish

MEANS = {"kpi1": 2.0, "kpi2": 15.0, "kpi3": 30.0, "kpi4": 80.0}
Key = tuple[str, str, str, str]  # kpi, level, code, group


def publication(schools: int, towns: int, prefectures: int, tiny: float, seed: int):
    rng = np.random.default_rng(seed)
    town_of = [int(t) for t in np.sort(rng.integers(0, towns, size=schools))]
    town_of[:towns] = range(towns)  # every town has a school
    pref_of_town = [t * prefectures // towns for t in range(towns)]
    small = rng.random(schools) < tiny
    figures: dict[Key, Cell] = {}
    relations: list[tuple[Key, tuple[Key, ...]]] = []
    children: dict[str, list[str]] = {"C": [f"P{p:02d}" for p in range(prefectures)]}
    for t in range(towns):
        children.setdefault(f"P{pref_of_town[t]:02d}", []).append(f"T{t:03d}")
    for s in range(schools):
        children.setdefault(f"T{town_of[s]:03d}", []).append(f"S{s:03d}")
    level = {"C": "consortium", **{c: "prefecture" for c in children["C"]}}
    for node in list(children):
        for child in children[node]:
            level.setdefault(child, "town" if child[0] == "T" else "school")
    for kpi, mean in MEANS.items():
        sizes: dict[str, tuple[int, int]] = {}
        for s in range(schools):
            m = mean * (0.1 if small[s] else 1.0)
            sizes[f"S{s:03d}"] = (int(rng.poisson(m * 0.4)), int(rng.poisson(m * 0.6)))

        def fill(node: str, kpi: str = kpi, sizes: dict[str, tuple[int, int]] = sizes):
            if node in sizes:
                part, non = sizes[node]
            else:
                sums = [fill(c) for c in children[node]]
                part, non = sum(x for x, _ in sums), sum(y for _, y in sums)
                for g in ("part", "non", "all"):
                    relations.append(
                        (
                            (kpi, level[node], node, g),
                            tuple((kpi, level[c], c, g) for c in children[node]),
                        )
                    )
            for g, n in (("part", part), ("non", non), ("all", part + non)):
                figures[(kpi, level[node], node, g)] = Cell(float(n), n)
            mine = (kpi, level[node], node)
            relations.append(((*mine, "all"), ((*mine, "part"), (*mine, "non"))))
            return part, non

        fill("C")
    return Publication(figures, tuple(relations))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=350)
    parser.add_argument("--towns", type=int, default=70)
    parser.add_argument("--prefectures", type=int, default=18)
    parser.add_argument("--tiny", type=float, default=0.2)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pub = publication(args.schools, args.towns, args.prefectures, args.tiny, args.seed)
    small = sum(1 for c in pub.figures.values() if c.n < args.k)
    print(
        f"{args.schools} schools, {args.towns} towns, {args.prefectures} prefectures, "
        f"4 KPIs × (all, participants, others): {len(pub.figures)} figures, "
        f"{len(pub.relations)} relations, {small} under k={args.k}"
    )
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        released = publish(pub, k=args.k)
        times.append(time.perf_counter() - start)
    hidden = released.suppressed()
    reasons: dict[str, int] = {}
    for key in hidden:
        reasons[released[key].reason] = reasons.get(released[key].reason, 0) + 1
    print(f"hidden {len(hidden)} ({reasons}); LP audit checked {released.audited}")
    print(
        f"publish: median {statistics.median(times) * 1000:.0f} ms "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
