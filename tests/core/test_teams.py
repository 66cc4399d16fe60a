"""Team formation (ekkyo.core.teams): hard rules, scores, bound, exact vs exhaustive.

Plain-Python tests, no database. Hypothesis draws small instances (at most 12
students of a few schools, with required, prevented and previous-round
pairs); the exact solver is compared with :func:`exhaustive_optimum`, a
branch-and-bound over every partition (also used by bench/bench_teams.py).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ekkyo.core.teams import (
    Problem,
    ProblemError,
    Student,
    Weights,
    evaluate,
    form_teams,
    read_problem,
    solution_to_json,
    team_score,
    team_sizes,
)
from ekkyo.core.teams.exact import _column_bound, _Pricer, _refutes
from ekkyo.core.teams.index import _Index

TOL = 0.01  # points: the CP-SAT model's integer rounding is far below this


def exhaustive_optimum(problem: Problem) -> tuple[float, list[list[str]]] | None:
    """The best minimum team score over every partition meeting the hard rules.

    Hard rules as the solvers apply them: teams have the sizes of
    :func:`team_sizes`, required blocks are whole, no prevented or
    previous-round pair shares a team, and no school exceeds its cap ⌈c/t⌉.
    None when no partition meets them. Branch and bound: the team of the
    lowest unassigned student is chosen among all combinations, and a branch
    stops as soon as a team scores no more than the best minimum found.
    """
    ix = _Index(problem)
    sizes = Counter(ix.sizes)
    best: list[float] = [-1.0]
    best_teams: list[list[list[int]]] = [[]]
    scores: dict[tuple[int, ...], float] = {}

    def feasible(team: tuple[int, ...]) -> bool:
        members = set(team)
        for i in team:
            if not set(ix.blocks[ix.block_of[i]]) <= members:
                return False
        return ix.hard_cost(list(team)) == 0

    def search(left: list[int], low: float, chosen: list[list[int]]) -> None:
        if not left:
            if low > best[0]:
                best[0] = low
                best_teams[0] = [list(t) for t in chosen]
            return
        first, rest = left[0], left[1:]
        for size in sorted(sizes):
            if sizes[size] == 0:
                continue
            for others in itertools.combinations(rest, size - 1):
                team = (first, *others)
                if not feasible(team):
                    continue
                score = scores.get(team)
                if score is None:
                    score = scores[team] = ix.score(list(team))
                if score <= best[0] + 1e-9:
                    continue
                sizes[size] -= 1
                taken = set(others)
                chosen.append(list(team))
                search([i for i in rest if i not in taken], min(low, score), chosen)
                chosen.pop()
                sizes[size] += 1

    search(list(range(ix.n)), math.inf, [])
    if best[0] < 0:
        return None
    return best[0], [[ix.ids[i] for i in t] for t in best_teams[0]]


# ----------------------------------------------------------------------------- strategies

GRADES = ("M1", "M2", "H1")
GENDERS = ("F", "M", "X", "")
THEMES = ("food", "sea", "rice", "dance", "robots")


@st.composite
def problems(draw: st.DrawFn, max_students: int = 12, rules: bool = True) -> Problem:
    n = draw(st.integers(2, max_students))
    schools = draw(st.integers(1, 5))
    students = []
    for i in range(n):
        school = draw(st.integers(0, schools - 1))
        students.append(
            Student(
                id=f"s{i}",
                school=f"S{school}",
                municipality=f"M{school % 3}",
                prefecture=f"P{school % 2}",
                grade=draw(st.sampled_from(GRADES)),
                gender=draw(st.sampled_from(GENDERS)),
                interests=tuple(draw(st.lists(st.sampled_from(THEMES), max_size=3, unique=True))),
            )
        )
    k = draw(st.integers(2, min(5, n)))
    ids = [s.id for s in students]
    require: list[tuple[str, str]] = []
    prevent: list[tuple[str, str]] = []
    previous: list[tuple[str, ...]] = []
    if rules and n >= 4:
        order = draw(st.permutations(ids))
        for x in range(draw(st.integers(0, 1))):  # disjoint pairs
            require.append((order[2 * x], order[2 * x + 1]))
        pairs = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1])
        prevent = draw(st.lists(pairs, max_size=2))
        if draw(st.booleans()):
            previous = [tuple(draw(st.lists(st.sampled_from(ids), min_size=2, max_size=3)))]
    weights = draw(
        st.builds(
            Weights,
            regions=st.sampled_from((0.0, 1.0, 3.0)),
            interests=st.sampled_from((0.0, 2.0)),
            grades=st.sampled_from((0.0, 1.0)),
            genders=st.sampled_from((0.0, 1.0)),
            no_isolation=st.sampled_from((0.0, 2.0)),
        )
    )
    return Problem(
        students=tuple(students),
        team_size=k,
        require=tuple(require),
        prevent=tuple(prevent),
        previous_teams=tuple(previous),
        weights=weights,
    )


def hard_breaches(problem: Problem, teams: Sequence[Sequence[str]]) -> list[str]:
    """Breaches of the hard rules (sharing a school within its cap is allowed)."""
    ix = _Index(problem)
    out = []
    team_of = {sid: t for t, team in enumerate(teams) for sid in team}
    for a, b in problem.require:
        if team_of[a] != team_of[b]:
            out.append(f"require {a} {b}")
    for a, b in problem.prevent:
        if team_of[a] == team_of[b]:
            out.append(f"prevent {a} {b}")
    for prev in problem.previous_teams:
        for a, b in itertools.combinations(set(prev), 2):
            if team_of[a] == team_of[b]:
                out.append(f"previous {a} {b}")
    for t, team in enumerate(teams):
        count = Counter(ix.school[ix.pos[sid]] for sid in team)
        for s, c in count.items():
            if c > ix.cap[s]:
                out.append(f"school {s} in team {t}")
    return out


def check_solution(problem: Problem, teams: list[list[str]], scores: list[float]) -> None:
    ids = [s.id for s in problem.students]
    flat = [sid for team in teams for sid in team]
    assert sorted(flat) == sorted(ids)  # everyone exactly once
    assert sorted(len(t) for t in teams) == sorted(team_sizes(len(ids), problem.team_size))
    assert all(0.0 <= s <= 100.0 for s in scores)


# Some properties hold only on inputs where the rules can be met (assume()):
# filtering is expected there, so that health check must not fail a run at random.
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(problems())
def test_heuristic_solution_is_a_consistent_partition(problem: Problem) -> None:
    solution = form_teams(problem, method="heuristic", time_limit=0.5, seed=1)
    check_solution(problem, solution.teams, solution.team_scores)
    assert solution.min_score == pytest.approx(min(solution.team_scores))
    expected_hm = (
        len(solution.team_scores) / sum(1 / s for s in solution.team_scores)
        if all(s > 0 for s in solution.team_scores)
        else 0.0
    )
    assert solution.harmonic_mean == pytest.approx(expected_hm, abs=1e-5)
    assert solution.bound >= solution.min_score - 1e-9
    assert solution.gap == pytest.approx(
        (solution.bound - solution.min_score) / solution.bound if solution.bound else 0.0, abs=1e-5
    )
    again = evaluate(problem, solution.teams)
    assert again.team_scores == solution.team_scores
    assert again.violations == solution.violations
    for team, score in zip(solution.teams, solution.team_scores, strict=True):
        assert team_score(problem, team) == pytest.approx(score)
    # Deterministic for a seed.
    assert form_teams(problem, method="heuristic", time_limit=0.5, seed=1).teams == solution.teams


@SETTINGS
@given(problems(max_students=10))
def test_exact_equals_exhaustive_search_and_beats_heuristic(problem: Problem) -> None:
    reference = exhaustive_optimum(problem)
    exact = form_teams(problem, method="exact", time_limit=20, seed=0)
    check_solution(problem, exact.teams, exact.team_scores)
    heuristic = form_teams(problem, method="heuristic", time_limit=0.5, seed=0)
    if reference is None:  # the hard rules admit no partition: breaches are reported
        assert exact.violations
        return
    best, _ = reference
    assert exact.optimal
    assert exact.min_score == pytest.approx(best, abs=TOL)
    assert exact.bound >= best - TOL
    assert exact.bound - exact.min_score <= TOL
    assert not hard_breaches(problem, exact.teams)
    assert heuristic.min_score <= best + TOL
    assert heuristic.bound >= best - 1e-6  # the counting bound is a true bound


@SETTINGS
@given(problems(max_students=12, rules=False))
def test_one_per_school_whenever_the_numbers_allow(problem: Problem) -> None:
    solution = form_teams(problem, method="heuristic", time_limit=0.5)
    t = len(solution.teams)
    school = {s.id: s.school for s in problem.students}
    per_school = Counter(school.values())
    for team in solution.teams:
        for s, c in Counter(school[sid] for sid in team).items():
            assert c <= math.ceil(per_school[s] / t)
    shared = sum(
        1 for team in solution.teams for c in Counter(school[x] for x in team).values() if c > 1
    )
    reported = [v for v in solution.violations if "students of school" in v]
    assert len(reported) == shared


@SETTINGS
@given(problems(max_students=12))
def test_heuristic_meets_hard_rules_when_they_are_easy(problem: Problem) -> None:
    # Without required pairs, a few prevented pairs among 12 students can always be
    # separated; the heuristic must do it.
    assume(not problem.require and len(problem.students) >= 6)
    assume(len(team_sizes(len(problem.students), problem.team_size)) >= 3)
    reference = exhaustive_optimum(problem) if len(problem.students) <= 9 else (0.0, [])
    assume(reference is not None)
    solution = form_teams(problem, method="heuristic", time_limit=0.5)
    assert not hard_breaches(problem, solution.teams)


@SETTINGS
@given(problems(max_students=10))
def test_every_bound_is_at_least_the_exhaustive_optimum(problem: Problem) -> None:
    # The bounds must be TRUE upper bounds on the best minimum under the hard rules.
    reference = exhaustive_optimum(problem)
    assume(reference is not None)
    assert reference is not None
    best, _ = reference
    ix = _Index(problem)
    assert ix.counting_bound() >= best - 1e-6
    assert ix.relaxed_bound(5.0) >= best - 1e-6
    # The optimum's own threshold is never refuted (its teams are all >= best),
    # with or without the hard rules.
    for rules in (True, False):
        assert not _refutes(ix, best, [], rules=rules, deadline=time.perf_counter() + 20)
    # From a weaker solution, the column bound stays above the optimum.
    heuristic = form_teams(problem, method="heuristic", time_limit=0.3, seed=0)
    teams = [[ix.pos[s] for s in team] for team in heuristic.teams]
    bound, proven = _column_bound(
        ix, teams, heuristic.min_score, 100.0, deadline=time.perf_counter() + 20, rules_from=teams
    )
    assert bound >= best - 1e-6
    if proven:
        assert heuristic.min_score >= best - 0.0011


@SETTINGS
@given(problems(max_students=10, rules=False))
def test_column_bound_equals_the_optimum_when_it_proves_it(problem: Problem) -> None:
    reference = exhaustive_optimum(problem)
    assume(reference is not None)
    assert reference is not None
    best, best_teams = reference
    ix = _Index(problem)
    teams = [[ix.pos[s] for s in team] for team in best_teams]
    bound, proven = _column_bound(
        ix, teams, best, 100.0, deadline=time.perf_counter() + 20, rules_from=teams
    )
    assert best - 1e-6 <= bound
    if proven:
        assert bound <= best + 0.0011
    exact = form_teams(problem, method="exact", time_limit=10, seed=0)
    if exact.optimal:
        assert exact.bound == pytest.approx(best, abs=TOL)


@SETTINGS
@given(problems(max_students=10), st.floats(0.5, 1.0))
def test_column_bound_bisection_never_cuts_the_optimum(problem: Problem, share: float) -> None:
    # Started from a threshold below the optimum, the bisection refutes only
    # thresholds above it: the bound stays >= the optimum and "proven" holds
    # only when the start is within 0.001 of it.
    reference = exhaustive_optimum(problem)
    assume(reference is not None)
    assert reference is not None
    best, best_teams = reference
    ix = _Index(problem)
    low = share * best
    teams = [[ix.pos[s] for s in team] for team in best_teams]
    for columns in ([], teams):
        bound, proven = _column_bound(
            ix, columns, low, 100.0, deadline=time.perf_counter() + 20, rules_from=teams
        )
        assert bound >= best - 1e-6
        assert not proven or low >= best - 0.0011


@SETTINGS
@given(
    problems(max_students=11),
    st.booleans(),
    st.lists(st.floats(-0.5, 1.0, allow_nan=False), min_size=11, max_size=11),
    st.floats(0.0, 1.0),
)
def test_pricing_equals_brute_force_over_all_teams(
    problem: Problem, rules: bool, gains: list[float], quantile: float
) -> None:
    # The column bound is valid only if the pricing is exact: its maximum of
    # Σ gain over the teams of size m scoring >= z (meeting the hard rules when
    # asked) must equal enumeration of every team of size m.
    ix = _Index(problem)
    gain = gains[: ix.n]
    for m in sorted(set(ix.sizes)):
        teams = [list(team) for team in itertools.combinations(range(ix.n), m)]
        if rules:
            teams = [
                team
                for team in teams
                if ix.hard_cost(team) == 0
                and all(set(ix.blocks[ix.block_of[i]]) <= set(team) for i in team)
            ]
        scores = sorted(ix.score(team) for team in teams)
        z = scores[int(quantile * (len(scores) - 1))] if scores else 50.0
        for z_try in (z, z + 1e-3, 0.0, 100.0):
            fit = [team for team in teams if ix.score(team) >= z_try - 1e-9]
            brute = max((sum(gain[i] for i in team) for team in fit), default=-math.inf)
            pricer = _Pricer(ix, m, z_try, rules)
            best, found = pricer.price(gain, -1e9, time.perf_counter() + 60)
            if brute == -math.inf:
                assert best == -1e9 and not found
            else:
                assert best == pytest.approx(brute, abs=1e-7)
                assert sorted(found[0]) in [sorted(t) for t in fit]
                assert sum(gain[i] for i in found[0]) == pytest.approx(brute, abs=1e-7)
            floor = 0.5 * m
            best, found = pricer.price(gain, floor, time.perf_counter() + 60)
            assert best == pytest.approx(max(floor, brute), abs=1e-7)
            for team in found:
                assert sum(gain[i] for i in team) > floor
                assert ix.score(team) >= z_try - 1e-6


def test_pricing_equals_brute_force_on_sixteen_varied_students() -> None:
    # Larger than the drawn instances: teams of 5 and 6 out of 16 students with
    # six grades, four genders and twelve themes, at thresholds from easy to
    # nearly impossible, with and without the hard rules.
    rng = random.Random(3)
    themes = [f"t{i}" for i in range(12)]
    students = tuple(
        Student(
            id=f"s{i}",
            school=f"S{rng.randrange(7)}",
            municipality=f"M{rng.randrange(9)}",
            prefecture=f"P{rng.randrange(4)}",
            grade=rng.choice(("M1", "M2", "M3", "H1", "H2", "H3")),
            gender=rng.choice(("F", "M", "X", "")),
            interests=tuple(rng.sample(themes, 3)),
        )
        for i in range(16)
    )
    problem = Problem(
        students=students,
        team_size=5,
        require=(("s0", "s1"),),
        prevent=(("s2", "s3"), ("s4", "s5")),
        previous_teams=(("s6", "s7", "s8"),),
    )
    ix = _Index(problem)
    for m in sorted(set(ix.sizes)):
        every = list(itertools.combinations(range(ix.n), m))
        scores = {team: ix.score(team) for team in every}
        ranked = sorted(scores.values())
        for rules in (False, True):
            teams = [
                team
                for team in every
                if not rules
                or (
                    ix.hard_cost(team) == 0
                    and all(set(ix.blocks[ix.block_of[i]]) <= set(team) for i in team)
                )
            ]
            for q in (0.0, 0.5, 0.9, 0.99, 1.0):
                z = ranked[round(q * (len(ranked) - 1))]
                pricer = _Pricer(ix, m, z, rules)
                for _ in range(3):
                    gain = [rng.uniform(-0.2, 1.0) for _ in range(ix.n)]
                    fit = [sum(gain[i] for i in t) for t in teams if scores[t] >= z - 1e-9]
                    best, _found = pricer.price(gain, -1e9, time.perf_counter() + 60)
                    assert best == pytest.approx(max(fit, default=-1e9), abs=1e-7)


# ----------------------------------------------------------------------------- hand-built


def student(
    sid: str,
    school: str,
    *,
    muni: str = "M",
    pref: str = "P",
    grade: str = "M2",
    gender: str = "F",
    interests: tuple[str, ...] = (),
) -> Student:
    return Student(sid, school, muni, pref, grade, gender, interests)


def test_twelve_students_of_four_schools_make_three_teams_of_four_schools() -> None:
    students = tuple(
        student(f"s{i}", f"S{i % 4}", muni=f"M{i % 4}", pref=f"P{i % 2}") for i in range(12)
    )
    for method in ("heuristic", "exact"):
        solution = form_teams(Problem(students, team_size=4), method=method, time_limit=10)
        assert len(solution.teams) == 3
        school = {s.id: s.school for s in students}
        for team in solution.teams:
            assert len({school[x] for x in team}) == 4
        assert solution.violations == []


def test_score_components_by_hand() -> None:
    students = (
        student("a", "S1", muni="M1", pref="P1", grade="M1", gender="F", interests=("sea",)),
        student("b", "S2", muni="M2", pref="P1", grade="M1", gender="M", interests=("sea",)),
        student("c", "S3", muni="M3", pref="P2", grade="M2", gender="F", interests=("rice", "sea")),
        student("d", "S4", muni="M3", pref="P2", grade="M2", gender="M", interests=()),
    )
    only = {
        "regions": Weights(1, 0, 0, 0, 0),
        "interests": Weights(0, 1, 0, 0, 0),
        "grades": Weights(0, 0, 1, 0, 0),
        "no_isolation": Weights(0, 0, 0, 0, 1),
    }
    team = ["a", "b", "c", "d"]
    # 3 municipalities, 2 prefectures in a team of 4: 0.5·2/3 + 0.5·1/3.
    assert team_score(Problem(students, 4, weights=only["regions"]), team) == pytest.approx(50.0)
    # "sea": 1 + 1 + 1/2 + 0 over 4 members.
    assert team_score(Problem(students, 4, weights=only["interests"]), team) == pytest.approx(62.5)
    assert team_score(Problem(students, 4, weights=only["grades"]), team) == pytest.approx(100.0)
    # a team of a, b, c: M1 twice, M2 alone (1); F twice, M alone (1): 1 - 2/6.
    problem = Problem(students, 2, weights=only["no_isolation"])
    assert team_score(problem, ["a", "b", "c"]) == pytest.approx(100 * (1 - 2 / 6))


def test_required_prevented_and_previous_rules() -> None:
    students = tuple(student(f"s{i}", f"S{i}") for i in range(8))
    problem = Problem(
        students,
        team_size=4,
        require=(("s0", "s1"), ("s2", "s3")),
        prevent=(("s0", "s2"),),
        previous_teams=(("s4", "s5"), ("s6", "s1")),
    )
    for method in ("heuristic", "exact"):
        solution = form_teams(problem, method=method, time_limit=5)
        assert not hard_breaches(problem, solution.teams)
        assert solution.violations == []


def test_impossible_rules_are_reported() -> None:
    students = tuple(student(f"s{i}", f"S{i}") for i in range(4))
    problem = Problem(students, team_size=4, prevent=(("s0", "s1"),))  # one team only
    solution = form_teams(problem, time_limit=2)
    assert solution.violations == ["prevent[0]: s0 and s1 are both in team 1"]


def test_unavoidable_sharing_is_reported_with_the_numbers() -> None:
    students = tuple(student(f"s{i}", "S1" if i < 5 else f"T{i}") for i in range(8))
    solution = form_teams(Problem(students, team_size=4), method="heuristic")
    assert all(Counter(x < "s5" for x in team)[True] <= 3 for team in solution.teams)
    assert any("there are 5 students of S1 but only 2 teams" in v for v in solution.violations)


def test_sizes_and_warning_when_k_does_not_divide() -> None:
    assert team_sizes(10_000, 5) == [5] * 2000
    assert team_sizes(13, 5) == [5, 4, 4]
    assert team_sizes(12, 5) == [6, 6]
    assert team_sizes(7, 5) == [4, 3] or team_sizes(7, 5) == [7]
    students = tuple(student(f"s{i}", f"S{i}") for i in range(13))
    solution = form_teams(Problem(students, team_size=5), method="heuristic")
    assert solution.warnings and "13 students do not divide into teams of 5" in solution.warnings[0]


def test_read_problem_names_the_bad_entry() -> None:
    good = {"id": "a", "school": "S", "municipality": "M", "prefecture": "P", "grade": "M1"}
    with pytest.raises(ProblemError, match=r"students\[1\]\.grade: missing"):
        read_problem(
            {"students": [good, {k: v for k, v in good.items() if k != "grade"} | {"id": "b"}]},
            team_size=2,
        )
    with pytest.raises(ProblemError, match=r"students\[1\]\.id: duplicate id a"):
        read_problem({"students": [good, good]}, team_size=2)
    two = [good, good | {"id": "b"}]
    with pytest.raises(ProblemError, match=r"require\[0\]\[1\]: unknown student zz"):
        read_problem({"students": two, "require": [["a", "zz"]]}, team_size=2)
    with pytest.raises(ProblemError, match="team_size"):
        read_problem({"students": two}, team_size=3)
    with pytest.raises(ProblemError, match="team_size"):
        read_problem({"students": two}, team_size=1)
    problem = read_problem(
        {"students": two, "prevent": [["a", "b"]], "previous_teams": [["a", "gone"]]}, team_size=2
    )
    assert problem.prevent == (("a", "b"),)
    assert set(solution_to_json(form_teams(problem))) >= {
        "teams",
        "min_score",
        "harmonic_mean",
        "bound",
        "gap",
        "optimal",
        "method",
        "team_scores",
        "violations",
    }


def test_heuristic_moves_a_required_pair_to_the_team_where_the_rules_allow_it() -> None:
    # Found by hypothesis: the pair s1+s2 fits the rules only in the team of two
    # (the team of three would hold s3, whom s1 must not meet, or a third S3
    # student over the school's cap). Swaps never move a pair: restarts must.
    def st(i: int, school: str, pref: str, gender: str) -> Student:
        return Student(f"s{i}", school, "M0", pref, "M1", gender)

    problem = Problem(
        students=(
            st(0, "S3", "P1", "F"), st(1, "S3", "P1", "M"), st(2, "S3", "P1", "M"),
            st(3, "S0", "P0", "F"), st(4, "S3", "P1", "F"),
        ),
        team_size=2,
        require=(("s1", "s2"),),
        prevent=(("s1", "s3"),),
        weights=Weights(regions=0, interests=0, grades=0, genders=1, no_isolation=0),
    )  # fmt: skip
    solution = form_teams(problem, method="heuristic", time_limit=0.5, seed=0)
    assert not hard_breaches(problem, solution.teams)  # (sharing S3 is unavoidable)
    assert sorted(map(sorted, solution.teams)) == [["s0", "s3", "s4"], ["s1", "s2"]]
