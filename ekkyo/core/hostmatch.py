"""Homestay matching: score host families for incoming students and suggest placements.

Member towns keep a register of host families (ホストファミリー登録). For an
offline programme, staff place each incoming student (the *guest*) with a
registered family (the *host*). This module gives them explainable
suggestions:

- :func:`score_pair` judges one host for one guest. Hard constraints make a
  pair infeasible and name every reason (a code in :data:`REASONS`): the host
  is not available for the whole stay, the background check is missing or
  expires before the guest leaves, the household does not take the guest's
  gender or age, it cannot safely handle one of the guest's allergies, the
  guest is allergic to pets and the household has some, or it has no bed.
  Soft criteria each score in [0, 1] and the pair's score is their weighted
  mean, with weights (:class:`Weights`) that staff adjust:

  ``language``
      1 if guest and host share a language, else 0. Registers list "ja" for
      Japanese-speaking households, so a Japanese-only guest and such a host
      always share "ja".
  ``distance``
      ``1 / (1 + distance_km / distance_scale_km)``: 1 at the venue, 1/2 at
      ``distance_scale_km``, 1/3 at twice that.
  ``diet``
      the share of the guest's dietary needs the household provides (1 when
      all are provided or none are needed). A household offering "vegan"
      also provides "vegetarian", "no_pork" and "no_beef"; "vegetarian"
      provides "no_pork" and "no_beef"; "halal" provides "no_pork"
      (:data:`DIET_PROVIDES`).
  ``pets``
      0 if the guest prefers a home without pets and the household has pets,
      else 1.

  A criterion with nothing to meet scores 1; a weight of 0 leaves its
  criterion out of the mean; when every weight is 0 each feasible pair
  scores 1.
- :func:`rank_hosts` lists the hosts for one guest: feasible ones by score,
  then the infeasible ones with their reasons.
- :func:`suggest_placements` places a programme's guests: as many guests as
  possible, and among those placements the one with the greatest total score,
  never using an infeasible pair nor more places than a host has. It is a
  min-cost flow solved by OR-Tools (``SimpleMinCostFlow``) on integer costs:
  scores counted in units of 10^-9 for a town's programme (down to 10^-6 for
  1,000 guests, so that the costs stay in OR-Tools' range), then a tie-break
  by key. The result is exact for those costs and deterministic: it depends
  on the keys, not on the order of the input. Feasibility and scores of all
  pairs are computed at once with numpy, by the same rules as
  :func:`score_pair` and to the same floats. The pure-Python solver used
  before is kept as the reference the tests check against.

Part of ekkyo's functional core: plain Python with numpy and OR-Tools; it
never imports Django. Messages for people are English msgids wrapped in
:func:`~ekkyo.core.messages.gettext_noop`; the Django layer translates them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from heapq import heappop, heappush

import numpy as np
import numpy.typing as npt

from ekkyo.core.messages import gettext_noop

__all__ = [
    "CRITERIA",
    "DIET_PROVIDES",
    "REASONS",
    "GuestProfile",
    "HostProfile",
    "PairScore",
    "Placement",
    "Unplaced",
    "Weights",
    "rank_hosts",
    "score_pair",
    "suggest_placements",
]

# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------

#: Reason codes, in the order a pair's reasons are listed, with the message
#: staff see. The first group makes a pair infeasible; the last two say why a
#: guest was left without a placement.
REASONS: dict[str, str] = {
    "no_capacity": gettext_noop("The household has no bed for a guest."),
    "not_available": gettext_noop("The household is not available for the whole stay."),
    "check_missing": gettext_noop("The household has no valid background check."),
    "check_expires": gettext_noop("The household's background check expires before the stay ends."),
    "gender_not_accepted": gettext_noop("The household does not take guests of this gender."),
    "age_out_of_range": gettext_noop("The guest's age is outside the ages the household takes."),
    "allergy_not_handled": gettext_noop(
        "The household cannot safely handle one of the guest's allergies."
    ),
    "pet_allergy": gettext_noop("The guest is allergic to pets and the household has pets."),
    "no_feasible_host": gettext_noop("No registered household meets the guest's requirements."),
    "hosts_full": gettext_noop(
        "Every household that meets the guest's requirements is full with other guests."
    ),
}

#: The soft criteria, in the order of :class:`Weights` and of ``PairScore.parts``.
CRITERIA: tuple[str, ...] = ("language", "distance", "diet", "pets")

#: What a household offering a diet (key) can also provide.
DIET_PROVIDES: Mapping[str, frozenset[str]] = {
    "vegan": frozenset({"vegetarian", "no_pork", "no_beef"}),
    "vegetarian": frozenset({"no_pork", "no_beef"}),
    "halal": frozenset({"no_pork"}),
}


# --------------------------------------------------------------------------
# Profiles and weights
# --------------------------------------------------------------------------


def _tags(values: Iterable[str]) -> frozenset[str]:
    """A set of codes, trimmed and lower-cased ("JA " and "ja" are one language)."""
    if isinstance(values, str):
        raise TypeError(f"expected a set of codes, not the string {values!r}")
    return frozenset(v.strip().lower() for v in values)


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True)
class HostProfile:
    """A registered host family, as far as matching needs it.

    ``capacity`` is the number of guests the household can take at once;
    ``languages`` the languages spoken at home (codes such as "ja", "en");
    ``accepts_genders`` the guests' genders it takes ("female", "male",
    "other"); ``min_age``..``max_age`` the guests' ages it takes (inclusive);
    ``available_from``..``available_until`` the days it can host (inclusive);
    ``diet_options`` the diets it can provide ("vegetarian", "halal",
    "no_pork", ...); ``allergy_ok`` the allergies it can handle safely (the
    特定原材料: "egg", "milk", "wheat", "buckwheat", "peanut", "shrimp",
    "crab", ...); ``distance_km`` the distance to the programme's venue;
    ``checked_until`` the last day the background check is valid (None: no
    check). Set-valued fields accept any iterable of codes and are trimmed
    and lower-cased.
    """

    key: str
    capacity: int
    languages: frozenset[str]
    accepts_genders: frozenset[str]
    min_age: int
    max_age: int
    available_from: date
    available_until: date
    pets: bool
    diet_options: frozenset[str]
    allergy_ok: frozenset[str]
    distance_km: float
    checked_until: date | None

    def __post_init__(self) -> None:
        for name in ("languages", "accepts_genders", "diet_options", "allergy_ok"):
            _set(self, name, _tags(getattr(self, name)))
        if self.capacity < 0:
            raise ValueError(f"host {self.key!r}: capacity must be >= 0, got {self.capacity}")
        if self.min_age > self.max_age:
            raise ValueError(f"host {self.key!r}: min_age {self.min_age} > max_age {self.max_age}")
        if self.available_from > self.available_until:
            raise ValueError(f"host {self.key!r}: available_from is after available_until")
        if not (math.isfinite(self.distance_km) and self.distance_km >= 0):
            raise ValueError(f"host {self.key!r}: distance_km must be finite and >= 0")

    def provided_diets(self) -> frozenset[str]:
        """The diets offered, widened by :data:`DIET_PROVIDES`."""
        provided = set(self.diet_options)
        for diet in self.diet_options:
            provided |= DIET_PROVIDES.get(diet, frozenset())
        return frozenset(provided)


@dataclass(frozen=True, slots=True)
class GuestProfile:
    """An incoming student, as far as matching needs it.

    ``arrival``..``departure`` is the stay (inclusive); ``needs_diet`` the
    diets the guest needs; ``allergies`` the allergies the host must handle;
    ``pet_allergy`` rules out homes with pets, ``prefers_no_pets`` only
    lowers their score. Set-valued fields are trimmed and lower-cased.
    """

    key: str
    gender: str
    age: int
    languages: frozenset[str]
    arrival: date
    departure: date
    needs_diet: frozenset[str]
    allergies: frozenset[str]
    pet_allergy: bool
    prefers_no_pets: bool

    def __post_init__(self) -> None:
        for name in ("languages", "needs_diet", "allergies"):
            _set(self, name, _tags(getattr(self, name)))
        _set(self, "gender", self.gender.strip().lower())
        if self.age < 0:
            raise ValueError(f"guest {self.key!r}: age must be >= 0, got {self.age}")
        if self.arrival > self.departure:
            raise ValueError(f"guest {self.key!r}: arrival is after departure")


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each soft criterion counts; staff adjust them.

    Every weight is a finite number >= 0; only their ratios matter.
    ``distance_scale_km`` (> 0) is the distance at which the distance
    criterion scores 1/2.
    """

    language: float = 3.0
    distance: float = 2.0
    diet: float = 2.0
    pets: float = 1.0
    distance_scale_km: float = 10.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"weight {f.name} must be finite and >= 0, got {value!r}")
        if self.distance_scale_km <= 0:
            raise ValueError("distance_scale_km must be > 0")

    def as_dict(self) -> dict[str, float]:
        """The criterion weights by name, in :data:`CRITERIA` order."""
        return {name: float(getattr(self, name)) for name in CRITERIA}


# --------------------------------------------------------------------------
# Scoring one pair
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairScore:
    """How well one host suits one guest, and why.

    ``feasible`` is False when a hard constraint fails; ``reasons`` then names
    each failure (codes of :data:`REASONS`, in its order) and ``score`` is 0.
    ``parts`` holds every criterion's score in [0, 1] (also for infeasible
    pairs, so staff see the whole picture); ``score`` is their weighted mean.
    """

    feasible: bool
    score: float
    reasons: tuple[str, ...]
    parts: dict[str, float]
    host_key: str
    guest_key: str

    def messages(self) -> tuple[str, ...]:
        """The msgids of ``reasons``, for the Django layer to translate."""
        return tuple(REASONS[code] for code in self.reasons)


def _reasons(host: HostProfile, guest: GuestProfile) -> tuple[str, ...]:
    reasons: list[str] = []
    if host.capacity <= 0:
        reasons.append("no_capacity")
    if not (host.available_from <= guest.arrival and guest.departure <= host.available_until):
        reasons.append("not_available")
    if host.checked_until is None:
        reasons.append("check_missing")
    elif host.checked_until < guest.departure:
        reasons.append("check_expires")
    if guest.gender not in host.accepts_genders:
        reasons.append("gender_not_accepted")
    if not host.min_age <= guest.age <= host.max_age:
        reasons.append("age_out_of_range")
    if not guest.allergies <= host.allergy_ok:
        reasons.append("allergy_not_handled")
    if guest.pet_allergy and host.pets:
        reasons.append("pet_allergy")
    return tuple(reasons)


def _parts(
    host: HostProfile, guest: GuestProfile, weights: Weights, provided: frozenset[str]
) -> dict[str, float]:
    needs = guest.needs_diet
    return {
        "language": 1.0 if guest.languages & host.languages else 0.0,
        "distance": 1.0 / (1.0 + host.distance_km / weights.distance_scale_km),
        "diet": len(needs & provided) / len(needs) if needs else 1.0,
        "pets": 0.0 if guest.prefers_no_pets and host.pets else 1.0,
    }


def _mean(parts: Mapping[str, float], weights: Mapping[str, float]) -> float:
    total = math.fsum(weights.values())
    if total == 0:
        return 1.0
    mean = math.fsum(weights[name] * parts[name] for name in CRITERIA) / total
    return min(1.0, max(0.0, mean))


def _score(
    host: HostProfile,
    guest: GuestProfile,
    weights: Weights,
    weight_map: Mapping[str, float],
    provided: frozenset[str],
) -> PairScore:
    reasons = _reasons(host, guest)
    parts = _parts(host, guest, weights, provided)
    return PairScore(
        feasible=not reasons,
        score=0.0 if reasons else _mean(parts, weight_map),
        reasons=reasons,
        parts=parts,
        host_key=host.key,
        guest_key=guest.key,
    )


def score_pair(host: HostProfile, guest: GuestProfile, weights: Weights) -> PairScore:
    """Judge ``host`` for ``guest``: feasibility with reasons, criterion scores, the score."""
    return _score(host, guest, weights, weights.as_dict(), host.provided_diets())


def rank_hosts(
    guest: GuestProfile,
    hosts: Iterable[HostProfile],
    weights: Weights,
    *,
    limit: int | None = 10,
) -> list[PairScore]:
    """The hosts for ``guest``, best first, at most ``limit`` (None: all).

    Feasible hosts come first, by score (highest first), ties by host key;
    then the infeasible ones, with the fewest reasons first, ties by host key.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    weight_map = weights.as_dict()
    scored = [_score(h, guest, weights, weight_map, h.provided_diets()) for h in hosts]
    scored.sort(
        key=lambda p: (0, -p.score, p.host_key) if p.feasible else (1, len(p.reasons), p.host_key)
    )
    return scored if limit is None else scored[:limit]


# --------------------------------------------------------------------------
# Placing a programme's guests
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A guest left without a host, and why (a code of :data:`REASONS`)."""

    guest_key: str
    reason: str

    @property
    def message(self) -> str:
        return REASONS[self.reason]


@dataclass(frozen=True, slots=True)
class Placement:
    """Suggested placements for one programme.

    ``assignment`` maps every guest key (in input order) to a host key, or to
    None when the guest could not be placed; ``total_score`` is the sum of the
    placed pairs' scores; ``unplaced`` lists the guests without a host, in
    input order, each with a reason.
    """

    assignment: dict[str, str | None]
    total_score: float
    unplaced: list[Unplaced] = field(default_factory=list)


def _unique_keys(kind: str, keys: Sequence[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"duplicate {kind} key {key!r}")
        seen.add(key)


def suggest_placements(
    guests: Sequence[GuestProfile], hosts: Sequence[HostProfile], weights: Weights
) -> Placement:
    """Place as many guests as possible; among those placements, the highest total score.

    A host with capacity ``c`` takes at most ``c`` guests (the guests of one
    programme overlap, so all of them count). Infeasible pairs are never used.

    Guests and hosts are put in key order and every feasible pair becomes an
    arc guest -> host of a flow network (guests supply one unit each, hosts
    take up to their capacity); OR-Tools' ``SimpleMinCostFlow`` finds the
    maximum flow (the most guests placed) of minimum cost, with the integer
    costs of :func:`_costs`: lower for a higher score, then the tie-break by
    key. The result is exact for those costs and depends only on the keys,
    not on the order of the input.

    Time: scoring is a few numpy operations over the guests × hosts table;
    1,000 guests for 600 hosts take well under a second in all
    (``bench/bench_hostmatch.py``).
    """
    return _suggest(guests, hosts, weights)


def _suggest(
    guests: Sequence[GuestProfile],
    hosts: Sequence[HostProfile],
    weights: Weights,
    *,
    reference: bool = False,
) -> Placement:
    """:func:`suggest_placements`; with ``reference``, by the pure-Python reference instead.

    The reference scores pair by pair (:func:`_candidates_reference`) and
    solves by successive shortest paths (:func:`_solve_reference`), on the
    same integer costs; tests and the benchmark compare the two.
    """
    _unique_keys("guest", [g.key for g in guests])
    _unique_keys("host", [h.key for h in hosts])
    gs = sorted(guests, key=lambda g: g.key)
    hs = sorted((h for h in hosts if h.capacity > 0), key=lambda h: h.key)
    capacity = [h.capacity for h in hs]
    pairs = (_candidates_reference if reference else _candidates)(gs, hs, weights)
    costs = _costs(pairs, len(gs), len(hs), sum(capacity))
    chosen = (_solve_reference if reference else _solve)(pairs, costs, capacity, len(gs))

    has_pair = np.zeros(len(gs), dtype=bool)
    has_pair[pairs.guest] = True
    position = {g.key: i for i, g in enumerate(gs)}
    assignment: dict[str, str | None] = {}
    unplaced: list[Unplaced] = []
    total: list[float] = []
    for guest in guests:
        i = position[guest.key]
        k = int(chosen[i])
        if k < 0:
            assignment[guest.key] = None
            reason = "hosts_full" if has_pair[i] else "no_feasible_host"
            unplaced.append(Unplaced(guest.key, reason))
        else:
            assignment[guest.key] = hs[int(pairs.host[k])].key
            total.append(float(pairs.score[k]))
    return Placement(assignment=assignment, total_score=math.fsum(total), unplaced=unplaced)


# --------------------------------------------------------------------------
# The candidate pairs: hard rules and scores for every guest and host at once
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pairs:
    """The feasible pairs of a programme: positions of guest and host (key order), score.

    Listed guest by guest, each guest's hosts in order, so the arcs given to
    the solver, hence its result, depend only on the keys. ``score`` is the
    pair's score exactly as :func:`score_pair` gives it.
    """

    guest: npt.NDArray[np.intp]
    host: npt.NDArray[np.intp]
    score: npt.NDArray[np.float64]


def _codes(sets: Iterable[frozenset[str]]) -> dict[str, int]:
    """A column for every code in ``sets``, in sorted order."""
    every: set[str] = set()
    for codes in sets:
        every |= codes
    return {code: k for k, code in enumerate(sorted(every))}


def _incidence(sets: Sequence[frozenset[str]], columns: Mapping[str, int]) -> npt.NDArray[np.bool_]:
    """Row r, column k: does ``sets[r]`` hold the code of column k (other codes: ignored)."""
    table = np.zeros((len(sets), len(columns)), dtype=bool)
    for row, codes in enumerate(sets):
        for code in codes:
            if code in columns:
                table[row, columns[code]] = True
    return table


def _ordinals(days: Iterable[date | None]) -> npt.NDArray[np.int64]:
    """Day numbers; None (no background check) is 0, before any date."""
    return np.array([0 if d is None else d.toordinal() for d in days], dtype=np.int64)


def _candidates(gs: Sequence[GuestProfile], hs: Sequence[HostProfile], weights: Weights) -> _Pairs:
    """Every feasible pair with its score, as :func:`_reasons` and :func:`_parts` would give.

    The hard rules are evaluated on whole guests × hosts tables, one step per
    reason code of :func:`_reasons` (which stays their definition, with the
    reasons staff see). A pair's criterion scores depend only on whether it
    shares a language, how many of the guest's diet needs the host provides
    (of how many), whether the guest prefers no pets and the host has some,
    and the host (distance); each distinct combination is scored once by
    :func:`_parts` and :func:`_mean`, the code of :func:`score_pair`, so the
    scores are the same floats.
    """
    n, m = len(gs), len(hs)
    if n == 0 or m == 0:
        return _Pairs(np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.float64))
    arrival = _ordinals(g.arrival for g in gs)[:, None]
    departure = _ordinals(g.departure for g in gs)[:, None]
    age = np.array([g.age for g in gs])[:, None]
    pet_allergy = np.array([g.pet_allergy for g in gs])[:, None]
    prefers_no_pets = np.array([g.prefers_no_pets for g in gs])[:, None]
    capacity = np.array([h.capacity for h in hs])[None, :]
    available_from = _ordinals(h.available_from for h in hs)[None, :]
    available_until = _ordinals(h.available_until for h in hs)[None, :]
    checked_until = _ordinals(h.checked_until for h in hs)[None, :]
    min_age = np.array([h.min_age for h in hs])[None, :]
    max_age = np.array([h.max_age for h in hs])[None, :]
    pets = np.array([h.pets for h in hs])[None, :]

    genders = _codes(frozenset({g.gender}) for g in gs)
    gender = np.array([genders[g.gender] for g in gs])
    takes_gender = _incidence([h.accepts_genders for h in hs], genders)  # hosts × genders
    allergens = _codes(g.allergies for g in gs)
    has_allergy = _incidence([g.allergies for g in gs], allergens)
    handles = _incidence([h.allergy_ok for h in hs], allergens)

    feasible = np.ones((n, m), dtype=bool)
    feasible &= capacity > 0  # no_capacity
    feasible &= (available_from <= arrival) & (departure <= available_until)  # not_available
    feasible &= checked_until >= departure  # check_missing, check_expires
    feasible &= takes_gender[:, gender].T  # gender_not_accepted
    feasible &= (min_age <= age) & (age <= max_age)  # age_out_of_range
    feasible &= ~(has_allergy @ ~handles.T)  # allergy_not_handled: one not handled
    feasible &= ~(pet_allergy & pets)  # pet_allergy
    guest, host = np.nonzero(feasible)  # row by row: guests, then hosts, in key order

    # What the criterion scores of a pair depend on.
    languages = _codes(g.languages for g in gs)
    shares_language = (
        _incidence([g.languages for g in gs], languages)
        @ _incidence([h.languages for h in hs], languages).T
    )
    provided = [h.provided_diets() for h in hs]
    diets = _codes(g.needs_diet for g in gs)
    needs = _incidence([g.needs_diet for g in gs], diets).astype(np.int64)
    needs_met = needs @ _incidence(provided, diets).T.astype(np.int64)
    base = len(diets) + 1  # counts of needs are below it
    combination = (
        ((host * 2 + shares_language[guest, host]) * 2 + (prefers_no_pets & pets)[guest, host])
        * base**2
        + needs_met[guest, host] * base
        + needs.sum(axis=1)[guest]
    )
    _, first, which = np.unique(combination, return_index=True, return_inverse=True)
    weight_map = weights.as_dict()
    scores = np.array(
        [
            _mean(_parts(hs[j], gs[i], weights, provided[j]), weight_map)
            for i, j in zip(guest[first].tolist(), host[first].tolist(), strict=True)
        ],
        dtype=np.float64,
    )
    return _Pairs(guest, host, scores[which])


def _candidates_reference(
    gs: Sequence[GuestProfile], hs: Sequence[HostProfile], weights: Weights
) -> _Pairs:
    """:func:`_candidates` pair by pair in plain Python: the definition it is checked against."""
    weight_map = weights.as_dict()
    guest: list[int] = []
    host: list[int] = []
    score: list[float] = []
    for i, g in enumerate(gs):
        for j, h in enumerate(hs):
            if not _reasons(h, g):
                guest.append(i)
                host.append(j)
                score.append(_mean(_parts(h, g, weights, h.provided_diets()), weight_map))
    return _Pairs(
        np.array(guest, dtype=np.intp), np.array(host, dtype=np.intp), np.array(score, np.float64)
    )


# --------------------------------------------------------------------------
# Integer costs and the min-cost flow
# --------------------------------------------------------------------------

#: Scores are counted in units of 1 / resolution, at most 10^-9 apart.
_MAX_RESOLUTION = 10**9
#: Below this (10^-4 of a score) the optimum would no longer be worth the name.
_MIN_RESOLUTION = 10**4
#: OR-Tools multiplies every cost by (nodes + 1) and refuses arcs whose
#: scaled cost exceeds half the int64 range; node potentials then grow from
#: there. Keeping costs a further factor 4 below that bound left every
#: instance tried solvable (at 0.83 of the bound it still was).
_COST_HEADROOM = 4
_INT64_MAX = 2**63 - 1


def _resolution(n: int, m: int, places: int) -> tuple[int, int]:
    """The score resolution and the tie-break unit for ``n`` guests and ``m`` hosts.

    Returns ``(resolution, unit)``: a pair's cost is ``(resolution -
    round(score * resolution)) * unit + tie`` with ``0 <= tie < n * m``
    (:func:`_costs`). ``unit = min(n, places) * n * m`` exceeds the tie terms of
    any placement together, so the tie-break never outweighs one unit of
    score. ``resolution`` is the largest power of ten up to 10^9 that keeps
    every cost within what OR-Tools accepts (10^9 for a town's programme of a
    few dozen guests, 10^6 for 1,000 guests and 600 hosts).
    """
    unit = max(1, min(n, places) * n * m)
    nodes = n + m + 2  # OR-Tools adds a source and a sink
    budget = _INT64_MAX // (2 * (nodes + 1)) // _COST_HEADROOM
    resolution = _MAX_RESOLUTION
    while resolution * unit + n * m > budget:
        resolution //= 10
        if resolution < _MIN_RESOLUTION:
            raise ValueError(
                f"{n} guests and {m} hosts are too many to place in one call; "
                "place each programme's guests separately"
            )
    return resolution, unit


def _costs(pairs: _Pairs, n: int, m: int, places: int) -> npt.NDArray[np.int64]:
    """The integer cost of each pair: score first, then the tie-break by key.

    ``cost = (R - round(score * R)) * U + n * m - (n - i) * (m - j)`` with
    ``R, U = _resolution(n, m, places)`` and ``i``, ``j`` the positions of the
    guest and the host in key order. Among placements of equal (integer)
    total score the flow thus maximises the sum of ``(n - i) * (m - j)``:
    other things equal, a contested place goes to the guest first in key
    order, a guest takes the host first in key order, and of two guests who
    could swap hosts the first takes the first. Those are the usual ties
    (guests or hosts with the same profile); a longer exchange among several
    guests can still leave two placements with equal sums, and then the
    solver settles it, deterministically, since the arcs are listed in key
    order.
    """
    resolution, unit = _resolution(n, m, places)
    score_cost = resolution - np.rint(pairs.score * resolution).astype(np.int64)
    tie = n * m - (n - pairs.guest.astype(np.int64)) * (m - pairs.host.astype(np.int64))
    return score_cost * unit + tie


def _solve(
    pairs: _Pairs, costs: npt.NDArray[np.int64], capacity: Sequence[int], n: int
) -> npt.NDArray[np.intp]:
    """The pair chosen for each guest (-1: unplaced) in a max flow of min cost (OR-Tools).

    Nodes: guests 0..n-1, each supplying one unit, and hosts n..n+m-1, each
    taking up to its capacity; arcs: the pairs, in their order, capacity 1.
    """
    chosen = np.full(n, -1, dtype=np.intp)
    if len(costs) == 0:
        return chosen
    # Imported here: loading the solver takes 0.1-0.2 s, needed only to place.
    from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

    m = len(capacity)
    flow = SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        pairs.guest.astype(np.int32),
        (pairs.host + n).astype(np.int32),
        np.ones(len(costs), dtype=np.int64),
        costs,
    )
    flow.set_nodes_supplies(
        np.arange(n + m, dtype=np.int32),
        np.concatenate([np.ones(n, dtype=np.int64), -np.asarray(capacity, dtype=np.int64)]),
    )
    status = flow.solve_max_flow_with_min_cost()
    if status != SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"the min-cost flow was not solved: {status.name}")
    used = np.flatnonzero(np.asarray(flow.flows(arcs)) > 0)
    chosen[pairs.guest[used]] = used
    return chosen


def _solve_reference(
    pairs: _Pairs, costs: npt.NDArray[np.int64], capacity: Sequence[int], n: int
) -> npt.NDArray[np.intp]:
    """:func:`_solve` in pure Python: the solver this module used before OR-Tools.

    Kept as the reference the tests check :func:`_solve` against (equal total
    cost) and the benchmark times; :func:`suggest_placements` does not use it.
    Successive shortest paths: every guest can also go straight to the sink
    ("unplaced") at a cost ``big`` greater than any placement's other costs
    together, so the minimum-cost flow places the most guests, then minimises
    the cost. Guests are added one at a time, in key order, each along a
    shortest augmenting path (Dijkstra on reduced costs with node potentials,
    stopped when the sink is reached), which keeps the flow optimal for the
    guests added so far; ties are broken by node number.
    Time: O(n (E + V) log V) in the worst case, ~20 s for 1,000 guests × 600 hosts.
    """
    m = len(capacity)
    arcs: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # per guest: (host node, cost)
    pair_of: list[dict[int, int]] = [{} for _ in range(n)]  # per guest: host node -> pair
    for k, (i, j, cost) in enumerate(
        zip(pairs.guest.tolist(), pairs.host.tolist(), costs.tolist(), strict=True)
    ):
        arcs[i].append((n + j, cost))
        pair_of[i][n + j] = k
    cost_of = [dict(row) for row in arcs]

    # Nodes: guests 0..n-1, hosts n..n+m-1, sink n+m.
    sink = n + m
    big = (n + 1) * (max(costs.tolist(), default=0) + 1)
    at_host: list[list[int]] = [[] for _ in range(m)]  # guests placed at each host
    host_of: list[int] = [-1] * n  # host node of each guest, -1 unplaced
    cost_now: list[int] = [0] * n  # cost of each guest's current arc
    potential: list[int] = [0] * (n + m + 1)
    infinity = math.inf

    for start in range(n):
        # The new guest has no incoming residual arc, so any potential that
        # makes its own arcs' reduced costs non-negative will do.
        p_start = potential[sink] - big
        for node, cost in arcs[start]:
            p_start = max(p_start, potential[node] - cost)
        potential[start] = p_start

        dist: list[float] = [infinity] * (n + m + 1)
        pred: list[int] = [-1] * (n + m + 1)
        done: list[bool] = [False] * (n + m + 1)
        dist[start] = 0
        heap: list[tuple[float, int]] = [(0, start)]
        while heap:
            d, u = heappop(heap)
            if done[u]:
                continue
            done[u] = True
            if u == sink:
                break
            pu = potential[u] + d
            if u < n:  # a guest: to any other feasible host, or out (unplaced)
                current = host_of[u]
                for v, cost in arcs[u]:
                    if v != current and not done[v]:
                        nd = pu + cost - potential[v]
                        if nd < dist[v]:
                            dist[v] = nd
                            pred[v] = u
                            heappush(heap, (nd, v))
                # Out to the sink, unplaced: the new guest itself (relaxed
                # first, so at equal cost nobody else is bumped), or a placed
                # guest bumped so that another can take its place.
                if current != -1 or u == start:
                    nd = pu + big - potential[sink]
                    if nd < dist[sink]:
                        dist[sink] = nd
                        pred[sink] = u
                        heappush(heap, (nd, sink))
            else:  # a host: back along a placement, or to the sink if a place is free
                for v in at_host[u - n]:
                    if not done[v]:
                        nd = pu - cost_now[v] - potential[v]
                        if nd < dist[v]:
                            dist[v] = nd
                            pred[v] = u
                            heappush(heap, (nd, v))
                if len(at_host[u - n]) < capacity[u - n]:
                    nd = pu - potential[sink]
                    if nd < dist[sink]:
                        dist[sink] = nd
                        pred[sink] = u
                        heappush(heap, (nd, sink))
        reach = dist[sink]
        for v in range(n + m + 1):
            if v < n and v > start:
                continue  # not added yet
            dv = dist[v]
            potential[v] += int(dv if dv < reach else reach)

        # Augment along the path start -> h1 -> g1 -> h2 -> ... -> sink.
        v = sink
        while v != start:
            u = pred[v]
            if u < n and v == sink:  # guest u leaves (or never gets) a host
                host_of[u] = -1
            elif u < n:  # guest u moves to host v
                host_of[u] = v
                cost_now[u] = cost_of[u][v]
                at_host[v - n].append(u)
            elif v < n:  # host u gives guest v up
                at_host[u - n].remove(v)
            v = u

    return np.array([-1 if v < 0 else pair_of[i][v] for i, v in enumerate(host_of)], np.intp)
