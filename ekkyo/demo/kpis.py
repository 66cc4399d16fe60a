"""Demo KPI data: the aggregate rows, targets per FY, partners' contributions, a submitted report.

Runs last in ``seed-demo``: the participation records are written with
``bulk_create`` (no signals), so the dashboards' aggregates are rebuilt here
in one pass, and the targets are set from the counts (a little above, as a
town would plan).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ekkyo.kpis.aggregates import aggregates_rebuild
from ekkyo.kpis.dashboards import KPI_OF
from ekkyo.kpis.models import (
    AnnualReport,
    KeyCount,
    KpiBaseline,
    KpiTarget,
    ReportStatus,
)
from ekkyo.partners.models import Contribution, ContributionKind, Partner
from ekkyo.registry.models import Consortium, Member

_ROLE = KPI_OF  # KPI code -> (core kpi, role on a member row)


def seed_kpis(
    *, consortium: Consortium, rng: random.Random, fy: int, progress: Callable[[str], None]
) -> None:
    keys = aggregates_rebuild(consortium)
    progress(f"dashboard aggregates: {keys} keys")
    counts = {
        (r.fy, r.muni, r.a, r.b): r.n
        for r in KeyCount.objects.filter(consortium=consortium, dim="kpi")
    }
    members = [
        m.municipality.code
        for m in Member.objects.filter(
            consortium=consortium, municipality__isnull=False
        ).select_related("municipality")
        if m.municipality
    ]
    by_code = {
        m.municipality.code: m.municipality
        for m in Member.objects.filter(consortium=consortium).select_related("municipality")
        if m.municipality
    }
    targets = []
    for year in range(fy - 4, fy + 3):
        base = min(year, fy)
        for code, (kpi, role) in _ROLE.items():
            whole = counts.get((base, "", kpi, "consortium"), 0)
            targets.append(
                KpiTarget(
                    consortium=consortium,
                    kpi=code,
                    fiscal_year=year,
                    target=max(1, round(whole * rng.uniform(0.9, 1.25))),
                )
            )
            for muni in members:
                n = counts.get((base, muni, kpi, role), 0)
                targets.append(
                    KpiTarget(
                        consortium=consortium,
                        municipality=by_code[muni],
                        kpi=code,
                        fiscal_year=year,
                        target=max(1, round(n * rng.uniform(0.85, 1.3))),
                    )
                )
    KpiTarget.objects.bulk_create(targets, batch_size=2000)
    # Baselines: the year before the demo's history, a little below its first year.
    first = fy - 4
    KpiBaseline.objects.bulk_create(
        [
            KpiBaseline(
                consortium=consortium,
                municipality=None if muni is None else by_code[muni],
                kpi=code,
                fiscal_year=first - 1,
                value=round(
                    counts.get((first, muni or "", kpi, role if muni else "consortium"), 0) * 0.8
                ),
            )
            for code, (kpi, role) in _ROLE.items()
            for muni in [None, *members]
        ]
    )
    partners = list(Partner.objects.filter(consortium=consortium).order_by("pk"))
    contributions = []
    programmes = list(consortium.programmes.order_by("pk").values_list("pk", flat=True)[:40])
    for year in range(fy - 4, fy + 1):
        for p in partners:
            kinds = {
                "company": [ContributionKind.MONEY, ContributionKind.MENTOR_HOURS],
                "university": [ContributionKind.MENTOR_HOURS, ContributionKind.VENUE],
                "npo": [ContributionKind.MENTOR_HOURS, ContributionKind.IN_KIND],
                "donor": [ContributionKind.FURUSATO],
            }.get(p.kind, [ContributionKind.IN_KIND])
            for kind in kinds:
                hours = kind == ContributionKind.MENTOR_HOURS
                contributions.append(
                    Contribution(
                        partner=p,
                        fiscal_year=year,
                        kind=kind,
                        programme_id=rng.choice(programmes) if programmes and hours else None,
                        municipality=by_code[rng.choice(members)] if members else None,
                        amount_yen=None if hours else rng.randrange(10, 300) * 10_000,
                        hours=rng.randrange(10, 200) if hours else None,
                        description="サンプル",
                    )
                )
    Contribution.objects.bulk_create(contributions)
    # Last FY's consortium report was submitted (so the public page has figures).
    last = fy - 1
    figures = {
        code: {
            "actual": counts.get((last, "", kpi, "consortium"), 0),
            "target": next(
                (
                    t.target
                    for t in targets
                    if t.municipality is None and t.fiscal_year == last and t.kpi == code
                ),
                None,
            ),
        }
        for code, (kpi, _role) in _ROLE.items()
    }
    from django.utils import timezone

    AnnualReport.objects.create(
        consortium=consortium,
        fiscal_year=last,
        version=1,
        status=ReportStatus.SUBMITTED,
        causes="（サンプル）オンライン交流の定着により参加者が増加した。",
        improvements="（サンプル）滞在型プログラムの受入家庭を増やす。",
        figures=figures,
        submitted_at=timezone.now(),
    )
    progress(f"KPI targets: {len(targets)}, contributions: {len(contributions)}")
