"""Reads about programmes: the public catalogue, eligibility, what staff may manage,
and the access functions of the programmes doors.

Objects chosen by the user (a programme to manage, a session, a round, an
application, a student by school and number) are fetched here at the grant
the route declares and answer 404 for "missing" and "not yours" alike; the
latter is recorded as a failed authorisation (``access.denied``), also when
the refusal happens inside a door's transaction (``NotFound.pending_denial``).
Nothing here writes (the audit rows of refusals aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.people.models import Guardian, Student
from ekkyo.registry.models import Municipality, School
from ekkyo.tenancy.access import Grant, NotFound, access, grant_filter, refusal
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal

from .models import (
    AllocationRound,
    Application,
    ApplicationStatus,
    Attendance,
    Programme,
    ProgrammeStatus,
    Reflection,
    Residence,
    RoundStatus,
    SchoolLevel,
    Seat,
    Session,
)


def with_availability(qs: QuerySet[Programme]) -> QuerySet[Programme]:
    return qs.annotate(
        seats_taken=Count("seats", filter=Q(seats__cancelled_at__isnull=True), distinct=True)
    )


@dataclass(frozen=True)
class CatalogueFilter:
    q: str = ""
    kind: str = ""
    prefecture: str = ""
    theme: str = ""
    date_from: date | None = None
    date_to: date | None = None
    open_now: bool = False


def catalogue(f: CatalogueFilter) -> QuerySet[Programme]:
    """Published programmes matching the filter, with places taken counted."""
    qs = Programme.objects.filter(status=ProgrammeStatus.PUBLISHED).select_related(
        "host_municipality__prefecture", "host_school"
    )
    if f.q:
        for word in f.q.split():
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(title_en__icontains=word)
                | Q(summary__icontains=word)
                | Q(summary_en__icontains=word)
                | Q(host_municipality__name__icontains=word)
            )
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.prefecture:
        qs = qs.filter(
            Q(host_municipality__prefecture_id=f.prefecture)
            | Q(host_school__municipality__prefecture_id=f.prefecture)
        )
    if f.theme:
        qs = qs.filter(themes__code=f.theme)
    if f.date_from:
        qs = qs.filter(ends_on__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(starts_on__lte=f.date_to)
    if f.open_now:
        now = timezone.now()
        qs = qs.filter(
            Q(applications_open__lte=now),
            Q(applications_close__isnull=True) | Q(applications_close__gt=now),
            starts_on__gt=timezone.localdate(now),
        )
    return with_availability(qs.prefetch_related("themes").distinct())


def manageable_programmes(principal: Principal) -> QuerySet[Programme]:
    """Programmes the principal may edit: the secretariat's, and those its town or
    school hosts."""
    if principal.system:
        return Programme.objects.all()
    q = Q(pk__in=[])
    if principal.admin_consortium_ids:
        q |= Q(consortium_id__in=principal.admin_consortium_ids)
    if principal.municipality_ids:
        q |= Q(host_municipality_id__in=principal.municipality_ids)
    if principal.school_ids:
        q |= Q(host_school_id__in=principal.school_ids)
    return Programme.objects.filter(q)


def visible_programme(principal: Principal, programme_id: int) -> Programme | None:
    """A published programme, or a draft the principal manages; None otherwise."""
    published = Q(status__in=[ProgrammeStatus.PUBLISHED, ProgrammeStatus.CANCELLED])
    qs = with_availability(
        Programme.objects.filter(pk=programme_id).select_related(
            "host_municipality__prefecture", "host_school"
        )
    )
    found = qs.filter(published).first()
    if found is None:
        found = qs.filter(pk__in=manageable_programmes(principal).values("pk")).first()
    return found


def school_level_of(student: Student) -> str:
    kind = student.school.kind if student.school_id else ""  # type: ignore[union-attr]
    if kind in {"D1"}:
        return SchoolLevel.HIGH
    if kind == "D2":
        return SchoolLevel.HIGH if student.grade >= 4 else SchoolLevel.MIDDLE
    if kind == "C2":
        return SchoolLevel.MIDDLE if student.grade >= 7 else "primary"
    return SchoolLevel.MIDDLE


def student_grade_in_level(student: Student) -> int:
    """Grade as the programme states it (中1–3, 高1–3)."""
    kind = student.school.kind if student.school_id else ""  # type: ignore[union-attr]
    if kind == "C2" and student.grade >= 7:
        return student.grade - 6
    if kind == "D2" and student.grade >= 4:
        return student.grade - 3
    return student.grade


def ineligibility(programme: Programme, student: Student) -> list[Any]:
    """Why ``student`` may not apply (empty when they may)."""
    reasons: list[Any] = []
    level = school_level_of(student)
    if programme.school_level != SchoolLevel.ANY and level != programme.school_level:
        reasons.append(
            _("for %(level)s students") % {"level": programme.get_school_level_display()}
        )
    grade = student_grade_in_level(student)
    if not programme.min_grade <= grade <= programme.max_grade:
        reasons.append(
            _("for grades %(min)s to %(max)s")
            % {"min": programme.min_grade, "max": programme.max_grade}
        )
    if (
        programme.exclude_host_residents
        and programme.host_municipality_id
        and student.home_municipality_id == programme.host_municipality_id
    ):
        reasons.append(_("for students from other municipalities"))
    if student.preferred_language not in programme.language_list and "ja" not in (
        programme.language_list
    ):
        reasons.append(_("held in a language you did not choose"))
    return reasons


# --- access functions -----------------------------------------------------------


def _refusal(
    actor: Actor, model: type[models.Model], lookup: dict[str, Any], grant: str
) -> NotFound:
    """The recorded 404 for an object that exists but is not the actor's."""
    label = model._meta.label_lower
    return refusal(actor, f"{label} {lookup}", grant=grant, model=label)


def programme_managed(*, actor: Actor, programme_id: int) -> Programme:
    """A programme the actor may manage (``manageable_programmes``); 404 otherwise."""
    programme = manageable_programmes(actor.principal).filter(pk=programme_id).first()
    if programme is None:
        if Programme.objects.filter(pk=programme_id).exists():
            raise _refusal(actor, Programme, {"pk": programme_id}, "manage")
        raise NotFound
    return programme


def programme_for_manager(*, actor: Actor, programme_id: int) -> Programme:
    """The management page's programme, with the places taken counted."""
    programme = programme_managed(actor=actor, programme_id=programme_id)
    return with_availability(Programme.objects.filter(pk=programme.pk)).get()


def session_managed(*, actor: Actor, session_id: int) -> Session:
    """A session of a programme the actor may manage; 404 otherwise."""
    session = (
        Session.objects.filter(pk=session_id, programme__in=manageable_programmes(actor.principal))
        .select_related("programme")
        .first()
    )
    if session is None:
        if Session.objects.filter(pk=session_id).exists():
            raise _refusal(actor, Session, {"pk": session_id}, "manage")
        raise NotFound
    return session


def round_managed(*, actor: Actor, round_id: int) -> AllocationRound:
    """A round of the actor's consortium secretariat; 404 for anyone else's."""
    qs = AllocationRound.objects.filter(pk=round_id)
    if not actor.principal.system:
        qs = qs.filter(consortium_id__in=actor.principal.admin_consortium_ids)
    found = qs.first()
    if found is None:
        if AllocationRound.objects.filter(pk=round_id).exists():
            raise _refusal(actor, AllocationRound, {"pk": round_id}, "secretariat")
        raise NotFound
    return found


def consortium_for_manager(principal: Principal) -> int | None:
    """The consortium a new programme belongs to: the secretariat's, else the
    first of the person's memberships."""
    from ekkyo.accounts.selectors import working_consortium_id

    return working_consortium_id(principal)


def student_by_number(
    *, actor: Actor, school_code: str, student_number: str, grant: Grant
) -> Student:
    """The student with that school code and number, if the actor reaches them at
    ``grant`` (``tenancy.access.access``: 404 otherwise, audited when not theirs)."""
    return access(
        actor,
        Student,
        grant=grant,
        school__code=school_code.strip().upper(),
        student_number=student_number.strip(),
    )


def own_student(*, actor: Actor) -> Student | None:
    """The signed-in student's own record (None for everyone else)."""
    student_id = actor.principal.student_id
    if not student_id:
        return None
    return (
        Student._unscoped.select_related(  # safe: the actor's own id, nothing chosen by the user
            "school", "home_municipality"
        )
        .filter(pk=student_id)
        .first()
    )


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


# --- participation reads ----------------------------------------------------------


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


def reflection_of(*, actor: Actor, programme_id: int) -> tuple[Programme, Reflection | None]:
    """A programme the signed-in student took part in, and their reflection on it
    if written; 404 without a seat."""
    seat = own_seat(actor=actor, programme_id=programme_id)
    existing = Reflection._unscoped.filter(  # safe: the actor's own reflection
        student_id=seat.student_id, programme_id=programme_id
    ).first()
    return seat.programme, existing


def seat_holder_ids(programme: Programme) -> QuerySet[Seat, Any]:
    """Ids (``student_id`` values) of the students with a seat on ``programme``."""
    return Seat._unscoped.filter(  # safe: callers checked the right to manage the programme
        programme=programme, cancelled_at__isnull=True
    ).values("student_id")


def session_participants(session: Session) -> list[Student]:
    """The students with a seat on the session's programme (who may attend).

    The caller has checked the right to manage the programme
    (``session_managed``): its participants are what hosting it needs."""
    return list(
        Student._unscoped.filter(  # safe: seat holders of a programme the actor manages
            pk__in=seat_holder_ids(session.programme)
        )
        .select_related("school", "user")
        .order_by("school__code", "family_name_kana")
    )


def session_present_ids(session: Session) -> set[int]:
    """Students recorded as present at a session the caller manages."""
    return set(
        Attendance._unscoped.filter(session=session).values_list(  # safe: a managed session
            "student_id", flat=True
        )
    )


def residence_host_municipalities(principal: Principal) -> QuerySet[Municipality]:
    """Towns whose residences the principal records: the secretariat's member
    towns and the person's own towns."""
    munis = Municipality.objects.filter(
        memberships__consortium_id__in=principal.admin_consortium_ids
    ) | Municipality.objects.filter(pk__in=principal.municipality_ids)
    return munis.distinct()


def residence_schools(principal: Principal) -> QuerySet[School]:
    """Schools in those towns."""
    return School.objects.filter(
        municipality__in=residence_host_municipalities(principal)
    ).distinct()


def residences_recent(*, actor: Actor, limit: int = 500) -> QuerySet[Residence]:
    """The latest residences the actor may see."""
    return (
        Residence._unscoped.filter(  # safe: filtered by the actor's grant right here
            grant_filter(Residence, actor.principal, Grant.HOSTING)
        )
        .select_related("student", "home_municipality", "host_municipality", "school")
        .order_by("-start")[:limit]
    )


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
