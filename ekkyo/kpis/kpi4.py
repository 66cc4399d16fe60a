"""KPI ④ rows of the dashboards, counted by ``ekkyo.core.kpi.kpi4_share`` alone.

DESIGN.md: "from the FY's annual wave: the share of respondents whose
construct score reaches a threshold". The core function holds the rule
(``score >= threshold``; one respondent once; town rows **by home**, for the
members of that FY — docs/kpi-readings.md); this module only reads the
wave's scores (``surveys.reports.wave_scores``, the one scoring path of the
school reports too), finds each linked respondent's home through the
student's pseudonym, and writes the result as aggregate rows:

``KeyCount(dim="kpi4", muni, school, a=construct, b="respondents"|"reaching",
c=threshold)`` — the consortium (``muni=""``, ``school=""``), each member
town by home (``muni=code``) and each school (``school=code``: the same core
function over the school's respondents). An anonymous response counts for
the consortium and its school, in no town's row; one unlinked by an erasure
keeps the home it was counted under (``Response.home_municipality_code``).

Scoring a wave reads all its responses, so this runs with the full rebuild
(daily), not on every submitted answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Count

from ekkyo.bulk import insert_rows
from ekkyo.core import disclosure, kpi
from ekkyo.core.disclosure import Cell, Published
from ekkyo.people.models import Student
from ekkyo.registry.models import Consortium, School

from .models import KeyCount


def _rows(
    consortium: Consortium, fy: int, result: kpi.Kpi4Shares, *, school: str = ""
) -> list[KeyCount]:
    rows = []
    for share in result.constructs.values():
        cells = [("", share.consortium)]
        if not school:
            cells += sorted(share.by_municipality.items())
        for muni, cell in cells:
            if not cell.respondents:
                continue  # no row for a town with no respondent (as for every key)
            for b, n in (("respondents", cell.respondents), ("reaching", cell.reaching)):
                rows.append(
                    KeyCount(
                        consortium=consortium, fy=fy, dim="kpi4", muni=muni, school=school,
                        a=share.construct, b=b, c=f"{share.threshold:g}", n=n,
                    )
                )  # fmt: skip
    return rows


def wave_columns(
    scores: object, homes: dict[str, str | None], constructs: Iterable[str]
) -> tuple[Any, Any, dict[str, Any], dict[int, Any]]:
    """A wave's scores frame as ``kpi.kpi4_share_columns`` takes it:
    (students, homes, construct -> scores, school id -> its row numbers)."""
    import numpy as np
    import pandas as pd

    assert isinstance(scores, pd.DataFrame)
    respondents = scores["_respondent"].tolist()
    kept = scores["_home"].tolist() if "_home" in scores else [None] * len(respondents)
    # An anonymous response is a respondent of its own.
    students = np.array(
        [str(r) if r else f"response-{i}" for i, r in enumerate(respondents)], dtype=object
    )
    # Linked: the student's home now; unlinked by erasure: the home kept with it.
    towns = np.array(
        [homes.get(str(r)) if r else (k or None) for r, k in zip(respondents, kept, strict=True)],
        dtype=object,
    )
    columns = {c: scores[c].to_numpy(dtype=float) for c in constructs if c in scores}
    school = scores["_school"].to_numpy()
    groups = pd.Series(np.arange(len(school))).groupby(school, sort=True, dropna=True)
    by_school = {int(cast(float, school_id)): at for school_id, at in groups.indices.items()}
    return students, towns, columns, by_school


def annual_wave(consortium: Consortium, fy: int) -> Any:
    """The FY's annual wave KPI ④ is counted from: the one with most responses."""
    from ekkyo.surveys.models import Wave

    waves = Wave.objects.filter(consortium=consortium, kind="annual", fiscal_year=fy)
    if len(ids := list(waves.values_list("pk", flat=True)[:2])) < 2:
        # One annual wave (the usual case): no need to count its responses.
        return waves.filter(pk__in=ids).select_related("instrument").first()
    return (
        waves.annotate(count=Count("responses"))
        .order_by("-count", "pk")
        .select_related("instrument")
        .first()
    )


def kpi4_construct_names(consortium: Consortium, fy: int) -> dict[str, str]:
    """Construct code -> its name in the active language, from the instrument
    of the FY's annual wave (cached with the aggregates' version)."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    from .aggregates import current_version

    lang = "en" if (get_language() or "ja").startswith("en") else "ja"
    key = f"kpi4-names:{consortium.pk}:{fy}:{lang}:v{current_version(consortium.pk)}"
    names: dict[str, str] | None = cache.get(key)
    if names is None:
        wave = annual_wave(consortium, fy)
        names = {}
        if wave is not None:
            for c in wave.instrument.parsed().constructs:
                names[c.code] = (c.name_en if lang == "en" else c.name_ja) or c.name_ja or c.code
        cache.set(key, names, 600)
    return names


def kpi4_rebuild(consortium: Consortium, fys: Iterable[int]) -> int:
    """KPI ④ rows of each FY's annual wave (the one with most responses). Returns rows written."""
    from ekkyo.core.instrument import kpi4_thresholds
    from ekkyo.surveys.reports import wave_scores

    from .aggregates import memberships

    members = memberships(consortium.pk)
    school_code = dict(School.objects.values_list("pk", "code"))
    homes: dict[str, str | None] | None = None
    rows: list[KeyCount] = []
    for fy in fys:
        wave = annual_wave(consortium, fy)
        if wave is None:
            continue
        inst = wave.instrument.parsed()
        thresholds = kpi4_thresholds(inst)
        wanted = {c.code for c in inst.constructs if c.code in thresholds}
        needs_class1 = any(i.data_class == "I" for i in inst.items if i.construct in wanted)
        # KPI ④ constructs hold no class I items in the default instruments:
        # score from the plain answers, without decrypting 90,000 health answers.
        scores = wave_scores(wave, include_class1=needs_class1)
        if scores.empty:
            continue
        if homes is None:  # pseudonym -> home town code, read once for every wave
            homes = {
                str(pseudonym): code
                # safe: the daily recount (system job); homes become town rows only
                for pseudonym, code in Student._unscoped.filter(consortium=consortium).values_list(
                    "pseudonym", "home_municipality__code"
                )
            }
        students, towns, columns, by_school = wave_columns(scores, homes, thresholds)
        result = kpi.kpi4_share_columns(
            students, towns, columns, thresholds, fy, memberships=members
        )
        rows += _rows(consortium, fy, result)
        for school_id, at in sorted(by_school.items()):
            code = school_code.get(school_id)
            if code:
                share = kpi.kpi4_share_columns(
                    students[at],
                    towns[at],
                    {c: v[at] for c, v in columns.items()},
                    thresholds,
                    fy,
                    by_home=False,
                )
                rows += _rows(consortium, fy, share, school=code)
    KeyCount.objects.filter(consortium=consortium, dim="kpi4").delete()
    insert_rows(
        KeyCount,
        [f.attname for f in KeyCount._meta.concrete_fields if not f.primary_key],
        [
            tuple(
                getattr(r, f.attname) for f in KeyCount._meta.concrete_fields if not f.primary_key
            )
            for r in rows
        ],
    )
    return len(rows)


# --- Publishing -------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi4Figure:
    """One construct's KPI ④ figure as it may be published to a reader."""

    construct: str
    threshold: float
    respondents: Published
    share: Published  # a fraction 0..1, or suppressed (with the reason)
    name: str = ""  # the construct's name in the reader's language

    @property
    def label(self) -> str:
        return self.name or self.construct


def kpi4_released(
    rows: Iterable[Any], k: int, controlled: bool = True, names: dict[str, str] | None = None
) -> list[Kpi4Figure]:
    """KPI ④ rows (``dim="kpi4"`` of one scope) through the publishing gate.

    The share says how many reach the threshold (share × respondents), so
    respondents = reaching + the rest is declared to the gate, and the share
    is shown only when both the respondents and the number reaching may be.
    ``controlled=False`` is for the school's own coordinator (no control)."""
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    thresholds: dict[str, str] = {}
    for r in rows:
        cells[r.a][r.b] = r.n
        thresholds[r.a] = r.c
    out = []
    for construct in sorted(cells):
        respondents = cells[construct].get("respondents", 0)
        reaching = min(cells[construct].get("reaching", 0), respondents)
        figures = {
            "respondents": Cell(float(respondents), respondents),
            "reaching": Cell(float(reaching), reaching),
            "rest": Cell(float(respondents - reaching), respondents - reaching),
        }
        if controlled:
            gated = disclosure.publish(
                disclosure.Publication(figures, (("respondents", ("reaching", "rest")),)), k=k
            ).figures
        else:
            gated = {key: Published(c.value, False, "ok", c.n, k=k) for key, c in figures.items()}
        resp, reach = gated["respondents"], gated["reaching"]
        if respondents and not resp.suppressed and not reach.suppressed:
            share = Published(reaching / respondents, False, "ok", respondents, k=k)
        elif reach.suppressed:
            share = reach
        elif resp.suppressed:
            share = resp
        else:
            share = Published(None, False, "ok", 0, k=k)
        name = (names or {}).get(construct, "")
        out.append(Kpi4Figure(construct, float(thresholds[construct]), resp, share, name))
    return out


def kpi4_figures(
    consortium: Consortium, fy: int, *, muni: str = "", school: str = "", controlled: bool = True
) -> list[Kpi4Figure]:
    """The released KPI ④ figures of the consortium (no code), a member town
    (``muni``: by home) or a school, for one FY."""
    return kpi4_figures_by_town(consortium, fy, [muni], school=school, controlled=controlled).get(
        muni, []
    )


def kpi4_figures_by_town(
    consortium: Consortium,
    fy: int,
    towns: Iterable[str],
    *,
    school: str = "",
    controlled: bool = True,
) -> dict[str, list[Kpi4Figure]]:
    """:func:`kpi4_figures` for several rows at once (``""``: the consortium
    or the school), in one query; rows without respondents are left out."""
    wanted = list(towns)
    rows: dict[str, list[KeyCount]] = defaultdict(list)
    for row in KeyCount.objects.filter(
        consortium=consortium, fy=fy, dim="kpi4", muni__in=wanted, school=school, programme=""
    ).only("muni", "a", "b", "c", "n"):
        rows[row.muni].append(row)
    if not rows:
        return {}
    names = kpi4_construct_names(consortium, fy)
    k = int(consortium.disclosure_k)
    return {
        town: kpi4_released(rows[town], k, controlled, names) for town in wanted if town in rows
    }
