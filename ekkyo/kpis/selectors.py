"""Reads behind the KPI pages: whose figures an actor sees, and what the exports hold.

KPI figures are aggregates of students (``kpis.services.figures_table``);
what a reader may choose is which consortium (theirs), which member rows
(the secretariat every member, a town its own) and which report, school,
town or programme dashboard. Each function here answers "missing" and "not
yours" alike (404), recording the latter as a failed authorisation, and
every export is audited with its specific event (``kpis.events``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from ekkyo.audit.services import audit_record
from ekkyo.partners.models import Contribution, Partner
from ekkyo.programmes.models import Programme
from ekkyo.programmes.selectors import manageable_programmes
from ekkyo.registry.models import Consortium, Member, Municipality, School
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.access import refuse as _refuse
from ekkyo.tenancy.actor import Actor

from . import events
from .kpi4 import Kpi4Figure, kpi4_figures, kpi4_figures_by_town
from .models import AnnualReport, KpiBaseline, KpiCode, KpiTarget, ReportStatus
from .services import figures_table


def kpi_consortium(*, actor: Actor) -> Consortium:
    """The consortium whose figures the actor reads: the secretariat's own, or
    the consortium of the actor's first membership."""
    from ekkyo.accounts.selectors import working_consortium_id

    consortium = Consortium.objects.filter(pk=working_consortium_id(actor.principal) or 0).first()
    if consortium is None:
        raise NotFound
    return consortium


def kpi_table_visible(*, actor: Actor, fy: int) -> tuple[Consortium, dict[str, Any]]:
    """The FY's KPI table with the member rows the actor may read (a town: its own)."""
    consortium = kpi_consortium(actor=actor)
    return consortium, kpi_table_of(actor=actor, consortium=consortium, fy=fy)


def kpi_table_of(*, actor: Actor, consortium: Consortium, fy: int) -> dict[str, Any]:
    """``consortium``'s KPI table for the FY, with the member rows the actor may
    read: all for its secretariat (and system jobs), a town's own otherwise."""
    principal = actor.principal
    table = figures_table(consortium=consortium, fy=fy)
    if not principal.system and consortium.pk not in principal.admin_consortium_ids:
        own = set(
            Municipality.objects.filter(pk__in=principal.municipality_ids).values_list(
                "code", flat=True
            )
        )
        table["members"] = [m for m in table["members"] if m["code"] in own]
    return table


def kpi_target(
    *, consortium: Consortium, municipality: Municipality | None, kpi: str, fy: int
) -> int | None:
    """The target set for one KPI of a town (or the consortium, ``None``) in a FY."""
    row = KpiTarget.objects.filter(
        consortium=consortium, municipality=municipality, kpi=kpi, fiscal_year=fy
    ).first()
    return row.target if row else None


def member_cells(table: dict[str, Any], code: str | None) -> dict[str, Any] | None:
    """One row of a KPI table: the consortium's (``code`` None) or a member's."""
    if code is None:
        return table["consortium"]  # type: ignore[no-any-return]
    return next((m["cells"] for m in table["members"] if m["code"] == code), None)


def kpi_trend(*, consortium: Consortium, code: str | None, fy: int) -> dict[str, list[Any]]:
    """Actuals of the last five FYs per KPI (for the report's trend columns)."""
    years = list(range(fy - 4, fy + 1))
    out: dict[str, list[Any]] = {k: [] for k in KpiCode.values}
    for y in years:
        cells = member_cells(figures_table(consortium=consortium, fy=y), code) or {}
        for k in KpiCode.values:
            out[k].append(cells.get(k, {}).get("actual"))
    return out


def latest_reports(*, consortium: Consortium, fy: int) -> dict[int | None, AnnualReport]:
    """The latest version of every member's (and the consortium's) report of the FY."""
    reports: dict[int | None, AnnualReport] = {}
    for r in AnnualReport.objects.filter(consortium=consortium, fiscal_year=fy).order_by("version"):
        reports[r.municipality_id] = r  # the latest version wins
    return reports


def municipality_pks(codes: list[str]) -> dict[str, int]:
    return dict(Municipality.objects.filter(code__in=codes).values_list("code", "pk"))


# ------------------------------------------------------------------ reports


def report_subject(
    *, actor: Actor, municipality_code: str = ""
) -> tuple[Consortium, Municipality | None]:
    """Whose report the actor writes or reads: a town its own; the secretariat
    the consortium's (no code) or a member town's (by code)."""
    principal = actor.principal
    consortium = kpi_consortium(actor=actor)
    if not principal.admin_consortium_ids:
        municipality = Municipality.objects.filter(pk__in=principal.municipality_ids).first()
        if municipality is None:  # a town's staff without a town write no one's report
            raise NotFound
        return consortium, municipality
    if not municipality_code:
        return consortium, None
    municipality = Municipality.objects.filter(
        code=municipality_code, memberships__consortium=consortium
    ).first()
    if municipality is None:
        _refuse(
            actor,
            f"kpis.annualreport of municipality {municipality_code}",
            exists=Municipality.objects.filter(code=municipality_code).exists(),
            model="registry.municipality",
        )
    return consortium, municipality


def report_versions(
    *, consortium: Consortium, municipality: Municipality | None, fy: int
) -> QuerySet[AnnualReport]:
    return AnnualReport.objects.filter(
        consortium=consortium, municipality=municipality, fiscal_year=fy
    ).order_by("-version")


def annual_report_for(*, actor: Actor, report_id: int) -> AnnualReport:
    """A report version the actor may write: its consortium's (secretariat) or its town's."""
    principal = actor.principal
    consortium = kpi_consortium(actor=actor)
    mine = Q(consortium=consortium)
    if not principal.admin_consortium_ids:
        mine &= Q(municipality_id__in=principal.municipality_ids)
    report = AnnualReport.objects.filter(mine, pk=report_id).first()
    if report is None:
        _refuse(
            actor,
            f"kpis.annualreport {report_id}",
            exists=AnnualReport.objects.filter(pk=report_id).exists(),
            model="kpis.annualreport",
        )
    return report


@dataclass(frozen=True)
class Kpi4Line:
    """KPI ④ of one row of a file: the consortium (``code`` None) or a member."""

    code: str | None
    member: str
    figures: list[Kpi4Figure]


def kpi4_lines(*, consortium: Consortium, fy: int, table: dict[str, Any]) -> list[Kpi4Line]:
    """KPI ④ for the consortium and the member rows of ``table`` (those the
    reader sees), through the publishing gate (``kpis.kpi4.kpi4_released``)."""
    members = [(m["code"], str(m["member"])) for m in table["members"]]
    figures = kpi4_figures_by_town(consortium, fy, ["", *(code for code, _m in members)])
    rows = [(None, _("Consortium (distinct students)")), *members]
    return [
        Kpi4Line(code, name, figures[code or ""]) for code, name in rows if (code or "") in figures
    ]


@dataclass(frozen=True)
class KpiWorkbook:
    consortium: Consortium
    fy: int
    table: dict[str, Any]
    past: dict[int, dict[str, Any]]  # earlier FYs' tables
    reports: dict[int | None, AnnualReport]
    pk_of: dict[str, int]  # municipality code -> pk
    kpi4: list[Kpi4Line] = field(default_factory=list)


def export_scope(actor: Actor) -> str:
    """The reader's scope for the publishing gate's cache: its towns and whether
    it runs the consortium (the same scope sees the same released figures)."""
    principal = actor.principal
    return ",".join(sorted(str(m) for m in principal.municipality_ids)) + (
        ":admin" if principal.admin_consortium_ids else ""
    )


def export_table(*, actor: Actor, fy: int) -> tuple[Consortium, dict[str, Any]]:
    """:func:`kpi_table_visible` through the publishing gate, for files that leave ekkyo."""
    consortium = kpi_consortium(actor=actor)
    return consortium, released_kpi_table(actor=actor, consortium=consortium, fy=fy)


def released_kpi_table(*, actor: Actor, consortium: Consortium, fy: int) -> dict[str, Any]:
    """:func:`kpi_table_of` through the publishing gate: what leaves ekkyo for
    this reader (files, the API), one release per reader scope."""
    from .publication import gated_table

    table = kpi_table_of(actor=actor, consortium=consortium, fy=fy)
    return gated_table(consortium=consortium, table=table, scope=export_scope(actor))


def kpi_workbook_data(*, actor: Actor, fy: int) -> KpiWorkbook:
    """Everything the grant workbook shows (audited as an export)."""
    consortium, table = export_table(actor=actor, fy=fy)
    data = KpiWorkbook(
        consortium=consortium,
        fy=fy,
        table=table,
        past={y: export_table(actor=actor, fy=y)[1] for y in range(fy - 4, fy)},
        reports=latest_reports(consortium=consortium, fy=fy),
        pk_of=municipality_pks([m["code"] for m in table["members"]]),
        kpi4=kpi4_lines(consortium=consortium, fy=fy, table=table),
    )
    audit_record(
        actor=actor,
        event=events.KPI_WORKBOOK_EXPORT,
        object_type="kpis",
        object_id=fy,
        consortium_id=consortium.pk,
        summary=f"KPI workbook FY{fy}",
    )
    return data


def report_csv_data(*, actor: Actor, fy: int) -> KpiWorkbook:
    """The FY's visible rows with each member's latest report, for the CSV (audited)."""
    consortium, table = export_table(actor=actor, fy=fy)
    data = KpiWorkbook(
        consortium=consortium,
        fy=fy,
        table=table,
        past={},
        reports=latest_reports(consortium=consortium, fy=fy),
        pk_of=municipality_pks([row["code"] for row in table["members"]]),
        kpi4=kpi4_lines(consortium=consortium, fy=fy, table=table),
    )
    audit_record(
        actor=actor,
        event=events.REPORT_EXPORT,
        object_type="kpis",
        object_id=fy,
        consortium_id=consortium.pk,
        summary=f"KPI report CSV FY{fy}",
        detail={"format": "csv"},
    )
    return data


@dataclass(frozen=True)
class ReportPdf:
    consortium: Consortium
    municipality: Municipality | None
    fy: int
    cells: dict[str, Any]
    trend: dict[str, list[Any]]
    report: AnnualReport | None
    kpi4: list[Kpi4Figure] = field(default_factory=list)


def report_pdf_data(*, actor: Actor, fy: int, municipality_code: str = "") -> ReportPdf:
    """One annual report (a town's or the consortium's) for its PDF (audited)."""
    consortium, municipality = report_subject(actor=actor, municipality_code=municipality_code)
    _c, table = export_table(actor=actor, fy=fy)
    code = municipality.code if municipality else None
    cells = member_cells(table, code)
    if cells is None:
        raise NotFound
    trend = {
        kpi: [
            (member_cells(export_table(actor=actor, fy=y)[1], code) or {})
            .get(kpi, {})
            .get("actual")
            for y in range(fy - 4, fy + 1)
        ]
        for kpi in KpiCode.values
    }
    report = report_versions(consortium=consortium, municipality=municipality, fy=fy).first()
    data = ReportPdf(
        consortium=consortium,
        municipality=municipality,
        fy=fy,
        cells=cells,
        trend=trend,
        report=report,
        kpi4=kpi4_figures(consortium, fy, muni=code or ""),
    )
    audit_record(
        actor=actor,
        event=events.REPORT_EXPORT,
        object_type="kpis.annualreport",
        object_id=report.pk if report else fy,
        consortium_id=consortium.pk,
        summary=f"annual report PDF FY{fy} {code or 'consortium'}",
        detail={"format": "pdf"},
    )
    return data


# ------------------------------------------------------------------ targets and contributions


@dataclass(frozen=True)
class KpiMasterRow:
    key: str  # "c" for the consortium, else the member's municipality code
    label: str
    municipality: Municipality | None
    editable: bool


@dataclass(frozen=True)
class KpiMaster:
    consortium: Consortium
    rows: list[KpiMasterRow]
    goal: dict[tuple[int | None, str], int]  # (municipality pk, kpi) -> target
    base: dict[tuple[int | None, str], KpiBaseline]

    @property
    def editable(self) -> dict[str, Municipality | None]:
        return {r.key: r.municipality for r in self.rows if r.editable}


def kpi_master(*, actor: Actor, fy: int) -> KpiMaster:
    """The rows of the KPI master the actor sees and may edit: the secretariat the
    consortium's row and every member's; a town its own row."""
    principal = actor.principal
    consortium = kpi_consortium(actor=actor)
    members = [
        m
        for m in Member.objects.filter(consortium=consortium, municipality__isnull=False)
        .select_related("municipality")
        .order_by("municipality__code")
        if m.active_in(fy)
    ]
    admin = bool(principal.admin_consortium_ids)
    editable = {
        m.municipality.code
        for m in members
        if m.municipality and (admin or m.municipality_id in principal.municipality_ids)
    }
    rows = [KpiMasterRow("c", _("Consortium (distinct students)"), None, admin)] + [
        KpiMasterRow(
            m.municipality.code,
            str(m.municipality),
            m.municipality,
            m.municipality.code in editable,
        )
        for m in members
        if m.municipality and (admin or m.municipality.code in editable)
    ]
    goal = {
        (t.municipality_id, t.kpi): t.target
        for t in KpiTarget.objects.filter(consortium=consortium, fiscal_year=fy)
    }
    base = {
        (b.municipality_id, b.kpi): b for b in KpiBaseline.objects.filter(consortium=consortium)
    }
    return KpiMaster(consortium=consortium, rows=rows, goal=goal, base=base)


@dataclass(frozen=True)
class ContributionChoices:
    consortium: Consortium
    partners: QuerySet[Partner]
    towns: QuerySet[Municipality]
    programmes: QuerySet[Programme]
    admin: bool


def contribution_choices(*, actor: Actor) -> ContributionChoices:
    """What the actor may record a contribution for: the consortium's partners,
    its member towns (a town: itself) and the programmes it manages."""
    principal = actor.principal
    consortium = kpi_consortium(actor=actor)
    admin = bool(principal.admin_consortium_ids)
    if admin:
        towns = Municipality.objects.filter(memberships__consortium=consortium)
    else:
        towns = Municipality.objects.filter(pk__in=principal.municipality_ids)
    return ContributionChoices(
        consortium=consortium,
        partners=Partner.objects.filter(consortium=consortium),
        towns=towns,
        # Only programmes this person manages: another town's drafts stay unseen.
        programmes=manageable_programmes(principal).filter(consortium=consortium),
        admin=admin,
    )


def contributions_list(*, choices: ContributionChoices, fy: int) -> QuerySet[Contribution]:
    """The FY's contributions of the consortium's partners, without other towns' drafts."""
    return (
        Contribution.objects.filter(partner__consortium=choices.consortium, fiscal_year=fy)
        .filter(
            Q(programme__isnull=True)
            | Q(programme__status="published")
            | Q(programme__in=choices.programmes)
        )
        .select_related("partner", "programme", "municipality")
        .order_by("partner__name", "kind")
    )


# ------------------------------------------------------------------ dashboards


def dashboard_member_links(
    *, actor: Actor, consortium: Consortium, fy: int
) -> list[tuple[Municipality, str]]:
    """Member towns whose dashboard the actor may open (a town: its own)."""
    principal = actor.principal
    members = Member.objects.filter(consortium=consortium, municipality__isnull=False)
    if not principal.admin_consortium_ids:
        members = members.filter(municipality_id__in=principal.municipality_ids)
    return [
        (m.municipality, m.municipality.code)
        for m in members.select_related("municipality").order_by("municipality__code")
        if m.municipality and m.active_in(fy)
    ]


def dashboard_town(*, actor: Actor, consortium: Consortium, municipality_code: str) -> Municipality:
    """A member town whose dashboard the actor may see: the secretariat any, a town its own."""
    principal = actor.principal
    municipality = Municipality.objects.filter(
        code=municipality_code, memberships__consortium=consortium
    ).first()
    if municipality is None or (
        not principal.admin_consortium_ids and municipality.pk not in principal.municipality_ids
    ):
        _refuse(
            actor,
            f"dashboard of municipality {municipality_code}",
            exists=municipality is not None,
            model="registry.municipality",
        )
    return municipality


def town_schools(*, municipality: Municipality) -> QuerySet[School]:
    return School.objects.filter(municipality=municipality).order_by("code")


def dashboard_school_for(
    *, actor: Actor, consortium: Consortium, school_code: str
) -> tuple[School, bool]:
    """A school of the consortium whose dashboard the actor may see (the
    secretariat, the school's town, the school itself), and whether the actor
    is the school's own staff (who see its figures unsuppressed)."""
    principal = actor.principal
    school = School.objects.filter(
        code=school_code, municipality__memberships__consortium=consortium
    ).first()
    if school is None:
        raise NotFound
    own_school = school.pk in principal.school_ids
    allowed = (
        bool(principal.admin_consortium_ids)
        or own_school
        or school.municipality_id in principal.municipality_ids
    )
    if not allowed:
        _refuse(actor, f"dashboard of school {school_code}", exists=True, model="registry.school")
    return school, own_school


def dashboard_programme_for(*, actor: Actor, programme_id: int) -> Programme:
    """A programme the actor may manage (the same rule as the programme pages)."""
    programme = (
        manageable_programmes(actor.principal)
        .select_related("host_municipality", "consortium")
        .filter(pk=programme_id)
        .first()
    )
    if programme is None:
        _refuse(
            actor,
            f"dashboard of programme {programme_id}",
            exists=Programme.objects.filter(pk=programme_id).exists(),
            model="programmes.programme",
        )
    return programme


def session_attendance(*, programme: Programme) -> list[dict[str, Any]]:
    """Distinct students present per session of a programme, in time order.

    Counts only; callers reach the programme through ``dashboard_programme_for``."""
    from ekkyo.participation.models import Attendance

    rows = (
        Attendance._unscoped.filter(  # safe: counts only, of a programme checked by the caller
            session__programme=programme
        )
        .values("session__starts_at")
        .annotate(n=Count("student", distinct=True))
        .order_by("session__starts_at")
    )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class PublishedReport:
    consortium: Consortium
    report: AnnualReport | None


def published_reports(*, fy: int) -> list[PublishedReport]:
    """Each consortium's latest submitted consortium-wide report of the FY (public)."""
    out = []
    for consortium in Consortium.objects.order_by("pk"):
        report = (
            AnnualReport.objects.filter(
                consortium=consortium,
                municipality__isnull=True,
                fiscal_year=fy,
                status=ReportStatus.SUBMITTED,
            )
            .order_by("-version")
            .first()
        )
        out.append(PublishedReport(consortium, report))
    return out
