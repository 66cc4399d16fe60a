"""Reads of students and guardians (always through the scoped managers)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ekkyo.tenancy.principal import Principal, current_principal

from .models import Student


def student_access(principal: Principal, student: Student) -> str:
    """ "full" for those DESIGN.md grants the whole record; "host" for a host town,
    school or family, who see only the fields needed to host."""
    full = Student._plain.filter(Student.full_access_filter(principal), pk=student.pk).exists()
    return "full" if full else "host"


def student_list(
    *, q: str = "", school_code: str = "", grade: int | None = None
) -> QuerySet[Student]:
    """Students whose whole record the active principal may see (lists, exports)."""
    qs = Student.objects.filter(Student.full_access_filter(current_principal())).select_related(
        "school", "home_municipality__prefecture"
    )
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
