"""Reads of the hosting pages: access functions with explicit actors.

Each selector fetches what a page shows at the grant its route declares
(``docs/access.md``) and records the views of personal data that DESIGN.md
asks to log. Class I notes (``Stay.health``) reach a host family only while
the guardian's consent for that stay holds, and every such read is audited
(``stay.health.view``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from ekkyo.audit.services import audit_record
from ekkyo.core import hostmatch
from ekkyo.participation.models import Stay
from ekkyo.people.models import Consent, ConsentPurpose
from ekkyo.programmes.models import Programme
from ekkyo.programmes.selectors import programme_managed
from ekkyo.registry.models import Municipality
from ekkyo.tenancy.access import Grant, access, grant_filter, object_refusal
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Principal

from . import events
from .matching import age_on, suggestions
from .models import HostFamily, HostRequest, RequestStatus

# Requests whose family may still be shown the guest's health notes (with
# consent): a family that declined, or whose request was withdrawn, is not the
# guest's host and the consent does not reach it.
OPEN_FOR_HEALTH = (RequestStatus.SENT, RequestStatus.HOST_ACCEPTED, RequestStatus.CONFIRMED)


# --- the register ----------------------------------------------------------------


def host_family_municipalities(principal: Principal) -> QuerySet[Municipality]:
    """The towns whose register the principal keeps: its own town, or every
    member town of the consortium it runs."""
    return Municipality.objects.filter(
        Q(pk__in=principal.municipality_ids)
        | Q(memberships__consortium_id__in=principal.admin_consortium_ids)
    ).distinct()


def host_family_register(*, actor: Actor) -> QuerySet[HostFamily]:
    """The host families the actor keeps, for the register page (audited)."""
    families = HostFamily._unscoped.filter(  # safe: filtered by the actor's grant right here
        grant_filter(HostFamily, actor.principal, Grant.FULL)
    ).select_related("municipality")
    audit_record(
        actor=actor,
        event=events.HOST_FAMILY_LIST_VIEW,
        object_type="hosting.hostfamily",
        summary="register",
    )
    return families


def host_family(*, actor: Actor, family_id: int) -> HostFamily:
    """One family of the actor's register (404 for anyone else's)."""
    return access(actor, HostFamily, grant=Grant.FULL, pk=family_id)


# --- what a host sees of a guest ----------------------------------------------------


def health_shared_with_host(stay: Stay) -> bool:
    """Whether the guardian's consent to show this stay's notes to the host holds."""
    return Consent._unscoped.filter(  # safe: an existence test about a stay the caller checked
        student_id=stay.student_id,
        purpose=ConsentPurpose.HEALTH,
        scope=f"stay:{stay.pk}",
        withdrawn_at__isnull=True,
    ).exists()


def guest_view(stay: Stay, *, health_allowed: bool = True) -> dict[str, Any]:
    """What a host family sees of its guest: only what is needed to host.

    The class I notes are included only when ``health_allowed`` and the
    guardian's consent for this stay holds; callers that show them to a host
    audit the read (:func:`host_home`)."""
    s = stay.student
    shared = health_allowed and health_shared_with_host(stay)
    return {
        "stay_id": stay.pk,
        "name": s.full_name,
        "kana": s.full_name_kana,
        "gender": s.get_gender_display(),
        "age": age_on(s.birth_date, stay.arrival),
        "school": s.school_display,
        "grade": s.grade,
        "language": s.get_preferred_language_display(),
        "arrival": stay.arrival,
        "departure": stay.departure,
        "programme": stay.programme.display_title,
        "health": stay.health if shared else None,
    }


@dataclass(frozen=True)
class HostHome:
    requests: list[dict[str, Any]]
    guests: list[dict[str, Any]]


def host_home(*, actor: Actor) -> HostHome:
    """A host family's requests (照会) and guests, with the fields needed to host.

    Each guest whose health notes are shown (consent given) is audited as
    ``stay.health.view``; the page as a whole as ``stay.host_guests.view``."""
    hosts = actor.principal.host_ids
    requests_ = HostRequest._unscoped.filter(  # safe: the actor's own families only
        host_family_id__in=hosts
    ).select_related("stay__student__school", "stay__programme")
    guests = Stay._unscoped.filter(  # safe: the actor's own families' guests only
        host_family_id__in=hosts, cancelled=False
    ).select_related("student__school", "programme")
    guest_views = [guest_view(g) for g in guests]
    request_views: list[dict[str, Any]] = [
        {"req": r, "guest": guest_view(r.stay, health_allowed=r.status in OPEN_FOR_HEALTH)}
        for r in requests_
    ]
    audit_record(
        actor=actor,
        event=events.HOST_GUESTS_VIEW,
        object_type="participation.stay",
        summary=f"host guests ({len(guest_views)})",
    )
    health_shown = sorted(
        {v["stay_id"] for v in guest_views if v["health"] is not None}
        | {r["guest"]["stay_id"] for r in request_views if r["guest"]["health"] is not None}
    )
    for stay_id in health_shown:
        audit_record(
            actor=actor,
            event=events.STAY_HEALTH_VIEW,
            object_type="participation.stay",
            object_id=stay_id,
            summary="health notes shown to the host family (class I, with consent)",
            detail={"stay": stay_id, "consent": True},
        )
    return HostHome(requests=request_views, guests=guest_views)


# --- the town's placements ---------------------------------------------------------


@dataclass(frozen=True)
class PlacementBoard:
    programme: Programme
    families: list[HostFamily]
    rows: list[dict[str, Any]]


def placement_board(
    *, actor: Actor, programme_id: int, weights: hostmatch.Weights
) -> PlacementBoard:
    """The guests of a programme the actor's town hosts, with ranked families.

    Hosting grant: the host town sees its programme's guests for hosting.
    The ranking reads the guests' class I notes (allergies, diet) inside the
    matching only; the page is audited as a view of the guests."""
    programme = programme_managed(actor=actor, programme_id=programme_id)
    stays = list(
        Stay._unscoped.filter(  # safe: filtered by the actor's hosting grant right here
            grant_filter(Stay, actor.principal, Grant.HOSTING),
            programme=programme,
            cancelled=False,
        ).select_related("student__school", "host_family", "programme")
    )
    families = (
        list(
            HostFamily._unscoped.filter(  # safe: filtered by the actor's grant right here
                grant_filter(HostFamily, actor.principal, Grant.HOSTING),
                municipality_id=programme.host_municipality_id,
            )
        )
        if programme.host_municipality_id
        else []
    )
    open_requests = {
        (r.stay_id, r.host_family_id): r
        for r in HostRequest._unscoped.filter(  # safe: requests about the stays checked above
            stay__in=stays
        ).exclude(status__in=[RequestStatus.WITHDRAWN])
    }
    rows = []
    for stay in stays:
        ranked = (
            []
            if stay.host_family_id
            else suggestions(stay=stay, families=families, weights=weights)
        )
        rows.append(
            {
                "stay": stay,
                "suggestions": [
                    {
                        "family": f,
                        "score": s,
                        "request": open_requests.get((stay.pk, f.pk)),
                        "why": s.messages(),
                    }
                    for f, s in ranked
                ],
            }
        )
    audit_record(
        actor=actor,
        event=events.PLACEMENTS_VIEW,
        obj=programme,
        summary=f"host placements ({len(stays)} guests)",
        detail={"stays": [s.pk for s in stays]},
    )
    return PlacementBoard(programme=programme, families=families, rows=rows)


# --- the guest's side ----------------------------------------------------------------


def _own_students(principal: Principal) -> list[int]:
    return [principal.student_id] if principal.student_id else sorted(principal.child_student_ids)


@dataclass(frozen=True)
class MyStays:
    stays: list[dict[str, Any]]
    offers: list[HostRequest]


def my_stays(*, actor: Actor) -> MyStays:
    """A student's (or a guardian's children's) stays and the hosts' offers to confirm."""
    students = _own_students(actor.principal)
    stays = Stay._unscoped.filter(  # safe: the actor's own (or their children's) stays only
        student_id__in=students, cancelled=False
    ).select_related("programme", "host_family", "student")
    offers = HostRequest._unscoped.filter(  # safe: the actor's own (or their children's) only
        stay__student_id__in=students, status=RequestStatus.HOST_ACCEPTED
    ).select_related("host_family", "stay__programme")
    return MyStays(
        stays=[{"stay": s, "shared": health_shared_with_host(s)} for s in stays],
        offers=list(offers),
    )


def stay_of_child(*, actor: Actor, stay_id: int) -> Stay:
    """A stay of one of the guardian's own children (full grant), for its health notes.

    Anyone else who sees the stay (its host family or town, for hosting) is
    refused and the refusal recorded."""
    stay = access(actor, Stay, grant=Grant.FULL, pk=stay_id)
    if stay.student_id not in actor.principal.child_student_ids:
        raise object_refusal(actor, "participation.stay", Grant.FULL, pk=stay_id)
    return Stay._unscoped.select_related("programme", "student").get(  # safe: checked just above
        pk=stay.pk
    )
