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

from django.db.models import Count

from ekkyo.core import kpi
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


def wave_records(scores: object, homes: dict[str, str | None], constructs: Iterable[str]) -> tuple[
    list[kpi.ScoreRec], dict[int, list[kpi.ScoreRec]]
]:  # fmt: skip
    """Score records of a wave's scores frame, all and per school id."""
    import pandas as pd

    assert isinstance(scores, pd.DataFrame)
    records: list[kpi.ScoreRec] = []
    by_school: dict[int, list[kpi.ScoreRec]] = defaultdict(list)
    respondents = scores["_respondent"].tolist()
    schools = scores["_school"].tolist()
    kept = scores["_home"].tolist() if "_home" in scores else [None] * len(respondents)
    columns = {c: scores[c].tolist() for c in constructs if c in scores}
    for i, (respondent, school_id) in enumerate(zip(respondents, schools, strict=True)):
        student = str(respondent) if respondent else f"response-{i}"
        # Linked: the student's home now; unlinked by erasure: the home kept with it.
        home = homes.get(str(respondent)) if respondent else (kept[i] or None)
        for construct, values in columns.items():
            value = values[i]
            if value is None or value != value:  # NaN: no score (too few items answered)
                continue
            rec = kpi.ScoreRec(student, home, construct, float(value))
            records.append(rec)
            if school_id is not None and school_id == school_id:
                by_school[int(school_id)].append(rec)
    return records, by_school


def kpi4_rebuild(consortium: Consortium, fys: Iterable[int]) -> int:
    """KPI ④ rows of each FY's annual wave (the one with most responses). Returns rows written."""
    from ekkyo.core.instrument import kpi4_thresholds
    from ekkyo.surveys.models import Wave
    from ekkyo.surveys.reports import wave_scores

    from .aggregates import memberships

    members = memberships(consortium.pk)
    school_code = dict(School.objects.values_list("pk", "code"))
    homes: dict[str, str | None] | None = None
    rows: list[KeyCount] = []
    for fy in fys:
        wave = (
            Wave.objects.filter(consortium=consortium, kind="annual", fiscal_year=fy)
            .annotate(count=Count("responses"))
            .order_by("-count", "pk")
            .select_related("instrument")
            .first()
        )
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
        records, by_school = wave_records(scores, homes, thresholds)
        rows += _rows(consortium, fy, kpi.kpi4_share(records, thresholds, fy, memberships=members))
        for school_id, recs in sorted(by_school.items()):
            code = school_code.get(school_id)
            if code:
                rows += _rows(consortium, fy, kpi.kpi4_share(recs, thresholds, fy), school=code)
    KeyCount.objects.filter(consortium=consortium, dim="kpi4").delete()
    KeyCount.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
