"""Host-family suggestions: the functional core's profiles built from the records.

``ekkyo.core.hostmatch`` decides (hard safety rules, weighted criteria); this
module only turns a HostFamily and a Stay into its plain profiles. It runs no
query of its own and writes nothing: callers pass rows they have fetched
through a door. A guest's profile reads the stay's class I notes (allergies,
diet) for the matching only.
"""

from __future__ import annotations

from datetime import date

from ekkyo.core import hostmatch
from ekkyo.participation.models import Stay

from .models import HostFamily

ALLERGENS = ["egg", "milk", "wheat", "buckwheat", "peanut", "shrimp", "crab", "walnut"]
DIETS = ["vegetarian", "vegan", "halal", "no_pork", "no_beef"]


def _codes(text: str) -> frozenset[str]:
    return frozenset(x.strip().lower() for x in text.split(",") if x.strip())


def age_on(birth: date | None, on: date) -> int:
    """Age in whole years on a day (15 when the birth date is unknown)."""
    if birth is None:
        return 15
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


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


def guest_profile(stay: Stay) -> hostmatch.GuestProfile:
    student = stay.student
    health = stay.health
    languages = {student.preferred_language}
    if student.home_country == "JP":
        languages.add("ja")
    return hostmatch.GuestProfile(
        key=str(stay.pk),
        gender=student.gender or "other",
        age=age_on(student.birth_date, stay.arrival),
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
