"""Reads about participation: a student's reflection, a session's participants
and attendance, and the residences a person records. Nothing here writes."""

from __future__ import annotations

from django.db.models import QuerySet

from ekkyo.allocation.selectors import own_seat, seat_holder_ids
from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme, Session
from ekkyo.registry.models import Municipality, School
from ekkyo.tenancy.access import Grant, grant_filter
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal

from .models import Attendance, Reflection, Residence


def reflection_of(*, actor: Actor, programme_id: int) -> tuple[Programme, Reflection | None]:
    """A programme the signed-in student took part in, and their reflection on it
    if written; 404 without a seat."""
    seat = own_seat(actor=actor, programme_id=programme_id)
    existing = Reflection._unscoped.filter(  # safe: the actor's own reflection
        student_id=seat.student_id, programme_id=programme_id
    ).first()
    return seat.programme, existing


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
