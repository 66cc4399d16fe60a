"""Writes for the rights of the data subject: deletion requests and retention periods.

Workflow (the job that carries requests out is ``retention_services``):

1. ``deletion_request_file`` — the student or a guardian asks (one open
   request per student: a second submit returns the open one);
   ``deletion_request_withdraw`` — the student or a guardian takes back a
   request the school has not decided yet;
2. ``deletion_request_decide`` — the student's school coordinator (school
   staff of the student's school) or the secretariat approves or refuses it;
3. ``retention_services.retention_run`` carries out every approved request.

``retention_policy_set`` changes how long a kind of record is kept in a
consortium (the secretariat, on the page or in the admin).

Every door takes an explicit :class:`Actor`, fetches what the user chose with
``tenancy.access.access`` and writes an audit row with a code of
``rights.events``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ekkyo.audit.services import audit_record, snapshot
from ekkyo.people.models import Student
from ekkyo.tenancy.access import Grant, access
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal

from . import events
from .models import (
    DEFAULT_RETENTION,
    MAX_KEEP_DAYS,
    MAX_KEEP_FISCAL_YEARS,
    OPEN_STATUSES,
    DeletionRequest,
    RecordKind,
    RequestStatus,
    RetentionPolicy,
)
from .selectors import subject_student

DECISION_FIELDS = ("status", "decided_by", "decided_by_label", "decided_at", "decision_note")


class RightsError(Exception):
    """A request the door refuses with a message for the person (not a 404)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _user_pk(actor: Actor) -> Any:
    return actor.user if getattr(actor.user, "pk", None) else None


@transaction.atomic
def deletion_request_file(
    *, actor: Actor, student_id: int, reason: str = ""
) -> tuple[DeletionRequest, bool]:
    """The student or a guardian asks for the student's data to be deleted.

    Returns ``(request, created)``: with a request already open (waiting for the
    school or for the job) nothing new is made and the open one is returned, so
    a double submit files one request. Anyone else gets 404 (audited)."""
    student, role = subject_student(actor=actor, student_id=student_id)
    # Serialise filings for one student (the unique constraint is the backstop).
    # safe: subject_student() checked the right to this student
    Student._unscoped.select_for_update().filter(pk=student.pk).order_by("pk").first()
    # safe: requests of the student checked above
    existing = DeletionRequest._unscoped.filter(student=student, status__in=OPEN_STATUSES).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            request = DeletionRequest._unscoped.create(  # safe: the student checked above
                student=student,
                requested_by=_user_pk(actor),
                requested_role=role,
                reason=reason.strip()[:2000],
            )
    except IntegrityError:
        # A concurrent filing won the race: return its request.
        return DeletionRequest._unscoped.get(  # safe: the student checked above
            student=student, status__in=OPEN_STATUSES
        ), False
    audit_record(
        actor=actor,
        event=events.DELETION_REQUEST_FILE,
        obj=student,
        summary=f"deletion request {request.pk} filed by the {role.value}",
        detail={"request": request.pk, "role": role.value},
    )
    return request, True


WITHDRAW_FIELDS = ("status", "decided_at")


@transaction.atomic
def deletion_request_withdraw(*, actor: Actor, student_id: int) -> DeletionRequest | None:
    """The student or a guardian withdraws the student's pending request.

    Only a request still waiting for the school (``requested``) can be
    withdrawn; once approved it is the school's decision and the job's turn
    (:class:`RightsError`). Returns the withdrawn request, or ``None`` when
    nothing is pending (a double submit withdraws once and then does nothing).
    Anyone else gets 404 (audited)."""
    student, role = subject_student(actor=actor, student_id=student_id)
    # safe: subject_student() checked the right to this student; serialise with filing
    Student._unscoped.select_for_update().filter(pk=student.pk).order_by("pk").first()
    # safe: requests of the student checked above
    request = DeletionRequest._unscoped.filter(student=student, status__in=OPEN_STATUSES).first()
    if request is None:
        return None
    if request.status != RequestStatus.REQUESTED:
        raise RightsError(_("The school has already approved this request; ask the school."))
    old = snapshot(request, WITHDRAW_FIELDS)
    request.status = RequestStatus.WITHDRAWN
    request.decided_at = timezone.now()
    request.save(update_fields=list(WITHDRAW_FIELDS))
    audit_record(
        actor=actor,
        event=events.DELETION_REQUEST_WITHDRAW,
        obj=student,
        summary=f"deletion request {request.pk} withdrawn by the {role.value}",
        detail={"request": request.pk, "role": role.value},
        old=old,
        new=snapshot(request, WITHDRAW_FIELDS),
    )
    return request


def _decider(actor: Actor) -> Actor:
    """The actor with only the grants that decide: their schools, the secretariat's
    consortia (a town, or a teacher's own child, do not decide)."""
    if actor.is_system:
        return actor
    p = actor.principal
    return replace(
        actor,
        principal=Principal(
            user_id=p.user_id,
            admin_consortium_ids=p.admin_consortium_ids,
            school_ids=p.school_ids,
            roles=p.roles,
        ),
    )


@transaction.atomic
def deletion_request_decide(
    *, actor: Actor, request_id: int, approve: bool, note: str = ""
) -> DeletionRequest:
    """The student's school or the secretariat approves or refuses a request.

    Someone else, or a school that is not the student's, gets 404 (audited).
    Giving the same decision twice changes nothing; a different decision on a
    request already decided is refused (:class:`RightsError`)."""
    found = access(_decider(actor), DeletionRequest, grant=Grant.FULL, pk=request_id)
    request = (
        # safe: access() checked the request above
        DeletionRequest._unscoped.select_for_update().select_related("student").get(pk=found.pk)
    )
    wanted = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    if request.status == wanted:
        return request
    if request.status != RequestStatus.REQUESTED:
        raise RightsError(_("This request was already decided."))
    old = snapshot(request, DECISION_FIELDS)
    request.status = wanted
    request.decided_by = _user_pk(actor)
    request.decided_by_label = actor.label[:200]
    request.decided_at = timezone.now()
    request.decision_note = note.strip()[:500]
    request.save(update_fields=list(DECISION_FIELDS))
    audit_record(
        actor=actor,
        event=events.DELETION_REQUEST_APPROVE if approve else events.DELETION_REQUEST_REFUSE,
        obj=request.student,
        summary=f"deletion request {request.pk} {wanted.value}",
        detail={"request": request.pk},
        old=old,
        new=snapshot(request, DECISION_FIELDS),
    )
    return request


def _may_set_policies(actor: Actor, consortium_id: int) -> bool:
    return actor.is_system or consortium_id in actor.principal.admin_consortium_ids


@transaction.atomic
def retention_policy_set(
    *,
    actor: Actor,
    consortium_id: int,
    kind: str,
    keep_days: int | None = None,
    keep_fiscal_years: int | None = None,
) -> RetentionPolicy:
    """Set how long one kind of record is kept in a consortium (its secretariat).

    Exactly one of ``keep_days`` and ``keep_fiscal_years``. Audited with the
    old and new period."""
    if not _may_set_policies(actor, consortium_id):
        raise PermissionError("only the consortium's secretariat sets retention periods")
    if kind not in RecordKind.values:
        raise RightsError(_("Unknown kind of record."))
    if (keep_days is None) == (keep_fiscal_years is None):
        raise RightsError(_("Give the period in days or in fiscal years."))
    if keep_days is not None and not 1 <= keep_days <= MAX_KEEP_DAYS:
        raise RightsError(_("Days must be between 1 and %(n)s.") % {"n": MAX_KEEP_DAYS})
    if keep_fiscal_years is not None and not 0 <= keep_fiscal_years <= MAX_KEEP_FISCAL_YEARS:
        raise RightsError(
            _("Fiscal years must be between 0 and %(n)s.") % {"n": MAX_KEEP_FISCAL_YEARS}
        )
    fields = ("keep_days", "keep_fiscal_years")
    policy = (
        RetentionPolicy.objects.select_for_update()
        .filter(consortium_id=consortium_id, kind=kind)
        .first()
    )
    if policy is None:
        days, fys = DEFAULT_RETENTION[kind]
        old = {"keep_days": days, "keep_fiscal_years": fys, "default": True}
        policy = RetentionPolicy(consortium_id=consortium_id, kind=kind)
    else:
        old = snapshot(policy, fields)
    policy.keep_days = keep_days
    policy.keep_fiscal_years = keep_fiscal_years
    policy.updated_by = _user_pk(actor)
    policy.save()
    audit_record(
        actor=actor,
        event=events.RETENTION_POLICY_SET,
        obj=policy,
        consortium_id=consortium_id,
        summary=f"retention of {kind}: {policy.period_display}",
        old=old,
        new={**snapshot(policy, fields), "default": False},
    )
    return policy


def retention_policies_ensure(*, consortium_id: int) -> int:
    """Store the default period of every kind the consortium has no row for (the
    job's first run makes them visible and editable in the admin). Returns how
    many were created."""
    have = set(
        RetentionPolicy.objects.filter(consortium_id=consortium_id).values_list("kind", flat=True)
    )
    missing = [
        RetentionPolicy(
            consortium_id=consortium_id,
            kind=kind,
            keep_days=DEFAULT_RETENTION[kind][0],
            keep_fiscal_years=DEFAULT_RETENTION[kind][1],
        )
        for kind in RecordKind.values
        if kind not in have
    ]
    RetentionPolicy.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)
