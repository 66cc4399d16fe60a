"""What a reader's KPI exports publish, through the gate (``ekkyo.core.disclosure.publish``).

The grant workbook (XLSX), the report CSV and the annual report PDF leave
the school: their actuals are counts of students. One selector builds the
reader's whole export publication for a FY — the consortium row and every
member row the reader may see, each KPI — and asks the gate once; the result
is cached per (consortium, FY, reader's scope, aggregates' version), so the
three files and every later request get the same released figures.

The rows overlap (a student can count in two towns, and the consortium row
counts distinct students), so no additive relation is declared among them:
the gate applies primary suppression. Tables that do add up (the dashboards'
flows and relations, KPI ④) declare their sums in :mod:`ekkyo.kpis.dashboards`.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from ekkyo.core.disclosure import (
    SUPPRESSED_MARKER,
    Cell,
    Publication,
    Published,
    TableResult,
    publish,
)
from ekkyo.registry.models import Consortium

from .aggregates import current_version
from .models import KeyCount, KpiCode

CACHE_SECONDS = 600


def released_kpis(
    *, consortium: Consortium, table: dict[str, Any], scope: str
) -> dict[tuple[str, str], Published]:
    """The gate's verdict on every actual of ``table`` (keys: member code or "", KPI code)."""
    key = f"kpi-gate:{consortium.pk}:{table['fy']}:{scope}:v{current_version(consortium.pk)}"
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    rows = [("", table["consortium"])] + [(m["code"], m["cells"]) for m in table["members"]]
    figures = {
        (code, str(kpi)): Cell(float(cells[kpi]["actual"]), int(cells[kpi]["actual"]))
        for code, cells in rows
        for kpi in KpiCode.values
    }
    released = dict(publish(Publication(figures), k=int(consortium.disclosure_k)).figures)
    cache.set(key, released, CACHE_SECONDS)
    return released


def gated_table(*, consortium: Consortium, table: dict[str, Any], scope: str) -> dict[str, Any]:
    """A copy of ``table`` whose hidden actuals read the marker, with no rate, and the reason."""
    released = released_kpis(consortium=consortium, table=table, scope=scope)
    out = copy.deepcopy(table)
    rows = [("", out["consortium"])] + [(m["code"], m["cells"]) for m in out["members"]]
    for code, cells in rows:
        for kpi in KpiCode.values:
            published = released[(code, str(kpi))]
            if published.suppressed:
                cells[kpi] = {
                    **cells[kpi],
                    "actual": SUPPRESSED_MARKER,
                    "rate": None,
                    "hidden": _(published.message) % published.params,
                }
    return out


def hidden_notes(table: dict[str, Any]) -> list[str]:
    """One line per distinct reason a figure of ``table`` is hidden (for the files' notes)."""
    rows = [table["consortium"]] + [m["cells"] for m in table["members"]]
    reasons = sorted({c["hidden"] for cells in rows for c in cells.values() if "hidden" in c})
    return [f"{SUPPRESSED_MARKER}: {reason}" for reason in reasons]


# ------------------------------------------------------------------ flows, across dashboards


def reader_towns(
    *, actor: Any, consortium: Consortium, fy: int, page_town: str = ""
) -> tuple[str, ...]:
    """Codes of the member towns whose flow tables are released together for this reader.

    A town's staff: the member towns whose dashboards they may open (their
    own), so that no combination of the pages they see narrows a hidden
    cell. The secretariat sees every record of the consortium (DESIGN.md),
    so combining its pages reveals nothing it could not read: each of its
    pages is protected as a publication of its own, the consortium's table
    alone or with the town (``page_town``) the page is about. Releasing all
    44 towns' tables together cost 468 s of LP at the 120,000-student demo
    (docs/disclosure.md, "Whose pages are combined").
    """
    from ekkyo.registry.models import Member

    principal = actor.principal
    if consortium.pk in principal.admin_consortium_ids:
        return (page_town,) if page_town else ()
    members = [
        m
        for m in Member.objects.filter(
            consortium=consortium, municipality__isnull=False
        ).select_related("municipality")
        if m.active_in(fy)
    ]
    return tuple(
        sorted(
            m.municipality.code
            for m in members
            if m.municipality is not None and m.municipality_id in principal.municipality_ids
        )
    )


def released_flows(
    *, consortium: Consortium, fy: int, towns: tuple[str, ...]
) -> dict[str, TableResult[str, str]]:
    """The flow tables of every dashboard a reader sees, through the gate together.

    ``""`` is the consortium's table (home prefecture × host town, with
    totals); each code in ``towns`` is that town's table (students from or
    to the town). The town's inbound column is the consortium's column; its
    outbound cells are the town's own part of the consortium's cells, the
    rest of the prefecture being latent (unknown to the reader, protected
    when small). Cached per (consortium, FY, towns, aggregates' version).
    """
    key = f"kpi-flows:{consortium.pk}:{fy}:{','.join(towns)}:v{current_version(consortium.pk)}"
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    flows: dict[tuple[str, str], int] = {}
    for a, b, n in KeyCount.objects.filter(
        consortium=consortium, fy=fy, dim="flow", c="", muni="", school="", programme=""
    ).values_list("a", "b", "n"):
        flows[(a, b)] = flows.get((a, b), 0) + int(n)
    result = _gate_flows(flows, towns, int(consortium.disclosure_k))
    cache.set(key, result, CACHE_SECONDS)
    return result


def _pref(code: str) -> str:
    return code[:2] if code else ""


FlowKey = tuple[str, ...]


def flows_publication(
    flows: dict[tuple[str, str], int], towns: tuple[str, ...]
) -> tuple[Publication[FlowKey], dict[str, dict[tuple[str, str], FlowKey]]]:
    """The publication of the consortium's flow table and the towns' (pure; see released_flows).

    Returns it with, per table (``""`` the consortium, else a town code),
    which figure each (home prefecture, host) cell of the table is.
    """
    figures: dict[tuple[str, ...], Cell] = {}
    relations: list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] = []
    latent: set[tuple[str, ...]] = set()

    def fig(key: tuple[str, ...], n: int) -> tuple[str, ...]:
        figures[key] = Cell(float(n), n)
        return key

    def total(key: tuple[str, ...], parts: list[tuple[str, ...]]) -> tuple[str, ...]:
        fig(key, sum(figures[p].n for p in parts))
        if parts:
            relations.append((key, tuple(parts)))
        return key

    cc: dict[tuple[str, str], int] = {}
    for (home, host), n in flows.items():
        cc[(_pref(home), host)] = cc.get((_pref(home), host), 0) + n
    prefs = sorted({p for p, _h in cc})
    hosts = sorted({h for _p, h in cc})
    for (p, h), n in cc.items():
        fig(("C", p, h), n)
        homes = [a for a in towns if _pref(a) == p and (a, h) in flows]
        if homes:  # the consortium cell = the reader's towns' outbound parts + the rest
            parts = [fig(("F", a, h), flows[(a, h)]) for a in homes]
            rest = cc[(p, h)] - sum(flows[(a, h)] for a in homes)
            parts.append(fig(("R", p, h), rest))
            latent.add(("R", p, h))
            relations.append((("C", p, h), tuple(parts)))
    rows = {p: total(("C", "row", p), [("C", p, h) for h in hosts if (p, h) in cc]) for p in prefs}
    cols = {h: total(("C", "col", h), [("C", p, h) for p in prefs if (p, h) in cc]) for h in hosts}
    total(("C", "all"), list(rows.values()))
    if rows:
        relations.append((("C", "all"), tuple(cols.values())))
    cells_of: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
        "": {pk: ("C", *pk) for pk in cc}
    }
    for t in towns:
        mine: dict[tuple[str, str], tuple[str, ...]] = {}  # the town's table: (pref, host) -> key
        for p, h in cc:
            if h == t:
                mine[(p, h)] = ("C", p, h)
            elif p == _pref(t) and (t, h) in flows:
                mine[(p, h)] = ("F", t, h)
        cells_of[t] = mine
        t_rows = sorted({p for p, _h in mine})
        t_cols = sorted({h for _p, h in mine})
        r = [
            total(("T", t, "row", p), [mine[(p, h)] for h in t_cols if (p, h) in mine])
            for p in t_rows
        ]
        c = [
            total(("T", t, "col", h), [mine[(p, h)] for p in t_rows if (p, h) in mine])
            for h in t_cols
        ]
        total(("T", t, "all"), r)
        if r:
            relations.append((("T", t, "all"), tuple(c)))
    return Publication(figures, tuple(relations), frozenset(latent)), cells_of


def _gate_flows(
    flows: dict[tuple[str, str], int], towns: tuple[str, ...], k: int
) -> dict[str, TableResult[str, str]]:
    publication, cells_of = flows_publication(flows, towns)
    released = publish(publication, k=k).figures
    out: dict[str, TableResult[str, str]] = {}
    for who, keys in cells_of.items():
        prefix: tuple[str, ...] = ("C",) if who == "" else ("T", who)
        t_rows = sorted({p for p, _h in keys})
        t_cols = sorted({h for _p, h in keys})
        out[who] = TableResult(
            cells={pk: released[key] for pk, key in keys.items()},
            row_totals={p: released[(*prefix, "row", p)] for p in t_rows},
            col_totals={h: released[(*prefix, "col", h)] for h in t_cols},
            grand_total=released[(*prefix, "all")],
            k=k,
            protection=float(k),
        )
    return out
