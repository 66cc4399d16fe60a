"""Exact team formation (CP-SAT) and proven upper bounds (column generation with exact pricing).

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from .index import _dist, _Index, _Team
from .model import _CPSAT_WORKERS, _INTEREST_SCALE, _LOCAL_STARTS, _POINT, _PRICE_COLUMNS

# --------------------------------------------------------------------------- exact


def _exact_teams(
    index: _Index, *, time_limit: float, seed: int, hint: Sequence[Sequence[int]] | None
) -> tuple[list[list[int]] | None, float, bool]:
    """CP-SAT: (teams or None, upper bound in points, proven optimal)."""
    from ortools.sat.python import cp_model

    n, sizes, t_count = index.n, index.sizes, index.t
    coef = index.coef
    model = cp_model.CpModel()
    x = [[model.new_bool_var(f"x{i}_{t}") for t in range(t_count)] for i in range(n)]
    for i in range(n):
        model.add_exactly_one(x[i])
    for t in range(t_count):
        model.add(sum(x[i][t] for i in range(n)) == sizes[t])
    # Symmetry: within a class of equal-sized teams, order teams by smallest member.
    classes: dict[int, list[int]] = defaultdict(list)
    for t, s in enumerate(sizes):
        classes[s].append(t)
    for teams_of_size in classes.values():
        for j, t in enumerate(teams_of_size):
            for i in range(n):
                if j > i:
                    model.add(x[i][t] == 0)
                elif j > 0:
                    prev = teams_of_size[j - 1]
                    model.add(x[i][t] <= sum(x[p][prev] for p in range(i)))
    # Hard rules (those contradicting each other were reported and are relaxed).
    for block in index.blocks:
        for i in block[1:]:
            for t in range(t_count):
                model.add(x[i][t] == x[block[0]][t])
    for i in range(n):
        for j in index.conflicts[i]:
            if j > i and index.block_of[i] != index.block_of[j]:
                for t in range(t_count):
                    model.add_bool_or([x[i][t].negated(), x[j][t].negated()])
    for s in range(len(index.school_names)):
        members = [i for i in range(n) if index.school[i] == s]
        cap = index.cap[s]
        for block in index.blocks:
            cap = max(cap, sum(1 for i in block if index.school[i] == s))
        if len(members) > cap:
            for t in range(t_count):
                model.add(sum(x[i][t] for i in members) <= cap)

    def present(values: list[int], t: int, name: str) -> list[Any]:
        groups: dict[int, list[int]] = defaultdict(list)
        for i, v in enumerate(values):
            groups[v].append(i)
        out = []
        for g, members in groups.items():
            y = model.new_bool_var(f"{name}{g}_{t}")
            model.add(y <= sum(x[i][t] for i in members))
            out.append(y)
        return out

    longest = max((len(row) for row in index.interests), default=0)
    z = model.new_int_var(0, 100 * _POINT, "z")
    err_points = 0.0
    for t in range(t_count):
        m = sizes[t]
        # (coefficient in points, integer expression, its largest absolute value)
        pieces: list[tuple[float, Any, int]] = []
        const = const_err = 0.0
        if coef["regions"]:
            if m <= 1:
                const += coef["regions"]
            else:
                c = coef["regions"] * 0.5 / (m - 1)
                munis = present(index.muni, t, "m")
                prefs = present(index.pref, t, "p")
                pieces.append((c, sum(munis) + sum(prefs), 2 * m))
                const -= 2 * c
        if coef["interests"] and index.n_themes:
            themes = []
            for theme in range(index.n_themes):
                parts = [
                    (w, i) for i in range(n) for th, w in index.interests_int[i] if th == theme
                ]
                e = model.new_int_var(0, _INTEREST_SCALE * m, f"e{theme}_{t}")
                model.add(e == sum(w * x[i][t] for w, i in parts))
                themes.append(e)
            best = model.new_int_var(0, _INTEREST_SCALE * m, f"i_{t}")
            model.add_max_equality(best, themes)
            pieces.append((coef["interests"] / (_INTEREST_SCALE * m), best, _INTEREST_SCALE * m))
            if longest > 10:  # weights 1/r rounded: at most 1/2 unit per member
                const_err += coef["interests"] / (_INTEREST_SCALE * m) * 0.5 * m
        glo, ghi, xlo, xhi, _, _ = index.balance_tables(m)
        for comp, values, lo, hi, count in (
            ("grades", index.grade, glo, ghi, index.n_grades),
            ("genders", index.gender, xlo, xhi, index.n_genders),
        ):
            if not coef[comp]:
                continue
            penalties = []
            for g in range(count):
                c_g = sum(x[i][t] for i in range(n) if values[i] == g)
                pen = model.new_int_var(0, 2 * m, f"{comp}{g}_{t}")
                model.add(pen >= lo[g] - c_g)
                model.add(pen >= c_g - hi[g])
                penalties.append(pen)
            const += coef[comp]
            pieces.append((-coef[comp] / (2 * m), sum(penalties), 2 * m))
        if coef["no_isolation"]:
            const += coef["no_isolation"]
            if m > 1:
                alone = []
                for values, count, known in (
                    (index.grade, index.n_grades, [True] * index.n_grades),
                    (index.gender, index.n_genders, index.gender_known),
                ):
                    for g in range(count):
                        if not known[g]:
                            continue
                        members = [i for i in range(n) if values[i] == g]
                        c_g = model.new_int_var(0, m, f"c{g}_{t}")
                        model.add(c_g == sum(x[i][t] for i in members))
                        b = model.new_bool_var(f"alone{g}_{t}")
                        model.add(c_g == 1).only_enforce_if(b)
                        model.add(c_g != 1).only_enforce_if(b.negated())
                        alone.append(b)
                pieces.append((-coef["no_isolation"] / (2 * m), sum(alone), 2 * m))
        terms = []
        max_err = 0.5 + const_err * 100 * _POINT  # the constant's rounding
        for c, expr, magnitude in pieces:
            scaled = c * 100 * _POINT
            terms.append(round(scaled) * expr)
            max_err += abs(round(scaled) - scaled) * magnitude
        model.add(z <= sum(terms) + round(const * 100 * _POINT))
        err_points = max(err_points, max_err)
    model.maximize(z)
    if hint is not None and sorted(map(len, hint)) == sorted(sizes):
        # Renumber the hint's teams to satisfy the symmetry-breaking order.
        slot: dict[int, list[int]] = {s: list(ts) for s, ts in classes.items()}
        for hinted in sorted(hint, key=min):
            t = slot[len(hinted)].pop(0)
            for i in hinted:
                for u in range(t_count):
                    model.add_hint(x[i][u], u == t)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = _CPSAT_WORKERS
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # infeasible or out of time
        return None, 100.0, False
    teams = [[i for i in range(n) if solver.value(x[i][t])] for t in range(t_count)]
    bound = (solver.best_objective_bound + err_points) / _POINT
    return teams, min(100.0, bound + 1e-6), status == cp_model.OPTIMAL


class _Pricer:
    """Exact pricing of the column bound by branch-and-bound (see :func:`_refutes`).

    For one team size m and threshold z: the team T of m students (whole
    blocks of required students, when the rules apply) scoring >= z and
    meeting the hard rules that maximises Σ gain over T. Students (blocks)
    are taken in order of gain per student, highest first; a partial team is
    extended only by later ones, and dropped when (a) its gain plus the
    largest gains that its free places could still receive (the next ones in
    that order, a block's gain spread evenly over its members) cannot beat the
    best team so far (or the floor given), or (b) an optimistic score of its
    best completion is below z. The optimistic score takes each component at
    its best value given the members so far and r free places, ignoring who
    could fill them: at most r new municipalities and prefectures (and no
    more than the later candidates hold), for each theme the current weight
    sum plus the r largest weights for it among the later candidates, for
    each balance the penalty E + max(0, D − r) + max(0, r − D − R) (excess E
    cannot shrink; r places fill at most r of the deficit D, then the room R
    up to the ideal counts is free), and each grade or gender alone today
    fixed by at most one new member each. Each is at least the value of any
    completion, so no team scoring >= z is ever cut: the result is exact.
    """

    def __init__(self, index: _Index, m: int, z: float, rules: bool) -> None:
        ix = self.ix = index
        self.m, self.z, self.rules = m, z, rules
        if rules:
            groups = [list(b) for b in ix.blocks if len(b) <= m]
            valid = []
            for block in groups:
                if ix.hard_cost(block) == 0:
                    valid.append(block)
            groups = valid
        else:
            groups = [[i] for i in range(ix.n)]
        self.groups = groups
        self.glo, self.ghi, self.xlo, self.xhi, _, _ = ix.balance_tables(m)

    def price(
        self, gain: Sequence[float], floor: float, deadline: float, limit: int = 20
    ) -> tuple[float, list[list[int]]]:
        """(max(floor, best Σ gain over the teams), the ``limit`` best teams beating floor,
        best first); (inf, []) when out of time. The maximum is exact to 1e-9."""
        ix, m, rules = self.ix, self.m, self.rules
        z_low = self.z - 1e-6
        groups = sorted(self.groups, key=lambda g: (-sum(gain[i] for i in g) / len(g), g[0]))
        count = len(groups)
        flat: list[float] = []
        start: list[int] = []
        for g in groups:
            start.append(len(flat))
            avg = sum(gain[i] for i in g) / len(g)
            flat.extend([avg] * len(g))
        start.append(len(flat))
        prefix = [0.0]
        for v in flat:
            prefix.append(prefix[-1] + v)
        total_flat = len(flat)
        group_gain = [sum(gain[i] for i in g) for g in groups]
        # Suffix data for the optimistic score: distinct municipalities and
        # prefectures, and per theme the sums of the r largest weights, among
        # the candidates from position p on.
        n_themes = ix.n_themes
        suf_muni = [0] * (count + 1)
        suf_pref = [0] * (count + 1)
        suf_top: list[list[list[float]]] = [[[0.0] * (m + 1) for _ in range(n_themes)]]
        munis: set[int] = set()
        prefs: set[int] = set()
        weights: list[list[float]] = [[] for _ in range(n_themes)]
        for p in range(count - 1, -1, -1):
            for i in groups[p]:
                munis.add(ix.muni[i])
                prefs.add(ix.pref[i])
                for theme, w in ix.interests[i]:
                    weights[theme].append(w)
            suf_muni[p], suf_pref[p] = len(munis), len(prefs)
            row = []
            for theme in range(n_themes):
                top = sorted(weights[theme], reverse=True)[:m]
                sums = [0.0]
                for r in range(1, m + 1):
                    sums.append(sums[-1] + (top[r - 1] if r <= len(top) else 0.0))
                row.append(sums)
            suf_top.append(row)
        suf_top.reverse()  # suf_top[p] for p in 0..count (the last: nothing left)
        suf_topmax = [
            [max((row[t][r] for t in range(n_themes)), default=0.0) for r in range(m + 1)]
            for row in suf_top
        ]
        glo, ghi, xlo, xhi = self.glo, self.ghi, self.xlo, self.xhi
        known = ix.gender_known
        n_grades, n_genders = ix.n_grades, ix.n_genders
        mc: list[int] = [0] * (max(ix.muni, default=0) + 1)
        pc: list[int] = [0] * (max(ix.pref, default=0) + 1)
        gc = [0] * n_grades
        xc = [0] * n_genders
        sc = [0] * len(ix.school_names)
        th = [0.0] * n_themes
        blocked = [0] * ix.n
        cap, school, conflicts = ix.cap, ix.school, ix.conflicts
        compose = ix.compose
        state = {"muni": 0, "pref": 0}
        # The ``limit`` best teams beating ``floor`` (a heap); a partial team is
        # cut only when it cannot beat the worst of them, so the best is exact.
        found: list[tuple[float, int, list[int]]] = []
        best = [floor]  # the pruning threshold, never above the best found
        members: list[int] = []
        nodes = [0]

        # The score is linear in the counts for a fixed m > 1 (compose, unclipped).
        linear = m > 1 and not ix.all_zero
        if linear:
            c_reg = 100.0 * ix.c_regions * 0.5 / (m - 1)
            c_int = 100.0 * ix.c_interests / m
            c_gpen = 100.0 * ix.c_grades / (2 * m)
            c_xpen = 100.0 * ix.c_genders / (2 * m)
            c_iso = 100.0 * ix.c_isolation / (2 * m)
            base = 100.0 * (ix.c_grades + ix.c_genders + ix.c_isolation) - 2 * c_reg
        else:
            c_reg = c_int = c_gpen = c_xpen = c_iso = base = 0.0
        muni, pref, grade, gender = ix.muni, ix.pref, ix.grade, ix.gender
        interests = ix.interests
        grade_cats = list(zip(glo, ghi, strict=True))
        gender_cats = list(zip(xlo, xhi, known, strict=True))

        def optimistic(r: int, p: int) -> float:
            gpen = gs = 0
            if r == 0:
                for g, (lo, hi) in enumerate(grade_cats):
                    c = gc[g]
                    gpen += lo - c if c < lo else c - hi if c > hi else 0
                    gs += c == 1
                xpen = xs = 0
                for g, (lo, hi, kn) in enumerate(gender_cats):
                    c = xc[g]
                    xpen += lo - c if c < lo else c - hi if c > hi else 0
                    xs += c == 1 and kn
                mu, pr, top, alone = state["muni"], state["pref"], max(th, default=0.0), gs + xs
            else:
                mu = state["muni"] + min(r, suf_muni[p])
                pr = state["pref"] + min(r, suf_pref[p])
                row = suf_top[p]
                top = suf_topmax[p][r]
                if r < m:
                    for t, w in enumerate(th):
                        if w:
                            v = w + row[t][r]
                            if v > top:
                                top = v
                excess = deficit = room = 0
                for g, (lo, hi) in enumerate(grade_cats):
                    c = gc[g]
                    if c > hi:
                        excess += c - hi
                    elif c < lo:
                        deficit += lo - c
                        room += hi - lo
                    else:
                        room += hi - c
                    gs += c == 1
                gpen = excess + max(0, deficit - r) + max(0, r - deficit - room)
                excess = deficit = room = xs = 0
                for g, (lo, hi, kn) in enumerate(gender_cats):
                    c = xc[g]
                    if c > hi:
                        excess += c - hi
                    elif c < lo:
                        deficit += lo - c
                        room += hi - lo
                    else:
                        room += hi - c
                    xs += c == 1 and kn
                xpen = excess + max(0, deficit - r) + max(0, r - deficit - room)
                alone = max(0, gs - r) + max(0, xs - r)
            if not linear:
                return compose(m, mu, pr, top, gpen, xpen, alone)
            value = (
                base
                + c_reg * (mu + pr)
                + c_int * top
                - c_gpen * gpen
                - c_xpen * xpen
                - c_iso * alone
            )
            return 0.0 if value < 0.0 else 100.0 if value > 100.0 else value

        def push(group: list[int]) -> None:
            for i in group:
                members.append(i)
                a = ix.muni[i]
                if mc[a] == 0:
                    state["muni"] += 1
                mc[a] += 1
                a = ix.pref[i]
                if pc[a] == 0:
                    state["pref"] += 1
                pc[a] += 1
                gc[ix.grade[i]] += 1
                xc[ix.gender[i]] += 1
                sc[school[i]] += 1
                for theme, w in ix.interests[i]:
                    th[theme] += w
                if rules:
                    for j in conflicts[i]:
                        blocked[j] += 1

        def pop(group: list[int]) -> None:
            for i in reversed(group):
                members.pop()
                a = ix.muni[i]
                mc[a] -= 1
                if mc[a] == 0:
                    state["muni"] -= 1
                a = ix.pref[i]
                pc[a] -= 1
                if pc[a] == 0:
                    state["pref"] -= 1
                gc[ix.grade[i]] -= 1
                xc[ix.gender[i]] -= 1
                sc[school[i]] -= 1
                for theme, w in ix.interests[i]:
                    th[theme] -= w
                if rules:
                    for j in conflicts[i]:
                        blocked[j] -= 1

        def fits(group: list[int]) -> bool:
            if not rules:
                return True
            for i in group:
                if blocked[i]:
                    return False
            if len(group) == 1:
                s = school[group[0]]
                return sc[s] < cap[s]
            need = Counter(school[i] for i in group)
            return all(sc[s] + c <= cap[s] for s, c in need.items())

        class _OutOfTime(Exception):
            pass

        def record(v: float, team: list[int]) -> None:
            heapq.heappush(found, (v, nodes[0], team))
            if len(found) > limit:
                heapq.heappop(found)
            if len(found) == limit:
                best[0] = max(floor, found[0][0])

        def last(p: int, value: float) -> None:
            """One place left: each candidate scored from the team's counts (linear)."""
            top0 = max(th, default=0.0)
            score0 = base + c_reg * (state["muni"] + state["pref"])
            grade_delta, gender_delta = [], []
            for g, (lo, hi) in enumerate(grade_cats):
                c = gc[g]
                score0 -= c_gpen * _dist(c, lo, hi) + c_iso * (c == 1)
                grade_delta.append(
                    -c_gpen * (_dist(c + 1, lo, hi) - _dist(c, lo, hi))
                    - c_iso * ((c == 0) - (c == 1))
                )
            for g, (lo, hi, kn) in enumerate(gender_cats):
                c = xc[g]
                score0 -= c_xpen * _dist(c, lo, hi) + c_iso * (c == 1 and kn)
                gender_delta.append(
                    -c_xpen * (_dist(c + 1, lo, hi) - _dist(c, lo, hi))
                    - (c_iso * ((c == 0) - (c == 1)) if kn else 0.0)
                )
            for q in range(p, count):
                v = value + flat[start[q]]
                if v <= best[0] + 1e-9:
                    return  # the later candidates have smaller gains still
                group = groups[q]
                if len(group) > 1:
                    continue
                i = group[0]
                if rules and (blocked[i] or sc[school[i]] >= cap[school[i]]):
                    continue
                top = top0
                for theme, w in interests[i]:
                    w += th[theme]
                    if w > top:
                        top = w
                score = (
                    score0
                    + c_reg * ((mc[muni[i]] == 0) + (pc[pref[i]] == 0))
                    + grade_delta[grade[i]]
                    + gender_delta[gender[i]]
                    + c_int * top
                )
                if (0.0 if score < 0.0 else 100.0 if score > 100.0 else score) >= z_low:
                    record(v, [*members, i])

        def search(p: int, r: int, value: float) -> None:
            nodes[0] += 1
            if nodes[0] & 1023 == 0 and time.perf_counter() > deadline:
                raise _OutOfTime
            if r == 1 and linear:
                last(p, value)
                return
            for q in range(p, count):
                s = start[q]
                if s + r > total_flat or value + prefix[s + r] - prefix[s] <= best[0] + 1e-9:
                    return  # the later candidates have smaller gains still
                group = groups[q]
                size = len(group)
                if size > r or not fits(group):
                    continue
                push(group)
                if optimistic(r - size, q + 1) >= z_low:
                    if size == r:
                        v = value + group_gain[q]
                        if v > best[0] + 1e-9:
                            record(v, list(members))
                    else:
                        search(q + 1, r - size, value + group_gain[q])
                pop(group)

        try:
            search(0, m, 0.0)
        except _OutOfTime:
            return math.inf, []
        found.sort(reverse=True)
        return max([floor, *(v for v, _, _ in found)]), [team for _, _, team in found]


def _local_columns(
    index: _Index,
    starts: Sequence[Sequence[int]],
    gain: Sequence[float],
    sigma: Mapping[int, float],
    z: float,
    *,
    rules: bool,
) -> list[tuple[int, ...]]:
    """Teams scoring >= z of positive reduced cost, by greedy swaps (heuristic pricing)."""
    n = index.n
    movable = [not rules or len(index.blocks[index.block_of[i]]) == 1 for i in range(n)]
    by_gain = sorted(range(n), key=lambda i: -gain[i])
    out: list[tuple[int, ...]] = []
    for start in starts:
        team = _Team(index, list(start))
        value = sum(gain[i] for i in team.members)
        while True:
            inside = set(team.members)
            best: tuple[float, int, int] | None = None
            for i in team.members:
                if not movable[i]:
                    continue
                for j in by_gain:
                    if gain[j] - gain[i] <= 1e-9:
                        break
                    if j in inside or not movable[j]:
                        continue
                    if best is not None and gain[j] - gain[i] <= best[0]:
                        break
                    score, cost = team.trial(i, j)
                    if score >= z and (not rules or cost == 0):
                        best = (gain[j] - gain[i], i, j)
                        break
            if best is None:
                break
            team.replace(best[1], best[2])
            value += best[0]
        if value - sigma[team.m] > 1e-7:
            out.append(tuple(sorted(team.members)))
    return out


def _refutes(
    index: _Index,
    z: float,
    columns: Sequence[Sequence[int]],
    *,
    rules: bool,
    deadline: float,
    pool: list[tuple[int, ...]] | None = None,
) -> bool:
    """True when no partition into the team sizes has every team scoring >= z.

    See :func:`_refute_status` (this is its answer with "out of time" as False).
    """
    return _refute_status(index, z, columns, rules=rules, deadline=deadline, pool=pool) is True


def _refute_status(
    index: _Index,
    z: float,
    columns: Sequence[Sequence[int]],
    *,
    rules: bool,
    deadline: float,
    pool: list[tuple[int, ...]] | None = None,
) -> bool | None:
    """True: z is refuted; False: the LP has a fractional partition at z; None: out of time.

    Set-partitioning LP over the teams scoring >= z (column generation): with
    duals π (students) and σ (sizes), Σπ + Σ t_m (σ_m + max(0, max over teams T
    of size m scoring >= z of |T| − π(T) − σ_m)) bounds the most students the
    teams can cover; below n, no partition exists (weak LP duality). The
    pricing maximum is exact (:class:`_Pricer`), or the call gives up (None)
    when time runs out. New columns are appended to ``pool`` when given.
    """
    if index.all_zero or index.t == 0:  # every team scores 100 (or there is none)
        return z > 100.0 + 1e-9
    need = Counter(index.sizes)
    models: dict[int, _Pricer] = {}
    cols: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()

    def add(team: Sequence[int]) -> bool:
        key = tuple(sorted(team))
        if key in seen or len(key) not in need:
            return False
        seen.add(key)
        cols.append(key)
        return True

    for team in columns:
        if index.score(team) >= z - 1e-9 and (not rules or index.hard_cost(team) == 0):
            add(team)
    given = len(cols)
    try:
        return _generate(index, z, cols, add, need, models, rules=rules, deadline=deadline)
    finally:
        if pool is not None:  # the new columns, for the next threshold
            pool.extend(cols[given:])


def _generate(
    index: _Index,
    z: float,
    cols: list[tuple[int, ...]],
    add: Any,
    need: Counter[int],
    models: dict[int, _Pricer],
    *,
    rules: bool,
    deadline: float,
) -> bool | None:
    """The column generation loop of :func:`_refute_status` (same answers)."""
    from scipy.optimize import linprog

    n = index.n
    size_list = sorted(need)
    while time.perf_counter() < deadline:
        basis: list[tuple[int, ...]] = []
        if cols:
            a = [[0.0] * len(cols) for _ in range(n + len(size_list))]
            for c, team in enumerate(cols):
                for i in team:
                    a[i][c] = 1.0
                a[n + size_list.index(len(team))][c] = 1.0
            res = linprog(
                [-float(len(team)) for team in cols],
                A_ub=a,
                b_ub=[1.0] * n + [float(need[m]) for m in size_list],
                bounds=(0, None),
                method="highs",
            )
            if res.status != 0:
                return None
            if -res.fun >= n - 1e-6:
                return False  # a fractional partition exists: z is not refuted
            duals = [max(0.0, -d) for d in res.ineqlin.marginals]
            basis = [team for team, v in zip(cols, res.x, strict=True) if v > 1e-9]
        else:
            duals = [0.0] * (n + len(size_list))
        pi = duals[:n]
        sigma = dict(zip(size_list, duals[n:], strict=True))
        gain = [1.0 - p for p in pi]
        if _LOCAL_STARTS:
            ranked = sorted(cols, key=lambda team: sigma[len(team)] - sum(gain[i] for i in team))
            starts = list(dict.fromkeys([*basis, *ranked[:_LOCAL_STARTS]]))
            found = _local_columns(index, starts, gain, sigma, z, rules=rules)
            if sum(add(team) for team in found):
                continue
        total = sum(pi) + sum(need[m] * s for m, s in sigma.items())
        added = 0
        for m in size_list:
            if m not in models:
                models[m] = _Pricer(index, m, z, rules)
            best, teams = models[m].price(gain, sigma[m], deadline, _PRICE_COLUMNS)
            if best == math.inf:
                return None
            total += need[m] * (best + 1e-9 - sigma[m])  # exact to 1e-9
            for priced in teams:
                if sum(gain[i] for i in priced) - sigma[m] > 1e-7:
                    added += add(priced)
        if total < n - 1e-6:
            return True
        if not added:
            return False
    return None


def _column_bound(
    index: _Index,
    columns: Sequence[Sequence[int]],
    low: float,
    bound: float,
    *,
    deadline: float,
    rules_from: Sequence[Sequence[int]],
) -> tuple[float, bool]:
    """Lower ``bound`` by refuting thresholds above ``low``: (bound, proven optimal).

    Thresholds: 1.02·low, then low + 0.001 (which proves ``low`` optimal to
    0.001 point), then upward steps of 1 %, 2 %, 4 % … of ``low`` from the
    highest threshold not refuted until one is refuted, then bisection, until
    the two are within 0.1 % of ``low``; each attempt gets
    half the time left, and each refuted threshold is a true bound (one whose
    LP is feasible stops the search below it; one out of time, the galloping
    goes on above it, and the bisection stops). Columns found for one
    threshold seed the next. The hard rules
    are used only when the teams ``rules_from`` (the solution) meet them all
    (otherwise the bound covers every partition into the team sizes).
    """
    rules = all(index.hard_cost(team) == 0 for team in rules_from) and all(
        set(index.blocks[index.block_of[i]]) <= set(team) for team in rules_from for i in team
    )
    pool = [tuple(sorted(team)) for team in columns]
    floor = low  # the best threshold known not to be refuted (low is reached)

    def attempt(z: float) -> bool | None:
        """Try to refute z: True (a true bound), False (the LP is feasible), None (no time)."""
        nonlocal bound, floor
        left = deadline - time.perf_counter()
        if z >= bound - 1e-9 or z <= floor + 1e-9 or left < 0.2:
            return None
        stop = time.perf_counter() + left / 2
        status = _refute_status(index, z, pool, rules=rules, deadline=stop, pool=pool)
        if status:
            bound = z
        elif status is False:  # the LP has a fractional partition at z
            floor = z
        return status

    first = attempt(low * 1.02)
    if first is not False and attempt(low + 0.001):
        return bound, True
    # Galloping up from the highest threshold not refuted (steps of 1 % of low,
    # doubling) until one is refuted, then bisection: most attempts stay near
    # the LP's limit, where a loose initial bound would waste them.
    bracketed = bool(first) or bound <= low * 1.02 + 1e-9
    step = 0.01 * low
    while bound - floor > 0.001 * low and time.perf_counter() < deadline - 0.2:
        middle = (floor + bound) / 2
        result = attempt(middle if bracketed else min(floor + step, middle))
        if result:
            bracketed = True
        elif result is None and bracketed:
            break  # out of time near the limit: lower thresholds are harder still
        step *= 2
    return bound, bound <= low + 0.001 + 1e-9
