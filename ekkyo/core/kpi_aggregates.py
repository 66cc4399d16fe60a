"""The keys a student counts under on the KPI dashboards, and how to keep them summed.

Every figure on a dashboard — the KPIs, the flows between towns (home →
host), the monthly trends, the 関係人口 buckets, the figures per school and
per programme — is a number of **distinct students** per key. A student's
keys depend only on that student's own records (and on the consortium's
dated memberships), so the Django layer keeps one row per key with its count
and, when one student's records change, adds the difference between the
student's keys before and after (:func:`key_delta`). A dashboard then reads a
few hundred rows instead of recounting 120,000 students' records.

This module belongs to the functional core: standard library only; it must
never import Django. KPI ①–③ keys are exactly :func:`ekkyo.core.kpi
.student_fy_contributions` (the counting rules are there, not repeated here).

Keys (:class:`Key`; unused fields are ``""``)

========  ==================================  ===========================================
dim       fields                               the student …
========  ==================================  ===========================================
kpi       muni, a=kpi, b=role                  has that :class:`ekkyo.core.kpi.Contribution`
school    school, a=kpi                        counts in the KPI (consortium row) and is
                                               enrolled in ``school``
flow      a=home, b=host, c=kind               took part in a programme of ``kind``
                                               (``residence``, ``stay``, ``online``; ``""``
                                               = any) hosted by member ``host`` in the FY,
                                               coming from ``home`` (``""`` = abroad or
                                               unknown); any kind also per ``school``
month     muni, a=YYYY-MM, c=kind              took part in that month (``muni`` ``""`` for
                                               the consortium; the host for residences and
                                               stays, the home for online); also once with
                                               ``school`` = the student's school
rel       muni, a=bucket, b=span               had relationships with ``a`` regions (towns)
                                               beyond home: ``1``, ``2`` or ``3+``;
                                               ``b=fy`` through programmes overlapping the
                                               FY, ``b=cum`` through any programme up to
                                               its end. ``muni`` is ``""`` or the home;
                                               also per ``school``
programme muni, programme, a=home, c=kind      took part in ``programme``; ``muni`` is the
                                               programme's host
========  ==================================  ===========================================

Decisions
    * Only what counts for a KPI counts here: cancelled stays never; residences
      and stays only while their host is a member in that FY; residences only
      when home ≠ host (KPI①). Online sessions count by their date; their
      programme's host gives the flow (an online programme without a host town
      gives no flow).
    * A region is a municipality. A stay in the student's own town is no
      relationship "beyond home" (it still counts for KPI②, per its rule).
    * An ongoing residence covers months up to ``until`` (the day the
      aggregates are computed), never future months.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

from ekkyo.core import kpi
from ekkyo.core.fiscal import fiscal_year_bounds, fiscal_year_of

__all__ = [
    "Activity",
    "Key",
    "StudentInfo",
    "key_delta",
    "month_labels",
    "student_keys",
    "tally_keys",
]

Kind = Literal["residence", "stay", "online"]
KINDS: tuple[Kind, ...] = ("residence", "stay", "online")
ABROAD = ""


class Key(NamedTuple):
    dim: str
    fy: int
    muni: str = ""
    school: str = ""
    programme: str = ""
    a: str = ""
    b: str = ""
    c: str = ""


@dataclass(frozen=True, slots=True)
class StudentInfo:
    """The student as they are now: home municipality (None = abroad) and school code."""

    id: str
    home: str | None
    school: str | None


@dataclass(frozen=True, slots=True)
class Activity:
    """One participation record of the student.

    ``home`` is the home recorded on a residence (the town the student moved
    from); for stays and online sessions it is None and the student's current
    home is used (as :mod:`ekkyo.core.kpi` does). ``end`` None = ongoing.
    """

    kind: Kind
    host: str | None
    programme: str | None
    start: date
    end: date | None
    home: str | None = None
    cancelled: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"{self.kind} ends {self.end} before it starts {self.start}")


def month_labels(fy: int) -> list[str]:
    """The twelve months of a fiscal year as ``YYYY-MM``, April first."""
    return [f"{fy + (m < 4)}-{m:02d}" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def _months(first: date, last: date) -> Iterable[str]:
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield f"{y}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _bucket(n: int) -> str:
    return "3+" if n >= 3 else str(n)


def student_keys(
    student: StudentInfo,
    activities: Iterable[Activity],
    memberships: Iterable[kpi.Membership],
    fys: Iterable[int],
    *,
    until: date,
) -> frozenset[Key]:
    """Every dashboard key ``student`` counts under in the fiscal years ``fys``."""
    acts = [a for a in activities if not a.cancelled]
    if not isinstance(memberships, kpi.MemberYears):
        memberships = kpi.MemberYears(memberships)
    years = sorted(set(fys))
    keys: set[Key] = set()

    # KPI ①–③: the counting module's own keys.
    residences = [
        kpi.ResidenceRec(student.id, a.home, a.host, a.start, a.end)
        for a in acts
        if a.kind == "residence" and a.host
    ]
    stays = [
        kpi.StayRec(student.id, student.home, a.host, a.start, a.end or a.start, False)
        for a in acts
        if a.kind == "stay" and a.host
    ]
    sessions = [
        kpi.AttendanceRec(student.id, student.home, a.start, True)
        for a in acts
        if a.kind == "online"
    ]
    contributions = kpi.student_fy_contributions(
        student.id, residences, stays, sessions, memberships, years
    )
    for c in contributions:
        keys.add(Key("kpi", c.fy, muni=c.municipality or "", a=c.kpi, b=c.role))
        if c.role == "consortium" and student.school:
            keys.add(Key("school", c.fy, school=student.school, a=c.kpi))

    # Flows, months, programmes and relationships: the counted activities of each FY.
    reached: dict[int, set[str]] = {}  # fy -> towns beyond home, within the FY
    asked = set(years)
    last_asked = years[-1] if years else 0
    bounds: dict[int, tuple[date, date]] = {}
    seen: set[tuple[Kind, str | None, str | None, str | None, date, date]] = set()
    for act in acts:
        end = act.end or until
        if end < act.start:
            continue
        home = act.home if act.kind == "residence" else student.home
        # Many sessions in one month give the same keys: look at each once.
        span: tuple[Kind, str | None, str | None, str | None, date, date] = (
            act.kind, act.host, act.programme, home, act.start, end,
        )  # fmt: skip
        if act.kind == "online":
            span = (
                act.kind,
                act.host,
                act.programme,
                home,
                act.start.replace(day=1),
                act.start.replace(day=1),
            )
        if span in seen:
            continue
        seen.add(span)
        # Every FY the activity touches up to the last one asked, earlier ones
        # too (they count for the cumulative relationships only).
        for fy in range(fiscal_year_of(act.start), min(fiscal_year_of(end), last_asked) + 1):
            if act.kind != "online":
                if not act.host or act.host not in memberships.members(fy):
                    continue
                if act.kind == "residence" and home == act.host:
                    continue
            if act.host and act.host != home:
                reached.setdefault(fy, set()).add(act.host)
            if fy not in asked:
                continue
            if fy not in bounds:
                bounds[fy] = fiscal_year_bounds(fy)
            first, last = bounds[fy]
            where = act.host if act.kind != "online" else (student.home or "")
            lo, hi = max(act.start, first), min(end, last, until)
            if lo <= hi:
                for ym in _months(lo, hi):
                    keys.add(Key("month", fy, a=ym, c=act.kind))
                    if where:
                        keys.add(Key("month", fy, muni=where, a=ym, c=act.kind))
                    if student.school:
                        keys.add(Key("month", fy, school=student.school, a=ym, c=act.kind))
            if act.host:
                keys.add(Key("flow", fy, a=home or ABROAD, b=act.host, c=act.kind))
                keys.add(Key("flow", fy, a=home or ABROAD, b=act.host))  # any kind
                if student.school:
                    keys.add(Key("flow", fy, school=student.school, a=home or ABROAD, b=act.host))
            if act.programme:
                keys.add(
                    Key(
                        "programme",
                        fy,
                        muni=act.host or "",
                        programme=act.programme,
                        a=home or ABROAD,
                        c=act.kind,
                    )
                )
    every_year = sorted(asked | set(reached))
    cumulative: set[str] = set()
    for fy in every_year:
        towns = reached.get(fy, set())
        # Cumulative: every counted relationship up to this FY's end, including
        # years before those asked about.
        cumulative |= towns
        if fy not in asked:
            continue
        for period, group in (("fy", towns), ("cum", cumulative)):
            if group:
                bucket = _bucket(len(group))
                keys.add(Key("rel", fy, a=bucket, b=period))
                if student.home:
                    keys.add(Key("rel", fy, muni=student.home, a=bucket, b=period))
                if student.school:
                    keys.add(Key("rel", fy, school=student.school, a=bucket, b=period))
    return frozenset(keys)


def tally_keys(per_student: Iterable[Collection[Key]]) -> Counter[Key]:
    """The number of students per key, from each student's key set."""
    counts: Counter[Key] = Counter()
    for keys in per_student:
        counts.update(keys)
    return counts


def key_delta(before: Collection[Key], after: Collection[Key]) -> dict[Key, int]:
    """What to add to the per-key counts when one student's keys change: +1 / −1."""
    old, new = set(before), set(after)
    delta = dict.fromkeys(new - old, 1)
    delta.update(dict.fromkeys(old - new, -1))
    return delta
