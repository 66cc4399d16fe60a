"""The swap-search heuristic for any size (seeded, time-limited).

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

import heapq
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from .index import _Index, _Team
from .model import _EPS, _SMALL_WORK

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
