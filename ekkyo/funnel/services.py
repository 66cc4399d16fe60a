"""Reading and writing the residence funnel (see ``funnel.models`` for the model).

``town_funnel`` assembles one town's funnel for an intake year: entered
stages, arrivals derived from Residence records by the KPI ① rule
(``ekkyo.core.kpi``), conversion rates, last year's figures beside, and the
KPI ① projection against the town's target. ``funnel_grid_save`` and
``funnel_import`` are the only writes; both set counts (never add to them),
so saving the same grid or importing the same file twice changes nothing.
``funnel_overview`` is the consortium page: figures that leave the town, so
counts of students pass disclosure control (docs/decisions.md).

Callers check the person's right to the town first (``funnel_town_for``:
the town's own staff and the secretariat of its consortium; 404 otherwise,
recorded as a refusal); the Residence reads below are then deliberate system
scopes over that town only. The writes take the acting :class:`Actor` and
audit with specific codes (``funnel.events``) and the changed cells' old
and new counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_noop

from ekkyo.audit.services import audit_record
from ekkyo.core import kpi
from ekkyo.core.disclosure import Cell, Publication, Published, publish
from ekkyo.core.messages import Problem
from ekkyo.core.tabular import TableError, read_table, write_csv_for_excel
from ekkyo.participation.models import Residence
from ekkyo.registry.models import Consortium, Member, Municipality
from ekkyo.tenancy.access import NotFound, deny
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role, system_scope

from . import events
from .models import ENTERED_STAGES, FAMILY_STAGES, SEASON_MONTHS, STAGES, FunnelEntry, FunnelStage

# ------------------------------------------------------------------ who may work on a town


def funnel_town_for(*, actor: Actor, municipality_code: str) -> tuple[Consortium, Municipality]:
    """The town and its consortium if the actor may work on its funnel: the
    secretariat of a consortium the town is a member of, or the town's own
    staff. 404 otherwise (a town that exists is recorded as a refusal)."""
    from ekkyo.accounts.models import Membership

    principal = actor.principal
    municipality = Municipality.objects.filter(code=municipality_code).first()
    consortium_id: int | None = None
    if municipality is not None:
        if principal.admin_consortium_ids:
            consortium_id = (
                Member.objects.filter(
                    consortium_id__in=principal.admin_consortium_ids, municipality=municipality
                )
                .values_list("consortium_id", flat=True)
                .first()
            )
        if consortium_id is None and municipality.pk in principal.municipality_ids:
            consortium_id = (
                Membership.objects.filter(
                    user_id=principal.user_id or 0,
                    role=Role.MUNICIPALITY_STAFF,
                    municipality=municipality,
                )
                .values_list("consortium_id", flat=True)
                .first()
            )
    if municipality is None or consortium_id is None:
        if municipality is not None:
            deny(
                actor,
                f"residence funnel of {municipality_code}",
                grant="town",
                model="funnel.funnelentry",
            )
        raise NotFound
    return Consortium.objects.get(pk=consortium_id), municipality


def funnel_consortium_for(*, actor: Actor) -> Consortium:
    """The consortium whose overview the actor sees (the secretariat's, else the
    first of the person's memberships); 404 without one."""
    from ekkyo.accounts.selectors import working_consortium_id

    consortium = Consortium.objects.filter(pk=working_consortium_id(actor.principal) or 0).first()
    if consortium is None:
        raise NotFound
    return consortium


# ------------------------------------------------------------------ derived arrivals


def _memberships(consortium: Consortium) -> list[kpi.Membership]:
    return [
        kpi.Membership(m.municipality.code, m.first_fy, m.last_fy)  # type: ignore[union-attr]
        for m in Member.objects.filter(
            consortium=consortium, municipality__isnull=False
        ).select_related("municipality")
    ]


def residence_counts(
    *, consortium: Consortium, municipalities: list[Municipality], fys: list[int]
) -> dict[int, kpi.KpiCounts]:
    """KPI ① for the towns as hosts, counted by ``ekkyo.core.kpi`` (the same rule as the report)."""
    codes = {m.pk: m.code for m in municipalities}
    # The caller has checked the right to these towns; their residents' rows
    # are read only to be counted, never shown.
    with system_scope(reason="residence funnel: derived arrivals of a host town"):
        home_codes = dict(Municipality.objects.values_list("pk", "code"))
        records = [
            kpi.ResidenceRec(
                str(r["student_id"]),
                home_codes.get(r["home_municipality_id"] or 0),
                codes[r["host_municipality_id"]],
                r["start"],
                r["end"],
            )
            for r in Residence._unscoped.filter(  # safe: counted only, for towns the caller checked
                student__consortium=consortium, host_municipality_id__in=list(codes)
            ).values("student_id", "home_municipality_id", "host_municipality_id", "start", "end")
        ]
        memberships = _memberships(consortium)
    result = kpi.all_kpis(records, (), (), memberships, sorted(set(fys)))
    return {fy: result[fy].residence for fy in fys}


def derived_arrivals(*, consortium: Consortium, municipality: Municipality, fy: int) -> int:
    """New arrivals in ``fy`` hosted by the town: KPI ①'s ``new_arrival`` row."""
    counts = residence_counts(consortium=consortium, municipalities=[municipality], fys=[fy])[fy]
    return (counts.new_arrivals_by_municipality or {}).get(municipality.code, 0)


# ------------------------------------------------------------------ one town


@dataclass
class StageRow:
    stage: FunnelStage
    count: int
    previous_stage_count: int | None
    last_year: int
    last_year_previous_stage: int | None
    derived: bool = False

    @property
    def label(self) -> str:
        return str(self.stage.label)

    @property
    def conversion(self) -> float | None:
        return _rate(self.count, self.previous_stage_count)

    @property
    def last_year_conversion(self) -> float | None:
        return _rate(self.last_year, self.last_year_previous_stage)


@dataclass
class Projection:
    """KPI ① for the FY as it stands: continuing residents plus expected arrivals."""

    continuing: int
    arrivals: int
    expected_arrivals: int
    basis: str  # "arrivals", "admission", "application" or "none"
    projected: int
    target: int | None

    @property
    def achievement(self) -> float | None:
        return kpi.achievement(self.projected, self.target)


@dataclass
class TownFunnel:
    municipality: Municipality
    fy: int
    rows: list[StageRow]
    grid: dict[str, dict[int, int]]
    projection: Projection
    by_programme: dict[str, int] = field(default_factory=dict)

    @property
    def widest(self) -> int:
        return max([1, *(r.count for r in self.rows), *(r.last_year for r in self.rows)])

    def totals(self) -> dict[str, int]:
        return {r.stage.value: r.count for r in self.rows}


def _rate(count: int, previous: int | None) -> float | None:
    if previous is None or previous == 0:
        return None
    return count / previous


def stage_totals(*, municipality: Municipality, fy: int) -> dict[str, int]:
    """Entered counts per stage (all months; town-wide and per-programme rows summed)."""
    totals = dict.fromkeys((s.value for s in ENTERED_STAGES), 0)
    for row in (
        FunnelEntry._unscoped.filter(  # safe: counts of a town the caller checked
            municipality=municipality, fiscal_year=fy
        )
        .values("stage")
        .annotate(n=Sum("count"))
    ):
        totals[row["stage"]] = int(row["n"] or 0)
    return totals


def month_grid(*, municipality: Municipality, fy: int) -> dict[str, dict[int, int]]:
    """Town-wide entries as stage → month → count (zeros included)."""
    grid = {s.value: dict.fromkeys(SEASON_MONTHS, 0) for s in ENTERED_STAGES}
    for e in FunnelEntry._unscoped.filter(  # safe: counts of a town the caller checked
        municipality=municipality, fiscal_year=fy, programme__isnull=True
    ):
        grid[e.stage][e.month] = e.count
    return grid


def grid_fingerprint(grid: dict[str, dict[int, int]]) -> str:
    """A digest of the grid's values: the optimistic version of a bulk edit."""
    text = ";".join(f"{s}:{m}:{grid[s][m]}" for s in sorted(grid) for m in sorted(grid[s]))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def project(
    *,
    continuing: int,
    arrivals: int,
    totals: dict[str, int],
    last_year: dict[str, int],
    target: int | None,
) -> Projection:
    """Expected KPI ①: continuing residents + the arrivals the funnel points to.

    Arrivals already recorded are certain. Before they are, the furthest
    student stage reached (admissions, else applications) is converted with
    last year's rate from that stage to arrivals (admissions convert at 100 %
    when last year gives no rate); the larger of the two stands.
    """
    expected, basis = arrivals, "arrivals" if arrivals else "none"
    for stage in (FunnelStage.ADMISSION, FunnelStage.APPLICATION):
        reached = totals.get(stage.value, 0)
        if not reached:
            continue
        rate = _rate(last_year.get(FunnelStage.ARRIVAL.value, 0), last_year.get(stage.value, 0))
        if rate is None:
            if stage != FunnelStage.ADMISSION:
                continue
            rate = 1.0
        estimate = round(reached * min(rate, 1.0))
        if estimate > expected:
            expected, basis = estimate, stage.value
        break
    return Projection(
        continuing=continuing,
        arrivals=arrivals,
        expected_arrivals=expected,
        basis=basis,
        projected=continuing + expected,
        target=target,
    )


def town_funnel(
    *, consortium: Consortium, municipality: Municipality, fy: int, target: int | None = None
) -> TownFunnel:
    """The town's funnel for the FY; ``target`` is its KPI ① target, if set (the
    caller reads it from the KPI master: this app does not import ``ekkyo.kpis``)."""
    counts = residence_counts(
        consortium=consortium, municipalities=[municipality], fys=[fy - 1, fy]
    )
    code = municipality.code

    def arrivals(year: int) -> int:
        return (counts[year].new_arrivals_by_municipality or {}).get(code, 0)

    now = {**stage_totals(municipality=municipality, fy=fy), "arrival": arrivals(fy)}
    before = {**stage_totals(municipality=municipality, fy=fy - 1), "arrival": arrivals(fy - 1)}
    rows: list[StageRow] = []
    for i, stage in enumerate(STAGES):
        prev = STAGES[i - 1].value if i else None
        rows.append(
            StageRow(
                stage=stage,
                count=now[stage.value],
                previous_stage_count=now[prev] if prev else None,
                last_year=before[stage.value],
                last_year_previous_stage=before[prev] if prev else None,
                derived=stage == FunnelStage.ARRIVAL,
            )
        )
    resident = counts[fy].by_municipality.get(code, 0)
    projection = project(
        continuing=resident - arrivals(fy),
        arrivals=arrivals(fy),
        totals=now,
        last_year=before,
        target=target,
    )
    by_programme = {
        str(r["programme__title"]): int(r["n"] or 0)
        for r in FunnelEntry._unscoped.filter(  # safe: counts of a town the caller checked
            municipality=municipality, fiscal_year=fy, programme__isnull=False
        )
        .values("programme__title")
        .annotate(n=Sum("count"))
    }
    return TownFunnel(
        municipality=municipality,
        fy=fy,
        rows=rows,
        grid=month_grid(municipality=municipality, fy=fy),
        projection=projection,
        by_programme=by_programme,
    )


# ------------------------------------------------------------------ writes


class FunnelConflict(Exception):
    """The grid changed since the form was shown (someone else saved)."""


@dataclass
class CellChanges:
    """The cells a write changed, as ``"stage/month"`` → count before and after."""

    old: dict[str, int] = field(default_factory=dict)
    new: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.new)


def _set_counts(
    *,
    actor: Actor,
    consortium: Consortium,
    municipality: Municipality,
    fy: int,
    values: dict[tuple[str, int], int],
) -> CellChanges:
    """Set town-wide counts; returns the changed cells. Zero rows are removed."""
    user: Any = actor.user if getattr(actor.user, "pk", None) else None
    existing = {
        (e.stage, e.month): e
        for e in FunnelEntry._unscoped.select_for_update().filter(  # safe: a checked town
            municipality=municipality, fiscal_year=fy, programme__isnull=True
        )
    }
    changes = CellChanges()
    for (stage, month), count in values.items():
        entry = existing.get((stage, month))
        before = entry.count if entry is not None else 0
        if before == count:
            continue
        if entry is None:
            FunnelEntry._unscoped.create(  # safe: a town the caller checked
                consortium=consortium,
                municipality=municipality,
                fiscal_year=fy,
                stage=stage,
                month=month,
                count=count,
                updated_by=user,
            )
        elif count:
            entry.count = count
            entry.updated_by = user
            entry.save(update_fields=["count", "updated_by", "updated_at"])
        else:
            entry.delete()
        changes.old[f"{stage}/{month}"] = before
        changes.new[f"{stage}/{month}"] = count
    return changes


@transaction.atomic
def funnel_grid_save(
    *,
    actor: Actor,
    consortium: Consortium,
    municipality: Municipality,
    fy: int,
    values: dict[tuple[str, int], int],
    fingerprint: str,
) -> int:
    """Save a bulk edit of the month × stage grid; returns the number of changed cells.

    Raises FunnelConflict when ``fingerprint`` (from the form) no longer
    matches the stored grid: a second editor never overwrites the first
    unknowingly. Resubmitting the same values changes nothing.
    """
    # Lock the town's rows first, then compare: the check and the write are one step.
    list(
        FunnelEntry._unscoped.select_for_update().filter(  # safe: a town the caller checked
            municipality=municipality, fiscal_year=fy, programme__isnull=True
        )
    )
    current = month_grid(municipality=municipality, fy=fy)
    if fingerprint != grid_fingerprint(current):
        proposed = {s: dict(current[s]) for s in current}
        for (stage, month), count in values.items():
            proposed[stage][month] = count
        if grid_fingerprint(proposed) == grid_fingerprint(current):
            return 0  # a double submit of what is already stored
        raise FunnelConflict
    changes = _set_counts(
        actor=actor, consortium=consortium, municipality=municipality, fy=fy, values=values
    )
    if changes:
        audit_record(
            actor=actor,
            event=events.FUNNEL_GRID_SAVE,
            object_type="funnel.funnelentry",
            object_id=f"{municipality.code}/{fy}",
            consortium_id=consortium.pk,
            summary=f"residence funnel FY{fy} {municipality.code}: {len(changes)} cells",
            old=changes.old,
            new=changes.new,
        )
    return len(changes)


STAGE_ALIASES: dict[str, str] = {
    **{s.value: s.value for s in ENTERED_STAGES},
    "問い合わせ": "inquiry",
    "問合せ": "inquiry",
    "合同説明会": "session",
    "説明会": "session",
    "オープンスクール": "visit",
    "見学": "visit",
    "出願": "application",
    "志願": "application",
    "合格": "admission",
    "入学許可": "admission",
}
MONTH_COLUMNS = ("month", "月")
STAGE_COLUMNS = ("stage", "段階")
COUNT_COLUMNS = ("count", "件数", "人数")
CSV_HEADERS = ["month", "stage", "count"]


@dataclass
class FunnelImportResult:
    problems: list[Problem]
    changed: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _column(headers: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {h.strip().lower(): h for h in headers}
    return next((lowered[n] for n in names if n in lowered), None)


def parse_funnel_table(
    data: bytes, filename: str
) -> tuple[dict[tuple[str, int], int], list[Problem]]:
    """The file's (stage, month) → count, and every problem found (all rows checked)."""
    try:
        table = read_table(data, filename, max_rows=1000, collect_row_problems=True)
    except TableError as exc:
        return {}, exc.problems
    problems = list(table.problems)
    cols = {
        "month": _column(table.headers, MONTH_COLUMNS),
        "stage": _column(table.headers, STAGE_COLUMNS),
        "count": _column(table.headers, COUNT_COLUMNS),
    }
    missing = [name for name, col in cols.items() if col is None]
    if missing:
        return {}, [
            Problem(
                "missing_column",
                gettext_noop("The column %(column)s is missing (expected: month, stage, count)."),
                {"column": name},
                row=table.header_row,
                field=name,
            )
            for name in missing
        ]
    values: dict[tuple[str, int], int] = {}
    seen: dict[tuple[str, int], int] = {}
    for row_number, cells in table.rows:
        month_text = cells.get(cols["month"] or "", "").removesuffix("月").strip()
        stage_text = cells.get(cols["stage"] or "", "").strip()
        count_text = cells.get(cols["count"] or "", "").replace(",", "").strip()
        ok = True
        month = int(month_text) if month_text.isdigit() else 0
        if not 1 <= month <= 12:
            problems.append(
                Problem(
                    "bad_month",
                    gettext_noop("“%(value)s” is not a month (1–12)."),
                    {"value": month_text},
                    row=row_number,
                    column=cols["month"],
                    field="month",
                )
            )
            ok = False
        stage = STAGE_ALIASES.get(stage_text.lower()) or STAGE_ALIASES.get(stage_text)
        if stage is None:
            problems.append(
                Problem(
                    "bad_stage",
                    gettext_noop(
                        "“%(value)s” is not a stage that is entered (inquiry, session, visit, "
                        "application, admission; arrivals come from residence records)."
                    ),
                    {"value": stage_text},
                    row=row_number,
                    column=cols["stage"],
                    field="stage",
                )
            )
            ok = False
        if not count_text.isdigit():
            problems.append(
                Problem(
                    "bad_count",
                    gettext_noop("“%(value)s” is not a count (a whole number, 0 or more)."),
                    {"value": count_text},
                    row=row_number,
                    column=cols["count"],
                    field="count",
                )
            )
            ok = False
        if not ok or stage is None:
            continue
        key = (stage, month)
        if key in seen:
            problems.append(
                Problem(
                    "duplicate",
                    gettext_noop("This month and stage are already given in row %(first)s."),
                    {"first": seen[key]},
                    row=row_number,
                    column=cols["stage"],
                    field="stage",
                )
            )
            continue
        seen[key] = row_number
        values[key] = int(count_text)
    if not table.rows and not problems:
        problems.append(Problem("empty", gettext_noop("The file has no rows.")))
    return values, problems


@transaction.atomic
def funnel_import(
    *,
    actor: Actor,
    consortium: Consortium,
    municipality: Municipality,
    fy: int,
    data: bytes,
    filename: str,
) -> FunnelImportResult:
    """All-or-nothing import of month, stage, count rows: any bad row, nothing is written.

    The file sets the cells it names (others stay as they are), so importing
    the same file again changes nothing.
    """
    values, problems = parse_funnel_table(data, filename)
    if problems:
        return FunnelImportResult(problems=problems)
    changes = _set_counts(
        actor=actor, consortium=consortium, municipality=municipality, fy=fy, values=values
    )
    audit_record(
        actor=actor,
        event=events.FUNNEL_IMPORT,
        object_type="funnel.funnelentry",
        object_id=f"{municipality.code}/{fy}",
        consortium_id=consortium.pk,
        summary=f"residence funnel FY{fy} {municipality.code} import {filename[:80]}: "
        f"{len(values)} rows, {len(changes)} changed",
        detail={"filename": filename[:200], "rows": len(values)},
        old=changes.old,
        new=changes.new,
    )
    return FunnelImportResult(problems=[], changed=len(changes), rows=len(values))


def funnel_csv(*, municipality: Municipality, fy: int) -> bytes:
    """The town-wide grid as the import format (UTF-8 with BOM)."""
    grid = month_grid(municipality=municipality, fy=fy)
    rows = [[m, s.value, grid[s.value][m]] for s in ENTERED_STAGES for m in SEASON_MONTHS]
    return write_csv_for_excel(CSV_HEADERS, rows)


# ------------------------------------------------------------------ consortium overview


@dataclass
class OverviewRow:
    member: Member
    cells: dict[str, Published]
    raw_family: dict[str, int]

    def value(self, stage: str) -> Published:
        return self.cells[stage]


def funnel_overview_viewed(*, actor: Actor, consortium: Consortium, fy: int) -> None:
    """Record that the consortium overview (disclosure-controlled) was shown."""
    audit_record(
        actor=actor,
        event=events.FUNNEL_OVERVIEW_VIEW,
        object_type="funnel.funnel",
        object_id=fy,
        consortium_id=consortium.pk,
        summary=f"residence funnel overview FY{fy} (disclosure-controlled)",
    )


def funnel_overview(*, consortium: Consortium, fy: int) -> list[OverviewRow]:
    """Every member town's funnel for ``fy``, ready to leave the town.

    Family stages (inquiries, sessions, visits) are aggregates of contacts,
    not counts of identifiable students, and are shown as entered. Student
    stages (applications, admissions, arrivals) are counts of students and
    pass primary suppression at the consortium's k. No consortium total row
    is published: towns' applications overlap (one student applies to
    several towns), and a total beside suppressed cells would reveal them.
    """
    members = [
        m
        for m in Member.objects.filter(consortium=consortium, municipality__isnull=False)
        .select_related("municipality__prefecture")
        .order_by("municipality__code")
        if m.active_in(fy)
    ]
    towns = [m.municipality for m in members if m.municipality is not None]
    counts = residence_counts(consortium=consortium, municipalities=towns, fys=[fy])[fy]
    arrivals = counts.new_arrivals_by_municipality or {}
    entered: dict[int, dict[str, int]] = {}
    for r in (
        FunnelEntry._unscoped.filter(  # safe: counts leave the towns only after suppression
            consortium=consortium, fiscal_year=fy
        )
        .values("municipality_id", "stage")
        .annotate(n=Sum("count"))
    ):
        entered.setdefault(r["municipality_id"], {})[r["stage"]] = int(r["n"] or 0)
    k = consortium.disclosure_k
    rows = []
    for m in members:
        muni = m.municipality
        assert muni is not None
        figures = {
            **dict.fromkeys((s.value for s in ENTERED_STAGES), 0),
            **entered.get(muni.pk, {}),
        }
        figures["arrival"] = arrivals.get(muni.code, 0)
        student_cells = {
            s.value: Cell(float(figures[s.value]), figures[s.value])
            for s in STAGES
            if s not in FAMILY_STAGES
        }
        cells: dict[str, Published] = dict(publish(Publication(student_cells), k=k).figures)
        for s in FAMILY_STAGES:
            cells[s.value] = Published(float(figures[s.value]), False, "ok", figures[s.value], k=k)
        rows.append(
            OverviewRow(
                member=m,
                cells=cells,
                raw_family={s.value: figures[s.value] for s in FAMILY_STAGES},
            )
        )
    return rows
