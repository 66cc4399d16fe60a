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

from ekkyo.core.disclosure import SUPPRESSED_MARKER, Cell, Publication, Published, publish
from ekkyo.registry.models import Consortium

from .aggregates import current_version
from .models import KpiCode

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
