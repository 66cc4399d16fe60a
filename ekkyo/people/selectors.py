"""Reads of students and guardians: access functions with explicit actors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ekkyo.audit.services import audit_record
from ekkyo.tenancy.access import Grant, access, grant_filter
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal

from . import events
from .models import Guardian, RosterImport, Student


def student_grant(principal: Principal, student: Student) -> Grant:
    """FULL for those DESIGN.md grants the whole record; HOSTING for a host town,
    school or family, who see only the fields needed to host."""
    full = Student._unscoped.filter(  # safe: an existence test of the caller's own grant
        Student.full_access_filter(principal), pk=student.pk
    ).exists()
    return Grant.FULL if full else Grant.HOSTING


@dataclass(frozen=True)
class StudentProfile:
    student: Student
    grant: Grant
    guardians: list[Guardian]

    @property
    def full(self) -> bool:
        return self.grant is Grant.FULL


def student_profile(*, actor: Actor, student_id: int) -> StudentProfile:
    """A student's profile at the actor's grant (hosting shows the fields needed
    to host; guardians only in full). Every view is audited."""
    student = access(actor, Student, grant=Grant.HOSTING, pk=student_id)
    grant = student_grant(actor.principal, student)
    guardians = list(student.guardians.all()) if grant is Grant.FULL else []
    audit_record(
        actor=actor,
        event=events.STUDENT_VIEW,
        obj=student,
        summary=f"student profile ({grant})",
        detail={"grant": str(grant)},
    )
    return StudentProfile(student=student, grant=grant, guardians=guardians)


def student_list(
    *, actor: Actor, q: str = "", school_code: str = "", grade: int | None = None
) -> QuerySet[Student]:
    """Students whose whole record the actor may see (lists, exports, class sheets)."""
    qs = Student._unscoped.filter(  # safe: filtered by the actor's full grant right here
        Student.full_access_filter(actor.principal)
    ).select_related("school", "home_municipality__prefecture")
    if q:
        for word in q.split():
            qs = qs.filter(
                Q(family_name__icontains=word)
                | Q(given_name__icontains=word)
                | Q(family_name_kana__icontains=word)
                | Q(given_name_kana__icontains=word)
                | Q(romanized_name__icontains=word)
                | Q(student_number=word)
            )
    if school_code:
        qs = qs.filter(school__code=school_code.strip().upper())
    if grade:
        qs = qs.filter(grade=grade)
    return qs


def student_list_viewed(*, actor: Actor, shown: int, page: int, filters: dict[str, str]) -> None:
    """Record that a page of the student list was shown to staff."""
    audit_record(
        actor=actor,
        event=events.STUDENT_LIST_VIEW,
        object_type="people.student",
        summary=f"student list page {page} ({shown} shown)",
        detail={"filters": filters},
    )


def students_for_export(
    *, actor: Actor, fmt: str, filters: dict[str, str], q: str, school_code: str, grade: int | None
) -> list[Student]:
    """The students of a roster export (full grant only), audited with the count."""
    students = list(student_list(actor=actor, q=q, school_code=school_code, grade=grade))
    audit_record(
        actor=actor,
        event=events.STUDENT_EXPORT,
        object_type="people.student",
        summary=f"roster export {fmt} ({len(students)} students)",
        detail={"filters": filters, "count": len(students), "format": fmt},
    )
    return students


def children_of(*, actor: Actor) -> QuerySet[Student]:
    """A guardian's own children."""
    return Student._unscoped.filter(  # safe: the actor's own links, nothing chosen by the user
        pk__in=actor.principal.child_student_ids
    ).select_related("school")


def roster_imports_recent(*, actor: Actor, kind: str, limit: int = 10) -> list[RosterImport]:
    """The latest uploads of ``kind`` (roster / oneroster) the actor may see."""
    return list(
        RosterImport._unscoped.filter(  # safe: filtered by the actor's grant right here
            grant_filter(RosterImport, actor.principal, Grant.FULL), kind=kind
        ).select_related("school", "uploaded_by")[:limit]
    )
