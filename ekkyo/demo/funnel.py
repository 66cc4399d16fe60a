"""Synthetic residence funnels for the demo consortium (sample data).

For every member town that hosts residence students, the funnels of the last
two intakes, the current one and the next (still being recruited) are written so
that they agree with the seeded Residence records: arrivals are derived from
them by the KPI ① rule, and admissions, applications, visits, information
sessions and inquiries widen plausibly above them, spread over the months of
the recruitment season (合同説明会 in summer, オープンスクール in autumn,
出願 in January–February, 合格 in February–March).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from ekkyo.funnel.models import FunnelEntry, FunnelStage
from ekkyo.funnel.services import residence_counts
from ekkyo.registry.models import Consortium, Member

#: Months of the season in which each stage happens, with weights.
MONTHS: dict[FunnelStage, dict[int, int]] = {
    FunnelStage.INQUIRY: {4: 1, 5: 2, 6: 3, 7: 4, 8: 4, 9: 3, 10: 2, 11: 2, 12: 1, 1: 1},
    FunnelStage.SESSION: {6: 2, 7: 4, 8: 3, 9: 1},
    FunnelStage.VISIT: {8: 2, 9: 3, 10: 3, 11: 2},
    FunnelStage.APPLICATION: {1: 3, 2: 2},
    FunnelStage.ADMISSION: {2: 2, 3: 1},
}
#: Season months already passed at the reference date (the season of intake
#: ``fy + 1`` runs April–March of ``fy``).
SEASON_ORDER = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)


def _spread(total: int, weights: dict[int, int], rng: random.Random) -> dict[int, int]:
    months = list(weights)
    counts = dict.fromkeys(months, 0)
    for month in rng.choices(months, weights=list(weights.values()), k=total):
        counts[month] += 1
    return counts


def seed_funnels(
    *,
    consortium: Consortium,
    rng: random.Random,
    fy: int,
    reference_date: date | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> int:
    """Write the demo funnels; returns the number of entries."""
    members = [
        m
        for m in Member.objects.filter(
            consortium=consortium, municipality__isnull=False
        ).select_related("municipality")
        if m.active_in(fy) or m.active_in(fy - 2)
    ]
    towns = [m.municipality for m in members if m.municipality is not None]
    years = [fy - 2, fy - 1, fy]
    counts = residence_counts(consortium=consortium, municipalities=towns, fys=years)
    today = reference_date or date(fy, 10, 1)
    passed = SEASON_ORDER.index(today.month) + 1 if today.year >= fy else 0
    entries: list[FunnelEntry] = []
    for town in towns:
        previous = 0
        for year in [*years, fy + 1]:
            if year in counts:
                arrivals = (counts[year].new_arrivals_by_municipality or {}).get(town.code, 0)
            else:  # the intake being recruited now: like this year's, give or take
                arrivals = max(0, round(previous * rng.uniform(0.8, 1.3)))
            previous = arrivals
            if arrivals == 0 and rng.random() < 0.6:
                continue  # a town without a residence programme this year
            stages = {
                FunnelStage.ADMISSION: arrivals + rng.randint(0, 2),
            }
            stages[FunnelStage.APPLICATION] = round(
                stages[FunnelStage.ADMISSION] * rng.uniform(1.2, 1.8)
            ) + rng.randint(0, 2)
            stages[FunnelStage.VISIT] = round(
                stages[FunnelStage.APPLICATION] * rng.uniform(1.8, 3.0)
            ) + rng.randint(1, 4)
            stages[FunnelStage.SESSION] = round(
                stages[FunnelStage.VISIT] * rng.uniform(1.5, 2.5)
            ) + rng.randint(2, 8)
            stages[FunnelStage.INQUIRY] = round(
                stages[FunnelStage.SESSION] * rng.uniform(1.4, 2.2)
            ) + rng.randint(3, 12)
            for stage, total in stages.items():
                for month, n in _spread(total, MONTHS[stage], rng).items():
                    in_progress = year == fy + 1 and SEASON_ORDER.index(month) >= passed
                    if n and not in_progress:
                        entries.append(
                            FunnelEntry(
                                consortium=consortium,
                                municipality=town,
                                fiscal_year=year,
                                stage=stage,
                                month=month,
                                count=n,
                            )
                        )
    FunnelEntry._unscoped.bulk_create(entries, batch_size=2000)
    progress(f"residence funnel entries: {len(entries)}")
    return len(entries)
