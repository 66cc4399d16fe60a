"""Survey services: registering instrument versions, invitations, and storing
submissions exactly once.

``response_submit`` is the one write path of answers. A submission carries a
client-generated id (as ODK and KoboToolbox do): the same id with the same
content is a duplicate and answers "stored" again without writing; the same
id with other content is a conflict (HTTP 409); after the window closes a
submission is refused with a clear message (HTTP 410), never dropped.

The staff doors at the end (``wave_create``, ``wave_sheet_print``,
``wave_remind``, ``response_import_mapping_save``) take an explicit actor
and audit with the codes of ``surveys.events``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.services import audit_record, snapshot
from ekkyo.core.instrument import Instrument, load_instrument
from ekkyo.crypto import encrypt_text
from ekkyo.jobs.models import Job, JobKind
from ekkyo.jobs.services import Progress, job_start
from ekkyo.people.models import Guardian, Student
from ekkyo.programmes.models import Programme
from ekkyo.registry.models import School
from ekkyo.tenancy.actor import Actor

from . import events
from .models import (
    ClassLink,
    ImportMapping,
    InstrumentVersion,
    Response,
    SurveyToken,
    Wave,
    WaveMode,
)


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
        from ekkyo.allocation.models import Seat

        holders = Seat._unscoped.filter(  # safe: ids of the wave's programme's seat holders
            programme_id=wave.programme_id, cancelled_at__isnull=True
        ).values("student_id")
        return list(
            # safe: the wave's targets; callers checked their right to the wave
            Student._unscoped.filter(pk__in=holders)
            .select_related("school")
            .order_by("school__code", "grade", "family_name_kana")
        )
    # safe: the wave's own schools and consortium; callers checked their right to the wave
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
    # safe: the wave's own tokens (hashes only); callers checked their right to the wave
    have = set(SurveyToken._unscoped.filter(wave=wave).values_list("student_id", flat=True))
    SurveyToken._unscoped.bulk_create(  # safe: as above
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
    # safe: the unguessable token is the authorisation (anonymous answering page)
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
    # safe: the token's own wave, looked up by the submission's own id
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
            response = Response._unscoped.create(  # safe: the token's own wave
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
        again = Response._unscoped.filter(wave=wave, client_id=cid).first()  # safe: as above
        if again is not None and again.content_hash == digest:
            return again, False
        raise SurveyError(
            _("This survey was already answered with this link."), status=409
        ) from exc
    return response, True


# ------------------------------------------------------------------ staff doors
#
# Each takes the explicit actor, reaches the wave through
# ``surveys.selectors.wave_for`` (404 for "missing" and "not yours") and
# writes one audit row with a specific code (``surveys.events``). Sheets and
# reminders need full access to the students they name (they carry personal
# tokens and reach guardians' addresses): only students the actor sees in
# full are on them.

WAVE_FIELDS = (
    "consortium", "instrument", "title", "kind", "mode", "fiscal_year", "programme",
    "paired_with", "grades", "opens_at", "closes_at",
)  # fmt: skip


@transaction.atomic
def wave_create(
    *,
    actor: Actor,
    title: str,
    instrument: InstrumentVersion,
    kind: str,
    mode: str,
    fiscal_year: int,
    opens_at: datetime,
    closes_at: datetime,
    schools: Iterable[School] = (),
    grades: str = "",
    programme: Programme | None = None,
    paired_with: Wave | None = None,
) -> Wave:
    """Create a wave of the secretariat's consortium (its first, if several).

    The schools must be ones the actor manages, and the programme and the
    paired pre wave its consortium's; anything else is refused whole."""
    from ekkyo.registry.selectors import schools_for_principal

    from .selectors import _refuse

    principal = actor.principal
    admin = sorted(principal.admin_consortium_ids)
    if not admin:
        _refuse(actor, "surveys.wave create: secretariat only", exists=True, model="surveys.wave")
    schools = list(schools)
    allowed = set(
        schools_for_principal(principal)
        .filter(pk__in=[s.pk for s in schools])
        .values_list("pk", flat=True)
    )
    refused = [f"registry.school {s.pk}" for s in schools if s.pk not in allowed]
    if programme is not None and programme.consortium_id not in admin:
        refused.append(f"programmes.programme {programme.pk}")
    if paired_with is not None and paired_with.consortium_id not in admin:
        refused.append(f"surveys.wave {paired_with.pk}")
    if refused:
        _refuse(actor, "; ".join(refused), exists=True, model="surveys.wave")
    wave = Wave.objects.create(
        consortium_id=admin[0],
        title=title,
        instrument=instrument,
        kind=kind,
        mode=mode,
        fiscal_year=fiscal_year,
        programme=programme,
        paired_with=paired_with,
        grades=grades,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    wave.schools.set(schools)
    audit_record(
        actor=actor,
        event=events.WAVE_CREATE,
        obj=wave,
        summary=f"wave {wave.title}",
        new={**snapshot(wave, WAVE_FIELDS), "schools": sorted(s.code for s in schools)},
    )
    return wave


@dataclass(frozen=True)
class SheetCard:
    title: str
    sub: str
    token: str
    scale: int  # QR module size: personal cards are smaller than class codes


@dataclass(frozen=True)
class WaveSheet:
    wave: Wave
    school: School
    cards: list[SheetCard]


@transaction.atomic
def wave_sheet_print(*, actor: Actor, wave_id: int, school_code: str) -> WaveSheet:
    """The printable QR sheet of one school of a wave: a card per student the
    actor sees in full (linked), or a class code per grade (anonymous).

    Missing tokens and class links are created (reproducible, so a sheet can
    be printed again). Needs ``Grant.FULL`` on the students on it; audited."""
    from ekkyo.registry.selectors import schools_for_principal

    from .selectors import _refuse, wave_for

    wave = wave_for(actor=actor, wave_id=wave_id)
    school = schools_for_principal(actor.principal).filter(code=school_code, wave=wave).first()
    if school is None:
        _refuse(
            actor,
            f"survey sheet of school {school_code}",
            exists=School.objects.filter(code=school_code).exists(),
            model="registry.school",
        )
    cards: list[SheetCard] = []
    if wave.mode == WaveMode.LINKED:
        pairs = [(s, t) for s, t in tokens_ensure(wave) if s.school_id == school.pk]
        full = set(
            Student._unscoped.filter(  # safe: filtered by the actor's full grant right here
                Student.full_access_filter(actor.principal), pk__in=[s.pk for s, _t in pairs]
            ).values_list("pk", flat=True)
        )
        cards = [
            SheetCard(student.full_name, f"{student.grade}", token, 3)
            for student, token in pairs
            if student.pk in full
        ]
    else:
        grades: list[int | None] = [
            int(g) for g in wave.grades.split(",") if g.strip().isdigit()
        ] or [None]
        cards = [
            SheetCard(
                school.display_name, f"{grade or ''}", class_link_ensure(wave, school.pk, grade), 5
            )
            for grade in grades
        ]
    audit_record(
        actor=actor,
        event=events.WAVE_SHEET_VIEW,
        obj=wave,
        summary=f"QR sheet {school.code}",
        detail={"school": school.code, "cards": len(cards), "mode": wave.mode},
    )
    return WaveSheet(wave=wave, school=school, cards=cards)


def _send_reminders(messages: list[tuple[str, str, str]]) -> None:
    for subject, body, email in messages:
        send_mail(subject, body, None, [email])


@transaction.atomic
def wave_remind(
    *, actor: Actor, wave_id: int, job: Job | None = None, progress: Progress | None = None
) -> int:
    """Linked waves: email the guardians of the students who have not answered.

    Only students the actor sees in full are reminded (the secretariat: its
    consortium's; a school: its own), since the mail reaches their guardians'
    addresses. The mails leave after the transaction commits; the audit row
    (``wave.remind``) holds the counts. Returns the number of mails.

    Run for a ``job`` (the queue), tokens that job already reminded are
    skipped (a retry mails no one twice) and ``progress`` counts students."""
    from .selectors import _refuse, wave_for

    wave = wave_for(actor=actor, wave_id=wave_id)
    if wave.mode != WaveMode.LINKED:
        _refuse(actor, f"surveys.wave {wave_id} reminders", exists=False)
    # safe: the wave's own responses (pseudonyms only), to leave out who answered
    answered = set(Response._unscoped.filter(wave=wave).values_list("respondent", flat=True))
    principal = actor.principal
    tokens = SurveyToken._unscoped.filter(  # safe: filtered by the actor's full grant right here
        wave=wave, student__in=Student.visible_ids(principal, full=True)
    ).select_related("student")
    if not principal.admin_consortium_ids and not principal.system:
        tokens = tokens.filter(student__school_id__in=principal.school_ids)
    if job is not None and job.started_at is not None and job.attempts > 1:
        tokens = tokens.exclude(reminded_at__gte=job.created_at)
    closes = timezone.localtime(wave.closes_at).strftime("%Y-%m-%d")
    outgoing: list[tuple[str, str, str]] = []
    reminded: list[int] = []
    chosen = list(tokens)
    if progress is not None:
        progress.total(len(chosen))
    for t in chosen:
        if t.student.pseudonym in answered:
            continue
        # safe: guardians of a student the actor sees in full (the filter above)
        for g in Guardian._unscoped.filter(links__student_id=t.student_id).exclude(email=""):
            body = _(
                "%(name)s has not answered “%(wave)s” yet. The survey closes on %(when)s. "
                "The school will give the link."
            ) % {"name": t.student.given_name, "wave": wave.title, "when": closes}
            outgoing.append((str(_("[Ekkyo-net] A survey is waiting")), str(body), g.email))
        reminded.append(t.pk)
    SurveyToken._unscoped.filter(pk__in=reminded).update(  # safe: the tokens chosen above
        reminded_at=timezone.now()
    )
    audit_record(
        actor=actor,
        event=events.WAVE_REMIND,
        obj=wave,
        summary=f"reminders: {len(outgoing)} mails for {len(reminded)} students",
        detail={"students": len(reminded), "mails": len(outgoing)},
    )
    transaction.on_commit(lambda: _send_reminders(outgoing))
    return len(outgoing)


@transaction.atomic
def wave_remind_start(*, actor: Actor, wave_id: int) -> Job:
    """Hand the reminders of a linked wave to the queue; returns its job.

    The wave is checked now (404 for "missing" and "not yours"); the job runs
    ``wave_remind`` as a system actor limited to what the initiator sees in
    full (their principal's consortium or schools are in the job's params)."""
    from .selectors import _refuse, wave_for

    wave = wave_for(actor=actor, wave_id=wave_id)
    if wave.mode != WaveMode.LINKED:
        _refuse(actor, f"surveys.wave {wave_id} reminders", exists=False)
    principal = actor.principal
    return job_start(
        actor=actor,
        kind=JobKind.SURVEY_REMIND,
        consortium_id=wave.consortium_id,
        params={
            "wave_id": wave.pk,
            "admin_consortium_ids": sorted(principal.admin_consortium_ids),
            "school_ids": sorted(principal.school_ids),
            "municipality_ids": sorted(principal.municipality_ids),
        },
    )


def wave_remind_job(actor: Actor, job: Job, progress: Progress) -> dict[str, int]:
    """The queue's side of ``wave_remind_start``: remind as the initiator would
    have (their grants, from the job), audited as the job's system actor with
    the initiator's id. Tokens already reminded by this job are skipped, so a
    retried job mails no one twice."""
    from django.urls import reverse

    from ekkyo.tenancy.principal import Principal

    params = job.params
    grants = Principal(
        user_id=job.initiator_id,
        admin_consortium_ids=frozenset(params.get("admin_consortium_ids", [])),
        school_ids=frozenset(params.get("school_ids", [])),
        municipality_ids=frozenset(params.get("municipality_ids", [])),
    )
    progress.link(reverse("surveys:wave_detail", kwargs={"wave_id": params["wave_id"]}))
    as_initiator = dataclasses.replace(actor, principal=grants)
    sent = wave_remind(
        actor=as_initiator, wave_id=int(params["wave_id"]), job=job, progress=progress
    )
    return {"mails": sent}


IMPORT_MAPPING_FIELDS = ("instrument", "mapping", "respondent_column")


@transaction.atomic
def response_import_mapping_save(
    *, actor: Actor, wave_id: int, name: str, mapping: dict[str, str], respondent_column: str
) -> ImportMapping:
    """Save (or replace) a source's column mapping for the wave's consortium,
    so the next file from the same tool is read the same way. Secretariat only."""
    from .selectors import wave_for

    wave = wave_for(actor=actor, wave_id=wave_id, secretariat=True)
    existing = (
        ImportMapping.objects.select_for_update()
        .filter(consortium_id=wave.consortium_id, name=name)
        .first()
    )
    old = snapshot(existing, IMPORT_MAPPING_FIELDS) if existing else {}
    saved, _created = ImportMapping.objects.update_or_create(
        consortium_id=wave.consortium_id,
        name=name,
        defaults={
            "instrument": wave.instrument,
            "mapping": mapping,
            "respondent_column": respondent_column,
        },
    )
    audit_record(
        actor=actor,
        event=events.IMPORT_MAPPING_SAVE,
        obj=saved,
        consortium_id=wave.consortium_id,
        summary=f"import mapping {name}",
        old=old,
        new=snapshot(saved, IMPORT_MAPPING_FIELDS),
    )
    return saved
