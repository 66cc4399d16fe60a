"""Synthetic survey waves for the demo: annual waves for FY N−1 and N and
pre/post waves around two programmes, with plausible effects.

Answers come from a latent trait per student plus noise; students who took
part in a programme in the FY score a little higher on the competency
constructs in that FY's annual wave and in the post wave, so dashboards and
reports show a modest, believable difference — synthetic, not a finding.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from ekkyo.allocation.models import Seat
from ekkyo.bulk import JsonText, insert_rows
from ekkyo.core.fiscal import fiscal_year_bounds
from ekkyo.core.instrument import Instrument
from ekkyo.crypto import encrypt_texts
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme
from ekkyo.registry.models import Consortium, School
from ekkyo.surveys.models import InstrumentVersion, Response, SurveyToken, Wave, WaveMode
from ekkyo.surveys.services import instruments_ensure

RESPONSE_COLUMNS = [
    "wave_id", "client_id", "content_hash", "respondent", "home_municipality_code",
    "school_id", "grade", "answers", "class1_encrypted", "submitted_on", "submitted_at", "source",
]  # fmt: skip


class _Plan:
    """Per instrument, once: the items as arrays, so that a wave's answers are
    drawn as one matrix (numpy) instead of item by item."""

    def __init__(self, inst: Instrument) -> None:
        scales = {s.code: s for s in inst.scales}
        groups = {c.code: c.group for c in inst.constructs}
        items = list(inst.items)
        self.codes = [i.code for i in items]
        lo = np.array([scales[i.scale].min for i in items], dtype=float)
        hi = np.array([scales[i.scale].max for i in items], dtype=float)
        self.lo, self.hi = lo, hi
        self.width = (hi - lo) / 4
        self.centre = (lo + hi) / 2 + 0.3
        self.lifted = np.array(
            [groups[i.construct] in {"competency", "attachment"} for i in items], dtype=float
        )
        self.reverse = np.array([bool(i.reverse) for i in items])
        self.class1 = [i.data_class == "I" for i in items]

    def draw(
        self, rng: np.random.Generator, traits: np.ndarray, boosts: np.ndarray
    ) -> tuple[list[JsonText], list[str]]:
        """Answers of ``len(traits)`` respondents as JSON text: (plain, class I)
        per respondent, class I ``""`` when none was answered.

        A latent trait per student plus noise; the boost lifts the competency
        and attachment items; about 2 % of the questions are left unanswered.
        The text is put together from one ``"code": value`` piece per item and
        value (no dict, no ``json.dumps`` per respondent: 450,000 of them)."""
        n = len(traits)
        x = (
            self.centre
            + (traits[:, None] + boosts[:, None] * self.lifted) * self.width
            + rng.normal(0.0, 0.7, size=(n, len(self.codes)))
        )
        x = np.where(self.reverse, self.lo + self.hi - x, x)
        values = np.clip(np.rint(x), self.lo, self.hi).astype(int)
        answered = rng.random((n, len(self.codes))) >= 0.02
        pieces = np.empty((n, len(self.codes)), dtype=object)
        for j, code in enumerate(self.codes):
            lo, hi = int(self.lo[j]), int(self.hi[j])
            texts = np.array([f"{json.dumps(code)}: {v}" for v in range(lo, hi + 1)], dtype=object)
            pieces[:, j] = texts[values[:, j] - lo]
        pieces[~answered] = None
        plain_at = [j for j, c1 in enumerate(self.class1) if not c1]
        class1_at = [j for j, c1 in enumerate(self.class1) if c1]
        plain = [
            JsonText("{" + ", ".join(filter(None, row)) + "}")
            for row in pieces[:, plain_at].tolist()
        ]
        sensitive = [
            "{" + ", ".join(kept) + "}" if (kept := list(filter(None, row))) else ""
            for row in pieces[:, class1_at].tolist()
        ]
        return plain, sensitive


def _tokens(hmac_key: bytes, prefix: str, pks: list[int]) -> list[str]:
    """``token_hash(student_token(wave, student))`` for many students of one
    wave: the HMAC per student, the base 32 of its first 15 bytes for all of
    them at once (numpy; ``base64.b32encode`` is pure Python)."""
    if not pks:
        return []
    digests = b"".join(hmac.digest(hmac_key, f"{prefix}{pk}".encode(), "sha256")[:15] for pk in pks)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(len(pks), 15), axis=1)
    fives = bits.reshape(len(pks), 24, 5) @ np.array([16, 8, 4, 2, 1], dtype=np.uint8)
    text = _B32_LOWER[fives].tobytes()
    return [hashlib.sha256(text[i : i + 24]).hexdigest() for i in range(0, len(text), 24)]


_B32_LOWER = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz234567", dtype=np.uint8)


def seed_waves(
    *, consortium: Consortium, rng: random.Random, fy: int, progress: Callable[[str], None]
) -> dict[str, int]:
    instruments_ensure()
    version = InstrumentVersion.objects.get(code="ekkyo-student")
    inst = version.parsed()
    plan = _Plan(inst)
    np_rng = np.random.default_rng(rng.getrandbits(64))
    # (pk, school id, grade, pseudonym) per student: rows, not 120,000 instances.
    students: list[tuple[int, int, int, uuid.UUID]] = list(
        Student._unscoped.filter(consortium=consortium, school__isnull=False).values_list(
            "pk", "school_id", "grade", "pseudonym"
        )
    )
    traits = {s[0]: rng.gauss(0, 0.5) for s in students}
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

    def respond(
        w: Wave, who: list[tuple[int, int, int, uuid.UUID]], boosted: set[int], share: float
    ) -> int:
        """Tokens for everyone asked, answers for about ``share`` of them,
        written as plain rows (no model instances: 120,000 per wave)."""
        hmac_key = settings.SECRET_KEY.encode()
        now = timezone.now()
        hashes = _tokens(hmac_key, f"wave:{w.pk}:student:", [p[0] for p in who])
        tokens = [(w.pk, p[0], h, now, None) for p, h in zip(who, hashes, strict=True)]
        token_columns = ["wave_id", "student_id", "token_hash", "created_at", "reminded_at"]
        insert_rows(SurveyToken, token_columns, tokens)
        asked = np_rng.random(len(who)) <= share
        answering = [p for p, yes in zip(who, asked.tolist(), strict=True) if yes]
        if not answering:
            return 0
        plain, sensitive = plan.draw(
            np_rng,
            np.array([traits[p[0]] for p in answering]),
            np.array([0.35 if p[0] in boosted else 0.0 for p in answering]),
        )
        encrypted = iter(encrypt_texts([t for t in sensitive if t]))
        hours = np_rng.integers(0, 24 * 10, size=len(answering)).tolist()
        client_ids = np_rng.integers(0, 2**63, size=(len(answering), 2), dtype=np.int64).tolist()
        # Asia/Tokyo has no daylight saving: local time + hours is the local time then.
        opens_local = timezone.localtime(w.opens_at)
        hour = timedelta(hours=1)
        rows = []
        for (_pk, school_id, grade, pseudonym), answers, secret, h, (hi_id, lo_id) in zip(
            answering, plain, sensitive, hours, client_ids, strict=True
        ):
            when = opens_local + h * hour
            rows.append(
                (
                    w.pk, uuid.UUID(int=(hi_id << 64) | lo_id), "seed", pseudonym, "",
                    school_id, grade, answers, next(encrypted) if secret else "",
                    when.date(), when, "demo",
                )
            )  # fmt: skip
        return insert_rows(Response, RESPONSE_COLUMNS, rows)

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
        who = [s for s in students if s[0] in who_ids]
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
        counts[f"post_{p.pk}"] = respond(post, who, {s[0] for s in who}, 0.9)
    progress("survey responses: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
