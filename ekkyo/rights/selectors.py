"""Reads for the rights of the data subject: the subject-access export, and the lists
the rights pages show.

:func:`subject_access_export` collects everything held about one student
across the apps, for the student themself or one of their guardians (never for
staff: they have their own pages). Class I data (health and allergy notes of
stays, survey answers about health) is decrypted only for a guardian; for the
student the fields say they are withheld and why. Every export is audited
(``subject_access.export``, or ``subject_access.export_class1`` when class I
data was included). Other students never appear: teammates, hosts' other
guests and the like are not "held about" this student.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ekkyo.accounts.models import StudentSignInCode
from ekkyo.allocation.models import Application, Seat
from ekkyo.audit.events import label_of
from ekkyo.audit.models import AuditEvent
from ekkyo.audit.services import audit_record
from ekkyo.crypto import decrypt_text
from ekkyo.hosting.models import HostRequest
from ekkyo.participation.models import Attendance, Reflection, Residence, Stay
from ekkyo.people.models import Consent, GuardianLink, Student
from ekkyo.portfolio.models import PortfolioShare
from ekkyo.registry.models import Municipality
from ekkyo.surveys.models import Response, SurveyToken
from ekkyo.teams.models import TeamFile, TeamMember, TeamPost
from ekkyo.tenancy.access import Grant, NotFound, access
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal, Role

from . import events
from .models import (
    DEFAULT_RETENTION,
    OPEN_STATUSES,
    DeletionRequest,
    RecordKind,
    RequesterRole,
    RequestStatus,
    RetentionPolicy,
    RetentionRun,
)

SCHEMA = "ekkyo.subject-access/1"


class NotAGuardian(ValueError):
    """``as_guardian_id`` names no guardian of the student."""


def _en() -> bool:
    return (get_language() or "ja").startswith("en")


def subject_side(actor: Actor) -> Actor:
    """The actor as the data subject or a guardian only.

    The rights doors are for the student and their guardians; staff grants the
    same account may hold (a teacher who is also a parent) do not open them."""
    if actor.is_system:
        return actor
    p = actor.principal
    return replace(
        actor,
        principal=Principal(
            user_id=p.user_id,
            student_id=p.student_id,
            guardian_id=p.guardian_id,
            child_student_ids=p.child_student_ids,
            roles=p.roles & {Role.STUDENT, Role.GUARDIAN},
        ),
    )


def subject_student(*, actor: Actor, student_id: int) -> tuple[Student, RequesterRole]:
    """The student, if the actor is that student or one of their guardians (404
    otherwise, audited as a refusal), and in which of the two capacities."""
    student = access(subject_side(actor), Student, grant=Grant.FULL, pk=student_id)
    role = (
        RequesterRole.GUARDIAN
        if student.pk in actor.principal.child_student_ids
        else RequesterRole.STUDENT
    )
    return student, role


def _muni(m: Municipality | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"code": m.code, "name": m.display_name, "prefecture": m.prefecture.display_name}


def _withheld() -> dict[str, Any]:
    return {
        "withheld": True,
        "reason": _(
            "Health and allergy information is special-care personal data (要配慮個人情報, "
            "class I). It is given to your guardian's download only; ask your guardian, or "
            "the school, to see it."
        ),
    }


def _profile(student: Student) -> dict[str, Any]:
    return {
        "id": student.pk,
        "pseudonym": str(student.pseudonym),
        "family_name": student.family_name,
        "given_name": student.given_name,
        "family_name_kana": student.family_name_kana,
        "given_name_kana": student.given_name_kana,
        "romanized_name": student.romanized_name,
        "gender": student.get_gender_display() if student.gender else "",
        "birth_date": student.birth_date,
        "school": student.school_display,
        "school_code": student.school.code if student.school_id else "",  # type: ignore[union-attr]
        "student_number": student.student_number,
        "school_email": student.school_email,
        "grade": student.grade,
        "home_municipality": _muni(student.home_municipality),
        "home_country": student.home_country,
        "preferred_language": student.get_preferred_language_display(),
        "recorded_since": student.created_at,
        "last_changed": student.updated_at,
    }


def _account(student: Student) -> dict[str, Any] | None:
    user = student.user
    if user is None:
        return None
    return {
        "created": user.date_joined,  # type: ignore[attr-defined]
        "last_sign_in": user.last_login,  # type: ignore[attr-defined]
        "language": user.language,  # type: ignore[attr-defined]
    }


def _guardians(student: Student) -> list[dict[str, Any]]:
    return [
        {
            "family_name": link.guardian.family_name,
            "given_name": link.guardian.given_name,
            "family_name_kana": link.guardian.family_name_kana,
            "given_name_kana": link.guardian.given_name_kana,
            "relationship": link.get_relationship_display(),
            "email": link.guardian.email,
            "phone": link.guardian.phone,
            "preferred_language": link.guardian.get_preferred_language_display(),
        }
        for link in GuardianLink.objects.filter(student=student)
        .select_related("guardian")
        .order_by("guardian__family_name_kana", "guardian_id")
    ]


def _consents(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own rows; the caller established the right to this student
    rows = Consent._unscoped.filter(student=student).select_related("guardian").order_by("given_at")
    return [
        {
            "purpose": c.get_purpose_display(),
            "for": c.scope,
            "notice_version": c.notice_version,
            "given_by": str(c.guardian) if c.guardian_id else "",
            "given_at": c.given_at,
            "withdrawn_at": c.withdrawn_at,
            "how": c.get_method_display(),
        }
        for c in rows
    ]


def _applications(student: Student) -> list[dict[str, Any]]:
    rows = []
    # safe: the subject's own rows; the caller established the right to this student
    applications = Application._unscoped.filter(student=student).select_related(
        "round", "placed_programme"
    )
    for a in applications.order_by("round__opens_at", "pk"):
        choices = []
        for c in a.choices.select_related("programme").prefetch_related("programme__questions"):
            questions = {str(q.pk): q.display_text for q in c.programme.questions.all()}
            choices.append(
                {
                    "rank": c.rank,
                    "programme": c.programme.display_title,
                    "answers": [
                        {"question": questions.get(str(k), str(k)), "answer": v}
                        for k, v in (c.answers or {}).items()
                    ],
                }
            )
        rows.append(
            {
                "round": a.round.name,
                "fiscal_year": a.round.fiscal_year,
                "status": a.get_status_display(),
                "submitted_at": a.submitted_at,
                "school_decision": a.get_school_decision_display(),
                "school_decided_at": a.school_decided_at,
                "school_note": a.school_note,
                "placed_programme": a.placed_programme.display_title if a.placed_programme else "",
                "outcome": a.outcome,
                "choices": choices,
            }
        )
    return rows


def _seats(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own rows; the caller established the right to this student
    seats = Seat._unscoped.filter(student=student).select_related("programme")
    return [
        {
            "programme": s.programme.display_title,
            "source": s.get_source_display(),
            "confirmed_at": s.confirmed_at,
            "cancelled_at": s.cancelled_at,
        }
        for s in seats.order_by("confirmed_at", "pk")
    ]


def _stays(student: Student, *, class1: bool) -> list[dict[str, Any]]:
    rows = []
    # safe: the subject's own rows; the caller established the right to this student
    stays = Stay._unscoped.filter(student=student).select_related("programme", "host_family")
    health_consents = set(
        # safe: the subject's own consents
        Consent._unscoped.filter(
            student=student, purpose="health", withdrawn_at__isnull=True
        ).values_list("scope", flat=True)
    )
    for s in stays.order_by("arrival", "pk"):
        if not s.health_encrypted:
            health: Any = None
        elif class1:
            health = s.health
        else:
            health = _withheld()
        requests = [
            {
                "host_family": r.host_family.name,
                "status": r.get_status_display(),
                "sent_at": r.sent_at,
                "answered_at": r.answered_at,
            }
            # safe: requests about the subject's own stay
            for r in HostRequest._unscoped.filter(stay=s)
            .select_related("host_family")
            .order_by("sent_at")
        ]
        rows.append(
            {
                "programme": s.programme.display_title,
                "arrival": s.arrival,
                "departure": s.departure,
                "host_family": s.host_family.name if s.host_family else "",
                "cancelled": s.cancelled,
                "health_notes": health,
                "health_notes_shared_with_host": f"stay:{s.pk}" in health_consents,
                "host_requests": requests,
            }
        )
    return rows


def _residences(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own rows; the caller established the right to this student
    residences = Residence._unscoped.filter(student=student).select_related(
        "programme", "host_municipality__prefecture", "home_municipality__prefecture", "school"
    )
    return [
        {
            "programme": r.programme.display_title if r.programme else "",
            "host_municipality": _muni(r.host_municipality),
            "home_municipality": _muni(r.home_municipality),
            "home_country": r.home_country,
            "school": r.school.display_name,
            "start": r.start,
            "end": r.end,
        }
        for r in residences.order_by("start", "pk")
    ]


def _attendance(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own rows; the caller established the right to this student
    rows = Attendance._unscoped.filter(student=student).select_related("session__programme")
    return [
        {
            "programme": a.session.programme.display_title,
            "session": a.session.title,
            "starts_at": a.session.starts_at,
            "minutes": a.minutes,
            "source": a.get_source_display(),
            "recorded_at": a.recorded_at,
        }
        for a in rows.order_by("session__starts_at", "pk")
    ]


def _reflections(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own rows; the caller established the right to this student
    rows = Reflection._unscoped.filter(student=student).select_related("programme")
    return [
        {
            "programme": r.programme.display_title,
            "about_other_region": r.about_other_region,
            "about_own_region": r.about_own_region,
            "submitted_at": r.submitted_at,
        }
        for r in rows.order_by("submitted_at", "pk")
    ]


def _survey_invitations(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own rows; the caller established the right to this student
    tokens = SurveyToken._unscoped.filter(student=student).select_related("wave")
    return [
        {
            "wave": t.wave.title,
            "fiscal_year": t.wave.fiscal_year,
            "invited_at": t.created_at,
            "reminded_at": t.reminded_at,
        }
        for t in tokens.order_by("created_at", "pk")
    ]


def _survey_responses(student: Student, *, class1: bool) -> list[dict[str, Any]]:
    """Answers stored under the student's pseudonym (linked waves only: anonymous
    waves keep nothing that links an answer to anyone)."""
    rows = []
    # safe: the subject's own pseudonym; the caller established the right to this student
    responses = Response._unscoped.filter(respondent=student.pseudonym).select_related(
        "wave__instrument"
    )
    for r in responses.order_by("wave__opens_at", "submitted_on", "pk"):
        inst = r.wave.instrument.parsed()
        order = {item.code: i for i, item in enumerate(inst.items)}

        def answered(
            values: dict[str, Any], inst: Any = inst, order: dict[str, int] = order
        ) -> Any:
            out = []
            for code in sorted(values, key=lambda c: order.get(c, len(order))):
                try:
                    item = inst.item(code)
                    text = item.text_en if _en() and item.text_en else item.text_ja
                except KeyError:
                    text = code
                out.append({"item": code, "question": text, "answer": values[code]})
            return out

        if not r.class1_encrypted:
            sensitive: Any = []
        elif class1:
            sensitive = answered(json.loads(decrypt_text(r.class1_encrypted)))
        else:
            sensitive = _withheld()
        rows.append(
            {
                "wave": r.wave.title,
                "kind": r.wave.get_kind_display(),
                "fiscal_year": r.wave.fiscal_year,
                "submitted_on": r.submitted_on,
                "answers": answered(dict(r.answers)),
                "health_answers": sensitive,
            }
        )
    return rows


def _portfolio_shares(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own rows; the caller established the right to this student
    shares = PortfolioShare._unscoped.filter(student=student)
    return [
        {
            "recipient": s.recipient_label,
            "recipient_kind": s.get_recipient_kind_display(),
            "sections": s.section_labels,
            "created_at": s.created_at,
            "expires_at": s.expires_at,
            "withdrawn_at": s.withdrawn_at,
        }
        for s in shares.order_by("created_at", "pk")
    ]


def _teams(student: Student) -> dict[str, list[dict[str, Any]]]:
    # safe: the subject's own memberships; teammates are not listed
    members = TeamMember._unscoped.filter(student=student).select_related(
        "team", "team_set__programme"
    )
    teams = [
        {
            "programme": m.team_set.programme.display_title,
            "team_set": m.team_set.name,
            "team": m.team.number,
            "theme": m.team.theme,
            "published": m.team_set.status == "published",
        }
        for m in members.order_by("team_set__created_at", "pk")
    ]
    posts: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    if student.user_id:
        # safe: what the subject's own account wrote
        authored = TeamPost._unscoped.filter(author_id=student.user_id).select_related("team")
        posts = [
            {
                "team": p.team.number,
                "kind": p.get_kind_display(),
                "text": p.body,
                "created_at": p.created_at,
                "hidden_at": p.hidden_at,
            }
            for p in authored.order_by("created_at", "pk")
        ]
        # safe: what the subject's own account uploaded
        uploaded = TeamFile._unscoped.filter(uploader_id=student.user_id).select_related("team")
        files = [
            {"team": f.team.number, "name": f.original_name, "size": f.size, "at": f.created_at}
            for f in uploaded.order_by("created_at", "pk")
        ]
    return {"teams": teams, "team_posts": posts, "team_files": files}


def _sign_in_codes(student: Student) -> list[dict[str, Any]]:
    """When codes were issued and used — never the codes (only hashes are stored)."""
    return [
        {"login_id": c.login_id, "issued_at": c.issued_at, "expires_at": c.expires_at,
         "used_at": c.used_at}
        for c in StudentSignInCode.objects.filter(student=student).order_by("issued_at", "pk")
    ]  # fmt: skip


def _deletion_requests(student: Student) -> list[dict[str, Any]]:
    # safe: the subject's own requests
    rows = DeletionRequest._unscoped.filter(student=student).order_by("requested_at", "pk")
    return [
        {
            "asked_by": r.get_requested_role_display(),
            "asked_at": r.requested_at,
            "reason": r.reason,
            "status": r.get_status_display(),
            "decided_at": r.decided_at,
            "decision_note": r.decision_note,
            "carried_out_at": r.carried_out_at,
        }
        for r in rows
    ]


def _audit_events(student: Student) -> list[dict[str, Any]]:
    """Who viewed, exported or changed the student's record (DESIGN.md lets the
    subject see that): time, who, what — not the addresses staff came from."""
    # safe: events whose object is the subject; read-only (the log is append-only)
    rows = AuditEvent._unscoped.filter(object_type="people.student", object_id=str(student.pk))
    return [
        {"at": e.at, "by": e.actor_label, "event": e.action, "what": label_of(e.action),
         "summary": e.summary}
        for e in rows.order_by("at", "pk")
    ]  # fmt: skip


def _notes(class1: bool) -> list[str]:
    notes = [
        _(
            "This file holds everything ekkyo stores about the student, read from the "
            "records when it was made. Other students (teammates, other guests) are not "
            "included."
        ),
        _(
            "Sign-in codes and personal survey links are stored only as hashes; the codes "
            "themselves are not kept and cannot be shown."
        ),
        _("Answers to anonymous surveys are not linked to anyone and cannot be found or included."),
        _(
            "The audit log (who viewed or changed the record) is kept for accountability "
            "and is never deleted, also after a deletion request."
        ),
    ]
    if not class1:
        notes.append(
            _(
                "Health and allergy information (class I) is withheld from this file; "
                "the guardian's download includes it."
            )
        )
    return notes


def _collect(student: Student, *, class1: bool) -> dict[str, Any]:
    # safe: re-read with the related rows; the caller established the right to this student
    student = Student._unscoped.select_related(
        "school", "home_municipality__prefecture", "user"
    ).get(pk=student.pk)
    return {
        "student": _profile(student),
        "account": _account(student),
        "guardians": _guardians(student),
        "consents": _consents(student),
        "applications": _applications(student),
        "seats": _seats(student),
        "stays": _stays(student, class1=class1),
        "residences": _residences(student),
        "attendance": _attendance(student),
        "reflections": _reflections(student),
        "survey_invitations": _survey_invitations(student),
        "survey_responses": _survey_responses(student, class1=class1),
        "portfolio_shares": _portfolio_shares(student),
        **_teams(student),
        "sign_in_codes": _sign_in_codes(student),
        "deletion_requests": _deletion_requests(student),
        "audit_events": _audit_events(student),
        "notes": _notes(class1),
    }


def subject_access_export(
    *, actor: Actor, student_id: int, fmt: str = "json", as_guardian_id: int | None = None
) -> dict[str, Any]:
    """Everything held about the student, for the student or a guardian (audited).

    A request actor must be the student or a guardian of the student (404 for
    anyone else, audited as a refusal); class I data is included only for a
    guardian. A system actor (the ``subject-access`` command, answering a
    request made on paper) exports as the student sees it, or as the guardian
    ``as_guardian_id`` sees it (:class:`NotAGuardian` if they are not one).
    """
    if actor.is_system:
        # safe: a system job (the subject-access command) answering the subject's request
        student = Student._unscoped.filter(pk=student_id).first()
        if student is None:
            raise NotFound
        role = RequesterRole.STUDENT
        if as_guardian_id is not None:
            if not GuardianLink.objects.filter(
                student=student, guardian_id=as_guardian_id
            ).exists():
                raise NotAGuardian(as_guardian_id)
            role = RequesterRole.GUARDIAN
    else:
        if as_guardian_id is not None:
            raise ValueError("as_guardian_id is for system actors; a guardian is who signs in")
        student, role = subject_student(actor=actor, student_id=student_id)
    class1 = role is RequesterRole.GUARDIAN
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "generated_at": timezone.now(),
        "exported_for": role.value,
        "class1_included": class1,
        **_collect(student, class1=class1),
    }
    audit_record(
        actor=actor,
        event=events.SUBJECT_ACCESS_EXPORT_CLASS1 if class1 else events.SUBJECT_ACCESS_EXPORT,
        obj=student,
        summary=f"subject access {fmt} for the {role.value}"
        + (" (class I included)" if class1 else ""),
        detail={
            "format": fmt,
            "class1": class1,
            "as": role.value,
            **({"guardian": as_guardian_id} if as_guardian_id is not None else {}),
        },
    )
    return data


# ---------------------------------------------------------------- the pages' lists


@dataclass
class Subject:
    """One student the actor may exercise the rights for, with their requests."""

    student: Student
    as_guardian: bool
    requests: list[DeletionRequest] = field(default_factory=list)

    @property
    def open_request(self) -> DeletionRequest | None:
        return next((r for r in self.requests if r.is_open), None)


def subjects_of(*, actor: Actor) -> list[Subject]:
    """The signed-in student themself and/or a guardian's children."""
    p = actor.principal
    ids = ([p.student_id] if p.student_id else []) + sorted(p.child_student_ids)
    # safe: the actor's own id and linked children, nothing chosen by the user
    students = Student._unscoped.filter(pk__in=ids).select_related("school")
    # safe: requests about the same students
    requests = DeletionRequest._unscoped.filter(student_id__in=ids).order_by("-requested_at")
    by_student: dict[int, list[DeletionRequest]] = {}
    for r in requests:
        by_student.setdefault(r.student_id, []).append(r)
    order = {sid: i for i, sid in enumerate(ids)}
    return [
        Subject(s, s.pk in p.child_student_ids, by_student.get(s.pk, []))
        for s in sorted(students, key=lambda s: order[s.pk])
    ]


def deletion_requests_to_decide(*, actor: Actor, closed_limit: int = 50) -> dict[str, Any]:
    """The requests the actor decides (their school's students; the secretariat's
    consortium): open ones, and the latest closed ones. The view is audited."""
    # safe: filtered by the actor's deciding grant right here
    mine = DeletionRequest._unscoped.filter(
        DeletionRequest.decider_filter(actor.principal)
    ).select_related("student__school", "run")
    open_rows = list(mine.filter(status__in=OPEN_STATUSES).order_by("requested_at", "pk"))
    closed = list(mine.exclude(status__in=OPEN_STATUSES).order_by("-requested_at")[:closed_limit])
    audit_record(
        actor=actor,
        event=events.DELETION_REQUEST_LIST_VIEW,
        object_type="rights.deletionrequest",
        summary=f"deletion requests ({len(open_rows)} open, {len(closed)} closed shown)",
        detail={"open": [r.pk for r in open_rows]},
    )
    return {
        "requested": [r for r in open_rows if r.status == RequestStatus.REQUESTED],
        "approved": [r for r in open_rows if r.status == RequestStatus.APPROVED],
        "closed": closed,
    }


def retention_runs(*, actor: Actor, limit: int = 100) -> QuerySet[RetentionRun]:
    """The runs of the secretariat's consortia, newest first."""
    # safe: the actor's own consortia (an empty set for anyone but the secretariat)
    return RetentionRun._unscoped.filter(
        consortium_id__in=actor.principal.admin_consortium_ids
    ).order_by("-started_at", "-pk")[:limit]


@dataclass(frozen=True)
class EffectivePolicy:
    kind: RecordKind
    keep_days: int | None
    keep_fiscal_years: int | None
    is_default: bool

    @property
    def label(self) -> str:
        return str(self.kind.label)

    @property
    def period(self) -> str:
        from .models import period_display

        return period_display(self.keep_days, self.keep_fiscal_years)

    @property
    def default_period(self) -> str:
        from .models import period_display

        return period_display(*DEFAULT_RETENTION[self.kind])


def retention_policies(*, consortium_id: int) -> list[EffectivePolicy]:
    """Every record kind's period in the consortium: its row, else the default."""
    stored = {p.kind: p for p in RetentionPolicy.objects.filter(consortium_id=consortium_id)}
    out = []
    for kind in RecordKind:
        row = stored.get(kind.value)
        if row is not None:
            out.append(EffectivePolicy(kind, row.keep_days, row.keep_fiscal_years, False))
        else:
            days, fys = DEFAULT_RETENTION[kind]
            out.append(EffectivePolicy(kind, days, fys, True))
    return out
