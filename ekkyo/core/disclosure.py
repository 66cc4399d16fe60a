"""Disclosure control of published figures about students (公表値の秘匿処理).

Small schools make small groups. Every figure derived from personal data that
leaves the student's own school coordinator (dashboards, exports, partner
reports, public pages) passes through this module first (DESIGN.md,
"Publishing figures"):

* :func:`publish` — **the publishing gate** every page calls: a reader's
  whole :class:`Publication` (linked tables with their additive relations
  declared) gets primary, small-difference and complementary suppression
  together, checked by an LP attack over all of it (docs/disclosure.md).
  The functions below are its older building blocks, kept for their tests.
* :func:`suppress_cells` — primary suppression of independent figures: a
  figure built from fewer than ``k`` people (default 10) is hidden.
* :func:`suppress_table` — an additive table (each person in exactly one
  cell) published with its row, column and grand totals: primary
  suppression, then complementary (secondary) suppression until no hidden
  figure can be worked out from the published ones (guarantee below).
* :func:`check_differencing` — published groups given as sets of people (or
  of units with sizes): where one group contains another and they differ by
  1..k-1 people, the smaller, more specific figure is hidden.
* :func:`roll_up` — schools too small to show are pooled into their
  municipality, and further into their prefecture if the pool is still small.
* :func:`band_share` — displays a share, with extreme values as bands
  ("<5%", ">95%") and the suppression marker for small groups.

A hidden figure never vanishes: it comes back as a :class:`Published` with
``suppressed=True``, no value, no size, a marker and a reason, whose message is
an English msgid wrapped in ``gettext_noop`` for the Django layer to translate.

What :func:`suppress_table` guarantees. Suppose an attacker knows every
published cell and total, which cells exist, that the table is additive and
that every value and every size ``n`` is non-negative. Then, with the default
``protection=p`` (1.0), for every suppressed cell or total — and every
unpublished total built from fewer than ``k`` people — the values consistent
with that knowledge form an interval [lo, hi] (possibly unbounded) with
``hi - lo >= p``, both for the figure's value and for its ``n``. In
particular no hidden figure is a linear combination of published ones. For
integer counts the ends lo and hi are themselves integers (the equations form
a network matrix, which is totally unimodular), so with ``p = 1`` at least
two integer values stay possible. The check is exact for integer counts
(value equal to ``n``) with ``p = 1``; otherwise it is a sufficient condition
(it may hide more than the minimum, never less). With ``protection=None``
only exact linear recovery is prevented and non-negativity is ignored.

What it does not guarantee: protection against what an attacker knows from
outside (a student knows their own cell); against other tables or queries on
the same people (pass the whole picture as one table, and use
:func:`check_differencing` for figures across tables — it checks pairs of
nested groups only, not arbitrary linear combinations); a protection interval
proportional to the figure's size (the interval may be [0, 1]); group
attribute disclosure (a published cell equal to its published total says that
everyone in the row is in that column); and optimality — complementary cells
are chosen greedily (cheapest in people hidden for each unprotected figure),
not by a global optimisation.

This is part of ekkyo's functional core: plain Python with numpy and scipy,
and it must never import Django.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import math
from collections import deque
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, TypeVar, cast

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ekkyo.core.messages import gettext_noop

__all__ = [
    "DEFAULT_K",
    "SUPPRESSED_MARKER",
    "TOTAL",
    "Cell",
    "Conflict",
    "Publication",
    "Published",
    "Reason",
    "Released",
    "TableResult",
    "Total",
    "band_share",
    "check_differencing",
    "publish",
    "roll_up",
    "suppress_cells",
    "suppress_table",
]

Reason = Literal["ok", "small", "complementary", "differencing", "rolled_up"]

DEFAULT_K: Final = 10

# Shown in place of a hidden figure. Japanese official statistics write "x"
# for 秘匿 and "-" for zero; the Django layer may pass its own marker where a
# dash could be read as zero. The reason is always shown beside it.
SUPPRESSED_MARKER: Final = "—"

_MESSAGES: Final[dict[str, str]] = {
    "ok": gettext_noop("Published."),
    "small": gettext_noop("Not shown: fewer than %(k)s people."),
    "small_pooled": gettext_noop(
        "Not shown: fewer than %(k)s people, even combined with the other small "
        "schools up to %(into)s."
    ),
    "complementary": gettext_noop(
        "Not shown: with the totals it would let someone work out a hidden figure."
    ),
    "differencing": gettext_noop(
        "Not shown: compared with another published figure it would reveal a "
        "group of fewer than %(k)s people."
    ),
    "differencing_with": gettext_noop(
        "Not shown: it differs from %(other)s by %(difference)s people, fewer than %(k)s."
    ),
    "rolled_up": gettext_noop(
        "Not shown on its own (fewer than %(k)s people): counted in %(into)s."
    ),
    "rolled_up_somewhere": gettext_noop(
        "Not shown on its own (fewer than %(k)s people): counted in a larger group."
    ),
}

Key = TypeVar("Key", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)
_T = TypeVar("_T", bound=Hashable)


class Total(enum.Enum):
    """The margin in a table key: ``(row, TOTAL)``, ``(TOTAL, col)``, ``(TOTAL, TOTAL)``."""

    TOTAL = "total"

    def __repr__(self) -> str:
        return "TOTAL"


TOTAL: Final = Total.TOTAL


@dataclass(frozen=True)
class Cell:
    """A figure before disclosure control.

    ``n`` is the number of distinct people the figure is built from; ``value``
    may be a count, a sum, a mean or a share (None when there is none).
    """

    value: float | None
    n: int

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int):
            raise TypeError(f"n must be an int, not {self.n!r}")
        if self.n < 0:
            raise ValueError(f"n must not be negative, got {self.n}")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"value must be finite, got {self.value!r}")


@dataclass(frozen=True)
class Published:
    """A figure after disclosure control: shown, or hidden with a reason.

    A hidden figure has ``suppressed=True`` and neither a value nor a size.
    ``into`` names the group a rolled-up unit is counted in; ``k`` is the
    threshold the decision was made with (for the message).
    """

    value: float | None
    suppressed: bool
    reason: Reason
    n: int | None
    into: str | None = None
    k: int | None = None

    def __post_init__(self) -> None:
        if self.suppressed != (self.reason != "ok"):
            raise ValueError(f"suppressed={self.suppressed} contradicts reason {self.reason!r}")
        if self.suppressed and (self.value is not None or self.n is not None):
            raise ValueError("a suppressed figure carries neither a value nor a size")

    @property
    def marker(self) -> str:
        """:data:`SUPPRESSED_MARKER` for a hidden figure, else the empty string."""
        return SUPPRESSED_MARKER if self.suppressed else ""

    @property
    def message(self) -> str:
        """The reason as an English msgid (translate with ``gettext(message) % params``)."""
        if self.reason == "small" and self.into is not None:
            return _MESSAGES["small_pooled"]
        if self.reason == "rolled_up" and self.into is None:
            return _MESSAGES["rolled_up_somewhere"]
        return _MESSAGES[self.reason]

    @property
    def params(self) -> dict[str, Any]:
        """Parameters of :attr:`message`."""
        return {"k": self.k if self.k is not None else DEFAULT_K, "into": self.into}

    def render(self) -> str:
        """The English message with its parameters filled in (logs, CLI)."""
        return self.message % self.params


def _shown(value: float | None, n: int, k: int) -> Published:
    return Published(value, False, "ok", n, k=k)


def _hidden(reason: Reason, k: int, into: str | None = None) -> Published:
    return Published(None, True, reason, None, into=into, k=k)


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")


def _ordered(items: Iterable[_T]) -> list[_T]:
    """Distinct items, sorted when they can be, else in order of first appearance."""
    unique = list(dict.fromkeys(items))
    try:
        return sorted(cast(list[Any], unique))
    except TypeError:
        return unique


# --------------------------------------------------------------------------
# Independent figures


def suppress_cells(cells: Mapping[Key, Cell], *, k: int = DEFAULT_K) -> dict[Key, Published]:
    """Primary suppression of independent figures: hide each built from fewer than k people.

    Only for figures with no published totals or overlaps between them; use
    :func:`suppress_table` for a table with totals and
    :func:`check_differencing` for nested groups.
    """
    _check_k(k)
    return {
        key: _shown(cell.value, cell.n, k) if cell.n >= k else _hidden("small", k)
        for key, cell in cells.items()
    }


# --------------------------------------------------------------------------
# Tables with totals


@dataclass(frozen=True)
class TableResult(Generic[R, C]):
    """A table after disclosure control.

    ``cells`` keeps the table's keys; a total that is not published is absent
    (``row_totals``/``col_totals`` empty, ``grand_total`` None).
    """

    cells: dict[tuple[R, C], Published]
    row_totals: dict[R, Published]
    col_totals: dict[C, Published]
    grand_total: Published | None
    k: int
    protection: float | None

    def entries(self) -> Iterator[tuple[tuple[R | Total, C | Total], Published]]:
        """Every published-or-hidden figure, totals keyed with :data:`TOTAL`."""
        yield from self.cells.items()
        for row, published in self.row_totals.items():
            yield (row, TOTAL), published
        for col, published in self.col_totals.items():
            yield (TOTAL, col), published
        if self.grand_total is not None:
            yield (TOTAL, TOTAL), self.grand_total

    def suppressed(self) -> frozenset[tuple[R | Total, C | Total]]:
        """Keys of the hidden figures (totals keyed with :data:`TOTAL`)."""
        return frozenset(key for key, published in self.entries() if published.suppressed)


# What hiding a figure costs: (people hidden, totals hidden, figures hidden),
# compared in that order — fewest people first, then spare the totals.
_Cost = tuple[int, int, int]
_UNREACHABLE: Final[_Cost] = (1 << 62, 0, 0)


class _Protector:
    """Complementary suppression on the table's flow network.

    An additive table with its margins is a circulation: cell (i, j) is an arc
    row i → column j, row total i an arc Σ → row i (Σ = the column of row
    totals), column total j an arc column j → Σ' (Σ' = the row of column
    totals), the grand total an arc Σ' → Σ; flow is conserved at every node.
    Published figures are fixed flows; the unknown arcs (hidden figures and
    unpublished totals) may carry any flow >= 0 that keeps conservation.

    An unknown arc e (tail t, head h, current flow v — for us the smaller of
    its value and its n, so that both are covered) can be raised by as much
    flow as can be pushed from h back to t through the residual network of the
    other unknown arcs (forward: unbounded; backward: by their flow), and
    lowered by min(v, flow from t to h). So e's feasible interval has width
    >= p if there is a residual path from h to t, or (when v >= p) from t to h,
    avoiding e, whose arcs each have residual capacity >= p. For integer data
    and p = 1 that condition is also necessary. With p = None every unknown
    arc may be crossed both ways: a path exists iff e lies on a cycle of the
    undirected graph, i.e. iff e is not a bridge — iff it is not determined by
    the linear equations.

    "Residual capacity >= p" for the backward direction is static here (the
    arc's own value and size are known to us), so an arc is "two-way" or
    "one-way" for good. Suppressing more only adds arcs, so an arc that passes
    keeps passing (the feasible intervals only grow).
    """

    def __init__(
        self,
        nodes: int,
        tails: list[int],
        heads: list[int],
        two_way: list[bool],
        costs: list[_Cost],
    ) -> None:
        self.nodes = nodes
        self.tails = tails
        self.heads = heads
        self.two_way = two_way
        self.costs = costs
        self.unknown = [False] * len(tails)
        # Residual network of the unknown arcs: node -> [(arc, neighbour)].
        self.out: list[list[tuple[int, int]]] = [[] for _ in range(nodes)]
        # Every arc, crossed forward (False) or backward (True).
        self.every: list[list[tuple[int, int, bool]]] = [[] for _ in range(nodes)]
        for arc, (tail, head) in enumerate(zip(tails, heads, strict=True)):
            self.every[tail].append((arc, head, False))
            if two_way[arc]:
                self.every[head].append((arc, tail, True))

    def hide(self, arc: int) -> None:
        if self.unknown[arc]:
            return
        self.unknown[arc] = True
        self.out[self.tails[arc]].append((arc, self.heads[arc]))
        if self.two_way[arc]:
            self.out[self.heads[arc]].append((arc, self.tails[arc]))

    def _reaches(self, source: int, target: int, avoid: int) -> bool:
        seen = [False] * self.nodes
        seen[source] = True
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for arc, nxt in self.out[node]:
                if arc == avoid or seen[nxt]:
                    continue
                if nxt == target:
                    return True
                seen[nxt] = True
                queue.append(nxt)
        return False

    def protected(self, arc: int) -> bool:
        """Whether unknown ``arc`` has a feasible interval of width >= p (see class)."""
        tail, head = self.tails[arc], self.heads[arc]
        if self._reaches(head, tail, arc):
            return True
        return self.two_way[arc] and self._reaches(tail, head, arc)

    def unprotected(self, arcs: Iterable[int]) -> list[int]:
        """The arcs among ``arcs`` that fail :meth:`protected`, with fast paths.

        A one-way arc passes iff its ends share a strongly connected component
        of the residual network; a two-way arc passes if it is no bridge of the
        undirected graph of two-way unknown arcs. Only the rest is searched.
        """
        sources: list[int] = []
        targets: list[int] = []
        for node, links in enumerate(self.out):
            for _, nxt in links:
                sources.append(node)
                targets.append(nxt)
        graph = csr_matrix(
            (np.ones(len(sources), dtype=np.int8), (sources, targets)),
            shape=(self.nodes, self.nodes),
        )
        _, labels = connected_components(graph, directed=True, connection="strong")
        bridges = self._two_way_bridges()
        failing = []
        for arc in arcs:
            if self.two_way[arc]:
                if arc in bridges and not self.protected(arc):
                    failing.append(arc)
            elif labels[self.tails[arc]] != labels[self.heads[arc]]:
                failing.append(arc)
        return failing

    def _two_way_bridges(self) -> set[int]:
        """Bridges of the undirected graph of two-way unknown arcs (iterative Tarjan)."""
        adjacent: list[list[tuple[int, int]]] = [[] for _ in range(self.nodes)]
        for arc, known in enumerate(self.unknown):
            if known and self.two_way[arc]:
                tail, head = self.tails[arc], self.heads[arc]
                adjacent[tail].append((arc, head))
                adjacent[head].append((arc, tail))
        order = [-1] * self.nodes
        low = [0] * self.nodes
        bridges: set[int] = set()
        counter = 0
        for root in range(self.nodes):
            if order[root] != -1 or not adjacent[root]:
                continue
            order[root] = low[root] = counter
            counter += 1
            stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # node, arc in, next index
            while stack:
                node, via, index = stack[-1]
                if index < len(adjacent[node]):
                    stack[-1] = (node, via, index + 1)
                    arc, nxt = adjacent[node][index]
                    if arc == via:
                        continue
                    if order[nxt] == -1:
                        order[nxt] = low[nxt] = counter
                        counter += 1
                        stack.append((nxt, arc, 0))
                    else:
                        low[node] = min(low[node], order[nxt])
                else:
                    stack.pop()
                    if stack:
                        parent = stack[-1][0]
                        low[parent] = min(low[parent], low[node])
                        if low[node] > order[parent]:
                            bridges.add(via)
        return bridges

    def _cheapest_path(self, source: int, target: int, avoid: int) -> tuple[_Cost, list[int]]:
        """Cheapest residual path from ``source`` to ``target``, and its published arcs.

        Unknown arcs cost nothing; a published arc costs what hiding it loses
        (see ``costs``). Ties go to the path found first, which follows the
        order of the nodes and arcs — rows and columns in table order.
        """
        best: list[_Cost] = [_UNREACHABLE] * self.nodes
        previous: list[tuple[int, int]] = [(-1, -1)] * self.nodes
        best[source] = (0, 0, 0)
        heap: list[tuple[int, int, int, int]] = [(0, 0, 0, source)]
        while heap:
            people, totals, figures, node = heapq.heappop(heap)
            if (people, totals, figures) > best[node]:
                continue
            if node == target:
                break
            for arc, nxt, _ in self.every[node]:
                if arc == avoid:
                    continue
                if self.unknown[arc]:
                    step = (people, totals, figures)
                else:
                    more = self.costs[arc]
                    step = (people + more[0], totals + more[1], figures + more[2])
                if step < best[nxt]:
                    best[nxt] = step
                    previous[nxt] = (arc, node)
                    heapq.heappush(heap, (*step, nxt))
        if best[target] == _UNREACHABLE:
            return _UNREACHABLE, []
        path = []
        node = target
        while node != source:
            arc, node = previous[node]
            if not self.unknown[arc]:
                path.append(arc)
        return best[target], path[::-1]

    def protect(self, arc: int) -> list[int]:
        """Hide the cheapest published arcs that give ``arc`` its interval; return them."""
        tail, head = self.tails[arc], self.heads[arc]
        choice = self._cheapest_path(head, tail, arc)
        if self.two_way[arc]:
            down = self._cheapest_path(tail, head, arc)
            if down[0] < choice[0]:
                choice = down
        if not choice[1]:
            # Cannot happen for a non-empty table: the totals always offer a path.
            raise AssertionError(f"no complementary suppression found for arc {arc}")
        for new in choice[1]:
            self.hide(new)
        return choice[1]


def suppress_table(
    table: Mapping[tuple[R, C], Cell],
    *,
    k: int = DEFAULT_K,
    row_totals: bool = True,
    col_totals: bool = True,
    grand_total: bool = True,
    protection: float | None = 1.0,
    also_suppress: Collection[tuple[R | Total, C | Total]]
    | Mapping[tuple[R | Total, C | Total], Reason] = (),
) -> TableResult[R, C]:
    """Primary and complementary suppression of an additive table and its totals.

    Each person counts in exactly one cell; ``value`` is additive (a count, or
    a sum — for means, protect the table of sums and show means only where the
    sums are shown) and non-negative. A key missing from ``table`` is a
    structural zero known to everyone (girls in a boys' school). The totals
    are the sums of the cells; those switched off are treated as unknown.

    1. Primary: every cell or published total built from fewer than ``k``
       people is hidden ("small"), as is every key in ``also_suppress``
       (reason "differencing", or the reason given when it is a mapping;
       totals keyed with :data:`TOTAL`).
    2. Complementary: each hidden figure, and each unpublished total of fewer
       than ``k`` people, that is not protected (module docstring) gets the
       cheapest set of further figures hidden ("complementary") that protects
       it — fewest people hidden, then fewest totals, then fewest figures,
       then the earliest rows and columns. This also ensures that every row and column with a hidden
       figure has at least two (counting its total).

    Rows and columns are taken in sorted order when their keys sort, so the
    result does not depend on the mapping's order; otherwise in order of
    first appearance. ``protection=None`` only prevents exact recovery.
    """
    _check_k(k)
    if protection is not None and not (math.isfinite(protection) and protection > 0):
        raise ValueError(f"protection must be a positive number or None, got {protection!r}")
    for key, cell in table.items():
        if cell.value is None or cell.value < 0:
            raise ValueError(f"cell {key!r}: a table needs non-negative values, got {cell.value!r}")
    if not table:  # nothing to hide but a grand total everyone knows is 0
        return TableResult({}, {}, {}, _hidden("small", k) if grand_total else None, k, protection)
    rows = _ordered(row for row, _ in table)
    cols = _ordered(col for _, col in table)
    row_index = {row: i for i, row in enumerate(rows)}
    col_index = {col: j for j, col in enumerate(cols)}
    sum_row, sum_col = len(rows), len(rows) + 1 + len(cols)  # margin nodes Σ', Σ

    keys: list[tuple[R | Total, C | Total]] = []
    tails: list[int] = []
    heads: list[int] = []
    values: list[float] = []
    sizes: list[int] = []
    shown: list[bool] = []

    def add(key: tuple[Any, Any], tail: int, head: int, value: float, n: int, pub: bool) -> None:
        keys.append(key)
        tails.append(tail)
        heads.append(head)
        values.append(value)
        sizes.append(n)
        shown.append(pub)

    for i, row in enumerate(rows):  # in table order, so ties never depend on the mapping's
        for j, col in enumerate(cols):
            if (found := table.get((row, col))) is not None:
                add((row, col), i, sum_row + 1 + j, found.value or 0.0, found.n, True)
    cells_end = len(keys)
    row_cells: list[list[Cell]] = [[] for _ in rows]
    col_cells: list[list[Cell]] = [[] for _ in cols]
    for (row, col), cell in table.items():
        row_cells[row_index[row]].append(cell)
        col_cells[col_index[col]].append(cell)
    for i, row in enumerate(rows):
        value, n = _sum(row_cells[i])
        add((row, TOTAL), sum_col, i, value, n, row_totals)
    for j, col in enumerate(cols):
        value, n = _sum(col_cells[j])
        add((TOTAL, col), sum_row + 1 + j, sum_row, value, n, col_totals)
    value, n = _sum(table.values())
    add((TOTAL, TOTAL), sum_row, sum_col, value, n, grand_total)

    two_way = [
        protection is None or min(v, s) >= protection for v, s in zip(values, sizes, strict=True)
    ]
    costs = [(n, int(arc >= cells_end), 1) for arc, n in enumerate(sizes)]
    protector = _Protector(sum_col + 1, tails, heads, two_way, costs)
    arc_of = {key: arc for arc, key in enumerate(keys)}
    reasons: dict[int, Reason] = {}
    must_protect: list[int] = []
    for arc in range(len(keys)):
        if not shown[arc]:
            protector.hide(arc)
        if sizes[arc] < k:
            protector.hide(arc)
            must_protect.append(arc)
            if shown[arc]:
                reasons[arc] = "small"
    forced: list[tuple[tuple[R | Total, C | Total], Reason]] = (
        list(also_suppress.items())
        if isinstance(also_suppress, Mapping)
        else [(figure, "differencing") for figure in also_suppress]
    )
    for figure, reason in forced:
        if figure not in arc_of:
            raise KeyError(f"also_suppress: no figure {figure!r} in the table")
        if reason == "ok":
            raise ValueError(f"also_suppress: {figure!r} needs a reason other than 'ok'")
        arc = arc_of[figure]
        protector.hide(arc)
        must_protect.append(arc)
        if shown[arc]:
            reasons.setdefault(arc, reason)

    checking = sorted(set(must_protect))
    while failing := protector.unprotected(checking):
        for arc in failing:
            if protector.protected(arc):
                continue
            for new in protector.protect(arc):
                reasons[new] = "complementary"
                checking.append(new)
        checking = sorted(set(checking))

    def publish(arc: int) -> Published:
        if arc in reasons:
            return _hidden(reasons[arc], k)
        return _shown(values[arc], sizes[arc], k)

    cells = {key: publish(arc_of[key]) for key in table}
    return TableResult(
        cells=cells,
        row_totals={row: publish(arc_of[(row, TOTAL)]) for row in rows} if row_totals else {},
        col_totals={col: publish(arc_of[(TOTAL, col)]) for col in cols} if col_totals else {},
        grand_total=publish(arc_of[(TOTAL, TOTAL)]) if grand_total else None,
        k=k,
        protection=protection,
    )


def _sum(cells: Iterable[Cell]) -> tuple[float, int]:
    listed = list(cells)
    return math.fsum(cell.value or 0.0 for cell in listed), sum(cell.n for cell in listed)


# --------------------------------------------------------------------------
# Differencing between nested groups


@dataclass(frozen=True)
class Conflict:
    """Why figure ``hidden`` must not be published.

    ``reason`` "small": the group itself has fewer than ``k`` people.
    ``reason`` "differencing": it is contained in the published figure
    ``kept`` and differs from it by ``difference`` people (1..k-1).
    """

    hidden: str
    reason: Literal["small", "differencing"]
    kept: str | None
    difference: int
    k: int

    @property
    def message(self) -> str:
        """The reason as an English msgid."""
        return _MESSAGES["differencing_with" if self.kept is not None else "small"]

    @property
    def params(self) -> dict[str, Any]:
        return {"k": self.k, "other": self.kept, "difference": self.difference}

    def render(self) -> str:
        return self.message % self.params

    def published(self) -> Published:
        """The hidden figure as a :class:`Published`."""
        return _hidden(self.reason, self.k)


def check_differencing(
    groups: Mapping[str, frozenset[str]],
    sizes: Mapping[str, int] | None = None,
    *,
    k: int = DEFAULT_K,
) -> dict[str, Conflict]:
    """Which of the published groups' figures to hide so no pair reveals a small group.

    ``groups`` maps each figure's name to the people it is built from — or,
    with ``sizes``, to disjoint units (schools) with their numbers of people.
    Give the people actually counted (respondents, not enrolment).

    Groups are taken from the largest to the smallest (then by name), and a
    group is hidden if it has fewer than ``k`` people ("small") or if it lies
    inside a group already kept and differs from it by 1..k-1 people
    ("differencing", naming the first such group) — "all schools" is kept and
    "all schools except X" hidden when X has fewer than ``k`` people. The
    groups not in the returned mapping may be published: no two of them are
    nested with a difference of 1..k-1 people.

    Limitation: only pairs of nested groups are checked. Differences of
    overlapping groups, and sums and differences of three or more figures
    (A - B - C), are not; for figures that add up, use :func:`suppress_table`,
    whose check covers every linear combination.
    """
    _check_k(k)

    def size(members: frozenset[str]) -> int:
        if sizes is None:
            return len(members)
        try:
            return sum(sizes[member] for member in members)
        except KeyError as missing:
            raise KeyError(f"sizes: no size for unit {missing.args[0]!r}") from None

    if sizes is not None and any(
        isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in sizes.values()
    ):
        raise ValueError("sizes must be non-negative ints")
    measured = {name: size(members) for name, members in groups.items()}
    order = sorted(groups, key=lambda name: (-measured[name], name))
    kept: list[str] = []
    conflicts: dict[str, Conflict] = {}
    for name in order:
        members = groups[name]
        if measured[name] < k:
            conflicts[name] = Conflict(name, "small", None, measured[name], k)
            continue
        for other in kept:
            if members < groups[other]:
                difference = size(groups[other] - members)
                if 0 < difference < k:
                    conflicts[name] = Conflict(name, "differencing", other, difference, k)
                    break
        else:
            kept.append(name)
    return {name: conflicts[name] for name in groups if name in conflicts}


# --------------------------------------------------------------------------
# Rolling small schools up


def roll_up(
    units: Mapping[str, Cell],
    parent_of: Mapping[str, str],
    *,
    k: int = DEFAULT_K,
    combine: Literal["sum", "mean"] = "sum",
) -> dict[str, Published]:
    """Show units (schools) of at least ``k`` people; pool the others upwards.

    ``parent_of`` is a chain: school → municipality → prefecture (a school
    may also hang directly under a prefecture). The small units under a
    parent are pooled; a pool of at least ``k`` people is published under the
    parent's name, a smaller one moves up to the parent's parent, and a pool
    still too small at the top of the chain is hidden ("small").

    The result has one entry per unit, in input order — "ok", or hidden with
    reason "rolled_up" and ``into`` the group it is counted in (or "small" and
    ``into`` the top group when even that was too small) — then one entry per
    group that received a pool: "ok" with the pooled figure, "rolled_up" with
    ``into`` when it moved further up, or "small".

    The figure published under a parent covers only the small units pooled
    there, not the whole municipality; all published figures are disjoint.
    Publishing full municipality or national totals beside them can reveal a
    pool that was too small (total minus the schools shown): check such
    totals with :func:`check_differencing` or :func:`suppress_table`.

    ``combine`` is "sum" for counts and sums, "mean" for means and shares
    (weighted by ``n``).
    """
    _check_k(k)
    if combine not in ("sum", "mean"):
        raise ValueError(f"combine must be 'sum' or 'mean', got {combine!r}")
    clash = set(units) & set(parent_of.values())
    if clash:
        raise ValueError(f"names used both as unit and as group: {sorted(clash)}")

    def depth(name: str) -> int:
        seen = {name}
        steps = 0
        while name in parent_of:
            name = parent_of[name]
            if name in seen:
                raise ValueError(f"parent_of has a cycle through {name!r}")
            seen.add(name)
            steps += 1
        return steps

    result: dict[str, Published] = {}
    pools: dict[str, list[str]] = {}  # group -> units pooled there
    passed: dict[str, list[str]] = {}  # group -> groups whose pools moved into it
    for name, cell in units.items():
        if cell.value is None and cell.n > 0:
            raise ValueError(f"unit {name!r}: no value for {cell.n} people")
        if cell.n >= k:
            result[name] = _shown(cell.value, cell.n, k)
        elif name in parent_of:
            pools.setdefault(parent_of[name], []).append(name)
        else:
            result[name] = _hidden("small", k)

    groups: dict[str, Published] = {}
    while pools:
        group = max(pools, key=lambda g: (depth(g), g))  # deepest first: children settle first
        members = pools.pop(group)
        value, n = _combine([units[m] for m in members], combine)
        if n >= k or group not in parent_of:
            if n >= k:
                groups[group] = _shown(value, n, k)
                verdict = _hidden("rolled_up", k, into=group)
            else:
                groups[group] = _hidden("small", k)
                verdict = _hidden("small", k, into=group)
            for member in members:
                result[member] = verdict
            for moved in _moved_into(group, passed):
                groups[moved] = verdict
        else:
            parent = parent_of[group]
            pools.setdefault(parent, []).extend(members)
            passed.setdefault(parent, []).append(group)
    ordered = sorted(groups, key=lambda g: (-depth(g), g))  # municipalities, then prefectures
    return {**{name: result[name] for name in units}, **{g: groups[g] for g in ordered}}


def _moved_into(group: str, passed: Mapping[str, list[str]]) -> Iterator[str]:
    for child in passed.get(group, []):
        yield child
        yield from _moved_into(child, passed)


def _combine(cells: list[Cell], how: str) -> tuple[float | None, int]:
    n = sum(cell.n for cell in cells)
    counted = [cell for cell in cells if cell.n > 0 and cell.value is not None]
    if how == "sum":
        return math.fsum(cell.value for cell in counted if cell.value is not None), n
    if n == 0:
        return None, 0
    return math.fsum(cell.value * cell.n for cell in counted if cell.value is not None) / n, n


# --------------------------------------------------------------------------
# Display


def band_share(
    share: float,
    n: int,
    *,
    k: int = DEFAULT_K,
    low: float = 0.05,
    high: float = 0.95,
    marker: str = SUPPRESSED_MARKER,
) -> str:
    """A share for display: "37%", "<5%"/">95%" near the ends, ``marker`` if n < k.

    ``share`` is in [0, 1] and ``n`` the people it is a share of. Shares below
    ``low`` or above ``high`` are shown only as a band (``low=0, high=1``
    switches banding off); others as a whole percentage, rounded half up.
    Banding hides "none" and "all" only when n >= 1/low; for smaller groups a
    share such as 1/12 still says one person.
    """
    _check_k(k)
    if not (0.0 <= low <= high <= 1.0):
        raise ValueError(f"need 0 <= low <= high <= 1, got low={low!r}, high={high!r}")
    if n < k:
        return marker
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be between 0 and 1, got {share!r}")
    if share < low:
        return f"<{low * 100:g}%"
    if share > high:
        return f">{high * 100:g}%"
    return f"{math.floor(share * 100 + 0.5 + 1e-9)}%"


# --------------------------------------------------------------------------
# The publishing gate: every linked table a reader sees, protected together


@dataclass(frozen=True)
class Publication(Generic[Key]):
    """Everything one reader (role) sees for a fiscal year, with how it adds up.

    ``figures`` are every figure the reader is shown (school, town,
    prefecture and consortium counts; KPI × FY; participants and the
    others), keyed by anything hashable and sortable. ``relations`` declare
    the additive links an attacker may use: ``(total, parts)`` means
    ``n(total) = sum(n(part) for part in parts)`` — each person counted in
    exactly one part. ``latent`` figures take part in relations but are not
    shown to this reader (another town's count): the attacker does not know
    them, and one built from fewer than ``k`` people must not become
    derivable either. Latent figures are given in ``figures`` too (with
    their true sizes); they come back hidden.
    """

    figures: Mapping[Key, Cell]
    relations: tuple[tuple[Key, tuple[Key, ...]], ...] = ()
    latent: frozenset[Key] = frozenset()


@dataclass(frozen=True)
class Released(Generic[Key]):
    """The figures of a :class:`Publication` after the gate: shown or hidden with a reason."""

    figures: dict[Key, Published]
    k: int
    protection: float
    audited: int  # hidden figures whose interval the LP audit checked

    def __getitem__(self, key: Key) -> Published:
        return self.figures[key]

    def get(self, key: Key) -> Published | None:
        return self.figures.get(key)

    def suppressed(self) -> frozenset[Key]:
        return frozenset(key for key, p in self.figures.items() if p.suppressed)


def publish(
    publication: Publication[Key],
    *,
    k: int = DEFAULT_K,
    protection: float | None = None,
) -> Released[Key]:
    """The one publishing gate: primary, small-difference and complementary suppression.

    Steps, all deterministic (figures are taken in sorted key order):

    1. primary: a shown figure built from fewer than ``k`` people is hidden
       ("small");
    2. small differences: in every declared relation, a shown part whose
       shown total exceeds it by 1..k-1 people is hidden ("differencing");
    3. complementary ("complementary"): cheap local rules first (no relation
       may have exactly one unknown member; a relation with a shown total
       must leave at least ``protection`` people among its hidden parts), then
       the LP audit below; for each figure that fails, the shown figure in
       its relations built from the fewest people is hidden, and the audit
       runs again on what failed, until nothing fails.

    The audit (the attacker model): the attacker knows every shown figure
    of the publication, every declared relation and that sizes are
    non-negative. For every hidden figure built from fewer than ``k``
    people ("small", and latent ones), the LP ``max n_i - min n_i`` over all
    sizes consistent with that knowledge (scipy HiGHS) must be at least
    ``protection`` (default ``k``). Hiding more only widens the intervals,
    so a figure that passed stays passed.

    The gate works on sizes ``n``; a figure's value (a mean, a share, a sum)
    is shown exactly when its size is. For counts, value and ``n`` are the
    same. Only what is declared is protected: figures in the reader's view
    that add up but are not declared are invisible to the audit.
    """
    _check_k(k)
    width = float(k if protection is None else protection)
    if not (math.isfinite(width) and width > 0):
        raise ValueError(f"protection must be a positive number, got {protection!r}")
    keys = _ordered(publication.figures)
    index = {key: i for i, key in enumerate(keys)}
    sizes = np.array([publication.figures[key].n for key in keys], dtype=float)
    for key in publication.latent:
        if key not in index:
            raise KeyError(f"latent: no figure {key!r} in the publication")
    equations: list[list[tuple[int, float]]] = []
    for total, parts in publication.relations:
        for key in (total, *parts):
            if key not in index:
                raise KeyError(f"relation: no figure {key!r} in the publication")
        if len(set(parts)) != len(parts) or total in parts:
            raise ValueError(f"relation for {total!r}: parts repeat or contain the total")
        expected = sum(publication.figures[p].n for p in parts)
        if publication.figures[total].n != expected:
            raise ValueError(
                f"relation for {total!r}: n is {publication.figures[total].n}, "
                f"its parts add up to {expected}"
            )
        equations.append([(index[total], 1.0), *sorted((index[p], -1.0) for p in parts)])
    equations.sort()  # the declared order of relations must not change the result
    gate = _Gate(sizes, equations, k, width)
    reasons: dict[int, Reason] = {}
    for key in publication.latent:
        gate.hide(index[key])
        if publication.figures[key].n < k:
            gate.must.add(index[key])
    for i, key in enumerate(keys):
        if key not in publication.latent and sizes[i] < k:
            gate.hide(i)
            gate.must.add(i)
            reasons[i] = "small"
    for equation in equations:  # small differences between a shown total and a shown part
        top = equation[0][0]
        if gate.unknown[top]:
            continue
        for member, _s in equation[1:]:
            if not gate.unknown[member] and 0 < sizes[top] - sizes[member] < k:
                gate.hide(member)
                reasons[member] = "differencing"
    for i in gate.protect():
        reasons.setdefault(i, "complementary")

    def released(i: int, key: Key) -> Published:
        if key in publication.latent:
            return _hidden("small" if sizes[i] < k else "complementary", k)
        if i in reasons:
            return _hidden(reasons[i], k)
        cell = publication.figures[key]
        return _shown(cell.value, cell.n, k)

    return Released({key: released(i, key) for i, key in enumerate(keys)}, k, width, gate.audited)


class _Gate:
    """Complementary suppression over linked additive relations, audited by LP."""

    BATCH: Final = 40_000  # LP columns per HiGHS call
    NEAR: Final = 70  # unknowns in a cell's neighbourhood, first try in big components
    BIG: Final = 400  # a component this large is tried on neighbourhoods first

    def __init__(
        self, sizes: np.ndarray, equations: list[list[tuple[int, float]]], k: int, width: float
    ) -> None:
        self.sizes = sizes
        self.equations = equations
        self.k = k
        self.width = width
        self.unknown = [False] * len(sizes)
        self.must: set[int] = set()
        self.added: list[int] = []
        self.audited = 0
        self.unprotected: list[int] = []
        self._a: csr_matrix | None = None
        self.of_var: list[list[int]] = [[] for _ in sizes]
        for e, equation in enumerate(equations):
            for var, _c in equation:
                self.of_var[var].append(e)
        self.is_total = np.zeros(len(sizes), dtype=bool)
        for equation in equations:
            self.is_total[equation[0][0]] = True

    def hide(self, var: int) -> bool:
        if self.unknown[var]:
            return False
        self.unknown[var] = True
        return True

    def _cost(self, var: int) -> tuple[float, bool, int]:
        return (float(self.sizes[var]), bool(self.is_total[var]), var)

    def _hide_cheapest(self, candidates: Iterable[int]) -> int | None:
        shown = [v for v in candidates if not self.unknown[v]]
        if not shown:
            return None
        best = min(shown, key=self._cost)
        self.hide(best)
        self.added.append(best)
        return best

    def _local(self, equations: Iterable[int]) -> None:
        """No relation with a single unknown; a shown total leaves >= width among hidden parts."""
        queue = deque(sorted(set(equations)))
        queued = set(queue)
        while queue:
            e = queue.popleft()
            queued.discard(e)
            members = [v for v, _c in self.equations[e]]
            hidden = [v for v in members if self.unknown[v]]
            if not hidden:
                continue
            new: int | None = None
            total = members[0]
            if len(hidden) == 1:
                new = self._hide_cheapest(members)
            elif not self.unknown[total]:
                slack = float(self.sizes[hidden].sum())
                if slack < self.width and any(v in self.must for v in hidden):
                    new = self._hide_cheapest(members[1:]) or self._hide_cheapest([total])
            if new is not None:
                for other in self.of_var[new]:
                    if other not in queued:
                        queue.append(other)
                        queued.add(other)
                if e not in queued:
                    queue.append(e)
                    queued.add(e)

    def _components(self) -> tuple[np.ndarray, list[int]]:
        """Connected components of the unknowns through relations they share."""
        n = len(self.sizes)
        rows, cols = [], []
        for equation in self.equations:
            hidden = [v for v, _c in equation if self.unknown[v]]
            for a, b in itertools.pairwise(hidden):
                rows.append(a)
                cols.append(b)
        graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _count, labels = connected_components(graph, directed=False)
        return labels, [
            e for e, eq in enumerate(self.equations) if any(self.unknown[v] for v, _ in eq)
        ]

    def _matrix(self) -> csr_matrix:
        if self._a is None:
            r = [e for e, eq in enumerate(self.equations) for _v in eq]
            c = [v for eq in self.equations for v, _c in eq]
            d = [coef for eq in self.equations for _v, coef in eq]
            shape = (len(self.equations), len(self.sizes))
            self._a = csr_matrix((d, (r, c)), shape=shape)
        return self._a

    def _audit(self, cells: list[int]) -> list[int]:
        """The cells among ``cells`` whose feasible interval is narrower than the width.

        The attacker's system: the declared relations restricted to the
        unknown sizes (shown ones moved to the right-hand side), sizes >= 0.
        It splits into connected components, and a cell's interval depends on
        its component only. Per cell, one LP raises it as far as it goes
        (capped at the width above its true size); only if that is not enough
        a second LP lowers it. The LPs of many cells are solved as one
        block-diagonal LP per HiGHS call.
        """
        from scipy.optimize import linprog
        from scipy.sparse import block_diag

        if not cells:
            return []
        self.audited += len(cells)
        unknown = np.array(self.unknown)
        a_full = self._matrix()
        live = np.flatnonzero(abs(a_full[:, unknown]).sum(axis=1).A1 > 0)
        rows = a_full[live]
        a_u = rows[:, unknown].tocsc()
        b = -(rows[:, ~unknown] @ self.sizes[~unknown])
        variables = np.flatnonzero(unknown)
        truth = self.sizes[variables]
        local = {int(v): j for j, v in enumerate(variables)}
        width = self.width
        graph = (abs(a_u).T @ abs(a_u)).tocsr()
        _n, labels = connected_components(graph, directed=False)
        blocks: dict[int, tuple[np.ndarray, csr_matrix, np.ndarray]] = {}
        a_r = a_u.tocsr()

        def block(cell: int) -> tuple[np.ndarray, csr_matrix, np.ndarray]:
            comp = int(labels[local[cell]])
            if comp not in blocks:
                cols = np.flatnonzero(labels == comp)
                sub = a_u[:, cols].tocsr()
                used = np.flatnonzero(np.diff(sub.indptr) > 0)
                blocks[comp] = (cols, sub[used], b[used])
            return blocks[comp]

        eq_vars = np.split(a_r.indices, a_r.indptr[1:-1])
        var_rows = np.split(a_u.indices, a_u.indptr[1:-1])
        nearby: dict[int, tuple[np.ndarray, csr_matrix, np.ndarray]] = {}

        def near(cell: int) -> tuple[np.ndarray, csr_matrix, np.ndarray]:
            """A neighbourhood of the cell; every other unknown fixed at its true size.

            Fixing unknowns only shrinks the feasible set (the truth stays in
            it), so an interval wide enough here is wide enough in full.
            Neighbours: the unknowns sharing a relation with the cell, and
            the unknowns linked to two or more of those (the far corners of
            the cycles through the cell), largest first, up to NEAR in all.
            """
            if cell in nearby:
                return nearby[cell]
            j = local[cell]
            own = set(var_rows[j].tolist())
            first = sorted({int(u) for r in own for u in eq_vars[r]})
            first_set = set(first)
            seen: dict[int, int] = {}
            for v in first:
                for r in var_rows[v]:
                    if int(r) in own:
                        continue
                    for u in eq_vars[r]:
                        u = int(u)
                        if u not in first_set:
                            seen[u] = seen.get(u, 0) + 1
            corners = sorted((u for u, c in seen.items() if c >= 2), key=lambda u: (-truth[u], u))
            cols = np.array(sorted(first + corners[: max(0, self.NEAR - len(first))]))
            inside = np.full(a_u.shape[1], -1)
            inside[cols] = np.arange(len(cols))
            rows = np.unique(np.concatenate([var_rows[c] for c in cols]))
            part = a_r[rows].tocoo()
            keep = inside[part.col] >= 0
            fixed = np.bincount(
                part.row[~keep],
                weights=part.data[~keep] * truth[part.col[~keep]],
                minlength=len(rows),
            )
            sub = csr_matrix(
                (part.data[keep], (part.row[keep], inside[part.col[keep]])),
                shape=(len(rows), len(cols)),
            )
            nearby[cell] = (cols, sub, b[rows] - fixed)
            return nearby[cell]

        def room(batch: list[int], direction: float, blk: Any) -> dict[int, float]:
            """How far each cell can move up (direction 1) or down (-1), up to the width."""
            mats, rhs, costs, lows, highs, spots = [], [], [], [], [], []
            offset = 0
            for cell in batch:
                cols, sub, rh = blk(cell)
                at = int(np.searchsorted(cols, local[cell]))
                mats.append(sub)
                rhs.append(rh)
                cost = np.zeros(len(cols))
                cost[at] = -direction
                costs.append(cost)
                low = np.zeros(len(cols))
                high = np.full(len(cols), np.inf)
                if direction > 0:
                    high[at] = truth[local[cell]] + width
                lows.append(low)
                highs.append(high)
                spots.append(offset + at)
                offset += len(cols)
            a_eq = block_diag(mats).tocsr() if any(m.shape[0] for m in mats) else None
            result = linprog(
                np.concatenate(costs),
                A_eq=a_eq,
                b_eq=np.concatenate(rhs) if a_eq is not None else None,
                bounds=np.column_stack([np.concatenate(lows), np.concatenate(highs)]),
                method="highs",
            )
            if result.status != 0:  # infeasible cannot happen (the true sizes fit)
                raise RuntimeError(f"disclosure audit LP failed: {result.message}")
            return {
                cell: direction * (result.x[spot] - truth[local[cell]])
                for cell, spot in zip(batch, spots, strict=True)
            }

        def batched(todo: list[int], direction: float, blk: Any) -> dict[int, float]:
            out: dict[int, float] = {}
            batch: list[int] = []
            size = 0
            for cell in todo:
                cost = len(blk(cell)[0])
                if batch and size + cost > self.BATCH:
                    out.update(room(batch, direction, blk))
                    batch, size = [], 0
                batch.append(cell)
                size += cost
            if batch:
                out.update(room(batch, direction, blk))
            return out

        def wide_enough(todo: list[int], blk: Any) -> set[int]:
            up = batched(todo, 1.0, blk)
            low = [c for c in todo if up[c] < width - 1e-6]
            down = batched(low, -1.0, blk) if low else {}
            return {c for c in todo if up[c] >= width - 1e-6 or up[c] + down[c] >= width - 1e-6}

        todo = sorted(cells)
        big = [c for c in todo if len(block(c)[0]) > self.BIG]
        passed = wide_enough(big, near) if big else set()
        todo = [c for c in todo if c not in passed]
        passed |= wide_enough(todo, block)
        return [c for c in todo if c not in passed]

    def protect(self) -> list[int]:
        """Add complementary suppressions until every must-protect figure passes the audit."""
        self._local(range(len(self.equations)))
        pending = sorted(self.must)
        while pending:
            failing = self._audit(pending)
            progressed = False
            for cell in failing:
                neighbours = [v for e in self.of_var[cell] for v, _c in self.equations[e]]
                new = self._hide_cheapest(neighbours)
                if new is None:  # every neighbour hidden already: look around its component
                    labels, live = self._components()
                    wider = [
                        v
                        for e in live
                        if any(
                            self.unknown[u] and labels[u] == labels[cell]
                            for u, _ in self.equations[e]
                        )
                        for v, _c in self.equations[e]
                    ]
                    new = self._hide_cheapest(wider)
                if new is not None:
                    progressed = True
                    self._local(self.of_var[new])
            if not progressed:  # nothing shown is linked to them any more
                self.unprotected = failing
                break
            pending = failing
        return self.added
