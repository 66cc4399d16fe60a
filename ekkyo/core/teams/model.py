"""Teams' data: students, weights, problems, solutions, and team sizes.

Part of :mod:`ekkyo.core.teams` (functional core: no Django import).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
