"""Counting the grant's KPIs ①–④ per fiscal year (年度), for the consortium and per town.

This module belongs to the functional core: plain Python (stdlib only), and it
must never import Django. The Django layer turns rows into the records below
(:class:`ResidenceRec`, :class:`StayRec`, :class:`AttendanceRec`,
:class:`Membership`, :class:`ScoreRec`) and stores or shows the results. The
counts here are raw; disclosure control (suppressing small cells) is applied
downstream, before a figure leaves the secretariat.

The rules (DESIGN.md, "KPI counting rules"), in our words
    Every participation KPI counts **distinct students** per fiscal year
    (1 April – 31 March, :mod:`ekkyo.core.fiscal`): a student with three
    programmes in a year counts once. Each KPI has a consortium total and one
    row per member municipality; the consortium total is its own distinct
    count, never the sum of the town rows (a student in two towns is one
    student for the consortium and one in each town).

    KPI① residence (:func:`kpi1_residence`)
        A student counts in FY *y* if they have a Residence whose host
        municipality is a member in *y*, whose home municipality is not the
        host, and which covers at least one day of *y*. Town rows are by
        host. New arrivals are the counted students whose counted residence
        *starts* within *y*.
    KPI② offline programmes (:func:`kpi2_offline`)
        A student counts in *y* if they have a Stay (short or mid-term) that
        was not cancelled and shares at least one day with *y* — whoever
        hosts it: DESIGN.md puts a membership condition on KPI① ("a Residence
        in a member municipality") and none on KPI②. Town rows: ``received``
        by host and ``sent`` by home, kept apart, and only for members.
    KPI③ online programmes (:func:`kpi3_online`)
        A student counts in *y* if they attended at least one Session of an
        online programme dated in *y*. Town rows are by home.
    KPI④ competencies and environment (:func:`kpi4_share`)
        From the FY's annual wave: for each configured construct (those the
        instrument maps to KPI④, and the environment constructs), the share
        of respondents whose score reaches the construct's threshold.

Decisions where the rules are silent
    * **Days are inclusive.** A Stay covers ``arrival..departure`` and a
      Residence ``start..end``, both ends included. A stay that crosses 31
      March counts in both fiscal years — also one that departs on the
      morning of 1 April. A Session counts in the fiscal year of its date:
      31 March is the old year, 1 April the new one.
    * **Open-ended residence.** A Residence without an end date is ongoing: it
      counts in every fiscal year asked about from its start on. Callers ask
      only about the years they report (normally up to the current one).
    * **Membership is per fiscal year.** :class:`Membership` says a
      municipality is a member from ``first_fy`` to ``last_fy`` (inclusive;
      ``None`` = still a member); several rows for one town describe leaving
      and rejoining. A town that is not a member in *y*:

      - has **no row** in *y* (no key in any per-municipality dict): a missing
        key means "not a member that year", a ``0`` means "a member with
        nobody". Every member of *y* has a row, zeros included.
      - does not make a Residence it hosts count in *y* (KPI① asks for "a
        Residence in a member municipality"), not even for the consortium
        total. A member that joins in the middle of a student's multi-year
        residence counts it only from the year it joins.
      - A Stay it hosts **does** count in *y* for the consortium and for the
        student's member home (``sent``); it only has no ``received`` row
        (such students are ``unhosted``). A host that leaves and rejoins
        gets ``received`` rows in its member years only.

      KPI③ attendance carries no host, so every attendee counts for the
      consortium; town rows exist only for member homes.
    * **Students from abroad, or from non-member towns.** ``home_municipality
      is None`` means no Japanese home municipality (from abroad). For KPI①
      such a student's home is never the host, so they count. They count in
      consortium totals and in host rows (KPI① ``host``, KPI② ``received``)
      but in no home row (KPI② ``sent``, KPI③). The same goes for a student
      whose home is not a member in that year. These students are reported
      as ``unattributed``: counted for the consortium but in no town row of
      that breakdown, so ``consortium <= sum(rows) + unattributed`` always
      holds (and ``unattributed`` is 0 for the by-host breakdowns).
    * **Which home.** KPI① compares the home *recorded on the Residence* (the
      model stores it: the home the student moved from) with the host. KPI②
      "sent" should be by the student's home *at the time of the stay*, but
      Stays store no home: the caller passes the student's **current** home,
      so a student who has since moved is attributed to the new home. KPI③
      likewise uses the current home. The rule holds whatever home the
      caller passes; if one student's records carry different homes, the
      student counts once in each of those homes' rows.
    * **KPI② and own town.** Unlike KPI①, the KPI② rule does not exclude a
      stay in the student's own town, so it is counted (in that town's
      ``received`` and ``sent``). KPI② ``sent`` counts every counted stay of
      a student whose home is a member, whoever hosts it.
    * **Cancelled** stays never count. KPI③ counts any Session of an online
      programme, including its in-person meetings (a summit's day together):
      the rule names the programme's kind, not the session's. Sessions of
      offline programmes (a stay's orientation) are not KPI③, nor KPI②,
      which counts Stays only.
    * **KPI④.** The records are one wave's scale scores; ``fy`` only labels
      the result. A score *reaches* a threshold when ``score >= threshold``.
      A NaN score (scale not computable) means "not a respondent" for that
      construct. Constructs not in ``thresholds`` are ignored; a configured
      construct nobody answered is reported with 0 respondents and share
      ``None``. A student with two different scores for one construct in one
      wave is a data error (:class:`ValueError`), repeating the same record
      is harmless. Town rows are by home; with ``memberships`` (and ``fy``)
      they are limited to the members of ``fy``, otherwise every home seen.
    * **Achievement** (:func:`achievement`) is ``actual / target`` as a ratio
      (1.0 = 100 %, not capped); no target, or a target of 0, gives ``None``.
    * Invalid records (a stay departing before it arrives, a membership
      ending before it starts) raise :class:`ValueError` when built.

Several years at once, and keeping aggregates up to date
    :func:`all_kpis` counts KPIs ①–③ for many fiscal years in one pass over
    the records. Internally every count is the number of distinct students
    holding a :class:`Contribution` key ``(kpi, fy, municipality, role)``
    (table in :class:`Contribution`). A student's keys depend only on that
    student's own records (and on memberships), so the Django layer can keep
    one aggregate row per key: when one student's data changes, compute
    :func:`student_fy_contributions` before and after, apply
    :func:`contribution_delta` (+1 / −1 per key), and rebuild the results
    with :func:`kpis_from_counts`. A change of memberships changes many
    students' keys: recount with :func:`tally_contributions` then.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

from ekkyo.core.fiscal import fiscal_year_bounds, fiscal_year_of

__all__ = [
    "AttendanceRec",
    "ConstructShare",
    "Contribution",
    "FyKpis",
    "Kpi",
    "Kpi4Shares",
    "KpiCounts",
    "MemberYears",
    "Membership",
    "OfflineCounts",
    "ResidenceRec",
    "Role",
    "ScoreRec",
    "ShareCell",
    "StayRec",
    "achievement",
    "all_kpis",
    "contribution_delta",
    "kpi1_residence",
    "kpi2_offline",
    "kpi3_online",
    "kpi4_share",
    "kpis_from_counts",
    "members_in",
    "student_fy_contributions",
    "tally_contributions",
]

Kpi = Literal["kpi1", "kpi2", "kpi3"]
Role = Literal[
    "consortium", "host", "new_arrival", "received", "sent", "home", "unattributed", "unhosted"
]


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class ResidenceRec:
    """A student living and studying in a host town (KPI①). ``end=None``: ongoing."""

    student: str
    home_municipality: str | None
    host_municipality: str
    start: date
    end: date | None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"residence of {self.student} ends before it starts: {self}")


@dataclass(frozen=True, slots=True)
class StayRec:
    """A student's stay in a host town for an offline programme (KPI②)."""

    student: str
    home_municipality: str | None
    host_municipality: str
    arrival: date
    departure: date
    cancelled: bool

    def __post_init__(self) -> None:
        if self.departure < self.arrival:
            raise ValueError(f"stay of {self.student} departs before it arrives: {self}")


@dataclass(frozen=True, slots=True)
class AttendanceRec:
    """A student present at one Session. ``online``: the session belongs to an
    *online programme* — whether the session itself met online or in person
    (DESIGN.md: "attending at least one Session of an online programme").
    Only those count for KPI③."""

    student: str
    home_municipality: str | None
    session_date: date
    online: bool


@dataclass(frozen=True, slots=True)
class Membership:
    """A municipality is a member from ``first_fy`` to ``last_fy`` inclusive (None: open)."""

    municipality: str
    first_fy: int
    last_fy: int | None = None

    def __post_init__(self) -> None:
        fiscal_year_bounds(self.first_fy)  # validates the year
        if self.last_fy is not None:
            fiscal_year_bounds(self.last_fy)
            if self.last_fy < self.first_fy:
                raise ValueError(f"membership ends before it starts: {self}")

    def covers(self, fy: int) -> bool:
        return self.first_fy <= fy and (self.last_fy is None or fy <= self.last_fy)


@dataclass(frozen=True, slots=True)
class ScoreRec:
    """One respondent's scale score on one construct in a wave (KPI④)."""

    student: str
    home_municipality: str | None
    construct: str
    score: float


# -------------------------------------------------------------------------- outputs


class Contribution(NamedTuple):
    """A key a student counts under; every participation count is #students per key.

    ====  ============  ==============  =============================================
    kpi   municipality  role            the student …
    ====  ============  ==============  =============================================
    kpi1  None          consortium      counts in KPI① in ``fy``
    kpi1  host          host            … with a counted residence in that host
    kpi1  None          new_arrival     … and a counted residence starting in ``fy``
    kpi1  host          new_arrival     … such a residence in that host
    kpi2  None          consortium      counts in KPI② in ``fy``
    kpi2  host          received        … with a counted stay in that host
    kpi2  home          sent            … and that member home
    kpi2  None          unattributed    … but has no member home (no ``sent`` row)
    kpi2  None          unhosted        … but no stay hosted by a member (no ``received``)
    kpi3  None          consortium      counts in KPI③ in ``fy``
    kpi3  home          home            … and that member home
    kpi3  None          unattributed    … but has no member home
    ====  ============  ==============  =============================================
    """

    kpi: Kpi
    fy: int
    municipality: str | None
    role: Role


@dataclass(frozen=True, slots=True)
class KpiCounts:
    """KPI① (rows by host, with new arrivals) or KPI③ (rows by home) for one FY.

    ``by_municipality`` has exactly one key per member of ``fy`` (0 included)
    and none for other towns. ``unattributed`` students count in
    ``consortium`` but in no row (always 0 for KPI①).
    """

    kpi: Kpi
    fy: int
    consortium: int
    by_municipality: dict[str, int]
    unattributed: int = 0
    new_arrivals: int | None = None
    new_arrivals_by_municipality: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class OfflineCounts:
    """KPI② for one FY: ``received`` by host and ``sent`` by home, one key per member.

    ``unattributed`` students count in ``consortium`` but in no ``sent`` row
    (from abroad, or from a non-member town); ``unhosted`` students count in
    ``consortium`` but in no ``received`` row (every stay of theirs in that
    year was hosted by a town that was not a member then).
    """

    fy: int
    consortium: int
    received: dict[str, int]
    sent: dict[str, int]
    unattributed: int = 0
    unhosted: int = 0


@dataclass(frozen=True, slots=True)
class ShareCell:
    """Respondents and how many reach the threshold; ``share`` is None without respondents."""

    respondents: int
    reaching: int

    @property
    def share(self) -> float | None:
        return self.reaching / self.respondents if self.respondents else None


@dataclass(frozen=True, slots=True)
class ConstructShare:
    """KPI④ for one construct: the consortium and one cell per town (by home)."""

    construct: str
    threshold: float
    consortium: ShareCell
    by_municipality: dict[str, ShareCell]


@dataclass(frozen=True, slots=True)
class Kpi4Shares:
    """KPI④ for one wave, one entry per configured construct (in ``thresholds`` order)."""

    fy: int | None
    constructs: dict[str, ConstructShare]


@dataclass(frozen=True, slots=True)
class FyKpis:
    """Every KPI of one fiscal year."""

    fy: int
    residence: KpiCounts  # KPI①
    offline: OfflineCounts  # KPI②
    online: KpiCounts  # KPI③
    competencies: Kpi4Shares | None = None  # KPI④, when scores were given


# ------------------------------------------------------------------------- helpers


class MemberYears:
    """Memberships with each year's members worked out once.

    Iterates like the list of :class:`Membership` it wraps, so it goes where
    ``memberships`` go; pass one when counting many students one by one (the
    incremental aggregates), where asking "who is a member in FY y" for every
    student would cost more than the counting.
    """

    __slots__ = ("_by_fy", "memberships")

    def __init__(self, memberships: Iterable[Membership]) -> None:
        self.memberships = tuple(memberships)
        self._by_fy: dict[int, frozenset[str]] = {}

    def __iter__(self) -> Iterator[Membership]:
        return iter(self.memberships)

    def __len__(self) -> int:
        return len(self.memberships)

    def members(self, fy: int) -> frozenset[str]:
        found = self._by_fy.get(fy)
        if found is None:
            found = self._by_fy[fy] = members_in(self.memberships, fy)
        return found


def members_in(memberships: Iterable[Membership], fy: int) -> frozenset[str]:
    """The municipalities that are members in fiscal year ``fy``."""
    if isinstance(memberships, MemberYears):
        return memberships.members(fy)
    fiscal_year_bounds(fy)
    return frozenset(m.municipality for m in memberships if m.covers(fy))


def achievement(actual: int | float, target: int | float | None) -> float | None:
    """``actual / target`` (1.0 = 100 %, not capped); None without a target or for target 0."""
    if target is None:
        return None
    for name, value in (("actual", actual), ("target", target)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    if target == 0:
        return None
    return actual / target


def _check_fys(fys: Iterable[int]) -> list[int]:
    years = sorted(set(fys))
    for fy in years:
        fiscal_year_bounds(fy)  # type and range check
    return years


_Key = tuple[str, int, str | None, str]


class _Tally:
    """One pass over the records: each key's set of distinct students."""

    def __init__(self, memberships: Iterable[Membership], fys: Iterable[int]) -> None:
        self.fys = _check_fys(fys)
        self.fy_set = frozenset(self.fys)
        self.lo = self.fys[0] if self.fys else 0
        self.hi = self.fys[-1] if self.fys else -1
        if not isinstance(memberships, MemberYears):
            memberships = list(memberships)
        self.members = {fy: members_in(memberships, fy) for fy in self.fys}
        self.sets: dict[_Key, set[str]] = {}

    def _add(self, key: _Key, student: str) -> None:
        found = self.sets.get(key)
        if found is None:
            self.sets[key] = {student}
        else:
            found.add(student)

    def _years(self, first: date, last: date | None) -> Iterable[int]:
        """The requested fiscal years that the inclusive period ``first..last`` touches."""
        lo = max(fiscal_year_of(first), self.lo)
        hi = self.hi if last is None else min(fiscal_year_of(last), self.hi)
        return (fy for fy in range(lo, hi + 1) if fy in self.fy_set)

    def residences(self, records: Iterable[ResidenceRec]) -> None:
        add = self._add
        for r in records:
            host = r.host_municipality
            if r.home_municipality == host:
                continue
            start_fy = fiscal_year_of(r.start)
            for fy in self._years(r.start, r.end):
                if host not in self.members[fy]:
                    continue
                add(("kpi1", fy, None, "consortium"), r.student)
                add(("kpi1", fy, host, "host"), r.student)
                if fy == start_fy:
                    add(("kpi1", fy, None, "new_arrival"), r.student)
                    add(("kpi1", fy, host, "new_arrival"), r.student)

    def stays(self, records: Iterable[StayRec]) -> None:
        add = self._add
        for r in records:
            if r.cancelled:
                continue
            host, home = r.host_municipality, r.home_municipality
            for fy in self._years(r.arrival, r.departure):
                # DESIGN.md puts no membership condition on KPI②: every stay
                # counts; only the town rows exist for members alone.
                members = self.members[fy]
                add(("kpi2", fy, None, "consortium"), r.student)
                if host in members:
                    add(("kpi2", fy, host, "received"), r.student)
                if home is not None and home in members:
                    add(("kpi2", fy, home, "sent"), r.student)

    def attendances(self, records: Iterable[AttendanceRec]) -> None:
        # The bulk of the data: first reduce to distinct (fy, student, home).
        fy_set = self.fy_set
        seen: set[tuple[int, str, str | None]] = set()
        for r in records:
            if not r.online:
                continue
            day = r.session_date
            fy = day.year if day.month >= 4 else day.year - 1
            if fy in fy_set:
                seen.add((fy, r.student, r.home_municipality))
        add = self._add
        for fy, student, home in seen:
            add(("kpi3", fy, None, "consortium"), student)
            if home is not None and home in self.members[fy]:
                add(("kpi3", fy, home, "home"), student)

    def finish(self) -> dict[_Key, set[str]]:
        """Add the ``unattributed`` sets and return every key's students."""
        rows: dict[tuple[str, int], set[str]] = {}
        hosted: dict[int, set[str]] = {}
        for (kpi, fy, _, role), students in self.sets.items():
            if role in ("sent", "home"):
                rows.setdefault((kpi, fy), set()).update(students)
            elif role == "received":
                hosted.setdefault(fy, set()).update(students)
        for kpi in ("kpi2", "kpi3"):
            for fy in self.fys:
                total = self.sets.get((kpi, fy, None, "consortium"))
                if total:
                    rest = total - rows.get((kpi, fy), set())
                    if rest:
                        self.sets[(kpi, fy, None, "unattributed")] = rest
                    if kpi == "kpi2":
                        away = total - hosted.get(fy, set())
                        if away:
                            self.sets[(kpi, fy, None, "unhosted")] = away
        return self.sets


def _tally(
    residences: Iterable[ResidenceRec],
    stays: Iterable[StayRec],
    attendances: Iterable[AttendanceRec],
    memberships: Iterable[Membership],
    fys: Iterable[int],
) -> dict[_Key, set[str]]:
    tally = _Tally(memberships, fys)
    tally.residences(residences)
    tally.stays(stays)
    tally.attendances(attendances)
    return tally.finish()


# ------------------------------------------------------ aggregates and incremental


def tally_contributions(
    residences: Iterable[ResidenceRec],
    stays: Iterable[StayRec],
    attendances: Iterable[AttendanceRec],
    memberships: Iterable[Membership],
    fys: Iterable[int],
) -> Counter[Contribution]:
    """Full recount: the number of distinct students per :class:`Contribution` key."""
    sets = _tally(residences, stays, attendances, memberships, fys)
    return Counter({Contribution._make(key): len(students) for key, students in sets.items()})


def student_fy_contributions(
    student: str,
    residences: Iterable[ResidenceRec],
    stays: Iterable[StayRec],
    attendances: Iterable[AttendanceRec],
    memberships: Iterable[Membership],
    fys: Iterable[int],
) -> frozenset[Contribution]:
    """The keys ONE student counts under, from that student's records only.

    Summing these sets over all students (one per key per student) gives
    :func:`tally_contributions` exactly. Raises :class:`ValueError` if a record
    belongs to another student.
    """
    residences, stays, attendances = list(residences), list(stays), list(attendances)
    others = {r.student for r in residences} | {r.student for r in stays}
    others |= {r.student for r in attendances}
    others.discard(student)
    if others:
        raise ValueError(f"records of {sorted(others)!r} given for student {student!r}")
    sets = _tally(residences, stays, attendances, memberships, fys)
    return frozenset(Contribution._make(key) for key in sets)


def contribution_delta(
    before: Collection[Contribution], after: Collection[Contribution]
) -> dict[Contribution, int]:
    """What to add to the aggregate rows when one student's keys change: +1 / −1 per key."""
    old, new = set(before), set(after)
    delta = dict.fromkeys(new - old, 1)
    delta.update(dict.fromkeys(old - new, -1))
    return delta


def kpis_from_counts(
    counts: Mapping[Contribution, int],
    memberships: Iterable[Membership],
    fys: Iterable[int],
) -> dict[int, FyKpis]:
    """KPIs ①–③ per fiscal year from per-key student counts (missing key = 0).

    ``counts`` is :func:`tally_contributions`, or aggregate rows kept up to
    date with :func:`contribution_delta`. Rows of towns that are not members
    in a year are left out even if ``counts`` has them.
    """
    memberships = list(memberships)
    result: dict[int, FyKpis] = {}
    for fy in _check_fys(fys):
        members = sorted(members_in(memberships, fy))

        def get(kpi: Kpi, municipality: str | None, role: Role, fy: int = fy) -> int:
            return counts.get(Contribution(kpi, fy, municipality, role), 0)

        def rows(kpi: Kpi, role: Role, members: list[str] = members) -> dict[str, int]:
            return {m: get(kpi, m, role) for m in members}

        result[fy] = FyKpis(
            fy=fy,
            residence=KpiCounts(
                kpi="kpi1",
                fy=fy,
                consortium=get("kpi1", None, "consortium"),
                by_municipality=rows("kpi1", "host"),
                unattributed=0,
                new_arrivals=get("kpi1", None, "new_arrival"),
                new_arrivals_by_municipality=rows("kpi1", "new_arrival"),
            ),
            offline=OfflineCounts(
                fy=fy,
                consortium=get("kpi2", None, "consortium"),
                received=rows("kpi2", "received"),
                sent=rows("kpi2", "sent"),
                unattributed=get("kpi2", None, "unattributed"),
                unhosted=get("kpi2", None, "unhosted"),
            ),
            online=KpiCounts(
                kpi="kpi3",
                fy=fy,
                consortium=get("kpi3", None, "consortium"),
                by_municipality=rows("kpi3", "home"),
                unattributed=get("kpi3", None, "unattributed"),
            ),
        )
    return result


# ----------------------------------------------------------------------- the KPIs


def all_kpis(
    residences: Iterable[ResidenceRec],
    stays: Iterable[StayRec],
    attendances: Iterable[AttendanceRec],
    memberships: Iterable[Membership],
    fys: Iterable[int],
    *,
    scores: Mapping[int, Iterable[ScoreRec]] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> dict[int, FyKpis]:
    """KPIs ①–③ for every fiscal year in ``fys``, in one pass over the records.

    With ``scores`` (each FY's annual-wave scores) and ``thresholds``, KPI④ is
    added for the years that have scores (``competencies``; None otherwise).
    """
    memberships = list(memberships)
    years = _check_fys(fys)
    counts = tally_contributions(residences, stays, attendances, memberships, years)
    result = kpis_from_counts(counts, memberships, years)
    if scores is not None:
        if thresholds is None:
            raise ValueError("scores given without thresholds")
        for fy in years:
            if fy in scores:
                kpi4 = kpi4_share(scores[fy], thresholds, fy, memberships=memberships)
                old = result[fy]
                result[fy] = FyKpis(old.fy, old.residence, old.offline, old.online, kpi4)
    return result


def kpi1_residence(
    records: Iterable[ResidenceRec], memberships: Iterable[Membership], fy: int
) -> KpiCounts:
    """KPI① for ``fy``: rows by host, with new arrivals (see the module docstring)."""
    return all_kpis(records, (), (), memberships, [fy])[fy].residence


def kpi2_offline(
    records: Iterable[StayRec], memberships: Iterable[Membership], fy: int
) -> OfflineCounts:
    """KPI② for ``fy``: ``received`` by host and ``sent`` by home."""
    return all_kpis((), records, (), memberships, [fy])[fy].offline


def kpi3_online(
    records: Iterable[AttendanceRec], memberships: Iterable[Membership], fy: int
) -> KpiCounts:
    """KPI③ for ``fy``: rows by home."""
    return all_kpis((), (), records, memberships, [fy])[fy].online


def kpi4_share(
    records: Iterable[ScoreRec],
    thresholds: Mapping[str, float],
    fy: int | None = None,
    *,
    memberships: Iterable[Membership] | None = None,
    by_home: bool = True,
) -> Kpi4Shares:
    """KPI④: per configured construct, the share of respondents with ``score >= threshold``.

    ``records`` are one wave's scores. Town rows are by home: every member of
    ``fy`` (needs ``fy``) when ``memberships`` is given, else every home seen;
    none with ``by_home=False`` (a school's own figure needs no town rows).
    The counting itself is :func:`kpi4_share_columns` (one record, one row).
    """
    records = list(records)
    columns: dict[str, list[float]] = {c: [math.nan] * len(records) for c in thresholds}
    for i, r in enumerate(records):
        column = columns.get(r.construct)
        if column is not None:
            column[i] = r.score
    return kpi4_share_columns(
        [r.student for r in records],
        [r.home_municipality for r in records],
        columns,
        thresholds,
        fy,
        memberships=memberships,
        by_home=by_home,
    )


def kpi4_share_columns(
    students: Sequence[str],
    homes: Sequence[str | None],
    scores: Mapping[str, Sequence[float]],
    thresholds: Mapping[str, float],
    fy: int | None = None,
    *,
    memberships: Iterable[Membership] | None = None,
    by_home: bool = True,
) -> Kpi4Shares:
    """KPI④ over columns, the one counting of :func:`kpi4_share`: row ``i`` is
    respondent ``students[i]`` (home ``homes[i]``, None: none) with score
    ``scores[c][i]`` on construct ``c`` (NaN or a missing column: no score).

    One respondent counts once per construct (two different scores for one
    student are an error), in every home they were seen with. Vectorised
    (numpy): it runs over every answer of a national wave.
    """
    import numpy as np
    import pandas as pd

    for construct, threshold in thresholds.items():
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise TypeError(f"threshold of {construct!r} must be a number, got {threshold!r}")
        if math.isnan(threshold):
            raise ValueError(f"threshold of {construct!r} is NaN")
    members: frozenset[str] | None = None
    if memberships is not None:
        if fy is None:
            raise ValueError("memberships need a fiscal year")
        members = members_in(memberships, fy)
    elif fy is not None:
        fiscal_year_bounds(fy)
    n = len(students)
    if len(homes) != n:
        raise ValueError(f"{n} students but {len(homes)} homes")
    student_ids, student_codes = pd.factorize(np.asarray(students, dtype=object))
    home_ids, home_codes = pd.factorize(np.asarray(homes, dtype=object))  # None -> -1
    n_homes = max(len(home_codes), 1)

    constructs: dict[str, ConstructShare] = {}
    for construct, threshold in thresholds.items():
        column = scores.get(construct)
        values = np.full(n, np.nan) if column is None else np.asarray(column, dtype=float)
        if values.shape != (n,):
            raise ValueError(f"scores of {construct!r}: {values.shape} for {n} students")
        scored = ~np.isnan(values)
        who, score = student_ids[scored], values[scored]
        order = np.lexsort((score, who))
        who, score = who[order], score[order]
        same = who[1:] == who[:-1]
        clash = same & (score[1:] != score[:-1])
        if clash.any():
            j = int(np.argmax(clash))
            raise ValueError(
                f"student {student_codes[who[j]]!r} has two scores for {construct!r}: "
                f"{score[j]}, {score[j + 1]}"
            )
        first = np.ones(len(who), dtype=bool)
        first[1:] = ~same
        reached = np.zeros(len(student_codes), dtype=bool)
        reached[who[first]] = score[first] >= threshold
        consortium = ShareCell(int(first.sum()), int(reached[who[first]].sum()))

        towns: dict[str, ShareCell] = {m: ShareCell(0, 0) for m in members or ()}
        if by_home:
            homed = home_ids[scored] >= 0
            pairs = np.unique(student_ids[scored][homed] * n_homes + home_ids[scored][homed])
            pair_home = pairs % n_homes
            respondents = np.bincount(pair_home, minlength=n_homes)
            reaching = np.bincount(pair_home, weights=reached[pairs // n_homes], minlength=n_homes)
            for h in np.flatnonzero(respondents):
                code = str(home_codes[h])
                if members is None or code in members:
                    towns[code] = ShareCell(int(respondents[h]), int(reaching[h]))
        constructs[construct] = ConstructShare(
            construct=construct,
            threshold=float(threshold),
            consortium=consortium,
            by_municipality=dict(sorted(towns.items())),
        )
    return Kpi4Shares(fy=fy, constructs=constructs)
