"""The problem indexed for the solvers: students by position, pair scores, team bookkeeping.

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from .model import _CPSAT_WORKERS, _EPS, _INTEREST_SCALE, _POINT, Problem, team_sizes

# --------------------------------------------------------------------------- indexing


class _Index:
    """The problem as integer codes, with the score tables (internal)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        students = problem.students
        self.n = n = len(students)
        self.ids = [s.id for s in students]
        self.pos = {s.id: i for i, s in enumerate(students)}

        def codes(values: list[str]) -> tuple[list[int], list[str]]:
            names: dict[str, int] = {}
            out = [names.setdefault(v, len(names)) for v in values]
            return out, list(names)

        self.school, self.school_names = codes([s.school for s in students])
        self.muni, _ = codes([f"{s.prefecture}\x00{s.municipality}" for s in students])
        self.pref, _ = codes([s.prefecture for s in students])
        self.grade, grade_names = codes([s.grade for s in students])
        self.gender, gender_names = codes([s.gender for s in students])
        self.n_grades, self.n_genders = len(grade_names), len(gender_names)
        self.gender_known = [name != "" for name in gender_names]
        theme_names: dict[str, int] = {}
        self.interests: list[list[tuple[int, float]]] = []
        self.interests_int: list[list[tuple[int, int]]] = []
        for s in students:
            seen: set[int] = set()
            row, row_int = [], []
            for rank, theme in enumerate(s.interests, start=1):
                code = theme_names.setdefault(theme, len(theme_names))
                if code in seen:
                    continue
                seen.add(code)
                row.append((code, 1.0 / rank))
                row_int.append((code, round(_INTEREST_SCALE / rank)))
            self.interests.append(row)
            self.interests_int.append(row_int)
        self.n_themes = len(theme_names)
        self.interest_map = [dict(row) for row in self.interests]

        self.sizes = team_sizes(n, problem.team_size) if n else []
        self.t = len(self.sizes)
        self.school_count = Counter(self.school)
        self.cap = [
            max(1, math.ceil(self.school_count[s] / self.t)) if self.t else 1
            for s in range(len(self.school_names))
        ]
        w = problem.weights
        active = {
            "regions": w.regions,
            "interests": w.interests if self.n_themes else 0.0,
            "grades": w.grades,
            "genders": w.genders if any(self.gender_known) else 0.0,
            "no_isolation": w.no_isolation,
        }
        total = sum(active.values())
        self.coef = {c: (v / total if total > 0 else 0.0) for c, v in active.items()}
        self.all_zero = total <= 0
        self.c_regions, self.c_interests = self.coef["regions"], self.coef["interests"]
        self.c_grades, self.c_genders = self.coef["grades"], self.coef["genders"]
        self.c_isolation = self.coef["no_isolation"]
        grade_share = [c / n for _, c in sorted(Counter(self.grade).items())] if n else []
        gender_share = [c / n for _, c in sorted(Counter(self.gender).items())] if n else []
        self.grade_share, self.gender_share = grade_share, gender_share
        self._balance: dict[int, tuple[list[int], list[int], list[int], list[int], int, int]] = {}

        # Hard rules: blocks of required students, conflicts (prevent + previous).
        parent = list(range(n))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for a, b in problem.require:
            ra, rb = find(self.pos[a]), find(self.pos[b])
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        blocks: dict[int, list[int]] = defaultdict(list)
        for i in range(n):
            blocks[find(i)].append(i)
        self.blocks = list(blocks.values())
        self.block_of = [0] * n
        for number, members in enumerate(self.blocks):
            for i in members:
                self.block_of[i] = number
        self.conflicts: list[set[int]] = [set() for _ in range(n)]
        for a, b in problem.prevent:
            i, j = self.pos[a], self.pos[b]
            self.conflicts[i].add(j)
            self.conflicts[j].add(i)
        for team in problem.previous_teams:
            known = [self.pos[x] for x in team if x in self.pos]
            for i in known:
                for j in known:
                    if i != j:
                        self.conflicts[i].add(j)

    def balance_tables(self, m: int) -> tuple[list[int], list[int], list[int], list[int], int, int]:
        """lo/hi ideal counts of each grade and gender in a team of m."""
        table = self._balance.get(m)
        if table is None:
            glo = [math.floor(m * p + _EPS) for p in self.grade_share]
            ghi = [math.ceil(m * p - _EPS) for p in self.grade_share]
            xlo = [math.floor(m * p + _EPS) for p in self.gender_share]
            xhi = [math.ceil(m * p - _EPS) for p in self.gender_share]
            table = (glo, ghi, xlo, xhi, sum(glo), sum(xlo))
            self._balance[m] = table
        return table

    # ------------------------------------------------------------------ scoring

    def compose(
        self, m: int, munis: int, prefs: int, best: float, gpen: int, xpen: int, alone: int
    ) -> float:
        """The team score from its counts (see the module docstring)."""
        if self.all_zero:
            return 100.0
        if m <= 1:
            if m == 0:
                return 0.0
            regions = isolation = 1.0
        else:
            regions = 0.5 * (munis + prefs - 2) / (m - 1)
            isolation = 1.0 - alone / (2 * m)
        value = 100.0 * (
            self.c_regions * regions
            + self.c_interests * (best / m)
            + self.c_grades * (1.0 - gpen / (2 * m))
            + self.c_genders * (1.0 - xpen / (2 * m))
            + self.c_isolation * isolation
        )
        return 0.0 if value < 0.0 else 100.0 if value > 100.0 else value

    def score(self, members: Sequence[int]) -> float:
        return _Team(self, list(members)).score

    def hard_cost(self, members: Sequence[int]) -> int:
        """Breaches of hard rules inside one team (school over cap, conflicts)."""
        cost = 0
        count = Counter(self.school[i] for i in members)
        for s, c in count.items():
            if c > self.cap[s]:
                cost += c - self.cap[s]
        for a in members:
            conflicts = self.conflicts[a]
            if conflicts:
                for b in members:
                    if b > a and b in conflicts:
                        cost += 1
        return cost

    # ------------------------------------------------------------------ bound

    def counting_bound(self) -> float:
        """A true upper bound on the best minimum team score (see module doc)."""
        if self.all_zero:
            return 100.0
        n, t, sizes = self.n, self.t, self.sizes
        if t == 0:
            return 0.0
        m_min, m_max = sizes[-1], sizes[0]
        comps: dict[str, float] = {}
        if m_min <= 1:
            comps["regions"] = 1.0
        else:
            munis = sum(min(c, t) for c in Counter(self.muni).values())
            prefs = sum(min(c, t) for c in Counter(self.pref).values())
            total = 0.5 * (min(munis, n) - t + min(prefs, n) - t) / (m_min - 1)
            comps["regions"] = min(1.0, total / t)
        if self.n_themes:
            per_theme: list[list[float]] = [[] for _ in range(self.n_themes)]
            for row in self.interests:
                for theme, weight in row:
                    per_theme[theme].append(weight)
            prefix: list[list[float]] = []
            for weights in per_theme:
                weights.sort(reverse=True)
                sums = [0.0]
                for w in weights:
                    sums.append(sums[-1] + w)
                prefix.append(sums)

            def gain(theme: int, y: int) -> float:  # value of y teams on theme
                sums = prefix[theme]
                return sums[min(len(sums) - 1, y * m_max)]

            chosen = [0] * self.n_themes
            heap = [(-(gain(th, 1) - gain(th, 0)), th) for th in range(self.n_themes)]
            heapq.heapify(heap)
            total_gain = 0.0
            for _ in range(t):
                neg, th = heapq.heappop(heap)
                total_gain += -neg
                chosen[th] += 1
                nxt = gain(th, chosen[th] + 1) - gain(th, chosen[th])
                heapq.heappush(heap, (-nxt, th))
            comps["interests"] = min(1.0, total_gain / (m_min * t))
        else:
            comps["interests"] = 0.0
        comps["grades"] = 1.0
        comps["genders"] = 1.0
        if m_min <= 1:
            comps["no_isolation"] = 1.0
        else:
            singles = sum(1 for c in Counter(self.grade).values() if c == 1)
            singles += sum(
                1 for g, c in Counter(self.gender).items() if c == 1 and self.gender_known[g]
            )
            comps["no_isolation"] = max(0.0, 1.0 - singles / (2 * m_max * t))
        value = 100.0 * sum(self.coef[c] * comps[c] for c in self.coef)
        return min(100.0, value + 1e-6)

    def relaxed_bound(self, time_limit: float = 2.0, seed: int = 0) -> float:
        """Upper bound on the best minimum from an aggregated relaxation (CP-SAT).

        See "Bound" in the module docstring. CP-SAT's best objective bound of the
        relaxation is returned, so it is a true bound even if the time runs out.
        """
        if self.all_zero:
            return 100.0
        if self.t == 0:
            return 0.0
        from ortools.sat.python import cp_model

        n, t_count, sizes, coef = self.n, self.t, self.sizes, self.coef
        model = cp_model.CpModel()
        scale = 100 * _POINT
        z = model.new_int_var(0, scale, "z")
        err_points = 0.0
        grade_n, gender_n = Counter(self.grade), Counter(self.gender)
        muni_n, pref_n = Counter(self.muni), Counter(self.pref)
        # Interests: per theme, the students' integer weights.
        theme_w: list[list[tuple[int, int]]] = [[] for _ in range(self.n_themes)]
        for i, row in enumerate(self.interests_int):
            for theme, w in row:
                theme_w[theme].append((i, w))
        use_interests = bool(coef["interests"] and self.n_themes)
        longest = max((len(row) for row in self.interests), default=0)
        assign: dict[tuple[int, int], Any] = {}
        if use_interests:
            for theme, rows in enumerate(theme_w):
                for i, _ in rows:
                    assign[i, theme] = model.new_bool_var(f"a{i}_{theme}")
            for i in range(n):
                mine = [assign[i, th] for th, _ in self.interests_int[i]]
                if len(mine) > 1:
                    model.add_at_most_one(mine)
        theme_value: list[list[Any]] = [[] for _ in range(self.n_themes)]
        theme_slots: list[list[Any]] = [[] for _ in range(self.n_themes)]
        grade_cols: list[list[Any]] = [[] for _ in range(self.n_grades)]
        gender_cols: list[list[Any]] = [[] for _ in range(self.n_genders)]
        munis_all, prefs_all = [], []
        order_key: list[Any] = []
        for t in range(t_count):
            m = sizes[t]
            pieces: list[tuple[float, Any, int]] = []
            const = const_err = 0.0
            if coef["regions"]:
                if m <= 1:
                    const += coef["regions"]
                else:
                    mu = model.new_int_var(1, min(m, len(muni_n)), f"M{t}")
                    pr = model.new_int_var(1, min(m, len(pref_n)), f"P{t}")
                    model.add(pr <= mu)
                    munis_all.append(mu)
                    prefs_all.append(pr)
                    c = coef["regions"] * 0.5 / (m - 1)
                    pieces.append((c, mu + pr, 2 * m))
                    const -= 2 * c
            if use_interests:
                hs, us = [], []
                for theme, rows in enumerate(theme_w):
                    top = sum(sorted((w for _, w in rows), reverse=True)[:m])
                    h = model.new_bool_var(f"h{t}_{theme}")
                    u = model.new_int_var(0, top, f"u{t}_{theme}")
                    model.add(u <= top * h)
                    hs.append(h)
                    us.append(u)
                    theme_value[theme].append(u)
                    theme_slots[theme].append(m * h)
                model.add_exactly_one(hs)
                key = model.new_int_var(0, self.n_themes - 1, f"k{t}")
                model.add(key == sum(th * h for th, h in enumerate(hs)))
                order_key.append((m, key))
                pieces.append(
                    (coef["interests"] / (_INTEREST_SCALE * m), sum(us), _INTEREST_SCALE * m)
                )
                if longest > 10:
                    const_err += coef["interests"] / (_INTEREST_SCALE * m) * 0.5 * m
            glo, ghi, xlo, xhi, _, _ = self.balance_tables(m)
            alone: list[Any] = []
            for comp, counts, lo, hi, cols, known in (
                ("grades", grade_n, glo, ghi, grade_cols, [True] * self.n_grades),
                ("genders", gender_n, xlo, xhi, gender_cols, self.gender_known),
            ):
                penalties = []
                total = []
                for g in range(len(cols)):
                    cg = model.new_int_var(0, min(m, counts[g]), f"{comp}{g}_{t}")
                    cols[g].append(cg)
                    total.append(cg)
                    if coef[comp]:
                        pen = model.new_int_var(0, 2 * m, f"pen{comp}{g}_{t}")
                        model.add(pen >= lo[g] - cg)
                        model.add(pen >= cg - hi[g])
                        penalties.append(pen)
                    if coef["no_isolation"] and m > 1 and known[g] and counts[g] >= 1:
                        b = model.new_bool_var(f"alone{comp}{g}_{t}")
                        model.add(cg != 1).only_enforce_if(b.negated())
                        alone.append(b)
                model.add(sum(total) == m)
                if coef[comp]:
                    const += coef[comp]
                    pieces.append((-coef[comp] / (2 * m), sum(penalties), 2 * m))
            if coef["no_isolation"]:
                const += coef["no_isolation"]
                if m > 1 and alone:
                    pieces.append((-coef["no_isolation"] / (2 * m), sum(alone), 2 * m))
            terms = []
            max_err = 0.5 + const_err * scale
            for c, expr, magnitude in pieces:
                scaled = c * scale
                terms.append(round(scaled) * expr)
                max_err += abs(round(scaled) - scaled) * magnitude
            model.add(z <= sum(terms) + round(const * scale))
            err_points = max(err_points, max_err)
        for g, column in enumerate(grade_cols):
            model.add(sum(column) == grade_n[g])
        for g, column in enumerate(gender_cols):
            model.add(sum(column) == gender_n[g])
        if munis_all:
            model.add(sum(munis_all) <= sum(min(c, t_count) for c in muni_n.values()))
            model.add(sum(prefs_all) <= sum(min(c, t_count) for c in pref_n.values()))
        if use_interests:
            for theme, rows in enumerate(theme_w):
                model.add(sum(theme_value[theme]) <= sum(w * assign[i, theme] for i, w in rows))
                model.add(sum(assign[i, theme] for i, _ in rows) <= sum(theme_slots[theme]))
        # Symmetry: equal-sized teams are interchangeable; order them by theme.
        for (m1, k1), (m2, k2) in itertools.pairwise(order_key):
            if m1 == m2:
                model.add(k1 <= k2)
        model.maximize(z)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, time_limit)
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = _CPSAT_WORKERS
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return 100.0
        return min(100.0, (solver.best_objective_bound + err_points) / _POINT + 1e-6)


class _Team:
    """One team's counts, kept so a swap can be scored in O(team size)."""

    __slots__ = (
        "alone",
        "best",
        "cost",
        "g_add",
        "g_remove",
        "gc",
        "ghi",
        "glo",
        "gpen",
        "ix",
        "m",
        "mc",
        "members",
        "pc",
        "sc",
        "score",
        "th",
        "x_add",
        "x_remove",
        "xc",
        "xhi",
        "xlo",
        "xpen",
    )  # fmt: skip

    def __init__(self, ix: _Index, members: list[int]) -> None:
        self.ix = ix
        self.members = members
        self.rebuild()

    def rebuild(self) -> None:
        ix, members = self.ix, self.members
        self.m = m = len(members)
        self.mc = Counter(ix.muni[i] for i in members)
        self.pc = Counter(ix.pref[i] for i in members)
        self.gc = gc = Counter(ix.grade[i] for i in members)
        self.xc = xc = Counter(ix.gender[i] for i in members)
        self.sc = sc = Counter(ix.school[i] for i in members)
        th: dict[int, float] = defaultdict(float)
        for i in members:
            for theme, weight in ix.interests[i]:
                th[theme] += weight
        self.th = dict(th)
        self.best = max(th.values(), default=0.0)
        self.glo, self.ghi, self.xlo, self.xhi, gbase, xbase = ix.balance_tables(m)
        glo, ghi, xlo, xhi = self.glo, self.ghi, self.xlo, self.xhi
        gpen = gbase
        for g, c in gc.items():
            gpen += (c - ghi[g] if c > ghi[g] else 0) - glo[g] + (glo[g] - c if c < glo[g] else 0)
        xpen = xbase
        for g, c in xc.items():
            xpen += (c - xhi[g] if c > xhi[g] else 0) - xlo[g] + (xlo[g] - c if c < xlo[g] else 0)
        self.gpen, self.xpen = gpen, xpen
        known = ix.gender_known
        # Change of (penalty, members alone) when one student of a category
        # joins or leaves: a swap is then scored without recounting.
        self.g_add, self.g_remove = [], []
        for g in range(ix.n_grades):
            c = gc.get(g, 0)
            self.g_add.append(
                (_dist(c + 1, glo[g], ghi[g]) - _dist(c, glo[g], ghi[g]), (c == 0) - (c == 1))
            )
            self.g_remove.append(
                (_dist(c - 1, glo[g], ghi[g]) - _dist(c, glo[g], ghi[g]), (c == 2) - (c == 1))
            )
        self.x_add, self.x_remove = [], []
        for g in range(ix.n_genders):
            c = xc.get(g, 0)
            self.x_add.append(
                (
                    _dist(c + 1, xlo[g], xhi[g]) - _dist(c, xlo[g], xhi[g]),
                    ((c == 0) - (c == 1)) if known[g] else 0,
                )
            )
            self.x_remove.append(
                (
                    _dist(c - 1, xlo[g], xhi[g]) - _dist(c, xlo[g], xhi[g]),
                    ((c == 2) - (c == 1)) if known[g] else 0,
                )
            )
        self.alone = sum(1 for c in gc.values() if c == 1) + sum(
            1 for g, c in xc.items() if c == 1 and known[g]
        )
        cost = sum(c - ix.cap[s] for s, c in sc.items() if c > ix.cap[s])
        for a in members:
            conflicts = ix.conflicts[a]
            if conflicts:
                cost += sum(1 for b in members if b > a and b in conflicts)
        self.cost = cost
        self.score = ix.compose(m, len(self.mc), len(self.pc), self.best, gpen, xpen, self.alone)

    def trial(self, i: int, j: int) -> tuple[float, int]:
        """(score, hard cost) if member i were replaced by student j."""
        ix = self.ix
        munis, prefs = len(self.mc), len(self.pc)
        a, b = ix.muni[i], ix.muni[j]
        if a != b:
            if self.mc[a] == 1:
                munis -= 1
            if b not in self.mc:
                munis += 1
        a, b = ix.pref[i], ix.pref[j]
        if a != b:
            if self.pc[a] == 1:
                prefs -= 1
            if b not in self.pc:
                prefs += 1
        gpen, xpen, alone = self.gpen, self.xpen, self.alone
        a, b = ix.grade[i], ix.grade[j]
        if a != b:
            pa, ia = self.g_remove[a]
            pb, ib = self.g_add[b]
            gpen += pa + pb
            alone += ia + ib
        a, b = ix.gender[i], ix.gender[j]
        if a != b:
            pa, ia = self.x_remove[a]
            pb, ib = self.x_add[b]
            xpen += pa + pb
            alone += ia + ib
        wi, wj = ix.interest_map[i], ix.interest_map[j]
        if wi or wj:
            th = self.th
            best = 0.0
            for theme, value in th.items():
                value += wj.get(theme, 0.0) - wi.get(theme, 0.0)
                if value > best:
                    best = value
            for theme, value in wj.items():
                if value > best and theme not in th:
                    best = value
        else:
            best = self.best
        cost = self.cost
        a, b = ix.school[i], ix.school[j]
        if a != b:
            cap = ix.cap
            if self.sc[a] > cap[a]:
                cost -= 1
            if self.sc.get(b, 0) + 1 > cap[b]:
                cost += 1
        conflicts = ix.conflicts[i]
        if conflicts:
            cost -= sum(1 for k in self.members if k in conflicts)
        conflicts = ix.conflicts[j]
        if conflicts:
            cost += sum(1 for k in self.members if k != i and k in conflicts)
        return ix.compose(self.m, munis, prefs, best, gpen, xpen, alone), cost

    def replace(self, i: int, j: int) -> None:
        self.members[self.members.index(i)] = j
        self.rebuild()


def _dist(c: int, lo: int, hi: int) -> int:
    return lo - c if c < lo else c - hi if c > hi else 0
