"""KPI figures from the participation records, and the report workflow.

``kpi_figures`` feeds ``ekkyo.core.kpi`` with the consortium's residences,
stays, online attendance and dated memberships (one pass for all fiscal
years asked). ``report_save`` edits the draft — editing a submitted report
starts a new version from it; ``report_submit`` freezes the draft with the
figures of that moment.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core import kpi
from ekkyo.programmes.models import Attendance, ProgrammeKind, Residence, Stay
from ekkyo.registry.models import Consortium, Member, Municipality
from ekkyo.tenancy.principal import system_scope

from .models import AnnualReport, KpiCode, KpiTarget, ReportStatus


def kpi_figures(*, consortium: Consortium, fys: list[int]) -> dict[int, kpi.FyKpis]:
    """Count KPI ①②③ for the fiscal years (distinct students, DESIGN.md rules)."""
    # Consortium-wide counting reads every member's records: a deliberate,
    # audited system scope (callers check who may see the result).
    with system_scope(reason="KPI counting for a consortium"):
        codes = dict(Municipality.objects.values_list("pk", "code"))
        memberships = [
            kpi.Membership(codes[m.municipality_id or 0], m.first_fy, m.last_fy)
            for m in Member.objects.filter(consortium=consortium, municipality__isnull=False)
        ]
        residences = [
            kpi.ResidenceRec(
                str(r.student_id),
                codes.get(r.home_municipality_id or 0),
                codes[r.host_municipality_id],
                r.start,
                r.end,
            )
            for r in Residence._unscoped.filter(student__consortium=consortium)
        ]
        stays = [
            kpi.StayRec(
                str(s["student_id"]),
                codes.get(s["student__home_municipality_id"] or 0),
                codes[s["programme__host_municipality_id"]],
                s["arrival"],
                s["departure"],
                s["cancelled"],
            )
            for s in Stay._unscoped.filter(
                programme__consortium=consortium, programme__host_municipality__isnull=False
            ).values(
                "student_id", "student__home_municipality_id", "programme__host_municipality_id",
                "arrival", "departure", "cancelled",
            )
        ]  # fmt: skip
        attendance = [
            kpi.AttendanceRec(
                str(a["student_id"]),
                codes.get(a["student__home_municipality_id"] or 0),
                timezone.localtime(a["session__starts_at"]).date(),
                a["session__kind"] == "online"
                and a["session__programme__kind"] == ProgrammeKind.ONLINE,
            )
            for a in Attendance._unscoped.filter(session__programme__consortium=consortium).values(
                "student_id", "student__home_municipality_id", "session__starts_at",
                "session__kind", "session__programme__kind",
            )
        ]  # fmt: skip
    return kpi.all_kpis(residences, stays, attendance, memberships, fys)


def targets(*, consortium: Consortium, fy: int) -> dict[tuple[str | None, str], int]:
    return {
        (t.municipality.code if t.municipality_id else None, t.kpi): t.target  # type: ignore[union-attr]
        for t in KpiTarget.objects.filter(consortium=consortium, fiscal_year=fy).select_related(
            "municipality"
        )
    }


def aggregated_figures(*, consortium: Consortium, fy: int) -> kpi.FyKpis:
    """KPI ①–③ of a FY from the aggregate rows (what the dashboards show).

    The same numbers as :func:`kpi_figures` (a test holds them equal on the
    demo consortium), read from a few hundred rows instead of every record.
    """
    from .aggregates import memberships
    from .models import KeyCount

    counts = {
        kpi.Contribution(r.a, r.fy, r.muni or None, r.b): r.n  # type: ignore[arg-type]
        for r in KeyCount.objects.filter(consortium=consortium, fy=fy, dim="kpi")
    }
    return kpi.kpis_from_counts(counts, memberships(consortium.pk), [fy])[fy]


def figures_table(*, consortium: Consortium, fy: int) -> dict[str, Any]:
    """Rows for the consortium and each member of the FY: actual, target, rate."""
    counted = aggregated_figures(consortium=consortium, fy=fy)
    goal = targets(consortium=consortium, fy=fy)
    members = [
        m
        for m in Member.objects.filter(consortium=consortium, municipality__isnull=False)
        .select_related("municipality__prefecture")
        .order_by("municipality__code")
        if m.active_in(fy)
    ]

    def cell(code: str | None, key: str, actual: int) -> dict[str, Any]:
        target = goal.get((code, key))
        return {"actual": actual, "target": target, "rate": kpi.achievement(actual, target)}

    def row(code: str | None) -> dict[str, dict[str, Any]]:
        if code is None:
            return {
                KpiCode.RESIDENCE: cell(None, KpiCode.RESIDENCE, counted.residence.consortium),
                KpiCode.OFFLINE_RECEIVED: cell(
                    None, KpiCode.OFFLINE_RECEIVED, counted.offline.consortium
                ),
                KpiCode.OFFLINE_SENT: cell(None, KpiCode.OFFLINE_SENT, counted.offline.consortium),
                KpiCode.ONLINE: cell(None, KpiCode.ONLINE, counted.online.consortium),
            }
        return {
            KpiCode.RESIDENCE: cell(
                code, KpiCode.RESIDENCE, counted.residence.by_municipality.get(code, 0)
            ),
            KpiCode.OFFLINE_RECEIVED: cell(
                code, KpiCode.OFFLINE_RECEIVED, counted.offline.received.get(code, 0)
            ),
            KpiCode.OFFLINE_SENT: cell(
                code, KpiCode.OFFLINE_SENT, counted.offline.sent.get(code, 0)
            ),
            KpiCode.ONLINE: cell(code, KpiCode.ONLINE, counted.online.by_municipality.get(code, 0)),
        }

    return {
        "fy": fy,
        "consortium": row(None),
        "new_arrivals": counted.residence.new_arrivals,
        "members": [
            {"member": m, "code": code, "cells": row(code)}
            for m in members
            if (code := m.municipality.code if m.municipality else None)
        ],
    }


def _snapshot(table: dict[str, Any], code: str | None) -> dict[str, Any]:
    if code is None:
        return {k: v for k, v in table["consortium"].items()}
    for m in table["members"]:
        if m["code"] == code:
            return dict(m["cells"])
    return {}


class ReportError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@transaction.atomic
def report_draft(
    *, consortium: Consortium, municipality: Municipality | None, fy: int
) -> AnnualReport:
    """The current draft; after a submission, a new version copied from it."""
    versions = AnnualReport.objects.select_for_update().filter(
        consortium=consortium, municipality=municipality, fiscal_year=fy
    )
    draft = versions.filter(status=ReportStatus.DRAFT).first()
    if draft is not None:
        return draft
    last = versions.order_by("-version").first()
    return AnnualReport.objects.create(
        consortium=consortium,
        municipality=municipality,
        fiscal_year=fy,
        version=(last.version + 1) if last else 1,
        causes=last.causes if last else "",
        improvements=last.improvements if last else "",
    )


@transaction.atomic
def report_submit(*, report: AnnualReport, user: Any, request: Any = None) -> AnnualReport:
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.DRAFT:
        raise ReportError(_("This version was submitted already; edit to make a new version."))
    if not report.causes.strip() or not report.improvements.strip():
        raise ReportError(_("Write the analysis of causes and the improvements before submitting."))
    table = figures_table(consortium=report.consortium, fy=report.fiscal_year)
    code = report.municipality.code if report.municipality_id else None  # type: ignore[union-attr]
    report.figures = _snapshot(table, code)
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = user if getattr(user, "pk", None) else None
    report.save()
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="kpis.annualreport",
        object_id=report.pk,
        consortium_id=report.consortium_id,
        summary=f"annual report FY{report.fiscal_year} v{report.version} submitted",
    )
    return report
