"""Synthetic hierarchical worlds for the publishing gate (tests and bench).

Schools in towns in prefectures in one consortium; several KPIs × fiscal
years; each node split into participants and the others. Keys are tuples
``(kpi, fy, level, code, group)`` with group "all", "part" or "non".
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from ekkyo.core.disclosure import Cell, Publication, Released

Key = tuple[str, int, str, str, str]


def world(
    seed: int,
    *,
    prefectures: int = 2,
    towns: tuple[int, int] = (1, 3),
    schools: tuple[int, int] = (1, 4),
    kpis: tuple[str, ...] = ("kpi1", "kpi2"),
    fys: tuple[int, ...] = (2025,),
    mean: float = 12.0,
) -> tuple[Publication[Key], dict[str, list[str]]]:
    """A publication of every level, with the relations declared; and the tree."""
    rng = np.random.default_rng(seed)
    tree: dict[str, list[str]] = {"C": []}
    for p in range(prefectures):
        pref = f"P{p:02d}"
        tree["C"].append(pref)
        tree[pref] = []
        for t in range(int(rng.integers(towns[0], towns[1] + 1))):
            town = f"{pref}T{t:02d}"
            tree[pref].append(town)
            tree[town] = [
                f"{town}S{s:02d}" for s in range(int(rng.integers(schools[0], schools[1] + 1)))
            ]
    level = {"C": "consortium"}
    for pref in tree["C"]:
        level[pref] = "prefecture"
        for town in tree[pref]:
            level[town] = "town"
            for school in tree[town]:
                level[school] = "school"
    figures: dict[Key, Cell] = {}
    relations: list[tuple[Key, tuple[Key, ...]]] = []

    def fill(kpi: str, fy: int, node: str) -> tuple[int, int]:
        children = tree.get(node, [])
        if children:
            sums = [fill(kpi, fy, child) for child in children]
            part, non = sum(s[0] for s in sums), sum(s[1] for s in sums)
            for group in ("part", "non", "all"):
                relations.append(
                    (
                        (kpi, fy, level[node], node, group),
                        tuple((kpi, fy, level[c], c, group) for c in children),
                    )
                )
        else:
            scale = rng.choice([0.3, 1.0, 3.0])
            part = int(rng.poisson(mean * scale * 0.4))
            non = int(rng.poisson(mean * scale * 0.6))
        for group, n in (("part", part), ("non", non), ("all", part + non)):
            figures[(kpi, fy, level[node], node, group)] = Cell(float(n), n)
        relations.append(
            (
                (kpi, fy, level[node], node, "all"),
                ((kpi, fy, level[node], node, "part"), (kpi, fy, level[node], node, "non")),
            )
        )
        return part, non

    for kpi in kpis:
        for fy in fys:
            fill(kpi, fy, "C")
    return Publication(figures, tuple(relations)), tree


def attack(
    publication: Publication[Key], released: Released[Key], *, k: int
) -> dict[Key, tuple[float, float]]:
    """The attacker's LP: for each hidden figure of fewer than k people, [min, max] of its size.

    Uses every figure shown, every relation declared and non-negativity —
    nothing of the gate's own bookkeeping.
    """
    keys = sorted(publication.figures)
    hidden = [key for key in keys if released[key].suppressed]
    col = {key: j for j, key in enumerate(hidden)}
    r, c, d, b = [], [], [], []
    row = 0
    for total, parts in publication.relations:
        terms = [(total, 1.0)] + [(p, -1.0) for p in parts]
        if not any(t in col for t, _ in terms):
            continue
        rhs = 0.0
        for t, coef in terms:
            if t in col:
                r.append(row)
                c.append(col[t])
                d.append(coef)
            else:
                rhs -= coef * (released[t].n or 0)
        b.append(rhs)
        row += 1
    a = coo_matrix((d, (r, c)), shape=(row, len(hidden))).tocsr() if row else None
    out: dict[Key, tuple[float, float]] = {}
    for key in hidden:
        if publication.figures[key].n >= k:
            continue
        ends = []
        for sign in (1.0, -1.0):
            cost = np.zeros(len(hidden))
            cost[col[key]] = sign
            res = linprog(cost, A_eq=a, b_eq=b if row else None, bounds=(0, None), method="highs")
            if res.status == 3:
                ends.append(np.inf * -sign)
            else:
                assert res.status == 0, res.message
                ends.append(res.x[col[key]])
        out[key] = (ends[0], ends[1])
    return out
