"""What the KPI dashboards show: figures read from the aggregate rows, disclosure-controlled.

One selector per dashboard (consortium, member town, school, programme). Each
reads a fixed number of queries whatever the number of students — the counts
come from :class:`~ekkyo.kpis.models.KeyCount`, kept up to date by
:mod:`ekkyo.kpis.aggregates` — and returns *panels*: a chart specification
(plotly, drawn by ``kpis/dashboard.js``) and the accessible table beside it.

Every figure about students passes disclosure control (DESIGN.md) before it
is returned, unless the viewer is the coordinator of the students' own school
(``controlled=False``): everything goes through the publishing gate
(:func:`ekkyo.core.disclosure.publish`) — counts built from fewer than k
students are hidden, tables with totals are published with the totals
declared as sums so the gate adds complementary and small-difference
suppression checked by its LP audit, and a hidden cell is returned
as hidden with its reason, never dropped. Partners' contributions are about
organisations, not people, and are shown as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Q, Sum
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ekkyo.core import disclosure
from ekkyo.core.disclosure import Cell, Published
from ekkyo.core.fiscal import format_fiscal_year
from ekkyo.core.kpi import achievement
from ekkyo.core.kpi_aggregates import month_labels
from ekkyo.core.prefectures import CAPITAL_COORDINATES, get_prefecture, town_position
from ekkyo.partners.models import Contribution, ContributionKind
from ekkyo.registry.models import Consortium, Member, Municipality

from .kpi4 import kpi4_construct_names, kpi4_released
from .models import KeyCount, KpiCode, KpiTarget

YEARS_SHOWN = 5
KIND_LABELS = {"residence": "Residence", "stay": "Stays", "online": "Online"}
KPI_OF = {  # dashboard KPI code -> (core kpi, role on the member row)
    KpiCode.RESIDENCE: ("kpi1", "host"),
    KpiCode.OFFLINE_RECEIVED: ("kpi2", "received"),
    KpiCode.OFFLINE_SENT: ("kpi2", "sent"),
    KpiCode.ONLINE: ("kpi3", "home"),
}


# ------------------------------------------------------------------ shown figures


@dataclass
class Figure:
    """One cell as the page shows it: a number, or hidden with the reason."""

    value: float | None
    text: str
    suppressed: bool = False
    reason: str = ""

    @classmethod
    def of(cls, published: Published | None, *, fmt: str = "int") -> Figure:
        if published is None:
            return cls(None, "")
        if published.suppressed:
            return cls(None, _("hidden"), True, _(published.message) % published.params)
        return cls.plain(published.value, fmt=fmt)

    @classmethod
    def plain(cls, value: float | None, *, fmt: str = "int") -> Figure:
        if value is None:
            return cls(None, "–")
        if fmt == "pct":
            return cls(value, f"{value * 100:.1f}%")
        if fmt == "yen":
            return cls(value, "¥" + number_format(int(value), force_grouping=True))
        if fmt == "dec":
            return cls(value, number_format(round(value, 1), 1, force_grouping=True))
        return cls(value, number_format(int(value), force_grouping=True))


@dataclass
class Panel:
    """A chart and its table: ``columns`` headings, ``rows`` (heading, figures)."""

    id: str
    title: str
    columns: list[str]
    rows: list[tuple[str, list[Figure]]]
    chart: dict[str, Any] | None = None
    note: str = ""
    kind: str = "chart"  # chart | map | sankey

    @property
    def nothing_shown(self) -> bool:
        """Every figure hidden or zero: the chart would be empty, so the page says why."""
        return all(f.suppressed or not f.value for _h, figs in self.rows for f in figs)


@dataclass
class Dashboard:
    title: str
    fy: int
    k: int
    controlled: bool
    cards: list[dict[str, Any]] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


def _k(consortium: Consortium) -> int:
    return int(consortium.disclosure_k)


def _cells(counts: Mapping[Any, int], k: int, controlled: bool) -> dict[Any, Published]:
    """Independent counts through the publishing gate (primary suppression only)."""
    cells = {key: Cell(float(n), n) for key, n in counts.items()}
    if not controlled:
        return {key: Published(c.value, False, "ok", c.n, k=k) for key, c in cells.items()}
    return dict(disclosure.publish(disclosure.Publication(cells), k=k).figures)


def _released(
    figures: Mapping[str, Cell],
    relations: tuple[tuple[str, tuple[str, ...]], ...],
    k: int,
    controlled: bool,
) -> Mapping[str, Published]:
    if not controlled:
        return {key: Published(c.value, False, "ok", c.n, k=k) for key, c in figures.items()}
    return disclosure.publish(disclosure.Publication(figures, relations), k=k).figures


def _table(
    counts: Mapping[tuple[Any, Any], int],
    k: int,
    controlled: bool,
    *,
    row_totals: bool = True,
    col_totals: bool = True,
    grand_total: bool = True,
) -> disclosure.TableResult[Any, Any]:
    """A table with its totals through the gate: every total declared as the sum of its cells.

    Totals the page does not show are latent (the attacker does not know
    them, but one built from fewer than k students must not become
    derivable either).
    """
    rows = sorted({r for r, _c in counts})
    cols = sorted({c for _r, c in counts})
    figures: dict[Any, Cell] = {("cell", r, c): Cell(float(n), n) for (r, c), n in counts.items()}
    relations: list[tuple[Any, tuple[Any, ...]]] = []
    latent: set[Any] = set()
    for r in rows:
        parts = tuple(("cell", r, c) for c in cols if (r, c) in counts)
        n = sum(counts[(r, c)] for c in cols if (r, c) in counts)
        figures[("row", r)] = Cell(float(n), n)
        relations.append((("row", r), parts))
        if not row_totals:
            latent.add(("row", r))
    for c in cols:
        parts = tuple(("cell", r, c) for r in rows if (r, c) in counts)
        n = sum(counts[(r, c)] for r in rows if (r, c) in counts)
        figures[("col", c)] = Cell(float(n), n)
        relations.append((("col", c), parts))
        if not col_totals:
            latent.add(("col", c))
    n = sum(counts.values())
    figures[("all",)] = Cell(float(n), n)
    if counts:
        relations.append((("all",), tuple(("row", r) for r in rows)))
        relations.append((("all",), tuple(("col", c) for c in cols)))
    if not grand_total:
        latent.add(("all",))
    if controlled:
        released = disclosure.publish(
            disclosure.Publication(figures, tuple(relations), frozenset(latent)), k=k
        ).figures
    else:
        released = {key: Published(c.value, False, "ok", c.n, k=k) for key, c in figures.items()}
    return disclosure.TableResult(
        cells={(r, c): released[("cell", r, c)] for (r, c) in counts},
        row_totals={r: released[("row", r)] for r in rows} if row_totals else {},
        col_totals={c: released[("col", c)] for c in cols} if col_totals else {},
        grand_total=released[("all",)] if grand_total else None,
        k=k,
        protection=float(k),
    )


def _en() -> bool:
    return (get_language() or "ja").startswith("en")


def _town_names(codes: Iterable[str]) -> dict[str, str]:
    wanted = {c for c in codes if c}
    return {
        m.code: str(m) for m in Municipality.objects.filter(code__in=wanted).select_related(None)
    }


def _pref_name(code: str) -> str:
    if not code:
        return _("Abroad / unknown")
    p = get_prefecture(code[:2])
    return p.name_en if _en() else p.name_ja


def _years(fy: int) -> list[int]:
    return list(range(fy - YEARS_SHOWN + 1, fy + 1))


def _fy_label(fy: int) -> str:
    return format_fiscal_year(fy, "en" if _en() else "ja")


# ------------------------------------------------------------------------- reading


class Row(NamedTuple):
    fy: int
    dim: str
    muni: str
    school: str
    programme: str
    a: str
    b: str
    c: str
    n: int


def _rows(consortium: Consortium, q: Q) -> list[Row]:
    return [
        Row._make(r)
        for r in KeyCount.objects.filter(Q(consortium=consortium) & q).values_list(
            "fy", "dim", "muni", "school", "programme", "a", "b", "c", "n"
        )
    ]


def _targets(
    consortium: Consortium, years: list[int], code: str | None
) -> dict[tuple[int, str], int]:
    qs = KpiTarget.objects.filter(consortium=consortium, fiscal_year__in=years)
    qs = qs.filter(municipality__code=code) if code else qs.filter(municipality__isnull=True)
    return {(t.fiscal_year, t.kpi): t.target for t in qs}


# ------------------------------------------------------------------------- panels


def _kpi_trend_panel(
    pid: str,
    title: str,
    series: list[tuple[str, dict[int, int]]],
    years: list[int],
    k: int,
    controlled: bool,
    targets: Mapping[tuple[int, str], int] | None = None,
) -> Panel:
    """Actual per FY for each KPI (and target, achievement), table and grouped bars."""
    columns = [_fy_label(y) for y in years]
    rows: list[tuple[str, list[Figure]]] = []
    traces = []
    for label, by_year in series:
        published = _cells({y: by_year.get(y, 0) for y in years}, k, controlled)
        figs = [Figure.of(published[y]) for y in years]
        rows.append((label, figs))
        traces.append(
            {
                "type": "bar",
                "name": label,
                "x": columns,
                "y": [f.value for f in figs],
            }
        )
    if targets:
        for code, kpi_label in KpiCode.choices:
            if any((y, code) in targets for y in years):
                rows.append(
                    (
                        _("Target: %(kpi)s") % {"kpi": kpi_label},
                        [Figure.plain(targets.get((y, code))) for y in years],
                    )
                )
    return Panel(
        pid,
        title,
        columns,
        rows,
        {"data": traces, "layout": {"barmode": "group", "yaxis": {"rangemode": "tozero"}}},
    )


def _monthly_panel(
    fy: int, months: Mapping[tuple[str, str], int], k: int, controlled: bool
) -> Panel:
    labels = month_labels(fy)
    published = _cells(
        {(m, kind): months.get((m, kind), 0) for m in labels for kind in KIND_LABELS}, k, controlled
    )
    columns = [_(KIND_LABELS[kind]) for kind in KIND_LABELS]
    rows = [(m, [Figure.of(published[(m, kind)]) for kind in KIND_LABELS]) for m in labels]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _(KIND_LABELS[kind]),
            "x": labels,
            "y": [Figure.of(published[(m, kind)]).value for m in labels],
        }
        for kind in KIND_LABELS
    ]
    return Panel(
        "monthly",
        _("Students taking part, month by month"),
        columns,
        rows,
        {"data": traces, "layout": {"yaxis": {"rangemode": "tozero"}}},
        note=_("A student counts once per month and kind, however many sessions or days."),
    )


def _relations_panel(rel: Mapping[tuple[str, str], int], k: int, controlled: bool) -> Panel:
    buckets = ["1", "2", "3+"]
    spans = [("fy", _("In this fiscal year")), ("cum", _("Up to the end of this fiscal year"))]
    table = _table(
        {(span, b): rel.get((span, b), 0) for span, _l in spans for b in buckets},
        k,
        controlled,
        col_totals=False,
        grand_total=False,
    )
    columns = [_("1 region"), _("2 regions"), _("3 or more regions"), _("Total")]
    rows = []
    traces = []
    for span, label in spans:
        figs = [Figure.of(table.cells[(span, b)]) for b in buckets]
        figs.append(Figure.of(table.row_totals.get(span)))
        rows.append((label, figs))
        traces.append(
            {"type": "bar", "name": label, "x": columns[:3], "y": [f.value for f in figs[:3]]}
        )
    return Panel(
        "relations",
        _("関係人口: students with relationships to regions beyond home"),
        columns,
        rows,
        {"data": traces, "layout": {"barmode": "group", "yaxis": {"rangemode": "tozero"}}},
        note=_(
            "A region is a town other than the student's home, reached through any "
            "programme (stay, residence or online)."
        ),
    )


def _flows(
    flows: Mapping[tuple[str, str], int],
    k: int,
    controlled: bool,
    *,
    names: Mapping[str, str],
    member_codes: Iterable[str],
    received: Mapping[str, int] | None = None,
    table: disclosure.TableResult[Any, Any] | None = None,
) -> list[Panel]:
    """Home prefecture → host town: the table, a Sankey and a map, all from one protected table.

    ``table``: the flows already released with every other flow table the
    reader sees (:func:`ekkyo.kpis.publication.released_flows`); without it
    this table is gated on its own.
    """
    by_pair: dict[tuple[str, str], int] = defaultdict(int)
    for (home, host), n in flows.items():
        by_pair[(home[:2] if home else "", host)] += n
    if table is None or set(table.cells) != set(by_pair):
        table = _table(by_pair, k, controlled)
    homes = sorted({h for h, _t in by_pair})
    hosts = sorted({t for _h, t in by_pair})
    columns = [names.get(h, h) for h in hosts] + [_("Total")]
    rows = []
    for h in homes:
        figs = [
            Figure.of(table.cells.get((h, t))) if (h, t) in by_pair else Figure.plain(0)
            for t in hosts
        ]
        figs.append(Figure.of(table.row_totals.get(h)))
        rows.append((_pref_name(h), figs))
    rows.append(
        (
            _("Total"),
            [Figure.of(table.col_totals.get(t)) for t in hosts] + [Figure.of(table.grand_total)],
        )
    )
    flow_table = Panel(
        "flows-table",
        _("Flows of students: home prefecture → host town"),
        columns,
        rows,
        None,
        note=_("Students are counted once per pair, whatever the number of programmes."),
        kind="table",
    )
    # Sankey: published pairs; per host, what is hidden is one band from
    # "small groups" (its column total minus the published pairs, which the
    # published total already lets anyone compute).
    labels = [_pref_name(h) for h in homes] + [names.get(t, t) for t in hosts]
    hidden_node = len(labels)
    labels.append(_("Small groups (hidden)"))
    src, dst, val = [], [], []
    for hi, h in enumerate(homes):
        for ti, t in enumerate(hosts):
            p = table.cells.get((h, t))
            if p is not None and not p.suppressed and p.value:
                src.append(hi)
                dst.append(len(homes) + ti)
                val.append(p.value)
    for ti, t in enumerate(hosts):
        total = table.col_totals.get(t)
        if total is None or total.suppressed or total.value is None:
            continue
        shown = sum(
            p.value or 0
            for (h, tt), p in table.cells.items()
            if tt == t and not p.suppressed and p.value
        )
        if total.value - shown > 0:
            src.append(hidden_node)
            dst.append(len(homes) + ti)
            val.append(total.value - shown)
    sankey = Panel(
        "sankey",
        _("Sankey of flows between regions"),
        flow_table.columns,
        flow_table.rows,
        {
            "data": [
                {
                    "type": "sankey",
                    "arrangement": "snap",
                    "node": {"label": labels, "pad": 12, "thickness": 14},
                    "link": {"source": src, "target": dst, "value": val},
                }
            ],
            "layout": {"height": max(360, 18 * len(labels))},
        },
        kind="sankey",
    )
    # Map: member towns (size: students received), lines for published flows.
    positions = _positions(set(member_codes) | set(hosts))
    lats, lons, texts, sizes = [], [], [], []
    recv = _cells(dict(received or {}), k, controlled) if received is not None else {}
    for code in sorted(set(member_codes)):
        if code not in positions:
            continue
        lat, lon = positions[code]
        lats.append(lat)
        lons.append(lon)
        figure = Figure.of(recv.get(code))
        texts.append(f"{names.get(code, code)}: {figure.text}")
        sizes.append(6 + min(30, (figure.value or 0) ** 0.5 * 2))
    traces: list[dict[str, Any]] = []
    for h in homes:
        for t in hosts:
            p = table.cells.get((h, t))
            if p is None or p.suppressed or not p.value or t not in positions:
                continue
            hlat, hlon = CAPITAL_COORDINATES.get(h, (35.0, 150.0)) if h else (35.0, 146.0)
            traces.append(
                {
                    "type": "scattergeo",
                    "mode": "lines",
                    "lat": [hlat, positions[t][0]],
                    "lon": [hlon, positions[t][1]],
                    "line": {"width": 1 + min(6, p.value**0.5 / 2)},
                    "opacity": 0.5,
                    "hoverinfo": "text",
                    "text": f"{_pref_name(h)} → {names.get(t, t)}: {int(p.value)}",
                    "showlegend": False,
                }
            )
    traces.append(
        {
            "type": "scattergeo",
            "mode": "markers",
            "lat": lats,
            "lon": lons,
            "text": texts,
            "hoverinfo": "text",
            "marker": {"size": sizes, "color": "#1d6fa5"},
            "name": _("Member towns"),
        }
    )
    map_panel = Panel(
        "map",
        _("Map of member towns and flows (home → host)"),
        flow_table.columns,
        flow_table.rows,
        {
            "data": traces,
            "layout": {
                "height": 520,
                "geo": {
                    "scope": "asia",
                    "resolution": 50,
                    "lataxis": {"range": [24, 46]},
                    "lonaxis": {"range": [123, 147]},
                    "showland": True,
                    "landcolor": "#eef2ea",
                    "showcountries": False,
                },
            },
        },
        kind="map",
    )
    return [map_panel, sankey, flow_table]


def _positions(codes: Iterable[str]) -> dict[str, tuple[float, float]]:
    wanted = {c for c in codes if c}
    found = {
        code: (float(lat or 0), float(lon or 0))
        for code, lat, lon in Municipality.objects.filter(
            code__in=wanted, latitude__isnull=False, longitude__isnull=False
        ).values_list("code", "latitude", "longitude")
    }
    for code in wanted - found.keys():
        if code[:2] in CAPITAL_COORDINATES:
            found[code] = town_position(code)
    return found


def _kpi4_panel(
    rows: list[Row], k: int, controlled: bool, consortium: Consortium, fy: int
) -> Panel | None:
    if not rows:
        return None
    released = kpi4_released(rows, k, controlled, kpi4_construct_names(consortium, fy))
    if not released:
        return None
    table_rows = []
    labels: list[str] = []
    shares: list[float | None] = []
    for f in released:
        table_rows.append(
            (
                f.label,
                [
                    Figure.plain(f.threshold, fmt="dec"),
                    Figure.of(f.respondents),
                    Figure.of(f.share, fmt="pct"),
                ],
            )
        )
        labels.append(f.label)
        shares.append(
            None if f.share.suppressed or f.share.value is None else round(f.share.value * 100, 1)
        )
    return Panel(
        "kpi4",
        _("KPI ④: share of respondents reaching the threshold"),
        [_("Threshold"), _("Respondents"), _("Share reaching")],
        table_rows,
        {
            "data": [{"type": "bar", "x": labels, "y": shares, "name": _("Share reaching")}],
            "layout": {"yaxis": {"range": [0, 100], "ticksuffix": "%"}},
        },
        note=_(
            "From the fiscal year's annual survey wave, with the thresholds its instrument sets."
        ),
    )


def _contributions_panel(consortium: Consortium, fy: int, q: Q) -> Panel:
    totals: dict[str, dict[str, Any]] = {}
    for kind, yen_sum, hours_sum in (
        Contribution.objects.filter(partner__consortium=consortium, fiscal_year=fy)
        .filter(q)
        .values("kind")
        .annotate(yen=Sum("amount_yen"), hours=Sum("hours"))
        .values_list("kind", "yen", "hours")
    ):
        totals[kind] = {"yen": yen_sum, "hours": hours_sum}
    rows = []
    names, yen = [], []
    for code, label in ContributionKind.choices:
        t = totals.get(code, {})
        rows.append(
            (
                str(label),
                [
                    Figure.plain(t.get("yen") or 0, fmt="yen"),
                    Figure.plain(float(t["hours"]) if t.get("hours") else 0, fmt="dec"),
                ],
            )
        )
        names.append(str(label))
        yen.append(int(t.get("yen") or 0))
    return Panel(
        "contributions",
        _("Partners' contributions (社会資源)"),
        [_("Money or value (yen)"), _("Hours")],
        rows,
        {"data": [{"type": "bar", "x": names, "y": yen, "name": _("yen")}], "layout": {}},
    )


# ---------------------------------------------------------------------- dashboards


def _by(rows: Iterable[Row], dim: str, *fields: str, fy: int | None = None) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for r in rows:
        if r.dim == dim and (fy is None or r.fy == fy):
            key = tuple(getattr(r, f) for f in fields)
            out[key if len(key) > 1 else key[0]] = r.n
    return out


def _members(consortium: Consortium, fy: int) -> list[Member]:
    return [
        m
        for m in Member.objects.filter(consortium=consortium, municipality__isnull=False)
        .select_related("municipality__prefecture")
        .order_by("municipality__code")
        if m.active_in(fy)
    ]


def _card(label: str, figure: Figure, target: int | None = None) -> dict[str, Any]:
    rate = (
        achievement(figure.value, target)
        if figure.value is not None and not figure.suppressed
        else None
    )
    return {
        "label": label,
        "figure": figure,
        "target": Figure.plain(target) if target is not None else None,
        "rate": Figure.plain(rate, fmt="pct") if rate is not None else None,
    }


def consortium_dashboard(
    *,
    consortium: Consortium,
    fy: int,
    flow_tables: Mapping[str, disclosure.TableResult[Any, Any]] | None = None,
) -> Dashboard:
    k = _k(consortium)
    years = _years(fy)
    rows = _rows(
        consortium,
        Q(fy__in=years, dim="kpi")
        | Q(fy=fy, dim__in=["flow", "month", "rel", "kpi4"], muni="", school="", programme=""),
    )
    members = _members(consortium, fy)
    codes = [m.municipality.code for m in members if m.municipality]
    names = {m.municipality.code: str(m.municipality) for m in members if m.municipality}
    flows = {
        (a, b): n for (a, b, c), n in _by(rows, "flow", "a", "b", "c", fy=fy).items() if c == ""
    }
    names.update(_town_names(b for _a, b in flows if b not in names))
    kpi_rows = _by(rows, "kpi", "fy", "muni", "a", "b")
    targets = _targets(consortium, years, None)
    d = Dashboard(_("Consortium dashboard"), fy, k, True)
    total = {
        KpiCode.RESIDENCE: "kpi1",
        KpiCode.OFFLINE_RECEIVED: "kpi2",
        KpiCode.ONLINE: "kpi3",
    }
    series = [
        (str(KpiCode(code).label), {y: kpi_rows.get((y, "", kk, "consortium"), 0) for y in years})
        for code, kk in total.items()
    ]
    this_year = _cells({code: series[i][1][fy] for i, code in enumerate(total)}, k, True)
    for code in total:
        d.cards.append(
            _card(str(KpiCode(code).label), Figure.of(this_year[code]), targets.get((fy, code)))
        )
    d.panels.append(
        _kpi_trend_panel("trend", _("KPIs over the fiscal years"), series, years, k, True, targets)
    )
    # Member table: one protected column per KPI (the rows add up to the
    # consortium's count, apart from students in two towns).
    member_counts = {
        (code, kc): kpi_rows.get((fy, code, *KPI_OF[kc]), 0) for code in codes for kc in KPI_OF
    }
    per_kpi = {
        kc: _table(
            {(code, kc): member_counts[(code, kc)] for code in codes},
            k,
            True,
            row_totals=False,
            grand_total=False,
        )
        for kc in KPI_OF
    }
    d.panels.append(
        Panel(
            "members",
            _("Member towns this fiscal year"),
            [str(KpiCode(kc).label) for kc in KPI_OF],
            [
                (names[code], [Figure.of(per_kpi[kc].cells[(code, kc)]) for kc in KPI_OF])
                for code in codes
            ],
            {
                "data": [
                    {
                        "type": "bar",
                        "name": str(KpiCode(kc).label),
                        "x": [names[c] for c in codes],
                        "y": [Figure.of(per_kpi[kc].cells[(c, kc)]).value for c in codes],
                    }
                    for kc in KPI_OF
                ],
                "layout": {"barmode": "group", "height": 420},
            },
        )
    )
    received = {
        code: member_counts[(code, KpiCode.OFFLINE_RECEIVED)]
        + member_counts[(code, KpiCode.RESIDENCE)]
        for code in codes
    }
    d.panels.extend(
        _flows(
            flows, k, True, names=names, member_codes=codes, received=received,
            table=(flow_tables or {}).get(""),
        )
    )  # fmt: skip
    months = {(a, c): n for (a, c), n in _by(rows, "month", "a", "c", fy=fy).items()}
    d.panels.append(_monthly_panel(fy, months, k, True))
    d.panels.append(_relations_panel(_by(rows, "rel", "b", "a", fy=fy), k, True))
    kpi4 = _kpi4_panel([r for r in rows if r.dim == "kpi4"], k, True, consortium, fy)
    if kpi4:
        d.panels.append(kpi4)
    d.panels.append(_contributions_panel(consortium, fy, Q()))
    return d


def member_dashboard(
    *,
    consortium: Consortium,
    municipality: Municipality,
    fy: int,
    flow_tables: Mapping[str, disclosure.TableResult[Any, Any]] | None = None,
) -> Dashboard:
    k = _k(consortium)
    years = _years(fy)
    code = municipality.code
    rows = _rows(
        consortium,
        Q(fy__in=years, dim="kpi", muni=code)
        | Q(fy=fy, dim="flow", c="", muni="", school="", programme="") & (Q(a=code) | Q(b=code))
        | Q(fy=fy, dim__in=["month", "rel"], muni=code, school="")
        | Q(fy=fy, dim="kpi4", muni=code, school=""),
    )
    targets = _targets(consortium, years, code)
    kpi_rows = _by(rows, "kpi", "fy", "a", "b")
    d = Dashboard(_("Dashboard of %(town)s") % {"town": municipality}, fy, k, True)
    series = [
        (str(KpiCode(kc).label), {y: kpi_rows.get((y, *KPI_OF[kc]), 0) for y in years})
        for kc in KPI_OF
    ]
    now = _cells({kc: series[i][1][fy] for i, kc in enumerate(KPI_OF)}, k, True)
    for kc in KPI_OF:
        d.cards.append(_card(str(KpiCode(kc).label), Figure.of(now[kc]), targets.get((fy, kc))))
    arrivals = _cells({"new": kpi_rows.get((fy, "kpi1", "new_arrival"), 0)}, k, True)["new"]
    d.cards.append(_card(_("KPI ① new arrivals this fiscal year"), Figure.of(arrivals)))
    d.panels.append(
        _kpi_trend_panel("trend", _("KPIs over the fiscal years"), series, years, k, True, targets)
    )
    flows = {(a, b): n for (a, b, c), n in _by(rows, "flow", "a", "b", "c", fy=fy).items()}
    names = _town_names({b for _a, b in flows} | {code})
    received = {
        code: kpi_rows.get((fy, "kpi2", "received"), 0) + kpi_rows.get((fy, "kpi1", "host"), 0)
    }
    d.panels.extend(
        _flows(
            flows, k, True, names=names, member_codes=[code], received=received,
            table=(flow_tables or {}).get(code),
        )
    )  # fmt: skip
    months = {(a, c): n for (a, c), n in _by(rows, "month", "a", "c", fy=fy).items()}
    d.panels.append(_monthly_panel(fy, months, k, True))
    d.panels.append(_relations_panel(_by(rows, "rel", "b", "a", fy=fy), k, True))
    kpi4 = _kpi4_panel([r for r in rows if r.dim == "kpi4"], k, True, consortium, fy)
    if kpi4:
        d.panels.append(kpi4)
    d.panels.append(_contributions_panel(consortium, fy, Q(municipality__code=code)))
    return d


def school_dashboard(
    *, consortium: Consortium, school: Any, fy: int, controlled: bool
) -> Dashboard:
    k = _k(consortium)
    years = _years(fy)
    rows = _rows(
        consortium,
        Q(fy__in=years, dim="school", school=school.code)
        | Q(fy=fy, dim__in=["kpi4", "month", "rel", "flow"], school=school.code),
    )
    per = _by(rows, "school", "fy", "a")
    d = Dashboard(_("Dashboard of %(school)s") % {"school": school}, fy, k, controlled)
    labels = {
        "kpi1": KpiCode.RESIDENCE.label,
        "kpi2": _("KPI ② students on stays"),
        "kpi3": KpiCode.ONLINE.label,
    }
    series = [(str(label), {y: per.get((y, kk), 0) for y in years}) for kk, label in labels.items()]
    now = _cells({kk: per.get((fy, kk), 0) for kk in labels}, k, controlled)
    for kk, label in labels.items():
        d.cards.append(_card(str(label), Figure.of(now[kk])))
    d.panels.append(
        _kpi_trend_panel(
            "trend", _("The school's students in the KPIs"), series, years, k, controlled
        )
    )
    flows = {(a, b): n for (a, b), n in _by(rows, "flow", "a", "b", fy=fy).items()}
    if flows:
        names = _town_names({b for _a, b in flows})
        d.panels.extend(
            _flows(flows, k, controlled, names=names, member_codes=sorted(names), received=None)
        )
    months = {(a, c): n for (a, c), n in _by(rows, "month", "a", "c", fy=fy).items()}
    d.panels.append(_monthly_panel(fy, months, k, controlled))
    d.panels.append(_relations_panel(_by(rows, "rel", "b", "a", fy=fy), k, controlled))
    kpi4 = _kpi4_panel([r for r in rows if r.dim == "kpi4"], k, controlled, consortium, fy)
    if kpi4:
        d.panels.append(kpi4)
    return d


def programme_dashboard(*, consortium: Consortium, programme: Any, fy: int) -> Dashboard:
    from .selectors import session_attendance

    k = _k(consortium)
    years = _years(fy)
    rows = _rows(consortium, Q(fy__in=years, dim="programme", programme=str(programme.pk)))
    d = Dashboard(_("Dashboard of %(programme)s") % {"programme": programme}, fy, k, True)
    by_year: dict[int, int] = defaultdict(int)
    flows: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        by_year[r.fy] += r.n
        if r.fy == fy:
            flows[(r.a, r.muni)] += r.n
    now = _cells({"p": by_year.get(fy, 0)}, k, True)["p"]
    d.cards.append(_card(_("Participants this fiscal year"), Figure.of(now)))
    d.panels.append(
        _kpi_trend_panel(
            "trend",
            _("Participants over the fiscal years"),
            [(_("Participants"), dict(by_year))],
            years,
            k,
            True,
        )
    )
    host = programme.host_municipality.code if programme.host_municipality_id else ""
    names = _town_names({m for _a, m in flows} | {host})
    d.panels.extend(
        _flows(
            dict(flows), k, True, names=names, member_codes=[host] if host else [], received=None
        )
    )
    sessions = session_attendance(programme=programme)
    if sessions:
        published = _cells({i: s["n"] for i, s in enumerate(sessions)}, k, True)
        labels = [s["session__starts_at"].date().isoformat() for s in sessions]
        figs = [Figure.of(published[i]) for i in range(len(sessions))]
        d.panels.append(
            Panel(
                "sessions",
                _("Attendance per session"),
                [_("Students present")],
                [(labels[i], [figs[i]]) for i in range(len(sessions))],
                {
                    "data": [{"type": "bar", "x": labels, "y": [f.value for f in figs]}],
                    "layout": {},
                },
            )
        )
    d.panels.append(_contributions_panel(consortium, fy, Q(programme=programme)))
    return d


__all__ = [
    "Dashboard",
    "Figure",
    "Panel",
    "consortium_dashboard",
    "member_dashboard",
    "programme_dashboard",
    "school_dashboard",
]
