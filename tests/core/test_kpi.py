"""Tests for ekkyo.core.kpi: KPI ①–④ counting per fiscal year (no Django).

Hand-built cases first (the situations named in the issue), then properties
checked by hypothesis against a deliberately naive reference written here
straight from the rules, one fiscal year at a time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ekkyo.core.kpi import (
    AttendanceRec,
    Contribution,
    FyKpis,
    KpiCounts,
    Membership,
    OfflineCounts,
    ResidenceRec,
    ScoreRec,
    ShareCell,
    StayRec,
    achievement,
    all_kpis,
    contribution_delta,
    kpi1_residence,
    kpi2_offline,
    kpi3_online,
    kpi4_share,
    kpi4_share_columns,
    kpis_from_counts,
    members_in,
    student_fy_contributions,
    tally_contributions,
)

OGUNI, AMA, OSAKI, KAMIYAMA = "063657", "325252", "342025", "364037"
TOKYO = "131016"  # a home that is never a member
MEMBERS = [Membership(OGUNI, 2025), Membership(AMA, 2025), Membership(OSAKI, 2025)]


def stay(
    student: str,
    host: str,
    arrival: date,
    days: int = 3,
    home: str | None = TOKYO,
    cancelled: bool = False,
) -> StayRec:
    return StayRec(student, home, host, arrival, arrival + timedelta(days=days), cancelled)


# ------------------------------------------------------------------ hand-built


def test_student_in_two_towns_counts_once_for_the_consortium() -> None:
    stays = [
        stay("s1", OGUNI, date(2025, 7, 20), home=OSAKI),
        stay("s1", AMA, date(2025, 8, 10), home=OSAKI),
        stay("s1", AMA, date(2025, 12, 1), home=OSAKI),  # a second programme in Ama
    ]
    kpi2 = kpi2_offline(stays, MEMBERS, 2025)
    assert kpi2.consortium == 1
    assert kpi2.received == {OGUNI: 1, AMA: 1, OSAKI: 0}
    assert kpi2.sent == {OGUNI: 0, AMA: 0, OSAKI: 1}
    assert kpi2.unattributed == 0


def test_consortium_total_is_a_distinct_count_not_a_sum() -> None:
    stays = [
        stay("s1", OGUNI, date(2025, 7, 20)),
        stay("s1", AMA, date(2025, 8, 10)),
        stay("s2", AMA, date(2025, 8, 10)),
    ]
    kpi2 = kpi2_offline(stays, MEMBERS, 2025)
    assert sum(kpi2.received.values()) == 3
    assert kpi2.consortium == 2


def test_stay_crossing_31_march_counts_in_both_years() -> None:
    crossing = [StayRec("s1", OSAKI, AMA, date(2026, 3, 28), date(2026, 4, 3), False)]
    leaves_on_1_april = [StayRec("s2", OSAKI, AMA, date(2026, 3, 28), date(2026, 4, 1), False)]
    ends_31_march = [StayRec("s3", OSAKI, AMA, date(2026, 3, 28), date(2026, 3, 31), False)]
    for records, in_2026 in ((crossing, 1), (leaves_on_1_april, 1), (ends_31_march, 0)):
        assert kpi2_offline(records, MEMBERS, 2025).consortium == 1
        assert kpi2_offline(records, MEMBERS, 2026).consortium == in_2026
    both = all_kpis([], crossing, [], MEMBERS, [2025, 2026])
    assert both[2025].offline.received[AMA] == both[2026].offline.received[AMA] == 1
    assert both[2025].offline.sent[OSAKI] == both[2026].offline.sent[OSAKI] == 1


def test_cancelled_stay_is_not_counted() -> None:
    stays = [
        stay("s1", OGUNI, date(2025, 7, 20), cancelled=True),
        stay("s2", OGUNI, date(2025, 7, 20), cancelled=True),
        stay("s2", AMA, date(2025, 9, 1)),
    ]
    kpi2 = kpi2_offline(stays, MEMBERS, 2025)
    assert kpi2.consortium == 1
    assert kpi2.received == {OGUNI: 0, AMA: 1, OSAKI: 0}


def test_member_joining_mid_programme_counts_only_from_its_first_year() -> None:
    members = [*MEMBERS, Membership(KAMIYAMA, 2026)]
    residence = ResidenceRec("s1", TOKYO, KAMIYAMA, date(2025, 4, 6), None)
    long_stay = StayRec("s2", OGUNI, KAMIYAMA, date(2026, 1, 10), date(2026, 6, 30), False)
    result = all_kpis([residence], [long_stay], [], members, [2025, 2026, 2027])

    # FY2025: Kamiyama is not a member — no row. Its resident does not count
    # (KPI① needs a member host); its guest does (KPI② has no such condition),
    # for the consortium and for the guest's member home, in no "received" row.
    assert KAMIYAMA not in result[2025].residence.by_municipality
    assert KAMIYAMA not in result[2025].offline.received
    assert result[2025].residence.consortium == 0
    assert result[2025].offline.consortium == 1
    assert result[2025].offline.sent[OGUNI] == 1
    assert result[2025].offline.unhosted == 1

    # FY2026 on: a member; the ongoing residence counts, but is not a new arrival.
    assert result[2026].residence.by_municipality[KAMIYAMA] == 1
    assert result[2026].residence.new_arrivals == 0
    assert result[2027].residence.by_municipality[KAMIYAMA] == 1  # no end date: ongoing
    assert result[2026].offline.received[KAMIYAMA] == 1
    assert result[2026].offline.sent[OGUNI] == 1


def test_stays_with_a_host_that_leaves_and_rejoins() -> None:
    """Issue 11's case: a host that is a member in FY2021-23 and again from FY2025.
    Its FY2024 stays count for the consortium and the sending towns (KPI② has no
    membership condition); it has a "received" row only in its member years."""
    members = [Membership(OGUNI, 2020), Membership(AMA, 2021, 2023), Membership(AMA, 2025)]
    stays = [stay(f"s{fy}", AMA, date(fy, 8, 1), home=OGUNI) for fy in (2023, 2024, 2025)]
    result = all_kpis([], stays, [], members, [2023, 2024, 2025])
    assert [result[fy].offline.consortium for fy in (2023, 2024, 2025)] == [1, 1, 1]
    assert [result[fy].offline.sent[OGUNI] for fy in (2023, 2024, 2025)] == [1, 1, 1]
    assert result[2023].offline.received[AMA] == 1
    assert AMA not in result[2024].offline.received and result[2024].offline.unhosted == 1
    assert result[2025].offline.received[AMA] == 1 and result[2025].offline.unhosted == 0


def test_member_that_leaves_and_rejoins() -> None:
    members = [Membership(AMA, 2024, 2024), Membership(AMA, 2026)]
    residence = ResidenceRec("s1", None, AMA, date(2024, 4, 1), date(2027, 3, 31))
    result = all_kpis([residence], [], [], members, [2024, 2025, 2026])
    assert [result[fy].residence.consortium for fy in (2024, 2025, 2026)] == [1, 0, 1]
    assert result[2025].residence.by_municipality == {}
    assert members_in(members, 2025) == frozenset()
    assert members_in(members, 2030) == {AMA}


def test_residence_with_home_equal_to_host_is_not_counted() -> None:
    residences = [
        ResidenceRec("local", AMA, AMA, date(2025, 4, 1), None),
        ResidenceRec("incomer", TOKYO, AMA, date(2025, 4, 1), None),
    ]
    kpi1 = kpi1_residence(residences, MEMBERS, 2025)
    assert kpi1.consortium == 1
    assert kpi1.by_municipality == {OGUNI: 0, AMA: 1, OSAKI: 0}


def test_student_from_abroad() -> None:
    abroad = None
    residences = [ResidenceRec("f1", abroad, OGUNI, date(2025, 9, 1), date(2026, 8, 31))]
    stays = [stay("f1", AMA, date(2025, 10, 1), home=abroad)]
    attendances = [AttendanceRec("f1", abroad, date(2025, 11, 5), True)]
    result = all_kpis(residences, stays, attendances, MEMBERS, [2025])[2025]

    assert result.residence.consortium == 1  # no home municipality: never the host
    assert result.residence.by_municipality[OGUNI] == 1
    assert result.offline.consortium == 1 and result.offline.received[AMA] == 1
    assert sum(result.offline.sent.values()) == 0 and result.offline.unattributed == 1
    assert result.online.consortium == 1
    assert sum(result.online.by_municipality.values()) == 0 and result.online.unattributed == 1


def test_session_of_an_offline_programme_is_not_kpi3() -> None:
    """``online`` is the programme's kind: an online programme's in-person day is
    passed as online=True (KPI③ counts it); a stay's orientation session as False."""
    attendances = [
        AttendanceRec("s1", OGUNI, date(2025, 8, 1), False),  # a stay's orientation session
        AttendanceRec("s2", OGUNI, date(2025, 8, 1), True),  # the summit's in-person day
    ]
    kpi3 = kpi3_online(attendances, MEMBERS, 2025)
    assert kpi3.consortium == 1
    assert kpi3.by_municipality == {OGUNI: 1, AMA: 0, OSAKI: 0}
    # Nor is it KPI②, which counts Stays only.
    assert all_kpis([], [], attendances, MEMBERS, [2025])[2025].offline.consortium == 0


def test_session_on_31_march_and_1_april() -> None:
    attendances = [
        AttendanceRec("march", OGUNI, date(2026, 3, 31), True),
        AttendanceRec("april", OGUNI, date(2026, 4, 1), True),
        AttendanceRec("both", AMA, date(2026, 3, 31), True),
        AttendanceRec("both", AMA, date(2026, 4, 1), True),
    ]
    result = all_kpis([], [], attendances, MEMBERS, [2025, 2026])
    assert result[2025].online.consortium == 2
    assert result[2026].online.consortium == 2
    assert result[2025].online.by_municipality == {OGUNI: 1, AMA: 1, OSAKI: 0}
    assert kpi3_online(attendances, MEMBERS, 2026).by_municipality[OGUNI] == 1


def test_new_arrivals() -> None:
    residences = [
        ResidenceRec("old", TOKYO, OGUNI, date(2024, 4, 1), None),  # arrived a year earlier
        ResidenceRec("new", TOKYO, OGUNI, date(2025, 4, 1), None),
        ResidenceRec("late", TOKYO, AMA, date(2026, 3, 31), date(2028, 3, 31)),
        # moves from one member town to another: a new arrival in Osaki
        ResidenceRec("mover", TOKYO, OGUNI, date(2024, 4, 1), date(2025, 6, 30)),
        ResidenceRec("mover", TOKYO, OSAKI, date(2025, 7, 1), None),
        ResidenceRec("local", AMA, AMA, date(2025, 5, 1), None),  # not counted at all
    ]
    members = [Membership(OGUNI, 2024), Membership(AMA, 2025), Membership(OSAKI, 2025)]
    result = all_kpis(residences, [], [], members, [2024, 2025, 2026])
    kpi1 = result[2025].residence
    assert kpi1.consortium == 4
    assert kpi1.by_municipality == {OGUNI: 3, AMA: 1, OSAKI: 1}
    assert kpi1.new_arrivals == 3
    assert kpi1.new_arrivals_by_municipality == {OGUNI: 1, AMA: 1, OSAKI: 1}
    assert result[2024].residence.new_arrivals == 2
    assert result[2026].residence.new_arrivals == 0
    assert result[2026].residence.consortium == 4


def test_members_get_zero_rows_and_non_members_no_row() -> None:
    result = all_kpis([], [stay("s1", OGUNI, date(2025, 5, 1))], [], MEMBERS, [2024, 2025])
    assert result[2024] == FyKpis(
        fy=2024,
        residence=KpiCounts("kpi1", 2024, 0, {}, 0, 0, {}),
        offline=OfflineCounts(2024, 0, {}, {}, 0),
        online=KpiCounts("kpi3", 2024, 0, {}, 0),
    )
    assert set(result[2025].online.by_municipality) == {OGUNI, AMA, OSAKI}
    assert result[2025].offline.sent == {OGUNI: 0, AMA: 0, OSAKI: 0}  # home Tokyo: no row


def test_stay_in_own_town_counts_for_kpi2() -> None:
    kpi2 = kpi2_offline([stay("s1", AMA, date(2025, 8, 1), home=AMA)], MEMBERS, 2025)
    assert kpi2.consortium == 1 and kpi2.received[AMA] == 1 and kpi2.sent[AMA] == 1


def test_invalid_records_and_years() -> None:
    with pytest.raises(ValueError):
        StayRec("s1", None, AMA, date(2025, 5, 2), date(2025, 5, 1), False)
    with pytest.raises(ValueError):
        ResidenceRec("s1", None, AMA, date(2025, 5, 2), date(2025, 5, 1))
    with pytest.raises(ValueError):
        Membership(AMA, 2026, 2025)
    with pytest.raises(ValueError):
        kpi1_residence([], MEMBERS, 1000)
    with pytest.raises(TypeError):
        kpi1_residence([], MEMBERS, "2025")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        student_fy_contributions("s1", [], [stay("s2", AMA, date(2025, 5, 1))], [], MEMBERS, [])


def test_achievement() -> None:
    assert achievement(30, 40) == 0.75
    assert achievement(50, 40) == 1.25  # not capped
    assert achievement(0.6, 0.5) == pytest.approx(1.2)
    assert achievement(10, None) is None
    assert achievement(10, 0) is None
    with pytest.raises(ValueError):
        achievement(-1, 10)
    with pytest.raises(ValueError):
        achievement(1, math.nan)
    with pytest.raises(TypeError):
        achievement(True, 10)


def test_contributions_of_one_student() -> None:
    keys = student_fy_contributions(
        "s1",
        [ResidenceRec("s1", None, AMA, date(2025, 4, 10), None)],
        [stay("s1", OGUNI, date(2026, 3, 30), home=None)],
        [AttendanceRec("s1", None, date(2025, 6, 1), True)],
        MEMBERS,
        [2025],
    )
    assert keys == {
        Contribution("kpi1", 2025, None, "consortium"),
        Contribution("kpi1", 2025, AMA, "host"),
        Contribution("kpi1", 2025, None, "new_arrival"),
        Contribution("kpi1", 2025, AMA, "new_arrival"),
        Contribution("kpi2", 2025, None, "consortium"),
        Contribution("kpi2", 2025, OGUNI, "received"),
        Contribution("kpi2", 2025, None, "unattributed"),
        Contribution("kpi3", 2025, None, "consortium"),
        Contribution("kpi3", 2025, None, "unattributed"),
    }
    assert contribution_delta(keys, set()) == dict.fromkeys(keys, -1)
    assert contribution_delta(set(), keys) == dict.fromkeys(keys, 1)
    assert contribution_delta(keys, keys) == {}


# ------------------------------------------------------------------------- KPI ④


def test_kpi4_share() -> None:
    records = [
        ScoreRec("a", OGUNI, "agency", 3.5),
        ScoreRec("a", OGUNI, "agency", 3.5),  # the same record twice: harmless
        ScoreRec("b", OGUNI, "agency", 3.0),  # exactly the threshold: reaches it
        ScoreRec("c", AMA, "agency", 2.9),
        ScoreRec("d", None, "agency", 4.0),  # from abroad: consortium only
        ScoreRec("e", TOKYO, "agency", math.nan),  # not computable: not a respondent
        ScoreRec("a", OGUNI, "belonging", 1.0),
        ScoreRec("a", OGUNI, "not_configured", 5.0),
    ]
    thresholds = {"agency": 3.0, "belonging": 2.5, "safety": 3.0}
    kpi4 = kpi4_share(records, thresholds, 2025)
    assert list(kpi4.constructs) == ["agency", "belonging", "safety"]
    agency = kpi4.constructs["agency"]
    assert agency.consortium == ShareCell(4, 3) and agency.consortium.share == 0.75
    assert agency.by_municipality == {AMA: ShareCell(1, 0), OGUNI: ShareCell(2, 2)}
    assert kpi4.constructs["belonging"].consortium.share == 0.0
    assert kpi4.constructs["safety"].consortium == ShareCell(0, 0)
    assert kpi4.constructs["safety"].consortium.share is None

    by_members = kpi4_share(records, thresholds, 2025, memberships=MEMBERS)
    assert by_members.constructs["agency"].by_municipality == {
        OGUNI: ShareCell(2, 2),
        AMA: ShareCell(1, 0),
        OSAKI: ShareCell(0, 0),
    }
    with pytest.raises(ValueError):
        kpi4_share([*records, ScoreRec("a", OGUNI, "agency", 1.0)], thresholds)
    with pytest.raises(ValueError):
        kpi4_share(records, thresholds, memberships=MEMBERS)  # memberships need a year

    result = all_kpis(
        [], [], [], MEMBERS, [2024, 2025], scores={2025: records}, thresholds=thresholds
    )
    assert result[2024].competencies is None
    assert result[2025].competencies == by_members


# ---------------------------------------------------------------- properties

STUDENTS = [f"s{i}" for i in range(8)]
TOWNS = [OGUNI, AMA, OSAKI, KAMIYAMA, TOKYO]
FYS = [2023, 2024, 2025, 2026]
DAY0, DAY_MAX = date(2022, 10, 1), date(2027, 9, 30)

days = st.dates(min_value=DAY0, max_value=DAY_MAX)
homes = st.sampled_from([*TOWNS, None])
students = st.sampled_from(STUDENTS)
towns = st.sampled_from(TOWNS)


@st.composite
def residence_recs(draw: st.DrawFn) -> ResidenceRec:
    start = draw(days)
    length = draw(st.none() | st.integers(0, 900))
    end = None if length is None else start + timedelta(days=length)
    return ResidenceRec(draw(students), draw(homes), draw(towns), start, end)


@st.composite
def stay_recs(draw: st.DrawFn) -> StayRec:
    arrival = draw(days)
    departure = arrival + timedelta(days=draw(st.integers(0, 200)))
    return StayRec(
        draw(students), draw(homes), draw(towns), arrival, departure, draw(st.booleans())
    )


attendance_recs = st.builds(AttendanceRec, students, homes, days, st.booleans())


@st.composite
def membership_lists(draw: st.DrawFn) -> list[Membership]:
    result = []
    for town in TOWNS:
        for _ in range(draw(st.integers(0, 2))):
            first = draw(st.integers(2022, 2027))
            last = draw(st.none() | st.integers(first, 2027))
            result.append(Membership(town, first, last))
    return result


datasets = st.tuples(
    st.lists(residence_recs(), max_size=8),
    st.lists(stay_recs(), max_size=10),
    st.lists(attendance_recs, max_size=12),
    membership_lists(),
)
Dataset = tuple[list[ResidenceRec], list[StayRec], list[AttendanceRec], list[Membership]]


def _members(memberships: Sequence[Membership], fy: int) -> set[str]:
    return {
        m.municipality
        for m in memberships
        if m.first_fy <= fy and (m.last_fy is None or fy <= m.last_fy)
    }


def reference(data: Dataset, fy: int) -> FyKpis:
    """The rules applied literally, for one fiscal year, with no cleverness."""
    residences, stays, attendances, memberships = data
    first, last = date(fy, 4, 1), date(fy + 1, 3, 31)
    members = sorted(_members(memberships, fy))

    res = [
        r
        for r in residences
        if r.home_municipality != r.host_municipality
        and r.host_municipality in members
        and r.start <= last
        and (r.end is None or r.end >= first)
    ]
    new = [r for r in res if first <= r.start <= last]
    kpi1 = KpiCounts(
        "kpi1",
        fy,
        len({r.student for r in res}),
        {m: len({r.student for r in res if r.host_municipality == m}) for m in members},
        0,
        len({r.student for r in new}),
        {m: len({r.student for r in new if r.host_municipality == m}) for m in members},
    )

    # KPI②: no membership condition on the stay; rows only for members.
    sts = [s for s in stays if not s.cancelled and s.arrival <= last and s.departure >= first]
    sent_students = {s.student for s in sts if s.home_municipality in members}
    received_students = {s.student for s in sts if s.host_municipality in members}
    kpi2 = OfflineCounts(
        fy,
        len({s.student for s in sts}),
        {m: len({s.student for s in sts if s.host_municipality == m}) for m in members},
        {m: len({s.student for s in sts if s.home_municipality == m}) for m in members},
        len({s.student for s in sts} - sent_students),
        len({s.student for s in sts} - received_students),
    )

    att = [a for a in attendances if a.online and first <= a.session_date <= last]
    by_home = {a.student for a in att if a.home_municipality in members}
    kpi3 = KpiCounts(
        "kpi3",
        fy,
        len({a.student for a in att}),
        {m: len({a.student for a in att if a.home_municipality == m}) for m in members},
        len({a.student for a in att} - by_home),
    )
    return FyKpis(fy, kpi1, kpi2, kpi3)


def by_student(data: Dataset) -> dict[str, Dataset]:
    residences, stays, attendances, memberships = data
    return {
        s: (
            [r for r in residences if r.student == s],
            [r for r in stays if r.student == s],
            [r for r in attendances if r.student == s],
            memberships,
        )
        for s in STUDENTS
    }


@settings(max_examples=300)
@given(datasets)
def test_all_kpis_match_the_literal_rules(data: Dataset) -> None:
    result = all_kpis(*data, FYS)
    assert set(result) == set(FYS)
    for fy in FYS:
        assert result[fy] == reference(data, fy)
    residences, stays, attendances, memberships = data
    assert kpi1_residence(residences, memberships, 2025) == result[2025].residence
    assert kpi2_offline(stays, memberships, 2025) == result[2025].offline
    assert kpi3_online(attendances, memberships, 2025) == result[2025].online


@given(datasets)
def test_consortium_between_max_and_sum_of_towns(data: Dataset) -> None:
    for fy, kpis in all_kpis(*data, FYS).items():
        members = _members(data[3], fy)
        for counts in (kpis.residence, kpis.online):
            rows = counts.by_municipality
            assert set(rows) == members
            assert counts.consortium >= max(rows.values(), default=0)
            assert counts.consortium <= sum(rows.values()) + counts.unattributed
            assert counts.unattributed <= counts.consortium
        assert kpis.residence.unattributed == 0
        assert kpis.residence.new_arrivals is not None
        assert kpis.residence.new_arrivals <= kpis.residence.consortium
        offline = kpis.offline
        assert set(offline.received) == set(offline.sent) == members
        peak = max([*offline.received.values(), *offline.sent.values()], default=0)
        assert offline.consortium >= peak
        assert offline.consortium <= sum(offline.received.values()) + offline.unhosted
        assert offline.unhosted <= offline.consortium
        assert offline.consortium <= sum(offline.sent.values()) + offline.unattributed


@given(datasets, st.randoms(use_true_random=False))
def test_duplicated_and_shuffled_records_change_nothing(data: Dataset, rng: Random) -> None:
    residences, stays, attendances, memberships = data
    doubled: Dataset = (
        residences + residences[::-1],
        stays * 2,
        attendances + attendances[:3],
        memberships * 2,
    )
    for part in doubled:
        rng.shuffle(part)
    assert all_kpis(*doubled, FYS) == all_kpis(*data, FYS)
    assert tally_contributions(*doubled, FYS) == tally_contributions(*data, FYS)


@settings(max_examples=200)
@given(datasets)
def test_incremental_contributions_equal_the_full_recount(data: Dataset) -> None:
    summed: Counter[Contribution] = Counter()
    for student, (res, sts, att, mems) in by_student(data).items():
        summed.update(student_fy_contributions(student, res, sts, att, mems, FYS))
    full = tally_contributions(*data, FYS)
    assert summed == full
    assert kpis_from_counts(summed, data[3], FYS) == all_kpis(*data, FYS)


@given(datasets, datasets, students)
def test_updating_one_student_keeps_aggregates_right(
    before: Dataset, other: Dataset, student: str
) -> None:
    """Replace one student's records and apply the delta to the stored counts."""
    memberships = before[3]
    mine_before = by_student(before)[student]
    mine_after = by_student((*other[:3], memberships))[student]
    after: Dataset = (
        [r for r in before[0] if r.student != student] + mine_after[0],
        [r for r in before[1] if r.student != student] + mine_after[1],
        [r for r in before[2] if r.student != student] + mine_after[2],
        memberships,
    )
    stored = tally_contributions(*before, FYS)
    delta = contribution_delta(
        student_fy_contributions(student, *mine_before[:3], memberships, FYS),
        student_fy_contributions(student, *mine_after[:3], memberships, FYS),
    )
    stored.update(delta)  # Counter.update adds; the -1s remove
    stored = +stored  # drop keys that reached zero
    assert stored == tally_contributions(*after, FYS)
    assert kpis_from_counts(stored, memberships, FYS) == all_kpis(*after, FYS)


score_recs = st.builds(
    ScoreRec,
    students,
    homes,
    st.sampled_from(["agency", "belonging", "other"]),
    st.sampled_from([1.0, 2.0, 2.5, 3.0, 4.0, math.nan]),
)


@given(st.lists(score_recs, max_size=20), st.floats(1.0, 4.0))
def test_kpi4_properties(records: list[ScoreRec], threshold: float) -> None:
    # One score per student and construct, as in a real wave.
    first: dict[tuple[str, str], ScoreRec] = {}
    for r in records:
        first.setdefault((r.student, r.construct), r)
    records = list(first.values())
    thresholds = {"agency": threshold, "belonging": 2.5}
    kpi4 = kpi4_share(records, thresholds, 2025)
    assert kpi4 == kpi4_share(records * 2, thresholds, 2025)
    for construct, result in kpi4.constructs.items():
        answered = {
            r.student for r in records if r.construct == construct and not math.isnan(r.score)
        }
        assert result.consortium.respondents == len(answered)
        cells = [result.consortium, *result.by_municipality.values()]
        for cell in cells:
            assert 0 <= cell.reaching <= cell.respondents
            assert cell.share is None or 0.0 <= cell.share <= 1.0
        assert result.consortium.respondents >= max(
            (c.respondents for c in result.by_municipality.values()), default=0
        )
    # Without town rows the consortium figures are the same.
    overall = kpi4_share(records, thresholds, 2025, by_home=False)
    for construct, result in overall.constructs.items():
        assert result.by_municipality == {}
        assert result.consortium == kpi4.constructs[construct].consortium


def test_kpi4_share_columns_is_the_same_count() -> None:
    """The columnar form (what the recount passes: numpy arrays of a whole
    wave) counts as the records do; a student twice counts once, in each home."""
    import numpy as np

    students = np.array(["a", "a", "b", "c", "d", "e"], dtype=object)
    homes = np.array([OGUNI, AMA, OGUNI, None, AMA, TOKYO], dtype=object)
    scores = {"agency": np.array([3.5, 3.5, 2.0, 4.0, math.nan, 1.0])}
    result = kpi4_share_columns(students, homes, scores, {"agency": 3.0, "safety": 2.0}, 2025)
    agency = result.constructs["agency"]
    assert agency.consortium == ShareCell(4, 2)  # a, b, c, e; d has no score
    assert agency.by_municipality == {
        AMA: ShareCell(1, 1),
        OGUNI: ShareCell(2, 1),
        TOKYO: ShareCell(1, 0),
    }
    assert result.constructs["safety"].consortium == ShareCell(0, 0)  # no column: nobody
    records = [
        ScoreRec(s, h, "agency", v)
        for s, h, v in zip(students, homes, scores["agency"], strict=True)
    ]
    assert kpi4_share(records, {"agency": 3.0, "safety": 2.0}, 2025) == result
    with pytest.raises(ValueError, match="homes"):
        kpi4_share_columns(students, homes[:2], scores, {"agency": 3.0})
    with pytest.raises(ValueError, match="two scores"):
        kpi4_share_columns(["a", "a"], [None, None], {"agency": [1.0, 2.0]}, {"agency": 3.0})


# ---------------------------------------------------------------- KPI ④, literally

CONSTRUCTS = ["agency", "belonging"]


@st.composite
def wave_scores_lists(draw: st.DrawFn) -> list[ScoreRec]:
    """One wave: each respondent (some anonymous: no home) with a score per construct or none."""
    records = []
    for i in range(draw(st.integers(0, 12))):
        student = f"r{i}"
        home = draw(homes)
        for construct in CONSTRUCTS:
            # Scores on a 1–5 scale in quarter steps, so the threshold is often hit exactly.
            if draw(st.booleans()):
                records.append(ScoreRec(student, home, construct, draw(st.integers(4, 20)) / 4))
    return records


def kpi4_reference(
    records: list[ScoreRec], thresholds: dict[str, float], members: set[str]
) -> dict[str, dict[str | None, tuple[int, int]]]:
    """DESIGN.md's KPI④ read literally: "the share of respondents whose construct score
    reaches a threshold"; rows per member town by home (docs/kpi-readings.md).
    Returns construct -> {None: consortium, town: (respondents, reaching)}."""
    out: dict[str, dict[str | None, tuple[int, int]]] = {}
    for construct, threshold in thresholds.items():
        respondents = {r.student: r for r in records if r.construct == construct}
        rows: dict[str | None, tuple[int, int]] = {
            None: (len(respondents), sum(r.score >= threshold for r in respondents.values()))
        }
        for town in members:
            mine = [r for r in respondents.values() if r.home_municipality == town]
            rows[town] = (len(mine), sum(r.score >= threshold for r in mine))
        out[construct] = rows
    return out


@settings(max_examples=300)
@given(wave_scores_lists(), membership_lists(), st.sampled_from(FYS))
def test_kpi4_matches_the_literal_rule(
    records: list[ScoreRec], memberships: list[Membership], fy: int
) -> None:
    thresholds = {"agency": 3.5, "belonging": 3.0}
    result = kpi4_share(records, thresholds, fy, memberships=memberships)
    expected = kpi4_reference(records, thresholds, _members(memberships, fy))
    for construct, rows in expected.items():
        share = result.constructs[construct]
        got = {None: (share.consortium.respondents, share.consortium.reaching)}
        got |= {m: (c.respondents, c.reaching) for m, c in share.by_municipality.items()}
        assert got == rows
