"""Survey services: registering instrument versions, invitations, and storing
submissions exactly once.

``response_submit`` is the one write path of answers. A submission carries a
client-generated id (as ODK and KoboToolbox do): the same id with the same
content is a duplicate and answers "stored" again without writing; the same
id with other content is a conflict (HTTP 409); after the window closes a
submission is refused with a clear message (HTTP 410), never dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.core.instrument import Instrument, load_instrument
from ekkyo.crypto import encrypt_text
from ekkyo.people.models import Student

from .models import ClassLink, InstrumentVersion, Response, SurveyToken, Wave, WaveMode


class SurveyError(Exception):
    def __init__(self, message: Any, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


def instrument_register(source_yaml: str) -> InstrumentVersion:
    """Store an instrument version (idempotent). Changing a registered version's
    content without changing its version string is refused."""
    inst = load_instrument(source_yaml)
    existing = InstrumentVersion.objects.filter(code=inst.code, version=inst.version).first()
    if existing is not None:
        if existing.fingerprint != inst.fingerprint:
            raise SurveyError(
                _(
                    "Instrument %(code)s version %(v)s exists with other content; "
                    "give it a new version."
                )
                % {"code": inst.code, "v": inst.version}
            )
        return existing
    return InstrumentVersion.objects.create(
        code=inst.code,
        version=inst.version,
        fingerprint=inst.fingerprint,
        audience=inst.audience,
        title=inst.title_ja,
        title_en=inst.title_en,
        source_yaml=source_yaml,
    )


def instruments_ensure() -> int:
    """Register the shipped default instruments if missing (migrations do it;
    flushed test databases need it again). Returns how many were added."""
    from ekkyo.core.instrument import DEFAULT_INSTRUMENTS, default_instrument_path

    before = InstrumentVersion.objects.count()
    for name in DEFAULT_INSTRUMENTS:
        instrument_register(default_instrument_path(name).read_text(encoding="utf-8"))
    return InstrumentVersion.objects.count() - before


def _token_for(kind: str, *parts: int | str) -> str:
    """Opaque, unguessable and reproducible (so a sheet can be printed again)."""
    msg = ":".join([kind, *map(str, parts)]).encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), msg, hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode("ascii").lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


def student_token(wave: Wave, student: Student) -> str:
    return _token_for("wave", wave.pk, "student", student.pk)


def class_token(wave: Wave, school_id: int, grade: int | None) -> str:
    return _token_for("wave", wave.pk, "school", school_id, "grade", grade or 0)


def wave_targets(wave: Wave) -> list[Student]:
    """Who is asked: a programme's participants (seat holders) for a pre/post wave
    around a programme; otherwise the students of the wave's schools (and grades)."""
    if wave.programme_id:
        from ekkyo.programmes.models import Seat

        holders = Seat._unscoped.filter(
            programme_id=wave.programme_id, cancelled_at__isnull=True
        ).values("student_id")
        return list(
            Student._unscoped.filter(pk__in=holders)
            .select_related("school")
            .order_by("school__code", "grade", "family_name_kana")
        )
    qs = Student._unscoped.filter(school__in=wave.schools.all(), consortium_id=wave.consortium_id)
    grades = [int(g) for g in wave.grades.split(",") if g.strip().isdigit()]
    if grades:
        qs = qs.filter(grade__in=grades)
    return list(qs.select_related("school").order_by("school__code", "grade", "family_name_kana"))


@transaction.atomic
def tokens_ensure(wave: Wave) -> list[tuple[Student, str]]:
    """Linked mode: every target student has a token row; returns (student, token)."""
    if wave.mode != WaveMode.LINKED:
        raise SurveyError(_("Anonymous waves use class links, not personal tokens."))
    students = wave_targets(wave)
    have = set(SurveyToken._unscoped.filter(wave=wave).values_list("student_id", flat=True))
    SurveyToken._unscoped.bulk_create(
        [
            SurveyToken(wave=wave, student=s, token_hash=token_hash(student_token(wave, s)))
            for s in students
            if s.pk not in have
        ]
    )
    return [(s, student_token(wave, s)) for s in students]


def class_link_ensure(wave: Wave, school_id: int, grade: int | None) -> str:
    token = class_token(wave, school_id, grade)
    ClassLink.objects.get_or_create(
        wave=wave, school_id=school_id, grade=grade, defaults={"token_hash": token_hash(token)}
    )
    return token


@dataclass(frozen=True)
class Invitation:
    wave: Wave
    student: Student | None
    school_id: int | None
    grade: int | None


def invitation_for(token: str) -> Invitation | None:
    h = token_hash(token)
    t = SurveyToken._unscoped.select_related("wave", "student").filter(token_hash=h).first()
    if t is not None:
        return Invitation(t.wave, t.student, t.student.school_id, t.student.grade)
    link = ClassLink.objects.select_related("wave").filter(token_hash=h).first()
    if link is not None:
        return Invitation(link.wave, None, link.school_id, link.grade)
    return None


def _canonical(answers: dict[str, Any], class1: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps({"a": answers, "c": class1}, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def validate_answers(
    instrument: Instrument, raw: dict[str, Any]
) -> tuple[dict[str, int], dict[str, int]]:
    """Split answers into class II–IV and class I; refuse unknown items or values."""
    scales = {s.code: s for s in instrument.scales}
    items = {i.code: i for i in instrument.items}
    plain: dict[str, int] = {}
    sensitive: dict[str, int] = {}
    for code, value in raw.items():
        item = items.get(code)
        if item is None:
            raise SurveyError(_("Unknown question %(code)s.") % {"code": code})
        if value in (None, ""):
            continue
        try:
            v = int(value)
        except (TypeError, ValueError) as exc:
            raise SurveyError(_("Answer to %(code)s is not a number.") % {"code": code}) from exc
        scale = scales[item.scale]
        if not scale.min <= v <= scale.max:
            raise SurveyError(_("Answer to %(code)s is out of range.") % {"code": code})
        (sensitive if item.data_class == "I" else plain)[code] = v
    return plain, sensitive


def response_submit(
    *, token: str, client_id: str, answers: dict[str, Any]
) -> tuple[Response, bool]:
    """Store a submission once. Returns (response, created)."""
    invitation = invitation_for(token)
    if invitation is None:
        raise SurveyError(_("This survey link is not valid."), status=404)
    wave = invitation.wave
    try:
        cid = uuid.UUID(str(client_id))
    except ValueError as exc:
        raise SurveyError(_("The submission has no valid id."), status=400) from exc
    instrument = wave.instrument.parsed()
    plain, sensitive = validate_answers(instrument, answers)
    digest = _canonical(plain, sensitive)
    existing = Response._unscoped.filter(wave=wave, client_id=cid).first()
    if existing is not None:
        if existing.content_hash == digest:
            return existing, False
        raise SurveyError(_("This submission was already stored with other answers."), status=409)
    if not wave.is_open():
        raise SurveyError(
            _(
                "The survey closed on %(when)s. Your answers could not be stored; "
                "please tell your teacher."
            )
            % {"when": timezone.localtime(wave.closes_at).strftime("%Y-%m-%d %H:%M")},
            status=410,
        )
    linked = wave.mode == WaveMode.LINKED and invitation.student is not None
    now = timezone.now()
    try:
        with transaction.atomic():
            response = Response._unscoped.create(
                wave=wave,
                client_id=cid,
                content_hash=digest,
                respondent=invitation.student.pseudonym if linked and invitation.student else None,
                school_id=invitation.school_id,
                grade=invitation.grade,
                answers=plain,
                class1_encrypted=encrypt_text(json.dumps(sensitive)) if sensitive else "",
                submitted_on=timezone.localdate(now),
                # Anonymous mode keeps no time of day: times could link a response to a person.
                submitted_at=now if linked else None,
            )
    except IntegrityError as exc:
        # A concurrent resend of the same id, or a second questionnaire from the same student.
        again = Response._unscoped.filter(wave=wave, client_id=cid).first()
        if again is not None and again.content_hash == digest:
            return again, False
        raise SurveyError(
            _("This survey was already answered with this link."), status=409
        ) from exc
    return response, True
