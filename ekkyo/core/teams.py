"""Team formation across schools (チーム編成): teams of about k students, max-min score.

What it is for: forming the mixed teams of a cross-school programme (越境ねっと
gathers students of many small towns), as CATME Team-Maker and gruepr do for a
class but across a whole network. :func:`form_teams` takes a :class:`Problem`
(students, a team size k, hard rules, staff weights) and returns a
:class:`Solution`; :func:`evaluate` scores a given (e.g. hand-edited) set of
teams the same way; :func:`main` is the ``ekkyo teams`` command.

What it must never do: import Django (the Django layer builds a
:class:`Problem` from its models and stores the :class:`Solution`), read or
write anything but the files given to :func:`main`, or use a random source
other than ``seed``. The heuristic is reproducible: the same input and seed
give the same teams whenever it stops on its own budget (inputs of up to 120
students stop after a fixed number of swap evaluations, well within the
default time limit); on large inputs the time limit stops it, where the
machine's speed lets it reach. The exact method is CP-SAT's multi-worker
search under a time limit and is not reproducible run to run.

Team sizes
    With n students and size k there are t teams, t = round(n / k) when that
    gives sizes within k ± 1, otherwise the nearest t that does (if none does,
    the t closest to it). Sizes are ⌊n/t⌋ or ⌈n/t⌉ and larger teams come first.
    A warning (:attr:`Solution.warnings`) says when k − 1 or k + 1 is used.

Hard rules (never traded against scores)
    * required pairs (``require``) are in the same team (they are merged into
      blocks placed together);
    * prevented pairs (``prevent``) and teammates of an earlier round
      (``previous_teams``, "new teammates for everyone") are in different teams;
    * one student per school and team wherever the numbers allow: a school with
      c students and t teams may have at most ⌈c / t⌉ students in a team, the
      minimum unavoidable sharing. Every team holding two or more students of a
      school is reported in :attr:`Solution.violations` (saying whether the
      sharing was unavoidable), as is every rule that could not be met (e.g. a
      required pair that is also prevented).

Team score, in [0, 100]
    The weighted average, by :class:`Weights`, of five components, each in
    [0, 1], for a team of m students (a component for which the input has no
    data at all — no student lists interests, or no gender is known — is left
    out, as if its weight were 0; if all weights are 0 every team scores 100):

    * ``regions``: distinct home regions, 0.5·(M − 1)/(m − 1) + 0.5·(P − 1)/(m − 1)
      where M and P are the numbers of distinct municipalities and prefectures
      in the team (1 when m = 1);
    * ``interests``: shared interests. A student's ranked themes weigh 1, 1/2,
      1/3, … (rank r weighs 1/r); the component is max over themes θ of
      (Σ over members of their weight for θ) / m — the share of the team that
      wants the team's best common theme, discounted by rank;
    * ``grades``: balance of grades. With p_g the share of grade g among all
      students, the ideal count of g in a team of m is between lo = ⌊m·p_g⌋ and
      hi = ⌈m·p_g⌉; the penalty is Σ_g (distance of the count of g from
      [lo, hi]) and the component is 1 − penalty / (2m) (the penalty is at most
      2m);
    * ``genders``: the same for genders (the unknown gender "" is a category
      here);
    * ``no_isolation``: nobody alone of their gender or grade. With I the
      number of grades that exactly one member has plus the number of known
      genders that exactly one member has, the component is 1 − I / (2m)
      (1 when m = 1).

Objective
    Maximise the worst team's score (max-min, as CATME); the local search
    improves the sorted vector of team scores lexicographically (leximin), so
    it also raises the other teams. The solution reports each team's score, the
    minimum, the harmonic mean (as gruepr) and an upper bound with the gap.

Methods
    * ``exact``: a CP-SAT model (OR-Tools) of the same score with integer
      coefficients (scaled by 10⁷ per point; the rounding error, at most a few
      thousandths of a point, is added to the bound) maximising the minimum,
      with the hard rules as constraints and equal-sized teams ordered by
      their smallest member (symmetry breaking). The heuristic runs first on
      30 % of the time limit; its teams are CP-SAT's hint and are kept when
      leximin-better. ``bound`` is the smallest of CP-SAT's best bound, the
      counting bound, the relaxation bound and the column bound (see
      "Bounds"); ``optimal`` is True when CP-SAT proves it or the column bound
      refutes min + 0.001. Time: heuristic 25 %, relaxation up to 10 % (2 s at
      most), CP-SAT until 65 %, the column bound the rest. CP-SAT alone proves
      optimality up to about 20 students; beyond about 25 its own bound stays
      near the counting bound.
    * ``heuristic``: greedy construction (blocks of required pairs first, then
      students dealt school by school round the teams, so a school's students
      land in different teams) then local search by swaps accepted when they
      do not add hard-rule breaches and improve the pair of affected scores
      lexicographically (so the minimum never drops). Up to 120 students:
      full-neighbourhood descents from the dealt start, then from random
      starts (one in four) or from the best teams with a few random swaps
      (iterated local search), until 40 descents in a row bring nothing or
      250,000 swap evaluations are spent. Larger inputs: the worst team against
      sampled partner teams, alternating with random pairs, until the time
      limit (each swap is scored in O(team size) from kept counts). Its
      ``bound`` is a counting bound on the *average* team score (which bounds
      the minimum): per component, the distinct regions can be at most
      Σ_g min(c_g, t) over all teams, the interest component at most the best
      split of the t teams among themes (each theme θ chosen by y_θ teams gains
      at most the y_θ·m_max largest weights for θ; the greedy split is optimal
      as the gains are concave), balance at most 1, and no-isolation loses 1
      for each grade or gender that only one student has. It is a true upper
      bound but loose (near 100) on large, varied inputs.
    * ``auto``: ``exact`` up to 60 students, otherwise ``heuristic``.

Bounds (``exact`` only; each a true upper bound on the best minimum)
    * relaxation (:meth:`_Index.relaxed_bound`): CP-SAT on an aggregated model
      that keeps only per-team counts: grade and gender counts per team summing
      to the cohort's counts (so pigeonhole effects on balance and isolation
      are exact), distinct municipalities/prefectures per team with
      Σ_t M_t ≤ Σ_g min(c_g, t), one chosen theme per team whose weight sum is
      at most that of the top m weights for it, and per theme the teams'
      weight sums at most those of distinct students each counted for one
      theme. Every real partition maps to a solution of it with the same team
      scores, so its max-min (CP-SAT's best bound, valid when time runs out)
      bounds the real one. It ignores who is who (interests vs grades).
    * column bound (:func:`_refutes`): a threshold z is refuted when the
      set-partitioning LP over all teams scoring ≥ z (and meeting the hard
      rules, when the solution meets them) cannot cover every student: with
      any duals π ≥ 0 (students), σ ≥ 0 (sizes), Σπ + Σ_m t_m·(σ_m + max(0,
      max over such teams T of size m of |T| − π(T) − σ_m)) is at least the
      LP's coverage (weak duality), so a value below n proves that no
      partition has every team ≥ z. Columns come from greedy swaps; the inner
      maximum is exact, by a branch-and-bound over teams (:class:`_Pricer`:
      students by dual value, pruned by the best gain the free places could
      add and by an optimistic score of the best completion, each component
      at a value no completion can beat), so the weak-duality argument holds;
      when time runs out the threshold is simply not refuted. 1.02·min is
      tried first, then min + 0.001 (a proof of optimality), then bisection
      between the highest threshold not refuted and the bound, each attempt
      with half the time left, columns carried from one threshold to the next.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = [
    "Problem",
    "ProblemError",
    "Solution",
    "Student",
    "Weights",
    "evaluate",
    "form_teams",
    "main",
    "read_problem",
    "solution_to_json",
    "team_score",
    "team_sizes",
]

EXACT_AUTO_LIMIT = 60
# Scale of the CP-SAT model: integer units per score point.
_POINT = 10_000_000
# Interest weights 1/r are scaled by this (lcm of 1..10: exact up to rank 10).
_INTEREST_SCALE = 2520
_EPS = 1e-9
# CP-SAT runs its bound-proving subsolvers (lb-tree search, objective shaving)
# only from 8 workers on; on a 2-core machine they time-share, which still
# proves optimality of 24-student instances that 2 workers do not.
_CPSAT_WORKERS = 8
# Swap evaluations spent on inputs of up to 120 students (1-5 s on this machine).
_SMALL_WORK = 250_000
# Column generation: greedy-swap pricing from this many of the best columns
# (and the LP basis) before the exact pricing, which adds up to
# _PRICE_COLUMNS of its best teams per size.
_LOCAL_STARTS = 100
_PRICE_COLUMNS = 20


@dataclass(frozen=True)
class Student:
    id: str
    school: str
    municipality: str
    prefecture: str
    grade: str  # e.g. "M2", "H1" or "2"; compared for equality only
    gender: str  # free code, e.g. "F", "M", "X", "" (unknown)
    interests: tuple[str, ...] = ()  # ranked themes, most wanted first


@dataclass(frozen=True)
class Weights:
    """Staff-adjustable weights of the score components, each >= 0."""

    regions: float = 3.0
    interests: float = 2.0
    grades: float = 1.0
    genders: float = 1.0
    no_isolation: float = 2.0


@dataclass(frozen=True)
class Problem:
    students: tuple[Student, ...]
    team_size: int
    require: tuple[tuple[str, str], ...] = ()
    prevent: tuple[tuple[str, str], ...] = ()
    previous_teams: tuple[tuple[str, ...], ...] = ()
    weights: Weights = Weights()


@dataclass
class Solution:
    teams: list[list[str]]
    team_scores: list[float]
    min_score: float
    harmonic_mean: float
    bound: float
    gap: float
    optimal: bool
    method: str  # "exact" | "heuristic" | "evaluated" (from evaluate())
    violations: list[str]
    warnings: list[str] = field(default_factory=list)


class ProblemError(ValueError):
    """Malformed input; ``entry`` names it, e.g. ``students[3].school``."""

    def __init__(self, entry: str, message: str) -> None:
        super().__init__(f"{entry}: {message}")
        self.entry = entry
        self.message = message


# --------------------------------------------------------------------------- sizes


def team_sizes(n: int, k: int) -> list[int]:
    """Sizes of the teams for n students and target size k (larger first)."""
    if n <= 0:
        return []
    if k < 1:
        raise ValueError("team size must be at least 1")

    def sizes(t: int) -> list[int]:
        q, r = divmod(n, t)
        return [q + 1] * r + [q] * (t - r)

    def worst(t: int) -> int:
        s = sizes(t)
        return max(abs(s[0] - k), abs(s[-1] - k))

    first = max(1, min(n, round(n / k)))
    candidates = sorted(range(1, n + 1), key=lambda t: (abs(t - first), t))
    for t in candidates[:50]:
        if worst(t) <= 1:
            return sizes(t)
    return sizes(min(range(1, n + 1), key=lambda t: (worst(t), abs(t - first))))


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


# --------------------------------------------------------------------------- evaluation


def _harmonic(scores: Sequence[float]) -> float:
    if not scores:
        return 0.0
    if any(s <= 0 for s in scores):
        return 0.0
    return len(scores) / sum(1.0 / s for s in scores)


def _violations(index: _Index, teams: Sequence[Sequence[int]]) -> list[str]:
    problem = index.problem
    ids = index.ids
    out: list[str] = []
    team_of = [-1] * index.n
    for t, members in enumerate(teams):
        for i in members:
            team_of[i] = t
    for t, members in enumerate(teams, start=1):
        count = Counter(index.school[i] for i in members)
        for s, c in sorted(count.items()):
            if c <= 1:
                continue
            name, total = index.school_names[s], index.school_count[s]
            if c <= index.cap[s]:
                out.append(
                    f"team {t} has {c} students of school {name}: there are {total} "
                    f"students of {name} but only {_plural(index.t, 'team')}"
                )
            else:
                out.append(
                    f"team {t} has {c} students of school {name}, more than the "
                    f"{index.cap[s]} that {total} students in {_plural(index.t, 'team')} require"
                )
    for r, (a, b) in enumerate(problem.require):
        ta, tb = team_of[index.pos[a]], team_of[index.pos[b]]
        if ta != tb:
            out.append(f"require[{r}]: {a} and {b} are in different teams ({ta + 1} and {tb + 1})")
    for r, (a, b) in enumerate(problem.prevent):
        ta, tb = team_of[index.pos[a]], team_of[index.pos[b]]
        if ta == tb:
            out.append(f"prevent[{r}]: {a} and {b} are both in team {ta + 1}")
    reported: set[tuple[int, int]] = set()
    prevented = {frozenset((index.pos[a], index.pos[b])) for a, b in problem.prevent}
    for team in problem.previous_teams:
        known = sorted(index.pos[x] for x in team if x in index.pos)
        for x, i in enumerate(known):
            for j in known[x + 1 :]:
                if team_of[i] == team_of[j] and (i, j) not in reported:
                    reported.add((i, j))
                    if frozenset((i, j)) in prevented:
                        continue
                    out.append(
                        f"{ids[i]} and {ids[j]} were teammates in the previous round "
                        f"and are both in team {team_of[i] + 1}"
                    )
    return out


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _size_warnings(index: _Index) -> list[str]:
    k, sizes = index.problem.team_size, index.sizes
    if not sizes or all(s == k for s in sizes):
        return []
    counts = Counter(sizes)
    parts = ", ".join(f"{c} of {s}" for s, c in sorted(counts.items(), reverse=True))
    note = (
        f"{_plural(index.n, 'student')} do not divide into teams of {k}: "
        f"{_plural(index.t, 'team')} ({parts})"
    )
    if any(abs(s - k) > 1 for s in sizes):
        note += f"; no split keeps every team within {k - 1}-{k + 1}"
    return [note]


def _solution(
    index: _Index,
    teams: Sequence[Sequence[int]],
    *,
    bound: float,
    optimal: bool,
    method: str,
    extra_violations: Sequence[str] = (),
) -> Solution:
    scores = [round(index.score(members), 6) for members in teams]
    low = min(scores) if scores else 0.0
    bound = max(bound, low)
    gap = (bound - low) / bound if bound > 0 else 0.0
    return Solution(
        teams=[[index.ids[i] for i in members] for members in teams],
        team_scores=scores,
        min_score=low,
        harmonic_mean=round(_harmonic(scores), 6),
        bound=round(bound, 6),
        gap=round(max(0.0, gap), 6),
        optimal=optimal,
        method=method,
        violations=list(extra_violations) + _violations(index, teams),
        warnings=_size_warnings(index),
    )


def team_score(problem: Problem, members: Sequence[str]) -> float:
    """The score (0..100) of one team given by student ids."""
    index = _Index(problem)
    return round(index.score([index.pos[m] for m in members]), 6)


def evaluate(problem: Problem, teams: Sequence[Sequence[str]]) -> Solution:
    """Score a given set of teams (e.g. hand-edited); hard-rule breaches in violations.

    Every student must appear exactly once (ValueError otherwise); team sizes
    are taken as given. ``bound`` is the counting bound, ``method`` "evaluated".
    """
    index = _Index(problem)
    seen: set[str] = set()
    rows: list[list[int]] = []
    for t, team in enumerate(teams):
        row = []
        for sid in team:
            if sid not in index.pos:
                raise ValueError(f"teams[{t}]: unknown student {sid}")
            if sid in seen:
                raise ValueError(f"teams[{t}]: student {sid} is in two teams")
            seen.add(sid)
            row.append(index.pos[sid])
        rows.append(row)
    missing = [sid for sid in index.ids if sid not in seen]
    if missing:
        raise ValueError(f"students not in any team: {', '.join(missing[:10])}")
    return _solution(index, rows, bound=index.counting_bound(), optimal=False, method="evaluated")


# --------------------------------------------------------------------------- heuristic


def _rule_conflicts(index: _Index) -> list[str]:
    """Hard rules that contradict each other before any team is formed."""
    out: list[str] = []
    k_max = index.sizes[0] if index.sizes else 0
    for block in index.blocks:
        if len(block) > k_max:
            names = ", ".join(index.ids[i] for i in block)
            out.append(
                f"required pairs join {len(block)} students ({names}): more than a team holds"
            )
    return out


class _Search:
    """Construction and local search over a fixed list of team sizes."""

    def __init__(self, index: _Index, rng: random.Random) -> None:
        self.ix = index
        self.rng = rng
        self.work = 0  # swaps evaluated: a deterministic measure of effort

    def construct(self, *, shuffle_blocks: bool = False) -> list[list[int]]:
        """Required blocks first (the largest free team, or any team at random
        with ``shuffle_blocks``: swaps never move a block, so restarts must),
        then single students dealt school by school."""
        ix, rng = self.ix, self.rng
        sizes = ix.sizes
        teams: list[list[int]] = [[] for _ in sizes]
        free = list(sizes)
        big = [b for b in ix.blocks if len(b) > 1]
        big.sort(key=lambda b: -len(b))
        for block in big:
            best, best_key = -1, None
            for t in range(len(teams)):
                cost = ix.hard_cost(teams[t] + block)
                over = max(0, len(block) - free[t])
                key = (over, cost, rng.random(), t) if shuffle_blocks else (over, cost, -free[t], t)
                if best_key is None or key < best_key:
                    best, best_key = t, key
            teams[best].extend(block)
            free[best] -= len(block)
        # Singletons dealt school by school (schools grouped by prefecture, the
        # order shuffled by the seed) around slots in column-major order, so
        # that any t consecutive students land in t different teams.
        singles = [b[0] for b in ix.blocks if len(b) == 1]
        by_school: dict[int, list[int]] = defaultdict(list)
        for i in singles:
            by_school[ix.school[i]].append(i)
        schools = list(by_school)
        rng.shuffle(schools)
        prefs = list({ix.pref[by_school[s][0]] for s in schools})
        rng.shuffle(prefs)
        pref_rank = {p: r for r, p in enumerate(prefs)}
        schools.sort(key=lambda s: pref_rank[ix.pref[by_school[s][0]]])
        order = [i for s in schools for i in by_school[s]]
        t_count = len(teams)
        slots = [
            t
            for column in range(max(sizes, default=0))
            for t in range(t_count)
            if sizes[t] > column
        ]
        school_in: list[Counter[int]] = [Counter(ix.school[i] for i in team) for team in teams]
        pointer = 0
        for i in order:
            s = ix.school[i]
            chosen = -1
            fallback, fallback_cost = -1, None
            for step in range(len(slots)):
                t = slots[(pointer + step) % len(slots)]
                if free[t] <= 0:
                    continue
                cost = (1 if school_in[t][s] + 1 > ix.cap[s] else 0) + sum(
                    1 for j in teams[t] if j in ix.conflicts[i]
                )
                if cost == 0:
                    chosen = t
                    pointer = (pointer + step + 1) % len(slots)
                    break
                if fallback_cost is None or cost < fallback_cost:
                    fallback, fallback_cost = t, cost
                if step > 4 * t_count:
                    break
            if chosen < 0:
                chosen = fallback
            teams[chosen].append(i)
            free[chosen] -= 1
            school_in[chosen][s] += 1
        return teams

    def improve(self, rows: list[list[int]], *, full: bool, budget: int, deadline: float) -> None:
        """Swap students between teams (in place) under leximin acceptance.

        A swap is accepted when it lowers the two teams' hard-rule breaches, or
        keeps them and makes the sorted pair of their scores lexicographically
        larger (so the sorted vector of all scores grows: the minimum never
        drops). Students of required blocks stay where the construction put them.
        """
        ix = self.ix
        t_count = len(rows)
        if t_count < 2:
            return
        movable = [len(ix.blocks[ix.block_of[i]]) == 1 for i in range(ix.n)]
        teams = [_Team(ix, row) for row in rows]

        def try_pair(a: int, b: int, best_only: bool) -> bool:
            ta, tb = teams[a], teams[b]
            self.work += ta.m * tb.m
            old_lo, old_hi = sorted((ta.score, tb.score))
            old_cost = ta.cost + tb.cost
            best: tuple[tuple[int, float, float], int, int] | None = None
            for i in ta.members:
                if not movable[i]:
                    continue
                for j in tb.members:
                    if not movable[j]:
                        continue
                    sa, ca = ta.trial(i, j)
                    sb, cb = tb.trial(j, i)
                    if ca + cb > old_cost:
                        continue
                    lo, hi = (sa, sb) if sa <= sb else (sb, sa)
                    if (
                        ca + cb < old_cost
                        or lo > old_lo + _EPS
                        or (lo > old_lo - _EPS and hi > old_hi + _EPS)
                    ):
                        key = (-(ca + cb), lo, hi)
                        if best is None or key > best[0]:
                            best = (key, i, j)
                            if not best_only:
                                break
                if best is not None and not best_only:
                    break
            if best is None:
                return False
            _, i, j = best
            ta.replace(i, j)
            tb.replace(j, i)
            return True

        try:
            if full:
                improved = True
                # The deadline stops the polishing, never the repair: while a
                # team still breaks a hard rule, descents go on (each accepted
                # swap lowers the breaches or raises the sorted scores, so this
                # ends), so a busy machine cannot return teams a rule forbids.
                while improved and (
                    time.perf_counter() < deadline or any(t.cost > 0 for t in teams)
                ):
                    improved = False
                    order = sorted(range(t_count), key=lambda t: (-teams[t].cost, teams[t].score))
                    for x, a in enumerate(order):
                        for b in order[x + 1 :]:
                            if try_pair(a, b, True):
                                improved = True
                return
            self._sampled(teams, try_pair, budget=budget, deadline=deadline)
        finally:
            for row, team in zip(rows, teams, strict=True):
                row[:] = team.members

    def _sampled(self, teams: list[_Team], try_pair: Any, *, budget: int, deadline: float) -> None:
        """Large inputs: the worst team against sampled partners, and random pairs."""
        rng = self.rng
        t_count = len(teams)
        for a in [t for t in range(t_count) if teams[t].cost > 0]:
            for _ in range(50):
                b = rng.randrange(t_count)
                if b != a and try_pair(a, b, False) and teams[a].cost == 0:
                    break
        heap = [(team.score, t) for t, team in enumerate(teams)]
        heapq.heapify(heap)
        stuck: dict[int, float] = {}
        for step in range(budget):
            if step % 64 == 0 and time.perf_counter() > deadline:
                break
            worst = step % 2 == 0
            if worst:
                while heap[0][0] != teams[heap[0][1]].score:
                    t = heap[0][1]
                    heapq.heapreplace(heap, (teams[t].score, t))
                a = heap[0][1]
                if stuck.get(a) == teams[a].score:
                    a, worst = rng.randrange(t_count), False
            else:
                a = rng.randrange(t_count)
            tries = 8 if not worst else 400
            for _ in range(tries):
                b = rng.randrange(t_count)
                if b != a and try_pair(a, b, False):
                    heapq.heappush(heap, (teams[a].score, a))
                    heapq.heappush(heap, (teams[b].score, b))
                    break
            else:
                if worst:
                    stuck[a] = teams[a].score


def _leximin_key(index: _Index, teams: Sequence[Sequence[int]]) -> tuple[int, list[float]]:
    cost = sum(index.hard_cost(tm) for tm in teams)
    return (-cost, sorted(round(index.score(tm), 9) for tm in teams))


def _heuristic_teams(index: _Index, *, time_limit: float, seed: int) -> list[list[int]]:
    started = time.perf_counter()
    deadline = started + max(0.05, time_limit)
    rng = random.Random(seed)  # noqa: S311 - reproducible search, not secrecy
    search = _Search(index, rng)
    if index.t <= 1:
        return search.construct()
    small = index.n <= 120
    if not small:
        teams = search.construct()
        budget = 40 * index.t + 20_000
        search.improve(teams, full=False, budget=budget, deadline=deadline)
        return teams
    # Small inputs: full descents from the dealt start, then from a random start
    # (one in four) or from the best teams so far with a few random swaps,
    # until 40 descents in a row find nothing better or a fixed number of swap
    # evaluations is spent (both deterministic).
    best: list[list[int]] | None = None
    best_key: tuple[int, list[float]] | None = None
    single = [len(index.blocks[index.block_of[i]]) == 1 for i in range(index.n)]
    found = 0
    for attempt in range(200):
        if attempt == 0 or best is None:
            teams = search.construct()
        elif attempt % 4 == 1:
            teams = search.construct(shuffle_blocks=True)
            singles = [i for tm in teams for i in tm if single[i]]
            rng.shuffle(singles)
            it = iter(singles)
            teams = [[next(it) if single[i] else i for i in tm] for tm in teams]
        else:
            teams = [list(tm) for tm in best]
            for _ in range(max(2, index.n // 6)):
                a, b = rng.sample(range(len(teams)), 2)
                x, y = rng.randrange(len(teams[a])), rng.randrange(len(teams[b]))
                if single[teams[a][x]] and single[teams[b][y]]:
                    teams[a][x], teams[b][y] = teams[b][y], teams[a][x]
        search.improve(teams, full=True, budget=0, deadline=deadline)
        key = _leximin_key(index, teams)
        if best_key is None or key > best_key:
            best, best_key, found = [list(tm) for tm in teams], key, attempt
        if attempt - found >= 40 or search.work > _SMALL_WORK:
            break
        if time.perf_counter() > deadline:
            break
    assert best is not None
    return best


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


# --------------------------------------------------------------------------- entry


def form_teams(
    problem: Problem, *, method: str = "auto", time_limit: float = 10.0, seed: int = 0
) -> Solution:
    """Form the teams (see the module docstring for rules, score and methods)."""
    if method not in ("auto", "exact", "heuristic"):
        raise ValueError(f"unknown method {method!r}")
    index = _Index(problem)
    notes = _rule_conflicts(index)
    if index.n == 0:
        return Solution([], [], 0.0, 0.0, 0.0, 0.0, True, "heuristic", [], [])
    use_exact = method == "exact" or (method == "auto" and index.n <= EXACT_AUTO_LIMIT)
    started = time.perf_counter()
    heuristic_share = time_limit if not use_exact else time_limit * 0.25
    teams = _heuristic_teams(index, time_limit=heuristic_share, seed=seed)
    if not use_exact:
        return _solution(
            index,
            teams,
            bound=index.counting_bound(),
            optimal=False,
            method="heuristic",
            extra_violations=notes,
        )
    relaxed = index.relaxed_bound(min(2.0, 0.1 * time_limit), seed=seed)
    cp_time = max(0.1, 0.65 * time_limit - (time.perf_counter() - started))
    exact, bound, optimal = _exact_teams(index, time_limit=cp_time, seed=seed, hint=teams)
    bound = min(bound, index.counting_bound(), relaxed)
    others: list[list[int]] = []
    if exact is not None:
        exact_min = min(index.score(tm) for tm in exact)
        if _leximin_key(index, exact) >= _leximin_key(index, teams):
            teams, others = exact, teams
        else:
            others = exact
            if min(index.score(tm) for tm in teams) < exact_min - 1e-6:
                # The heuristic's teams are kept for fewer breaches (a relaxed rule)
                # at a lower minimum: CP-SAT's proof does not cover them.
                optimal = False
    else:  # no CP-SAT solution (rules contradict, or out of time): keep the heuristic's
        bound = min(index.counting_bound(), relaxed)
    if not optimal:
        low = min(index.score(tm) for tm in teams)
        bound, optimal = _column_bound(
            index,
            [*teams, *others],
            low,
            bound,
            deadline=started + time_limit,
            rules_from=teams,
        )
    return _solution(
        index, teams, bound=bound, optimal=optimal, method="exact", extra_violations=notes
    )


def solution_to_json(solution: Solution) -> dict[str, Any]:
    return {
        "teams": solution.teams,
        "min_score": solution.min_score,
        "harmonic_mean": solution.harmonic_mean,
        "bound": solution.bound,
        "gap": solution.gap,
        "optimal": solution.optimal,
        "method": solution.method,
        "team_scores": solution.team_scores,
        "violations": solution.violations,
        "warnings": solution.warnings,
    }


# --------------------------------------------------------------------------- input


def _text(value: Any, entry: str, *, required: bool = True) -> str:
    if value is None:
        if required:
            raise ProblemError(entry, "missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ProblemError(entry, f"must be a string, not {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise ProblemError(entry, "empty")
    return text


def _pairs(data: Mapping[str, Any], key: str, known: set[str]) -> tuple[tuple[str, str], ...]:
    raw = data.get(key, [])
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ProblemError(key, "must be a list of [id, id] pairs")
    out = []
    for r, pair in enumerate(raw):
        entry = f"{key}[{r}]"
        if not isinstance(pair, list) or len(pair) != 2:
            raise ProblemError(entry, "must be a pair [id, id]")
        a, b = (_text(v, f"{entry}[{x}]") for x, v in enumerate(pair))
        for x, v in enumerate((a, b)):
            if v not in known:
                raise ProblemError(f"{entry}[{x}]", f"unknown student {v}")
        if a == b:
            raise ProblemError(entry, f"pairs student {a} with themself")
        out.append((a, b))
    return tuple(out)


def read_problem(
    data: Mapping[str, Any], *, team_size: int, weights: Weights | None = None
) -> Problem:
    """Build a Problem from the JSON format; raises ProblemError naming the entry."""
    if not isinstance(data, Mapping):
        raise ProblemError("input", "must be a JSON object")
    raw = data.get("students")
    if not isinstance(raw, list):
        raise ProblemError("students", "missing" if raw is None else "must be a list")
    students: list[Student] = []
    seen: dict[str, int] = {}
    for r, row in enumerate(raw):
        entry = f"students[{r}]"
        if not isinstance(row, Mapping):
            raise ProblemError(entry, "must be an object")
        sid = _text(row.get("id"), f"{entry}.id")
        if sid in seen:
            raise ProblemError(f"{entry}.id", f"duplicate id {sid} (also students[{seen[sid]}])")
        seen[sid] = r
        fields = {
            name: _text(row.get(name), f"{entry}.{name}")
            for name in ("school", "municipality", "prefecture", "grade")
        }
        gender = _text(row.get("gender"), f"{entry}.gender", required=False)
        interests_raw = row.get("interests", [])
        if interests_raw is None:
            interests_raw = []
        if not isinstance(interests_raw, list):
            raise ProblemError(f"{entry}.interests", "must be a list of themes")
        interests = tuple(_text(v, f"{entry}.interests[{x}]") for x, v in enumerate(interests_raw))
        students.append(Student(id=sid, gender=gender, interests=interests, **fields))
    if isinstance(team_size, bool) or not isinstance(team_size, int):
        raise ProblemError("team_size", "must be an integer")
    if team_size < 2:
        raise ProblemError("team_size", f"must be at least 2, not {team_size}")
    if team_size > len(students):
        raise ProblemError("team_size", f"{team_size} is more than the {len(students)} students")
    known = set(seen)
    previous_raw = data.get("previous_teams", [])
    previous: list[tuple[str, ...]] = []
    if previous_raw is not None:
        if not isinstance(previous_raw, list):
            raise ProblemError("previous_teams", "must be a list of lists of ids")
        for r, team in enumerate(previous_raw):
            if not isinstance(team, list):
                raise ProblemError(f"previous_teams[{r}]", "must be a list of ids")
            previous.append(
                tuple(_text(v, f"previous_teams[{r}][{x}]") for x, v in enumerate(team))
            )
    return Problem(
        students=tuple(students),
        team_size=team_size,
        require=_pairs(data, "require", known),
        prevent=_pairs(data, "prevent", known),
        previous_teams=tuple(previous),
        weights=weights or Weights(),
    )


# --------------------------------------------------------------------------- command


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ekkyo teams", description="Form cross-school teams (max-min score).")
    parser.add_argument("--input", required=True, metavar="IN.json")
    parser.add_argument("--output", required=True, metavar="OUT.json", help='"-" for stdout')
    parser.add_argument("--team-size", required=True, type=int)
    parser.add_argument("--method", choices=("auto", "exact", "heuristic"), default="auto")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    defaults = Weights()
    for name in ("regions", "interests", "grades", "genders", "no_isolation"):
        parser.add_argument(
            f"--weight-{name.replace('_', '-')}",
            dest=f"weight_{name}",
            type=float,
            default=getattr(defaults, name),
        )
    return parser


def main(argv: Sequence[str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Run ``ekkyo teams``: 0 on success, 2 on bad arguments or input, 1 on write errors."""

    def fail(message: str, code: int) -> int:
        stderr.write(f"error: {message}\n")
        stderr.flush()
        return code

    try:
        args = _parser().parse_args(list(argv))
    except _UsageError as e:
        return fail(str(e), 2)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    weights = {n: getattr(args, f"weight_{n}") for n in Weights.__dataclass_fields__}
    for name, value in weights.items():
        if not value >= 0 or math.isinf(value):
            return fail(f"--weight-{name.replace('_', '-')} must be a number >= 0", 2)
    if not args.time_limit > 0:
        return fail("--time-limit must be positive", 2)
    try:
        with open(args.input, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as e:
        return fail(f"cannot read {args.input}: {e.strerror or e}", 2)
    except UnicodeDecodeError as e:
        return fail(f"{args.input} is not UTF-8 text: {e.reason} at byte {e.start}", 2)
    except (json.JSONDecodeError, RecursionError) as e:
        return fail(f"{args.input} is not valid JSON: {e}", 2)
    try:
        problem = read_problem(data, team_size=args.team_size, weights=Weights(**weights))
    except ProblemError as e:
        return fail(f"{args.input}: {e}", 2)
    solution = form_teams(problem, method=args.method, time_limit=args.time_limit, seed=args.seed)
    text = json.dumps(solution_to_json(solution), ensure_ascii=False, indent=1) + "\n"
    try:
        if args.output == "-":
            stdout.write(text)
            stdout.flush()
        else:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
    except OSError as e:
        return fail(f"cannot write {args.output}: {e.strerror or e}", 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:], stdout=sys.stdout, stderr=sys.stderr))
