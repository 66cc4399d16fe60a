"""Synthetic survey waves for the demo: annual waves for FY N−1 and N and
pre/post waves around two programmes, with plausible effects.

Answers come from a latent trait per student plus noise; students who took
part in a programme in the FY score a little higher on the competency
constructs in that FY's annual wave and in the post wave, so dashboards and
reports show a modest, believable difference — synthetic, not a finding.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from ekkyo.allocation.models import Seat
from ekkyo.core.fiscal import fiscal_year_bounds
from ekkyo.core.instrument import Instrument
from ekkyo.crypto import encrypt_texts
from ekkyo.demo.bulk import bulk_insert
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme
from ekkyo.registry.models import Consortium, School
from ekkyo.surveys.models import InstrumentVersion, Response, SurveyToken, Wave, WaveMode
from ekkyo.surveys.services import instruments_ensure, student_token, token_hash


def _item_plan(inst: Instrument) -> list[tuple[str, int, int, bool, bool, bool, float]]:
    """Per item, once per instrument: code, scale bounds, lifted?, reversed?, class I?, centre."""
    scales = {s.code: s for s in inst.scales}
    groups = {c.code: c.group for c in inst.constructs}
    plan = []
    for item in inst.items:
        s = scales[item.scale]
        plan.append(
            (
                item.code,
                s.min,
                s.max,
                groups[item.construct] in {"competency", "attachment"},
                bool(item.reverse),
                item.data_class == "I",
                (s.min + s.max) / 2 + 0.3,
            )
        )
    return plan


def _answers(
    plan: list[tuple[str, int, int, bool, bool, bool, float]],
    rng: random.Random,
    trait: float,
    boost: float,
) -> tuple[dict[str, int], dict[str, int]]:
    """One respondent's answers: the same draws, in the same order, for a seed."""
    plain: dict[str, int] = {}
    sensitive: dict[str, int] = {}
    random_, gauss = rng.random, rng.gauss
    for code, lo, hi, lifted, reverse, class1, centre in plan:
        if random_() < 0.02:
            continue  # an unanswered question now and then
        lift = boost if lifted else 0.0
        x = centre + (trait + lift) * (hi - lo) / 4 + gauss(0, 0.7)
        if reverse:
            x = lo + hi - x
        v = int(min(hi, max(lo, round(x))))
        (sensitive if class1 else plain)[code] = v
    return plain, sensitive


def seed_waves(
    *, consortium: Consortium, rng: random.Random, fy: int, progress: Callable[[str], None]
) -> dict[str, int]:
    instruments_ensure()
    version = InstrumentVersion.objects.get(code="ekkyo-student")
    inst = version.parsed()
    plan = _item_plan(inst)
    students = list(
        Student._unscoped.filter(consortium=consortium, school__isnull=False).only(
            "pk", "school_id", "grade", "pseudonym"
        )
    )
    traits = {s.pk: rng.gauss(0, 0.5) for s in students}
    schools = list(School.objects.filter(students__consortium=consortium).distinct())
    counts: dict[str, int] = {}

    def wave(
        title: str, kind: str, year: int, opens: datetime, closes: datetime, **extra: object
    ) -> Wave:
        w = Wave.objects.create(
            consortium=consortium,
            instrument=version,
            title=title,
            kind=kind,
            mode=WaveMode.LINKED,
            fiscal_year=year,
            opens_at=opens,
            closes_at=closes,
            **extra,
        )
        w.schools.set(schools)
        return w

    def respond(w: Wave, who: list[Student], boosted: set[int], share: float) -> int:
        rows, tokens, secrets = [], [], []
        for s in who:
            tokens.append(
                SurveyToken(wave=w, student_id=s.pk, token_hash=token_hash(student_token(w, s)))
            )
            if rng.random() > share:
                continue
            plain, sensitive = _answers(plan, rng, traits[s.pk], 0.35 if s.pk in boosted else 0.0)
            when = w.opens_at + timedelta(hours=rng.randrange(0, 24 * 10))
            rows.append(
                Response(
                    wave=w,
                    client_id=uuid.UUID(int=rng.getrandbits(128)),
                    content_hash="seed",
                    respondent=s.pseudonym,
                    school_id=s.school_id,
                    grade=s.grade,
                    answers=plain,
                    submitted_on=timezone.localdate(when),
                    submitted_at=when,
                    source="demo",
                )
            )
            secrets.append(json.dumps(sensitive) if sensitive else "")
        # Class I answers encrypted in one pass (one key object), as encrypt_text would.
        for row, token in zip(
            [r for r, t in zip(rows, secrets, strict=True) if t],
            encrypt_texts([t for t in secrets if t]),
            strict=True,
        ):
            row.class1_encrypted = token
        bulk_insert(SurveyToken, tokens)
        bulk_insert(Response, rows)
        return len(rows)

    for year in range(fy - 4, fy + 1):  # five fiscal years of annual waves
        start, _end = fiscal_year_bounds(year)
        participants = set(
            Seat._unscoped.filter(
                programme__consortium=consortium,
                programme__starts_on__gte=start,
                programme__starts_on__lte=fiscal_year_bounds(year)[1],
                cancelled_at__isnull=True,
            ).values_list("student_id", flat=True)
        )
        opens = timezone.make_aware(datetime.combine(start + timedelta(days=200), time(8)))
        w = wave(
            f"{year}年度 年次調査（サンプル）", "annual", year, opens, opens + timedelta(days=21)
        )
        counts[f"annual_{year}"] = respond(w, students, participants, 0.75)
    # Pre/post around two finished programmes of last year.
    finished = (
        Programme.objects.filter(consortium=consortium, ends_on__lt=timezone.localdate())
        .annotate(n=Count("seats"))
        .order_by("-n", "pk")[:2]
    )
    for p in finished:
        who_ids = set(
            Seat._unscoped.filter(programme=p, cancelled_at__isnull=True).values_list(
                "student_id", flat=True
            )
        )
        who = [s for s in students if s.pk in who_ids]
        if len(who) < 3:
            continue
        before = timezone.make_aware(datetime.combine(p.starts_on - timedelta(days=7), time(8)))
        after = timezone.make_aware(datetime.combine(p.ends_on + timedelta(days=1), time(8)))
        pre = wave(
            f"{p.title} 事前",
            "pre",
            p.starts_on.year if p.starts_on.month > 3 else p.starts_on.year - 1,
            before,
            before + timedelta(days=6),
            programme=p,
        )
        post = wave(
            f"{p.title} 事後",
            "post",
            pre.fiscal_year,
            after,
            after + timedelta(days=14),
            programme=p,
            paired_with=pre,
        )
        counts[f"pre_{p.pk}"] = respond(pre, who, set(), 0.95)
        counts[f"post_{p.pk}"] = respond(post, who, {s.pk for s in who}, 0.9)
    progress("survey responses: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
