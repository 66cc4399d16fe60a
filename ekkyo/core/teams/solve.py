"""The entry point: :func:`form_teams` picks the method and returns a :class:`Solution`.

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

import time
from typing import Any

from .evaluation import _solution
from .exact import _column_bound, _exact_teams
from .heuristic import _heuristic_teams, _leximin_key, _rule_conflicts
from .index import _Index
from .model import EXACT_AUTO_LIMIT, Problem, Solution

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
