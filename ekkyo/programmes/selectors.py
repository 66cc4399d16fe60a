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

from ekkyo.people.models import Student
from ekkyo.tenancy.access import Grant, NotFound, access, refusal
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal

from .models import Programme, ProgrammeStatus, SchoolLevel, Session


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


def model_refusal(
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
            raise model_refusal(actor, Programme, {"pk": programme_id}, "manage")
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
            raise model_refusal(actor, Session, {"pk": session_id}, "manage")
        raise NotFound
    return session


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
