"""Reads about allocation: rounds, applications, approvals, seats, and the
addresses of application notices.

Objects chosen by the user (a round, an application) are fetched here at the
grant the route declares and answer 404 for "missing" and "not yours" alike;
the latter is recorded as a failed authorisation (``access.denied``).
Nothing here writes (the audit rows of refusals aside).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from ekkyo.people.models import Guardian, Student
from ekkyo.programmes.models import Programme
from ekkyo.programmes.selectors import model_refusal, own_student
from ekkyo.tenancy.access import Grant, NotFound, access, grant_filter
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal

from .models import AllocationRound, Application, ApplicationStatus, RoundStatus, Seat


def round_managed(*, actor: Actor, round_id: int) -> AllocationRound:
    """A round of the actor's consortium secretariat; 404 for anyone else's."""
    qs = AllocationRound.objects.filter(pk=round_id)
    if not actor.principal.system:
        qs = qs.filter(consortium_id__in=actor.principal.admin_consortium_ids)
    found = qs.first()
    if found is None:
        if AllocationRound.objects.filter(pk=round_id).exists():
            raise model_refusal(actor, AllocationRound, {"pk": round_id}, "secretariat")
        raise NotFound
    return found


def application_for(*, actor: Actor, application_id: int, grant: Grant) -> Application:
    """An application the actor reaches at ``grant`` (404 otherwise)."""
    return access(actor, Application, grant=grant, pk=application_id)


def approval_filter(principal: Principal) -> Q:
    """Applications a school (its students') or the secretariat (its rounds') decides."""
    if principal.system:
        return Q()
    return Q(student__school_id__in=principal.school_ids) | Q(
        round__consortium_id__in=principal.admin_consortium_ids
    )


def approvals_pending(*, actor: Actor) -> QuerySet[Application]:
    """Submitted applications waiting for the actor's decision: students the actor
    sees in full, of its school or its consortium."""
    principal = actor.principal
    return (
        Application._unscoped.filter(  # safe: filtered by the actor's full grant right here
            grant_filter(Application, principal, Grant.FULL),
            approval_filter(principal),
            status=ApplicationStatus.SUBMITTED,
        )
        .select_related("round", "student__school")
        .prefetch_related("choices__programme")
        .order_by("school_decision", "student__grade", "student__family_name_kana")
    )


def guardian_applications(*, actor: Actor) -> QuerySet[Application]:
    """A guardian's children's applications past the draft stage."""
    principal = actor.principal
    return (
        Application._unscoped.filter(  # safe: the actor's own children, seen in full
            grant_filter(Application, principal, Grant.FULL),
            student_id__in=principal.child_student_ids,
        )
        .exclude(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])
        .select_related("round", "student", "placed_programme")
        .prefetch_related("choices__programme")
        .order_by("-round__opens_at")
    )


def round_for_student(*, actor: Actor, round_id: int) -> AllocationRound:
    """A round of the student's consortium that is not being prepared; 404 otherwise."""
    student = own_student(actor=actor)
    round_ = AllocationRound.objects.filter(
        pk=round_id, consortium_id=student.consortium_id if student else 0
    ).first()
    if round_ is None or round_.status == RoundStatus.DRAFT:
        raise NotFound
    return round_


# --- seats ------------------------------------------------------------------------


def own_seat(*, actor: Actor, programme_id: int) -> Seat:
    """The signed-in student's seat (not cancelled) on a programme; 404 without one."""
    student = access(actor, Student, grant=Grant.FULL, pk=actor.principal.student_id or 0)
    seat = (
        Seat._unscoped.filter(  # safe: the actor's own seat (student checked above)
            student=student, programme_id=programme_id, cancelled_at__isnull=True
        )
        .select_related("programme", "student")
        .first()
    )
    if seat is None:
        raise NotFound
    return seat


def seat_holder_ids(programme: Programme) -> QuerySet[Seat, Any]:
    """Ids (``student_id`` values) of the students with a seat on ``programme``."""
    return Seat._unscoped.filter(  # safe: callers checked the right to manage the programme
        programme=programme, cancelled_at__isnull=True
    ).values("student_id")


# --- notifications ------------------------------------------------------------------


def notice_application(application_id: int) -> Application | None:
    """The application an email is about, after its door's transaction committed."""
    # safe: a mail job after commit, for an application its door had checked
    found = Application._unscoped.select_related("student__user", "round", "placed_programme")
    return found.filter(pk=application_id).first()


def notice_recipients(application: Application) -> list[tuple[str, str]]:
    """(address, language) of the student's guardians, and of the student's own
    account when it has an address; each address once."""
    student = application.student
    out: list[tuple[str, str]] = []
    for g in Guardian._unscoped.filter(  # safe: the guardians of the application's student
        links__student_id=student.pk
    ).exclude(email=""):
        out.append((g.email, g.preferred_language or "ja"))
    if student.user_id and student.user.email:  # type: ignore[union-attr]
        out.append((student.user.email, student.preferred_language or "ja"))  # type: ignore[union-attr]
    seen: set[str] = set()
    unique: list[tuple[str, str]] = []
    for email, lang in out:
        if email not in seen:
            seen.add(email)
            unique.append((email, lang))
    return unique
