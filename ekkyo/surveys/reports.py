"""The school feedback report: a school's construct scores for one FY against
the consortium, inputs beside outputs, year over year, and participants
against non-participants — every figure through disclosure control.

Figures are means of construct scores (``ekkyo.core.psychometrics``) from the
FY's annual wave; each figure is published only if built from at least k
students (the consortium's ``disclosure_k``), with the reason shown
otherwise (``ekkyo.core.disclosure``). Runs under a system scope in
``surveys.selectors`` after the caller's right to the school is checked: it
reads responses of other schools only to compute the consortium figure.

:func:`wave_scores` is the one scorer of a wave's responses; KPI ④
(``kpis.aggregates``) uses it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, TextField
from django.db.models.functions import Cast

from ekkyo.allocation.models import Seat
from ekkyo.core.disclosure import Cell, Publication, Published, publish
from ekkyo.core.psychometrics import construct_scores
from ekkyo.core.survey_scoring import specs_for
from ekkyo.crypto import decrypt_text
from ekkyo.people.models import Student
from ekkyo.registry.models import School

from .models import Response, Wave


@dataclass
class ReportRow:
    code: str
    name: str
    role: str
    figures: dict[str, Published]


def _frame(wave: Wave, items: list[str], *, include_class1: bool) -> pd.DataFrame:
    """The wave's answers as a float matrix (one column per item, NaN where
    unanswered) beside ``_school``, ``_respondent`` and ``_home``."""
    # PostgreSQL writes a uuid as text the way str(UUID) does (SQLite keeps 32
    # hex digits): cast there, and skip building 90,000 UUID objects.
    as_text = connection.vendor == "postgresql"
    respondent = "respondent_text" if as_text else "respondent"
    columns = [respondent, "school_id", "answers_text", "home_municipality_code"]
    if include_class1:
        columns.append("class1_encrypted")  # read only when decrypted: 200 bytes a row
    records = list(
        # safe: figures' raw material; callers checked the reader's right to the figures
        Response._unscoped.filter(wave=wave)
        .annotate(
            answers_text=Cast("answers", TextField()),
            respondent_text=Cast("respondent", TextField()),
        )
        .values_list(*columns)
    )
    if not records:
        return pd.DataFrame()
    # One JSON parse for the whole wave, not one per response (90,000 in a
    # national annual wave: the per-call overhead was most of the time).
    parsed = json.loads("[" + ",".join(r[2] or "{}" for r in records) + "]")
    if include_class1:
        for record, answers in zip(records, parsed, strict=True):
            if record[4]:
                answers.update(json.loads(decrypt_text(record[4])))
    # Rows of item values straight into a float matrix (None -> NaN): a
    # DataFrame built from 90,000 dicts took most of a national wave's scoring.
    matrix = np.array(
        [[answers.get(code) for code in items] for answers in parsed], dtype=float
    ).reshape(len(parsed), len(items))
    frame = pd.DataFrame(matrix, columns=items)
    frame["_school"] = [r[1] for r in records]
    frame["_respondent"] = [(r[0] if as_text else str(r[0])) if r[0] else None for r in records]
    frame["_home"] = [r[3] or None for r in records]
    return frame


def wave_scores(wave: Wave, *, include_class1: bool) -> pd.DataFrame:
    """Every response's construct scores (``ekkyo.core.psychometrics``), one row
    per response, with its school id (``_school``) and pseudonym (``_respondent``).

    ``include_class1=False`` scores from the plain answers only, without
    decrypting class I (health) answers: items of class I are then missing,
    as for a respondent who skipped them. An empty frame when nobody answered.
    Callers check who may see figures built from it (school reports, KPI ④).
    """
    inst = wave.instrument.parsed()
    items = [i.code for i in inst.items]
    frame = _frame(wave, items, include_class1=include_class1)
    if frame.empty:
        return frame
    scores = construct_scores(frame[items], specs_for(inst))
    scores["_school"] = frame["_school"].to_numpy()
    scores["_respondent"] = frame["_respondent"].to_numpy()
    scores["_home"] = frame["_home"].to_numpy()
    return scores


def _scores(wave: Wave) -> tuple[pd.DataFrame, Any]:
    return wave_scores(wave, include_class1=True), wave.instrument.parsed()


def school_report(*, school: School, fy: int, k: int) -> dict[str, Any]:
    # One annual wave per FY is the rule; if there are several, the one with
    # the most responses stands for the year.
    waves: dict[int, Wave] = {}
    for w in (
        Wave.objects.filter(kind="annual", fiscal_year__in=[fy - 1, fy], schools=school)
        .annotate(n=Count("responses"))
        .order_by("n")
        .select_related("instrument")
    ):
        waves[w.fiscal_year] = w
    current = waves.get(fy)
    if current is None:
        return {"wave": None, "rows": [], "k": k}
    scores, inst = _scores(current)
    previous, _ = _scores(waves[fy - 1]) if fy - 1 in waves else (pd.DataFrame(), None)
    participants = {
        str(p)
        # safe: pseudonyms only, to split the school's figures; they never leave this function
        for p in Student._unscoped.filter(
            pk__in=Seat._unscoped.filter(  # safe: as above, ids of seat holders only
                cancelled_at__isnull=True,
                programme__starts_on__year__in=[fy, fy + 1],
            ).values("student_id")
        ).values_list("pseudonym", flat=True)
    }
    rows: list[ReportRow] = []
    for c in inst.constructs:
        cells: dict[str, Cell] = {}
        if not scores.empty and c.code in scores:
            col = scores[c.code]
            mine = scores["_school"] == school.pk
            part = scores["_respondent"].isin(participants)
            groups = {
                "school": col[mine],
                "consortium": col,
                "participants": col[mine & part],
                "others": col[mine & ~part],
            }
            for key, values in groups.items():
                values = values.dropna()
                cells[key] = Cell(float(values.mean()) if len(values) else None, len(values))
        if not previous.empty and c.code in previous:
            prev = previous[c.code][previous["_school"] == school.pk].dropna()
            cells["previous"] = Cell(float(prev.mean()) if len(prev) else None, len(prev))
        # school = participants + others (in respondents): declared to the
        # gate, which hides what would reveal a small part by difference
        # (DESIGN.md: no two published figures may differ by a group under k).
        relations = (
            (("school", ("participants", "others")),)
            if all(g in cells for g in ("school", "participants", "others"))
            else ()
        )
        figures = dict(publish(Publication(cells, relations), k=k).figures)
        rows.append(ReportRow(code=c.code, name=c.name_ja, role=c.role, figures=figures))
    return {"wave": current, "rows": rows, "k": k, "instrument": inst}


def _by_respondent(wave: Wave) -> tuple[pd.DataFrame, Any]:
    scores, inst = _scores(wave)
    if scores.empty:
        return scores, inst
    scores = scores[scores["_respondent"].notna()].set_index("_respondent")
    return scores, inst


@dataclass
class EffectRow:
    code: str
    name: str
    change: Any | None
    did: Any | None
    note: str = ""


def paired_effects(*, post: Wave, k: int) -> list[EffectRow]:
    """Pre/post change per construct for a post wave paired with its pre wave."""
    from ekkyo.core.psychometrics import paired_change

    if post.paired_with_id is None:
        return []
    pre_scores, inst = _by_respondent(post.paired_with)  # type: ignore[arg-type]
    post_scores, _ = _by_respondent(post)
    rows = []
    common: Any = pre_scores.index.intersection(post_scores.index) if not pre_scores.empty else []
    for c in inst.constructs:
        if len(common) < k or c.code not in pre_scores:
            rows.append(EffectRow(c.code, c.name_ja, None, None, "small"))
            continue
        change = paired_change(pre_scores.loc[common, c.code], post_scores.loc[common, c.code])
        rows.append(EffectRow(c.code, c.name_ja, change if change.n >= k else None, None))
    return rows


def fy_did(*, consortium_id: int, fy: int, k: int) -> list[EffectRow]:
    """Participants vs non-participants: change between the FY−1 and FY annual
    waves (difference in differences). Observational, not proof of cause."""
    from ekkyo.core.fiscal import fiscal_year_bounds
    from ekkyo.core.psychometrics import difference_in_differences

    waves = {
        w.fiscal_year: w
        for w in Wave.objects.filter(
            consortium_id=consortium_id, kind="annual", fiscal_year__in=[fy - 1, fy]
        )
        .annotate(n=Count("responses"))
        .order_by("n")
        .select_related("instrument")
    }
    if fy - 1 not in waves or fy not in waves:
        return []
    before, inst = _by_respondent(waves[fy - 1])
    after, _ = _by_respondent(waves[fy])
    start, end = fiscal_year_bounds(fy)
    took_part = {
        str(p)
        # safe: pseudonyms of the consortium's participants, for figures under k-control only
        for p in Student._unscoped.filter(
            pk__in=Seat._unscoped.filter(  # safe: as above, ids of seat holders only
                cancelled_at__isnull=True,
                programme__starts_on__gte=start,
                programme__starts_on__lte=end,
                programme__consortium_id=consortium_id,
            ).values("student_id")
        ).values_list("pseudonym", flat=True)
    }
    both = before.index.intersection(after.index)
    treat = [r for r in both if r in took_part]
    ctrl = [r for r in both if r not in took_part]
    rows = []
    for c in inst.constructs:
        if len(treat) < k or len(ctrl) < k or c.code not in before:
            rows.append(EffectRow(c.code, c.name_ja, None, None, "small"))
            continue
        rows.append(
            EffectRow(
                c.code,
                c.name_ja,
                None,
                difference_in_differences(
                    before.loc[treat, c.code],
                    after.loc[treat, c.code],
                    before.loc[ctrl, c.code],
                    after.loc[ctrl, c.code],
                ),
            )
        )
    return rows
