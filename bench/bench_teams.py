"""Benchmark of team formation (ekkyo.core.teams): scale and quality.

1. Scale: a deterministic network of ``--students`` students (default 10,000)
   from ``--schools`` schools (300) spread over 44 municipalities in 18
   prefectures, grades M1–H3, genders F/M/X/unknown, 3 ranked interests each
   from 12 themes (skewed popularity); teams of 5. Times ``--runs`` runs of
   ``form_teams(method="heuristic")`` and prints the median time, the minimum
   team score, harmonic mean, counting bound and gap.
2. Quality: ``--small`` instances of 8–16 students compared with an exhaustive
   branch-and-bound over every partition (tests/core/test_teams.py), and
   ``--medium`` instances of 17–60 students (evenly spread) compared with CP-SAT run with a
   generous time limit (its optimum when proven, otherwise its proven bound,
   which only makes the gap look larger). The heuristic gets ``--heuristic-time``
   seconds. Prints the median and max relative gap (best − heuristic) / best.

A script, not a test:

    .venv/bin/python bench/bench_teams.py [--students N] [--schools S] [--runs R]
        [--small A] [--medium B] [--cpsat-time T] [--heuristic-time H] [--bound-time B]
        [--skip-scale] [--skip-quality] [--skip-small]

``--skip-small`` leaves out the exhaustive comparison but keeps the random
draws, so the 17–60-student instances are those of a full run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ekkyo.core.teams import Problem, Student, form_teams
from ekkyo.core.teams.exact import _column_bound, _exact_teams
from ekkyo.core.teams.index import _Index
from tests.core.test_teams import exhaustive_optimum

GRADES = ("M1", "M2", "M3", "H1", "H2", "H3")
THEMES = tuple(f"theme{i:02d}" for i in range(12))


def generate(students: int, schools: int, seed: int, team_size: int = 5) -> Problem:
    """A deterministic network: schools of uneven size in 44 towns of 18 prefectures."""
    rng = random.Random(seed)
    town_pref = [f"P{t % 18:02d}" for t in range(44)]
    school_town = [rng.randrange(44) for _ in range(schools)]
    school_weight = [rng.uniform(0.3, 3.0) for _ in range(schools)]
    theme_weight = [1.0 / (r + 1) ** 0.6 for r in range(len(THEMES))]
    out = []
    for i in range(students):
        school = rng.choices(range(schools), weights=school_weight)[0]
        town = school_town[school]
        themes: list[str] = []
        while len(themes) < 3:
            theme = rng.choices(THEMES, weights=theme_weight)[0]
            if theme not in themes:
                themes.append(theme)
        out.append(
            Student(
                id=f"s{i:05d}",
                school=f"SC{school:03d}",
                municipality=f"T{town:02d}",
                prefecture=town_pref[town],
                grade=rng.choice(GRADES),
                gender=rng.choices(("F", "M", "X", ""), weights=(48, 48, 2, 2))[0],
                interests=tuple(themes),
            )
        )
    return Problem(students=tuple(out), team_size=team_size)


def scale(args: argparse.Namespace) -> None:
    problem = generate(args.students, args.schools, seed=1)
    times, results = [], []
    for run in range(args.runs):
        started = time.perf_counter()
        solution = form_teams(problem, method="heuristic", time_limit=args.time_limit, seed=run)
        times.append(time.perf_counter() - started)
        results.append(solution)
        print(
            f"  run {run + 1}: {times[-1]:.2f} s, min {solution.min_score:.2f}, "
            f"harmonic {solution.harmonic_mean:.2f}, bound {solution.bound:.2f}, "
            f"gap {100 * solution.gap:.1f} %, violations {len(solution.violations)}",
            flush=True,
        )
    best = results[times.index(statistics.median(times))] if args.runs % 2 else results[0]
    print(
        f"scale: {args.students} students, {args.schools} schools, {len(best.teams)} teams: "
        f"median {statistics.median(times):.2f} s (runs {', '.join(f'{t:.2f}' for t in times)}); "
        f"min {best.min_score:.2f}, harmonic mean {best.harmonic_mean:.2f}, "
        f"bound {best.bound:.2f}, gap {100 * best.gap:.1f} %"
    )


def cp_sat(problem: Problem, time_limit: float) -> tuple[float, float, bool, list[list[int]]]:
    """CP-SAT alone (no heuristic hint): (best minimum found, proven bound, optimal, teams)."""
    index = _Index(problem)
    teams, bound, optimal = _exact_teams(index, time_limit=time_limit, seed=0, hint=None)
    found = min(index.score(t) for t in teams) if teams else 0.0
    return found, min(bound, index.counting_bound()), optimal, teams or []


def proven_bound(
    problem: Problem,
    heuristic: list[list[str]],
    others: list[list[int]],
    bound: float,
    limit: float,
) -> tuple[float, bool]:
    """The aggregated relaxation and the column-generation bound (the module's own
    bounds, see ekkyo.core.teams) on top of CP-SAT's: (bound, optimum proven)."""
    index = _Index(problem)
    started = time.perf_counter()
    bound = min(bound, index.relaxed_bound(min(5.0, limit / 4)))
    teams = [[index.pos[s] for s in team] for team in heuristic]
    low = max(min(index.score(t) for t in teams), min((index.score(t) for t in others), default=0))
    chosen = teams if min(index.score(t) for t in teams) >= low else others
    return _column_bound(
        index, [*teams, *others], low, bound, deadline=started + limit, rules_from=chosen
    )


def quality(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    # (reference kind, n, reference, heuristic, CP-SAT's best found, proven optimal)
    rows: list[tuple[str, int, float, float, float, bool]] = []
    for x in range(args.small):
        n = rng.randint(8, 16)
        problem = generate(n, schools=max(2, n // 2), seed=100 + x, team_size=rng.choice((3, 4)))
        if args.skip_small:  # same draws, so the medium instances stay the same
            continue
        reference = exhaustive_optimum(problem)
        assert reference is not None
        heuristic = form_teams(problem, method="heuristic", time_limit=args.heuristic_time)
        rows.append(("exhaustive", n, reference[0], heuristic.min_score, reference[0], True))
        print(f"  {rows[-1]}", flush=True)
    for x in range(args.medium):  # sizes spread evenly over 17..60
        n = 17 + round(43 * x / max(1, args.medium - 1))
        problem = generate(n, schools=max(3, n // 2), seed=200 + x, team_size=rng.choice((4, 5)))
        heuristic = form_teams(problem, method="heuristic", time_limit=args.heuristic_time)
        found, bound, optimal, cp_teams = cp_sat(problem, args.cpsat_time)
        reference = found
        if not optimal:  # the module's own bounds, then: proven optimum or bound
            bound, optimal = proven_bound(
                problem, heuristic.teams, cp_teams, bound, args.bound_time
            )
            reference = max(found, heuristic.min_score) if optimal else bound
        rows.append(("cp-sat", n, reference, heuristic.min_score, found, optimal))
        print(f"  {rows[-1]}", flush=True)

    def gap(best: float, got: float) -> float:
        return 100 * (best - got) / best if best else 0.0

    for kind in ("exhaustive", "cp-sat"):
        mine = [r for r in rows if r[0] == kind]
        if not mine:
            continue
        gaps = [gap(r[2], r[3]) for r in mine]
        proven = [gap(r[2], r[3]) for r in mine if r[5]]
        versus_found = [gap(r[4], r[3]) for r in mine]
        print(
            f"quality vs {kind}: {len(gaps)} instances of {min(r[1] for r in mine)}-"
            f"{max(r[1] for r in mine)} students; gap to the optimum or proven bound: "
            f"median {statistics.median(gaps):.2f} %, max {max(gaps):.2f} %"
        )
        if kind == "cp-sat":
            print(
                f"  {len(proven)} proven optimal: median gap "
                f"{statistics.median(proven) if proven else float('nan'):.2f} %; "
                f"gap to CP-SAT's best solution (negative: heuristic better): median "
                f"{statistics.median(versus_found):.2f} %, max {max(versus_found):.2f} %"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=12.0)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--medium", type=int, default=20)
    parser.add_argument("--cpsat-time", type=float, default=15.0)
    parser.add_argument("--heuristic-time", type=float, default=2.0)
    parser.add_argument("--bound-time", type=float, default=30.0)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--skip-small",
        action="store_true",
        help="skip the exhaustive comparison (the 17-60 instances are unchanged)",
    )
    args = parser.parse_args()
    if not args.skip_scale:
        scale(args)
    if not args.skip_quality:
        quality(args)


if __name__ == "__main__":
    main()
