"""Scoring a set of teams: rule breaches, warnings, the solution summary.

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .index import _Index
from .model import Problem, Solution

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
