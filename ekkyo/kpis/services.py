"""KPI figures from the participation records, and the doors that write KPI data.

``kpi_figures`` feeds ``ekkyo.core.kpi`` with the consortium's residences,
stays, online attendance and dated memberships (one pass for all fiscal
years asked).

The doors take an explicit :class:`Actor`, check what it may write through
``kpis.selectors`` (its consortium; the secretariat every member row, a town
its own) and audit with a specific code (``kpis.events``) and the old and new
values:

- ``kpi_master_set`` — the FY's targets and the baselines (``kpi.target.set``,
  ``kpi.baseline.set``);
- ``contribution_create`` — a partner's contribution (``contribution.create``);
- ``report_save`` edits the draft — editing a submitted report starts a new
  version from it (``report.save``); ``report_submit`` freezes the draft with
  the figures of that moment (``report.submit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.services import audit_record, snapshot
from ekkyo.core import kpi
from ekkyo.participation.models import Attendance, Residence, Stay
from ekkyo.partners.models import Contribution, Partner
from ekkyo.programmes.models import STAY_KINDS, Programme, ProgrammeKind
from ekkyo.registry.models import Consortium, Member, Municipality
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import system_scope

from . import events
from .aggregates import bump_version
from .models import AnnualReport, KpiBaseline, KpiCode, KpiTarget, ReportStatus


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
            # safe: system scope on purpose; only counts leave, and callers check who reads them
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
            for s in Stay._unscoped.filter(  # safe: counted for the consortium, as above
                programme__consortium=consortium,
                programme__host_municipality__isnull=False,
                # DESIGN.md: KPI② counts "a Stay (short or mid-term)".
                programme__kind__in=STAY_KINDS,
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
                # "a Session of an online programme": in-person meetings too.
                a["session__programme__kind"] == ProgrammeKind.ONLINE,
            )
            # safe: counted for the consortium, as above
            for a in Attendance._unscoped.filter(session__programme__consortium=consortium).values(
                "student_id", "student__home_municipality_id", "session__starts_at",
                "session__programme__kind",
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


# ------------------------------------------------------------------ targets and baselines


def _master_key(key: str, code: str) -> str:
    return f"{key}/{code}"


@transaction.atomic
def kpi_master_set(
    *,
    actor: Actor,
    fy: int,
    targets: Mapping[tuple[str, str], int | None],
    baselines: Mapping[tuple[str, str], int | None],
    baseline_fy: int,
) -> int:
    """Set the FY's targets and the baselines of the rows the actor may edit.

    Keys are ``(row, kpi)`` with row ``"c"`` for the consortium or a member's
    municipality code; ``None`` removes the value. Only rows of
    ``kpis.selectors.kpi_master`` marked editable are accepted (the
    secretariat: the consortium and every member; a town: its own row);
    anything else is refused whole. Unchanged values are not written. Returns
    the number of values changed.
    """
    from .selectors import _refuse, kpi_master

    master = kpi_master(actor=actor, fy=fy)
    editable = master.editable
    foreign = sorted({key for key, _code in [*targets, *baselines] if key not in editable})
    if foreign:
        _refuse(
            actor, f"kpi targets of rows {', '.join(foreign)}", exists=True, model="kpis.kpitarget"
        )
    unknown = sorted({code for _key, code in [*targets, *baselines]} - set(KpiCode.values))
    if unknown:
        raise ValueError(f"unknown KPI codes: {unknown}")
    consortium = master.consortium
    old_t: dict[str, Any] = {}
    new_t: dict[str, Any] = {}
    for (key, code), value in targets.items():
        muni = editable[key]
        pk = muni.pk if muni else None
        current = master.goal.get((pk, code))
        if value == current:
            continue
        old_t[_master_key(key, code)], new_t[_master_key(key, code)] = current, value
        lookup: dict[str, Any] = {
            "consortium": consortium, "municipality": muni, "kpi": code, "fiscal_year": fy,
        }  # fmt: skip
        if value is None:
            KpiTarget.objects.filter(**lookup).delete()
        else:
            KpiTarget.objects.update_or_create(**lookup, defaults={"target": value})
    old_b: dict[str, Any] = {}
    new_b: dict[str, Any] = {}
    for (key, code), value in baselines.items():
        muni = editable[key]
        pk = muni.pk if muni else None
        stored = master.base.get((pk, code))
        before = {"value": stored.value, "fiscal_year": stored.fiscal_year} if stored else None
        after = {"value": value, "fiscal_year": baseline_fy} if value is not None else None
        if before == after:
            continue
        old_b[_master_key(key, code)], new_b[_master_key(key, code)] = before, after
        lookup = {"consortium": consortium, "municipality": muni, "kpi": code}
        if value is None:
            KpiBaseline.objects.filter(**lookup).delete()
        else:
            KpiBaseline.objects.update_or_create(
                **lookup, defaults={"value": value, "fiscal_year": baseline_fy}
            )
    if new_t or new_b:
        bump_version(consortium.pk)  # the dashboards show targets: their cache moves on
    if new_t:
        audit_record(
            actor=actor,
            event=events.KPI_TARGET_SET,
            object_type="kpis.kpitarget",
            object_id=fy,
            consortium_id=consortium.pk,
            summary=f"KPI targets FY{fy}: {len(new_t)} changed",
            old=old_t,
            new=new_t,
        )
    if new_b:
        audit_record(
            actor=actor,
            event=events.KPI_BASELINE_SET,
            object_type="kpis.kpibaseline",
            object_id=fy,
            consortium_id=consortium.pk,
            summary=f"KPI baselines (FY{baseline_fy}): {len(new_b)} changed",
            old=old_b,
            new=new_b,
        )
    return len(new_t) + len(new_b)


# ------------------------------------------------------------------ contributions

CONTRIBUTION_FIELDS = (
    "partner", "fiscal_year", "kind", "programme", "municipality", "amount_yen", "hours",
    "description", "received_on",
)  # fmt: skip


@transaction.atomic
def contribution_create(
    *,
    actor: Actor,
    fy: int,
    partner: Partner,
    kind: str,
    programme: Programme | None = None,
    municipality: Municipality | None = None,
    amount_yen: int | None = None,
    hours: Decimal | None = None,
    description: str = "",
    received_on: date | None = None,
) -> Contribution:
    """Record what a partner of the actor's consortium gives in the FY (社会資源).

    The partner must be the consortium's, the town one the actor may record
    for (a town: itself, also when none is given) and the programme one the
    actor manages (``kpis.selectors.contribution_choices``)."""
    from .selectors import _refuse, contribution_choices

    choices = contribution_choices(actor=actor)
    refused = [
        what
        for what, ok in (
            (f"partners.partner {partner.pk}", partner.consortium_id == choices.consortium.pk),
            (
                f"programmes.programme {getattr(programme, 'pk', None)}",
                programme is None or choices.programmes.filter(pk=programme.pk).exists(),
            ),
            (
                f"registry.municipality {getattr(municipality, 'pk', None)}",
                municipality is None or choices.towns.filter(pk=municipality.pk).exists(),
            ),
        )
        if not ok
    ]
    if refused:
        _refuse(actor, "; ".join(refused), exists=True, model="partners.contribution")
    if not choices.admin and municipality is None:
        municipality = choices.towns.first()
    contribution = Contribution.objects.create(
        partner=partner,
        fiscal_year=fy,
        kind=kind,
        programme=programme,
        municipality=municipality,
        amount_yen=amount_yen,
        hours=hours,
        description=description,
        received_on=received_on,
    )
    bump_version(choices.consortium.pk)
    audit_record(
        actor=actor,
        event=events.CONTRIBUTION_CREATE,
        obj=contribution,
        consortium_id=choices.consortium.pk,
        summary=f"contribution FY{fy} {contribution.kind}",
        new=snapshot(contribution, CONTRIBUTION_FIELDS),
    )
    return contribution


# ------------------------------------------------------------------ annual reports

REPORT_TEXT = ("causes", "improvements")


def _report_draft(
    *, consortium: Consortium, municipality: Municipality | None, fy: int
) -> AnnualReport:
    """The current draft, locked; after a submission, a new version copied from it."""
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
def report_save(
    *, actor: Actor, fy: int, municipality_code: str = "", causes: str, improvements: str
) -> AnnualReport:
    """Save the text of the actor's report of the FY (a town's own; the
    secretariat's for the consortium, or a member town by code) in its draft.

    A submitted version never changes: saving after a submission makes the
    next version, copied from it, and saves the text there."""
    from .selectors import report_subject

    consortium, municipality = report_subject(actor=actor, municipality_code=municipality_code)
    draft = _report_draft(consortium=consortium, municipality=municipality, fy=fy)
    old = snapshot(draft, REPORT_TEXT)
    draft.causes, draft.improvements = causes, improvements
    draft.save()
    audit_record(
        actor=actor,
        event=events.REPORT_SAVE,
        obj=draft,
        consortium_id=consortium.pk,
        summary=f"annual report FY{fy} v{draft.version} saved",
        detail={"version": draft.version},
        old=old,
        new=snapshot(draft, REPORT_TEXT),
    )
    return draft


@transaction.atomic
def report_submit(*, actor: Actor, report_id: int) -> AnnualReport:
    """Freeze a draft the actor may write, with the figures of this moment.

    Raises :class:`ReportError` for a version already submitted or a report
    without its analysis of causes and improvements."""
    from .selectors import annual_report_for

    checked = annual_report_for(actor=actor, report_id=report_id)
    report = AnnualReport.objects.select_for_update().get(pk=checked.pk)
    if report.status != ReportStatus.DRAFT:
        raise ReportError(_("This version was submitted already; edit to make a new version."))
    if not report.causes.strip() or not report.improvements.strip():
        raise ReportError(_("Write the analysis of causes and the improvements before submitting."))
    old = snapshot(report, ("status", "submitted_at"))
    table = figures_table(consortium=report.consortium, fy=report.fiscal_year)
    code = report.municipality.code if report.municipality_id else None  # type: ignore[union-attr]
    report.figures = _snapshot(table, code)
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = actor.user if getattr(actor.user, "pk", None) else None  # type: ignore[assignment]
    report.save()
    audit_record(
        actor=actor,
        event=events.REPORT_SUBMIT,
        obj=report,
        consortium_id=report.consortium_id,
        summary=f"annual report FY{report.fiscal_year} v{report.version} submitted",
        detail={"version": report.version, "figures": report.figures},
        old=old,
        new=snapshot(report, ("status", "submitted_at")),
    )
    return report
