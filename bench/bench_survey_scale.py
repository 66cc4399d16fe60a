"""Survey work at national scale: import rate and a full recompute.

120,000 students × 2 waves × 60 items (the issue's size). Measures:
1. import: reading and checking a responses CSV (UTF-8) of 120,000 rows ×
   60 items with `ekkyo.core.response_import` (what the import page and
   command run before writing), in responses per second;
2. recompute: construct scores of every respondent, then for every school
   (350) and municipality (44) each construct's n, mean, sd, Cronbach's
   alpha and omega (`group_reliabilities`: batched over groups; omega by a
   principal-axis one-factor fit) — for both waves.

Run:  OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_survey_scale.py [--students N] [--runs R]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from ekkyo.core.instrument import Construct, Instrument, Item, Scale
from ekkyo.core.psychometrics import ScaleSpec, group_reliabilities
from ekkyo.core.response_import import read_responses_file


def instrument(n_items: int = 60, per_construct: int = 6) -> Instrument:
    scale = Scale("likert5", 1, 5, ("1", "2", "3", "4", "5"), ("1", "2", "3", "4", "5"))
    items, constructs = [], []
    for c in range(n_items // per_construct):
        codes = tuple(f"q{c:02d}_{i}" for i in range(per_construct))
        constructs.append(
            Construct(
                f"c{c:02d}",
                f"尺度{c}",
                f"Construct {c}",
                "output",
                "competency" if c < 4 else "other",
                None,
                codes,
                0.5,
                None,
            )
        )
        items += [
            Item(code, code, code, "likert5", i == 0, "II", f"c{c:02d}")
            for i, code in enumerate(codes)
        ]
    inst = Instrument(
        "bench",
        "1",
        "bench",
        "bench",
        "student",
        (scale,),
        tuple(constructs),
        tuple(items),
        "",
        "",
        "",
    )
    return inst


def generate(n: int, inst: Instrument, seed: int) -> tuple[bytes, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = len(inst.items)
    trait = rng.normal(0, 1, size=(n, 1))
    values = np.clip(np.rint(3 + trait + rng.normal(0, 0.8, size=(n, k))), 1, 5).astype(int)
    values[:, ::6] = 6 - values[:, ::6]  # reverse-coded first item of each construct
    header = "respondent," + ",".join(i.code for i in inst.items)
    lines = [header] + [f"r{r}," + ",".join(map(str, row)) for r, row in enumerate(values)]
    schools = rng.integers(0, 350, size=n)
    return ("\n".join(lines) + "\n").encode(), schools


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=120_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    inst = instrument()
    mapping = {i.code: i.code for i in inst.items}
    specs = {
        c.code: ScaleSpec(c.items, frozenset({c.items[0]}), 1, 5, 0.5) for c in inst.constructs
    }
    waves = [generate(args.students, inst, seed) for seed in (1, 2)]
    print(
        f"{args.students} students x {len(waves)} waves x {len(inst.items)} items; "
        f"{len(waves[0][0]) / 1e6:.1f} MB per CSV"
    )
    import_times, recompute_times = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        parsed = [
            read_responses_file(
                data, "w.csv", instrument=inst, mapping=mapping, respondent_column="respondent"
            )
            for data, _s in waves
        ]
        import_times.append(time.perf_counter() - t0)
        assert all(p.ok and len(p.responses) == args.students for p in parsed)
        frames = []
        for p, (_data, schools) in zip(parsed, waves, strict=True):
            frame = pd.DataFrame([r.answers for r in p.responses], dtype=float)
            frame["_school"] = schools
            frames.append(frame)
        t0 = time.perf_counter()
        for frame in frames:
            answers = frame.drop(columns="_school")
            group_reliabilities(answers, frame["_school"], specs)  # 350 schools
            group_reliabilities(answers, frame["_school"] % 44, specs)  # 44 municipalities
        recompute_times.append(time.perf_counter() - t0)
    rate = [2 * args.students / t for t in import_times]
    imp = ", ".join(f"{t:.2f}" for t in import_times)
    rec = ", ".join(f"{t:.2f}" for t in recompute_times)
    print(
        f"import (read + check, 2 waves): median {statistics.median(import_times):.2f} s "
        f"= {statistics.median(rate):,.0f} responses/s (runs: {imp})"
    )
    print(
        "recompute (394 groups x 10 constructs x 2 waves): "
        f"median {statistics.median(recompute_times):.2f} s (runs: {rec})"
    )


if __name__ == "__main__":
    main()
