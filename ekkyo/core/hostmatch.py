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
  min-cost flow solved by successive shortest paths (Dijkstra with
  potentials) in pure Python, on integer costs (scores are counted in units
  of 10^-9), so the result is exact for those costs and deterministic: it
  depends on the keys, not on the order of the input.

Part of ekkyo's functional core: standard library only; it never imports Django
(or any third-party package). Messages for people are English msgids wrapped
in :func:`~ekkyo.core.messages.gettext_noop`; the Django layer translates them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from heapq import heappop, heappush

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

# Scores become integer costs in units of 1 / _SCALE, so the optimisation is
# exact and its result does not depend on floating-point rounding.
_SCALE = 10**9


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

    The problem is a min-cost flow: every guest sends one unit either to a host
    it may stay with, at cost ``SCALE - round(score * SCALE)``, or straight to
    the sink ("unplaced") at cost ``BIG = (len(guests) + 1) * SCALE``; hosts pass
    at most their capacity to the sink. Since one more placed guest always
    saves more than any difference in scores can cost, the minimum-cost flow
    places the most guests, then maximises the total (integer) score. Guests
    are added one at a time, in key order, each along a shortest augmenting
    path (Dijkstra on reduced costs with node potentials, stopped when the
    sink is reached), which keeps the flow optimal for the guests added so
    far (successive shortest paths). Hosts are numbered in key order and ties
    are broken by node number, so the result depends only on the keys.

    Time: one Dijkstra per guest over the feasible pairs, O(n (E + V) log V)
    in the worst case; typically far less, since the search stops at the
    first host with a free place.
    """
    _unique_keys("guest", [g.key for g in guests])
    _unique_keys("host", [h.key for h in hosts])
    gs = sorted(guests, key=lambda g: g.key)
    hs = sorted((h for h in hosts if h.capacity > 0), key=lambda h: h.key)
    n, m = len(gs), len(hs)
    weight_map = weights.as_dict()
    provided = [h.provided_diets() for h in hs]

    # Feasible arcs guest -> host with integer costs; exact scores for the total.
    arcs: list[list[tuple[int, int]]] = []
    cost_of: list[dict[int, int]] = []
    score_of: list[dict[int, float]] = []
    for guest in gs:
        row: list[tuple[int, int]] = []
        scores: dict[int, float] = {}
        for j, host in enumerate(hs):
            if _reasons(host, guest):
                continue
            score = _mean(_parts(host, guest, weights, provided[j]), weight_map)
            scores[j] = score
            row.append((n + j, _SCALE - round(score * _SCALE)))
        arcs.append(row)
        cost_of.append(dict(row))
        score_of.append(scores)

    # Nodes: guests 0..n-1, hosts n..n+m-1, sink n+m.
    sink = n + m
    big = (n + 1) * _SCALE
    capacity = [h.capacity for h in hs]
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

    assignment: dict[str, str | None] = {}
    by_key = {g.key: i for i, g in enumerate(gs)}
    unplaced: list[Unplaced] = []
    total: list[float] = []
    for guest in guests:
        i = by_key[guest.key]
        if host_of[i] == -1:
            assignment[guest.key] = None
            reason = "hosts_full" if arcs[i] else "no_feasible_host"
            unplaced.append(Unplaced(guest.key, reason))
        else:
            j = host_of[i] - n
            assignment[guest.key] = hs[j].key
            total.append(score_of[i][j])
    return Placement(assignment=assignment, total_score=math.fsum(total), unplaced=unplaced)
