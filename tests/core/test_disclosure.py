"""Disclosure control: suppression, complementary suppression, differencing, roll-up.

Plain-Python tests, no database. The safety of a suppressed table is checked
independently of the module's own graph reasoning: the published cells and
totals are written out as linear equations over the hidden figures, and

* no hidden figure is determined exactly — its unit vector is not in the row
  space of the equations (numpy rank test);
* with non-negativity added, each hidden figure's feasible interval, computed
  by linear programming (scipy's linprog), is at least 1 wide.

hypothesis searches random tables up to 5 × 5 for counter-examples.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Mapping
from typing import Any, TypedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from ekkyo.core.disclosure import (
    SUPPRESSED_MARKER,
    TOTAL,
    Cell,
    Conflict,
    Published,
    TableResult,
    band_share,
    check_differencing,
    roll_up,
    suppress_cells,
    suppress_table,
)

Table = dict[tuple[Any, Any], Cell]
Figure = tuple[Any, Any]  # a cell's key, or a total's with TOTAL


class Totals(TypedDict):
    row_totals: bool
    col_totals: bool
    grand_total: bool


def counts(rows: list[list[int]]) -> Table:
    """A table of head counts (value = n) from a list of rows."""
    return {(r, c): Cell(float(v), v) for r, row in enumerate(rows) for c, v in enumerate(row)}


# --------------------------------------------------------------------------
# The independent oracle: the published table as a system of equations


def system(
    table: Mapping[Figure, Cell],
    result: TableResult[Any, Any],
    *,
    size: bool = False,
) -> tuple[list[Figure], np.ndarray, np.ndarray, dict[Figure, float]]:
    """The attacker's equations ``A x = b`` over the figures they cannot see.

    Every figure — cell, row total, column total, grand total — is a variable;
    published ones are moved to the right-hand side. The equations: each row
    of cells sums to its row total, each column to its column total, the row
    totals and the column totals each sum to the grand total. Missing cells
    are known zeros. With ``size`` the people counts ``n`` are used instead of
    the values.
    """
    rows = list(dict.fromkeys(r for r, _ in table))
    cols = list(dict.fromkeys(c for _, c in table))

    def amount(cell: Cell) -> float:
        return float(cell.n) if size else float(cell.value or 0.0)

    truth: dict[Figure, float] = {key: amount(cell) for key, cell in table.items()}
    for r in rows:
        truth[(r, TOTAL)] = sum(amount(cell) for (rr, _), cell in table.items() if rr == r)
    for c in cols:
        truth[(TOTAL, c)] = sum(amount(cell) for (_, cc), cell in table.items() if cc == c)
    truth[(TOTAL, TOTAL)] = sum(amount(cell) for cell in table.values())

    published = {key: p for key, p in result.entries() if not p.suppressed}
    unknown = [key for key in truth if key not in published]
    index = {key: i for i, key in enumerate(unknown)}

    equations: list[list[tuple[Figure, float]]] = []
    for r in rows:
        equations.append([((r, c), 1.0) for c in cols if (r, c) in table] + [((r, TOTAL), -1.0)])
    for c in cols:
        equations.append([((r, c), 1.0) for r in rows if (r, c) in table] + [((TOTAL, c), -1.0)])
    equations.append([((r, TOTAL), 1.0) for r in rows] + [((TOTAL, TOTAL), -1.0)])
    equations.append([((TOTAL, c), 1.0) for c in cols] + [((TOTAL, TOTAL), -1.0)])

    matrix = np.zeros((len(equations), len(unknown)))
    rhs = np.zeros(len(equations))
    for e, terms in enumerate(equations):
        for key, coefficient in terms:
            if key in index:
                matrix[e, index[key]] += coefficient
            else:
                assert published[key].value == pytest.approx(truth[key]) or size
                rhs[e] -= coefficient * truth[key]
    return unknown, matrix, rhs, truth


def determined(table: Table, result: TableResult[Any, Any]) -> set[Figure]:
    """Hidden figures whose unit vector lies in the row space of the equations."""
    unknown, matrix, _, _ = system(table, result)
    if not unknown:
        return set()
    rank = np.linalg.matrix_rank(matrix) if matrix.size else 0
    found = set()
    for i, key in enumerate(unknown):
        unit = np.zeros((1, len(unknown)))
        unit[0, i] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(key)
    return found


def intervals(
    table: Table, result: TableResult[Any, Any], *, size: bool = False
) -> dict[Figure, tuple[float, float]]:
    """Each hidden figure's feasible range given the equations and non-negativity."""
    unknown, matrix, rhs, truth = system(table, result, size=size)
    ranges = {}
    for i, key in enumerate(unknown):
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        bounds = []
        for sign in (1.0, -1.0):
            lp = linprog(sign * objective, A_eq=matrix, b_eq=rhs, bounds=(0, None), method="highs")
            if lp.status == 3:  # unbounded
                bounds.append(-math.inf if sign > 0 else math.inf)
            else:
                assert lp.status == 0, lp.message
                bounds.append(sign * lp.fun)
        ranges[key] = (bounds[0], bounds[1])
        assert bounds[0] - 1e-6 <= truth[key] <= bounds[1] + 1e-6
    return ranges


def hidden_that_matter(table: Table, result: TableResult[Any, Any]) -> set[Figure]:
    """Suppressed figures, plus unpublished totals built from fewer than k people."""
    keys: set[Figure] = set(result.suppressed())
    rows = {r for r, _ in table}
    cols = {c for _, c in table}
    if not result.row_totals:
        keys |= {
            (r, TOTAL)
            for r in rows
            if sum(c.n for (rr, _), c in table.items() if rr == r) < result.k
        }
    if not result.col_totals:
        keys |= {
            (TOTAL, c)
            for c in cols
            if sum(x.n for (_, cc), x in table.items() if cc == c) < result.k
        }
    if result.grand_total is None and sum(c.n for c in table.values()) < result.k:
        keys.add((TOTAL, TOTAL))
    return keys


def assert_safe(table: Table, result: TableResult[Any, Any], *, lp: bool = True) -> None:
    """Published figures are true and big enough; hidden ones are protected."""
    for _, published in result.entries():
        if published.suppressed:
            assert published.value is None and published.n is None
            assert published.marker == SUPPRESSED_MARKER
        else:
            assert published.n is not None and published.n >= result.k
            assert published.reason == "ok"
    assert not determined(table, result) & hidden_that_matter(table, result)
    if lp:
        for size in (False, True):
            ranges = intervals(table, result, size=size)
            for key in hidden_that_matter(table, result):
                low, high = ranges[key]
                assert high - low >= 1 - 1e-7, (key, low, high)


# --------------------------------------------------------------------------
# Primary suppression of independent figures


def test_suppress_cells_hides_fewer_than_k_and_shows_k() -> None:
    result = suppress_cells({"a": Cell(9.0, 9), "b": Cell(10.0, 10), "c": Cell(0.4, 12)}, k=10)
    assert result["a"] == Published(None, True, "small", None, k=10)
    assert result["b"] == Published(10.0, False, "ok", 10, k=10)
    assert result["c"].value == 0.4 and result["c"].n == 12
    assert list(result) == ["a", "b", "c"]  # a hidden figure never vanishes


def test_hidden_figure_says_so() -> None:
    hidden = suppress_cells({"x": Cell(3.0, 3)}, k=5)["x"]
    assert hidden.marker == SUPPRESSED_MARKER
    assert hidden.render() == "Not shown: fewer than 5 people."
    assert suppress_cells({"x": Cell(3.0, 30)})["x"].marker == ""


def test_published_cannot_carry_a_hidden_value() -> None:
    with pytest.raises(ValueError):
        Published(3.0, True, "small", None)
    with pytest.raises(ValueError):
        Published(None, True, "small", 3)
    with pytest.raises(ValueError):
        Published(3.0, False, "small", 3)
    with pytest.raises(ValueError):
        Cell(float("nan"), 3)
    with pytest.raises(ValueError):
        Cell(1.0, -1)
    with pytest.raises(ValueError):
        suppress_cells({}, k=0)


# --------------------------------------------------------------------------
# Tables: hand-built cases


def test_one_small_cell_gets_partners_in_its_row_and_column() -> None:
    table = counts([[20, 3, 25], [30, 40, 22], [15, 18, 27]])
    result = suppress_table(table, k=10)
    assert result.cells[(0, 1)].reason == "small"
    # The cheapest 2 × 2 rectangle: 20 in its row, 18 in its column, 15 closing it.
    complementary = {key for key, p in result.cells.items() if p.reason == "complementary"}
    assert complementary == {(0, 0), (2, 1), (2, 0)}
    assert result.suppressed() == {(0, 1), (0, 0), (2, 1), (2, 0)}
    assert all(not p.suppressed for p in result.row_totals.values())
    assert all(not p.suppressed for p in result.col_totals.values())
    assert result.grand_total == Published(200.0, False, "ok", 200, k=10)
    assert result.cells[(0, 0)].render().startswith("Not shown: with the totals")
    assert_safe(table, result)


def test_whole_small_row_hides_its_total_and_a_second_one() -> None:
    table = counts([[40, 35, 50], [2, 3, 1], [30, 28, 45], [22, 60, 33]])
    result = suppress_table(table, k=10)
    assert all(result.cells[(1, c)].reason == "small" for c in range(3))
    assert result.row_totals[1].reason == "small"
    # A second row total (or the grand total) hides row 1's total from the grand total.
    assert sum(p.suppressed for p in result.row_totals.values()) >= 2 or (
        result.grand_total is not None and result.grand_total.suppressed
    )
    for c in range(3):  # each column with a hidden cell has a second one
        assert sum(result.cells[(r, c)].suppressed for r in range(4)) >= 2
    assert_safe(table, result)


def test_all_cells_small_leaves_only_a_big_enough_grand_total() -> None:
    table = counts([[3, 4], [2, 5]])
    result = suppress_table(table, k=10)
    assert result.grand_total == Published(14.0, False, "ok", 14, k=10)
    assert result.suppressed() == {key for key, _ in result.entries()} - {(TOTAL, TOTAL)}
    assert_safe(table, result)

    everything = suppress_table(counts([[3, 4], [1, 0]]), k=10)
    assert all(p.suppressed for _, p in everything.entries())


@pytest.mark.parametrize(("n", "hidden"), [(9, True), (10, False)])
def test_k_boundary_in_a_table(n: int, hidden: bool) -> None:
    table = counts([[n, 50], [40, 60]])
    result = suppress_table(table, k=10)
    assert result.cells[(0, 0)].suppressed is hidden
    assert len(result.suppressed()) == (4 if hidden else 0)
    assert_safe(table, result)


def test_k_is_a_parameter() -> None:
    table = counts([[4, 50], [40, 60]])
    assert not suppress_table(table, k=3).suppressed()
    assert (0, 0) in suppress_table(table, k=5).suppressed()


def test_bounds_attack_on_hidden_zeros_is_prevented() -> None:
    # Column 0 hides two zeros. Hiding them with partners in columns 1..2 only
    # stops exact linear recovery; the column total 20 minus the shown 20 says
    # the hidden cells sum to 0, so (counts being >= 0) each is 0.
    table = counts([[0, 50, 40], [0, 60, 30], [20, 30, 45]])
    exact_only = suppress_table(table, k=10, protection=None)
    assert not determined(table, exact_only) & exact_only.suppressed()
    ranges = intervals(table, exact_only)
    assert ranges[(0, 0)] == pytest.approx((0.0, 0.0))

    protected = suppress_table(table, k=10)
    assert (2, 0) in protected.suppressed() or (TOTAL, 0) in protected.suppressed()
    assert_safe(table, protected)


def test_unpublished_totals_are_unknowns() -> None:
    table = counts([[3, 50, 40], [25, 60, 30]])
    no_row_totals = suppress_table(table, k=10, row_totals=False, grand_total=False)
    assert no_row_totals.row_totals == {} and no_row_totals.grand_total is None
    # Only the column total can give the small cell away: one partner in its column.
    assert no_row_totals.suppressed() == {(0, 0), (1, 0)}
    assert_safe(table, no_row_totals)

    nothing_but_cells = suppress_table(table, row_totals=False, col_totals=False, grand_total=False)
    assert nothing_but_cells.suppressed() == {(0, 0)}
    assert_safe(table, nothing_but_cells)


def test_a_single_column_table_protects_through_the_totals() -> None:
    table = counts([[30], [4], [50]])
    result = suppress_table(table, k=10)
    assert result.cells[(1, 0)].suppressed and result.row_totals[1].suppressed
    assert_safe(table, result)


def test_missing_cells_are_known_zeros() -> None:
    table = counts([[20, 3, 25], [30, 40, 22], [15, 18, 27]])
    del table[(2, 0)]
    result = suppress_table(table, k=10)
    assert (2, 0) not in result.cells
    assert_safe(table, result)


def test_also_suppress_forces_a_cell_and_protects_it() -> None:
    table = counts([[20, 30, 25], [30, 40, 22], [15, 18, 27]])
    result = suppress_table(table, also_suppress=[(1, 1)])
    assert result.cells[(1, 1)].reason == "differencing"
    assert len(result.cells.keys() & result.suppressed()) >= 4
    assert_safe(table, result)
    with_total = suppress_table(table, also_suppress={(TOTAL, 0): "rolled_up"})
    assert with_total.col_totals[0].reason == "rolled_up"
    assert with_total.col_totals[0].render().endswith("counted in a larger group.")
    assert_safe(table, with_total)
    with pytest.raises(KeyError):
        suppress_table(table, also_suppress=[(9, 9)])


def test_string_keys_and_unsortable_keys() -> None:
    table: Table = {
        ("school-a", ("g1", "f")): Cell(12.0, 12),
        ("school-a", ("g1", "m")): Cell(4.0, 4),
        ("school-b", ("g1", "f")): Cell(33.0, 33),
        ("school-b", ("g1", "m")): Cell(29.0, 29),
        (3, ("g1", "f")): Cell(17.0, 17),
        (3, ("g1", "m")): Cell(21.0, 21),
    }
    result = suppress_table(table, k=10)
    assert result.cells[("school-a", ("g1", "m"))].reason == "small"
    assert_safe(table, result)


def test_table_rejects_values_that_do_not_add_up() -> None:
    with pytest.raises(ValueError):
        suppress_table({(0, 0): Cell(None, 3)})
    with pytest.raises(ValueError):
        suppress_table({(0, 0): Cell(-1.0, 3)})
    with pytest.raises(ValueError):
        suppress_table(counts([[1]]), protection=0)


def test_empty_table() -> None:
    result: TableResult[int, int] = suppress_table({}, k=10)
    assert result.cells == {} and result.grand_total is not None
    assert result.grand_total.reason == "small"


# --------------------------------------------------------------------------
# Tables: properties


@st.composite
def tables(draw: st.DrawFn, *, value_is_n: bool = True) -> tuple[Table, int, Totals]:
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    k = draw(st.integers(3, 10))
    table: Table = {}
    for r in range(rows):
        for c in range(cols):
            if draw(st.integers(0, 19)) == 0:
                continue  # a structural zero now and then
            n = draw(st.integers(0, 30))
            value = n if value_is_n else draw(st.integers(0, 30))
            table[(r, c)] = Cell(float(value), n)
    if not table:  # the empty table has its own test
        table[(0, 0)] = Cell(0.0, 0)
    flags = Totals(
        row_totals=draw(st.booleans()),
        col_totals=draw(st.booleans()),
        grand_total=draw(st.booleans()),
    )
    return table, k, flags


@settings(max_examples=250, deadline=None)
@given(tables())
def test_no_hidden_figure_is_recoverable_exactly(case: tuple[Table, int, Totals]) -> None:
    table, k, flags = case
    for protection in (1.0, None):
        result = suppress_table(table, k=k, protection=protection, **flags)
        assert_safe(table, result, lp=False)
        assert result.cells.keys() == table.keys()
        for key, published in result.cells.items():
            if not published.suppressed:
                assert published.value == table[key].value and published.n == table[key].n
            if table[key].n < k:
                assert published.reason == "small"


@settings(max_examples=40, deadline=None)
@given(tables())
def test_every_hidden_figure_keeps_an_interval_at_least_one_wide(
    case: tuple[Table, int, Totals],
) -> None:
    table, k, flags = case
    assert_safe(table, suppress_table(table, k=k, **flags))


@settings(max_examples=25, deadline=None)
@given(tables(value_is_n=False))
def test_intervals_hold_for_value_and_size_when_they_differ(
    case: tuple[Table, int, Totals],
) -> None:
    table, k, flags = case
    assert_safe(table, suppress_table(table, k=k, **flags))


@settings(max_examples=100, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_suppression_is_deterministic_and_idempotent(
    case: tuple[Table, int, Totals], rnd: random.Random
) -> None:
    table, k, flags = case
    first = suppress_table(table, k=k, **flags)
    shuffled = list(table.items())
    rnd.shuffle(shuffled)
    again = suppress_table(dict(shuffled), k=k, **flags)
    assert again.suppressed() == first.suppressed()
    assert {key: p for key, p in again.entries()} == {key: p for key, p in first.entries()}
    # The pattern is a fixed point: forcing it hides nothing more.
    forced = suppress_table(table, k=k, also_suppress=first.suppressed(), **flags)
    assert forced.suppressed() == first.suppressed()


# --------------------------------------------------------------------------
# Differencing


def test_all_schools_and_all_but_a_small_school_cannot_both_be_shown() -> None:
    schools = {"A": 120, "B": 85, "X": 4}
    groups = {
        "all schools": frozenset(schools),
        "all schools except X": frozenset({"A", "B"}),
        "school A": frozenset({"A"}),
    }
    conflicts = check_differencing(groups, schools, k=10)
    assert set(conflicts) == {"all schools except X"}
    conflict = conflicts["all schools except X"]
    assert conflict == Conflict("all schools except X", "differencing", "all schools", 4, 10)
    assert conflict.render() == "Not shown: it differs from all schools by 4 people, fewer than 10."
    assert conflict.published().suppressed


@pytest.mark.parametrize(("left_out", "flagged"), [(1, True), (9, True), (10, False), (0, False)])
def test_differencing_boundary(left_out: int, flagged: bool) -> None:
    everyone = frozenset(f"p{i}" for i in range(40))
    most = frozenset(sorted(everyone)[left_out:])
    conflicts = check_differencing({"all": everyone, "most": most}, k=10)
    assert ("most" in conflicts) is flagged
    assert "all" not in conflicts


def test_differencing_small_group_and_chains() -> None:
    people = [f"p{i}" for i in range(100)]
    groups = {
        "a": frozenset(people),
        "b": frozenset(people[5:]),  # 5 fewer than a: hidden
        "c": frozenset(people[10:]),  # 10 fewer than a, 5 fewer than hidden b: shown
        "d": frozenset(people[:6]),  # too small on its own
        "e": frozenset(people[50:]),
        "f": frozenset(people[:60]),  # overlaps e by 10, not nested: not checked
    }
    conflicts = check_differencing(groups, k=10)
    assert set(conflicts) == {"b", "d"}
    assert conflicts["b"].kept == "a" and conflicts["d"].reason == "small"
    assert conflicts["d"].render() == "Not shown: fewer than 10 people."


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.text("abcdef", min_size=1, max_size=3),
        st.frozensets(st.integers(0, 25), max_size=26),
        max_size=8,
    ),
    st.integers(2, 10),
)
def test_no_kept_pair_differs_by_a_small_group(raw: dict[str, frozenset[int]], k: int) -> None:
    groups = {name: frozenset(str(p) for p in members) for name, members in raw.items()}
    conflicts = check_differencing(groups, k=k)
    kept = [name for name in groups if name not in conflicts]
    for a in kept:
        assert len(groups[a]) >= k
        for b in kept:
            if groups[a] < groups[b]:
                assert len(groups[b] - groups[a]) >= k
    for conflict in conflicts.values():
        if conflict.kept is not None:
            assert conflict.kept in kept


def test_differencing_with_unit_sizes_requires_every_size() -> None:
    with pytest.raises(KeyError):
        check_differencing({"g": frozenset({"s1"})}, {})


# --------------------------------------------------------------------------
# Roll-up


PARENT = {
    "s1": "m1",
    "s2": "m1",
    "s3": "m1",
    "s4": "m2",
    "s5": "m3",
    "s6": "m3",
    "s7": "p1",  # hangs directly under the prefecture
    "m1": "p1",
    "m2": "p1",
    "m3": "p2",
}


def test_roll_up_pools_small_schools_in_their_municipality_then_prefecture() -> None:
    units = {
        "s1": Cell(40.0, 40),  # shown
        "s2": Cell(6.0, 6),  # with s3: 12 in m1, shown there
        "s3": Cell(6.0, 6),
        "s4": Cell(4.0, 4),  # alone in m2 -> p1, with s7: 11
        "s5": Cell(3.0, 3),  # m3: 5 -> p2: still 5 at the top: hidden
        "s6": Cell(2.0, 2),
        "s7": Cell(7.0, 7),
    }
    result = roll_up(units, PARENT, k=10)
    assert list(result)[: len(units)] == list(units)
    assert result["s1"] == Published(40.0, False, "ok", 40, k=10)
    assert result["s2"] == Published(None, True, "rolled_up", None, into="m1", k=10)
    assert result["m1"] == Published(12.0, False, "ok", 12, k=10)
    assert result["s4"].into == "p1" and result["s7"].into == "p1"
    assert result["m2"] == Published(None, True, "rolled_up", None, into="p1", k=10)
    assert result["p1"] == Published(11.0, False, "ok", 11, k=10)
    assert result["s5"] == Published(None, True, "small", None, into="p2", k=10)
    assert result["m3"].reason == "small" and result["m3"].into == "p2"
    assert result["p2"] == Published(None, True, "small", None, k=10)
    assert result["s2"].render() == "Not shown on its own (fewer than 10 people): counted in m1."
    assert "even combined" in result["s5"].render()
    assert list(result)[len(units) :] == ["m1", "m2", "m3", "p1", "p2"]


def test_roll_up_means_are_weighted_by_size() -> None:
    units = {"a": Cell(2.0, 4), "b": Cell(4.0, 8), "c": Cell(3.0, 50)}
    result = roll_up(units, {"a": "m", "b": "m", "c": "m"}, k=10, combine="mean")
    assert result["m"].value == pytest.approx((2 * 4 + 4 * 8) / 12)
    assert result["m"].n == 12
    assert result["c"].value == 3.0


def test_roll_up_without_a_parent_or_with_bad_chains() -> None:
    assert roll_up({"lonely": Cell(3.0, 3)}, {}, k=10) == {
        "lonely": Published(None, True, "small", None, k=10)
    }
    with pytest.raises(ValueError):
        roll_up({"s": Cell(1.0, 1)}, {"s": "m", "m": "p", "p": "m"})
    with pytest.raises(ValueError):
        roll_up({"s": Cell(1.0, 1), "m": Cell(1.0, 1)}, {"s": "m"})


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 25), min_size=1, max_size=30),
    st.lists(st.integers(0, 3), min_size=30, max_size=30),
    st.integers(2, 10),
)
def test_roll_up_publishes_disjoint_big_enough_figures(
    sizes: list[int], municipalities: list[int], k: int
) -> None:
    units = {f"s{i}": Cell(float(n), n) for i, n in enumerate(sizes)}
    parent = {f"s{i}": f"m{municipalities[i]}" for i in range(len(sizes))}
    parent |= {"m0": "p0", "m1": "p0", "m2": "p1", "m3": "p1"}
    result = roll_up(units, parent, k=k)
    shown = {name: p for name, p in result.items() if not p.suppressed}
    assert all(p.n is not None and p.n >= k for p in shown.values())
    # Every person is in at most one published figure, and in exactly one
    # unless their pool was still too small at the top.
    counted = sum(p.n or 0 for p in shown.values())
    lost = sum(units[u].n for u in units if result[u].reason == "small")
    assert counted + lost == sum(sizes)
    for name, unit in units.items():
        verdict = result[name]
        if unit.n >= k:
            assert verdict.reason == "ok"
        elif verdict.reason == "rolled_up":
            assert verdict.into is not None and not result[verdict.into].suppressed


# --------------------------------------------------------------------------
# Display


@pytest.mark.parametrize(
    ("share", "n", "shown"),
    [
        (0.37, 30, "37%"),
        (0.0, 30, "<5%"),
        (0.049, 30, "<5%"),
        (0.05, 30, "5%"),
        (0.95, 30, "95%"),
        (0.951, 30, ">95%"),
        (1.0, 30, ">95%"),
        (0.285, 200, "29%"),
        (0.5, 9, SUPPRESSED_MARKER),
        (0.5, 10, "50%"),
    ],
)
def test_band_share(share: float, n: int, shown: str) -> None:
    assert band_share(share, n, k=10) == shown


def test_band_share_options() -> None:
    assert band_share(0.01, 40, low=0.0, high=1.0) == "1%"
    assert band_share(0.08, 40, low=0.1, high=0.9) == "<10%"
    assert band_share(0.3, 3, marker="x") == "x"
    with pytest.raises(ValueError):
        band_share(1.2, 40)
    with pytest.raises(ValueError):
        band_share(0.5, 40, low=0.9, high=0.1)


def test_the_module_does_not_import_django() -> None:
    code = (
        "import sys, ekkyo.core.disclosure;"
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], check=False)  # noqa: S603 - fixed script
    assert run.returncode == 0
