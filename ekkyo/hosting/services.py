"""Placing guests with host families: suggestions, requests (照会), answers.

Suggestions come from the functional core (``ekkyo.core.hostmatch``): hard
safety rules (availability, background check, accepted gender and ages,
allergies the household can handle, pet allergy) and weighted criteria the
town's staff adjust (shared language, distance, diet, pets). The town sends
a request; the family accepts or declines; the student's side confirms,
which places the stay with the family and withdraws the other requests.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.core import hostmatch
from ekkyo.people.models import Consent, ConsentPurpose
from ekkyo.programmes.models import Stay

from .models import HostFamily, HostRequest, RequestStatus

ALLERGENS = ["egg", "milk", "wheat", "buckwheat", "peanut", "shrimp", "crab", "walnut"]
DIETS = ["vegetarian", "vegan", "halal", "no_pork", "no_beef"]


class HostingError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def _codes(text: str) -> frozenset[str]:
    return frozenset(x.strip().lower() for x in text.split(",") if x.strip())


def host_profile(family: HostFamily) -> hostmatch.HostProfile:
    far = date(2100, 1, 1)
    return hostmatch.HostProfile(
        key=str(family.pk),
        capacity=family.guest_capacity if family.active else 0,
        languages=_codes(family.languages),
        accepts_genders=_codes(family.accepts_genders),
        min_age=family.min_age,
        max_age=family.max_age,
        available_from=family.available_from or date(2000, 1, 1),
        available_until=family.available_until or far,
        pets=family.pets,
        diet_options=_codes(family.diet_options),
        allergy_ok=_codes(family.allergy_ok),
        distance_km=float(family.distance_km),
        checked_until=family.background_check_until,
    )


def _age(birth: date | None, on: date) -> int:
    if birth is None:
        return 15
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def guest_profile(stay: Stay) -> hostmatch.GuestProfile:
    student = stay.student
    health = stay.health
    languages = {student.preferred_language}
    if student.home_country == "JP":
        languages.add("ja")
    return hostmatch.GuestProfile(
        key=str(stay.pk),
        gender=student.gender or "other",
        age=_age(student.birth_date, stay.arrival),
        languages=frozenset(languages),
        arrival=stay.arrival,
        departure=stay.departure,
        needs_diet=frozenset(health.get("diet", [])),
        allergies=frozenset(health.get("allergies", [])),
        pet_allergy=bool(health.get("pet_allergy")),
        prefers_no_pets=bool(health.get("prefers_no_pets")),
    )


def suggestions(
    *, stay: Stay, families: list[HostFamily], weights: hostmatch.Weights, limit: int = 8
) -> list[tuple[HostFamily, hostmatch.PairScore]]:
    by_key = {str(f.pk): f for f in families}
    ranked = hostmatch.rank_hosts(
        guest_profile(stay), [host_profile(f) for f in families], weights, limit=limit
    )
    return [(by_key[s.host_key], s) for s in ranked]


def suggest_all(
    *, stays: list[Stay], families: list[HostFamily], weights: hostmatch.Weights
) -> hostmatch.Placement:
    """A placement for every guest at once (max placed, then max total score)."""
    return hostmatch.suggest_placements(
        [guest_profile(s) for s in stays], [host_profile(f) for f in families], weights
    )


@transaction.atomic
def request_send(
    *, stay: Stay, family: HostFamily, score: float | None, user: Any, request: Any = None
) -> HostRequest:
    if stay.cancelled:
        raise HostingError(_("The stay is cancelled."))
    if stay.host_family_id:
        raise HostingError(_("This guest is already placed with a host family."))
    if HostRequest._unscoped.filter(
        stay=stay, host_family=family, status__in=[RequestStatus.SENT, RequestStatus.HOST_ACCEPTED]
    ).exists():
        raise HostingError(_("A request to this family is already open."))
    req = HostRequest._unscoped.create(stay=stay, host_family=family, score=score, sent_by=user)
    audit_record(
        request=request,
        user=user,
        action=Action.CREATE,
        obj=stay.student,
        summary=f"host request to family {family.pk}",
    )
    return req


@transaction.atomic
def request_answer(
    *, host_request: HostRequest, accept: bool, side: str, user: Any, request: Any = None
) -> HostRequest:
    """``side`` is "host" (the family answers) or "student" (the guest's side confirms)."""
    req = HostRequest._unscoped.select_for_update().select_related("stay").get(pk=host_request.pk)
    if side == "host":
        if req.status != RequestStatus.SENT:
            raise HostingError(_("This request has been answered already."))
        req.status = RequestStatus.HOST_ACCEPTED if accept else RequestStatus.HOST_DECLINED
    elif side == "student":
        if req.status != RequestStatus.HOST_ACCEPTED:
            raise HostingError(_("The host has not accepted this request."))
        stay = Stay._unscoped.select_for_update().get(pk=req.stay_id)
        if accept:
            if stay.host_family_id:
                raise HostingError(_("This guest is already placed with a host family."))
            req.status = RequestStatus.CONFIRMED
            stay.host_family_id = req.host_family_id
            stay.save(update_fields=["host_family"])
            HostRequest._unscoped.filter(
                stay=stay, status__in=[RequestStatus.SENT, RequestStatus.HOST_ACCEPTED]
            ).exclude(pk=req.pk).update(status=RequestStatus.WITHDRAWN)
        else:
            req.status = RequestStatus.STUDENT_DECLINED
    else:
        raise ValueError(side)
    req.answered_at = timezone.now()
    req.save(update_fields=["status", "answered_at"])
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="hosting.hostrequest",
        object_id=req.pk,
        summary=f"{side} {'accepted' if accept else 'declined'}",
    )
    return req


def health_shared_with_host(stay: Stay) -> bool:
    return Consent._unscoped.filter(
        student_id=stay.student_id,
        purpose=ConsentPurpose.HEALTH,
        scope=f"stay:{stay.pk}",
        withdrawn_at__isnull=True,
    ).exists()


@transaction.atomic
def health_save(
    *,
    stay: Stay,
    data: dict[str, Any],
    share_with_host: bool,
    guardian: Any,
    user: Any,
    request: Any = None,
) -> None:
    """Store the guest's class I notes encrypted; record or withdraw the consent
    that lets the host family see them."""
    stay = Stay._unscoped.select_for_update().get(pk=stay.pk)
    stay.health = data
    stay.save(update_fields=["health_encrypted"])
    active = Consent._unscoped.filter(
        student_id=stay.student_id,
        purpose=ConsentPurpose.HEALTH,
        scope=f"stay:{stay.pk}",
        withdrawn_at__isnull=True,
    )
    if share_with_host and not active.exists():
        Consent._unscoped.create(
            student_id=stay.student_id,
            guardian=guardian,
            purpose=ConsentPurpose.HEALTH,
            scope=f"stay:{stay.pk}",
            notice_version="2026-04",
            recorded_by=user,
        )
    elif not share_with_host:
        active.update(withdrawn_at=timezone.now())
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        obj=stay.student,
        summary="health notes for a stay (class I)",
        detail={"stay": stay.pk, "shared_with_host": share_with_host},
    )


def guest_view(stay: Stay) -> dict[str, Any]:
    """What a host family sees of its guest: only what is needed to host."""
    s = stay.student
    view: dict[str, Any] = {
        "name": s.full_name,
        "kana": s.full_name_kana,
        "gender": s.get_gender_display(),
        "age": _age(s.birth_date, stay.arrival),
        "school": s.school_display,
        "grade": s.grade,
        "language": s.get_preferred_language_display(),
        "arrival": stay.arrival,
        "departure": stay.departure,
        "programme": stay.programme.display_title,
        "health": stay.health if health_shared_with_host(stay) else None,
    }
    return view
