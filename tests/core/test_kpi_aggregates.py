"""Dashboard keys (ekkyo.core.kpi_aggregates): hand cases and properties."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ekkyo.core import kpi
from ekkyo.core.kpi_aggregates import (
    Activity,
    Key,
    StudentInfo,
    key_delta,
    month_labels,
    student_keys,
    tally_keys,
)

TOWNS = ["011002", "022012", "032034", "042021"]
MEMBERS = [kpi.Membership(t, 2024, None) for t in TOWNS[:3]]
TODAY = date(2026, 11, 27)
YEARS = [2024, 2025, 2026]


def keys(student: StudentInfo, acts: list[Activity]) -> frozenset[Key]:
    return student_keys(student, acts, MEMBERS, YEARS, until=TODAY)


def test_month_labels_run_april_to_march() -> None:
    assert month_labels(2026)[0] == "2026-04" and month_labels(2026)[-1] == "2027-03"
    assert len(month_labels(2026)) == 12


def test_student_in_two_towns_has_two_regions_and_one_consortium_count() -> None:
    s = StudentInfo("s1", TOWNS[0], "SCH1")
    acts = [
        Activity("stay", TOWNS[1], "p1", date(2026, 5, 1), date(2026, 5, 3)),
        Activity("stay", TOWNS[2], "p2", date(2026, 8, 1), date(2026, 8, 3)),
    ]
    k = keys(s, acts)
    assert Key("kpi", 2026, a="kpi2", b="consortium") in k
    assert Key("rel", 2026, a="2", b="fy") in k
    assert Key("rel", 2026, muni=TOWNS[0], a="2", b="fy") in k
    assert Key("flow", 2026, a=TOWNS[0], b=TOWNS[1], c="stay") in k
    assert Key("flow", 2026, a=TOWNS[0], b=TOWNS[2]) in k
    assert Key("month", 2026, a="2026-05", c="stay") in k
    assert Key("month", 2026, muni=TOWNS[1], a="2026-05", c="stay") in k
    assert Key("school", 2026, school="SCH1", a="kpi2") in k
    assert Key("programme", 2026, muni=TOWNS[2], programme="p2", a=TOWNS[0], c="stay") in k


def test_cancelled_stay_counts_nowhere() -> None:
    s = StudentInfo("s1", TOWNS[0], None)
    acts = [Activity("stay", TOWNS[1], "p1", date(2026, 5, 1), date(2026, 5, 3), cancelled=True)]
    assert keys(s, acts) == frozenset()


def test_non_member_host_counts_for_kpi2_by_home_but_has_no_received_row() -> None:
    """DESIGN.md puts no membership condition on KPI② (issue 11): the stay counts
    for the consortium and the member home ("sent"); the host has no row."""
    s = StudentInfo("s1", TOWNS[0], None)
    acts = [Activity("stay", TOWNS[3], "p2", date(2026, 5, 1), date(2026, 5, 3))]  # not a member
    assert keys(s, acts) == {
        Key("kpi", 2026, a="kpi2", b="consortium"),
        Key("kpi", 2026, muni=TOWNS[0], a="kpi2", b="sent"),
        Key("kpi", 2026, a="kpi2", b="unhosted"),
    }


def test_stay_crossing_31_march_counts_in_both_years() -> None:
    s = StudentInfo("s1", TOWNS[0], None)
    k = keys(s, [Activity("stay", TOWNS[1], "p", date(2026, 3, 30), date(2026, 4, 2))])
    assert Key("month", 2025, a="2026-03", c="stay") in k
    assert Key("month", 2026, a="2026-04", c="stay") in k
    assert Key("rel", 2026, a="1", b="cum") in k


def test_cumulative_relationships_include_earlier_years() -> None:
    s = StudentInfo("s1", TOWNS[0], None)
    acts = [
        Activity("stay", TOWNS[1], "p1", date(2024, 5, 1), date(2024, 5, 3)),
        Activity("online", TOWNS[2], "p2", date(2026, 6, 1), date(2026, 6, 1)),
    ]
    k = keys(s, acts)
    assert Key("rel", 2026, a="1", b="fy") in k
    assert Key("rel", 2026, a="2", b="cum") in k
    assert Key("rel", 2025, a="1", b="cum") in k  # nothing in FY2025 itself …
    assert not any(x.dim == "rel" and x.fy == 2025 and x.b == "fy" for x in k)


def test_ongoing_residence_stops_at_today() -> None:
    s = StudentInfo("s1", None, None)  # from abroad
    k = keys(s, [Activity("residence", TOWNS[1], None, date(2026, 4, 1), None, home=None)])
    months = {x.a for x in k if x.dim == "month" and not x.muni}
    assert "2026-11" in months and "2026-12" not in months
    assert Key("flow", 2026, a="", b=TOWNS[1], c="residence") in k


def test_residence_in_own_town_is_no_kpi1() -> None:
    s = StudentInfo("s1", TOWNS[1], None)
    k = keys(s, [Activity("residence", TOWNS[1], None, date(2026, 4, 1), None, home=TOWNS[1])])
    assert k == frozenset()


# ------------------------------------------------------------------ properties

days = st.dates(date(2024, 4, 1), date(2027, 3, 31))


@st.composite
def activities(draw: st.DrawFn) -> Activity:
    kind = draw(st.sampled_from(["residence", "stay", "online"]))
    start = draw(days)
    if kind == "online":
        end: date | None = start
    elif kind == "residence" and draw(st.booleans()):
        end = None
    else:
        end = start + timedelta(days=draw(st.integers(0, 400)))
    return Activity(
        kind,
        draw(st.sampled_from([*TOWNS, None])),
        draw(st.sampled_from(["p1", "p2", None])),
        start,
        end,
        home=draw(st.sampled_from([*TOWNS, None])) if kind == "residence" else None,
        cancelled=kind == "stay" and draw(st.booleans()),
    )


students = st.builds(
    StudentInfo,
    st.sampled_from(["s1", "s2", "s3"]),
    st.sampled_from([*TOWNS, None]),
    st.sampled_from(["A", None]),
)


@settings(max_examples=150, deadline=None)
@given(students, st.lists(activities(), max_size=6))
def test_kpi_keys_are_exactly_the_counting_module_contributions(
    s: StudentInfo, acts: list[Activity]
) -> None:
    k = keys(s, acts)
    live = [a for a in acts if not a.cancelled]
    expected = kpi.student_fy_contributions(
        s.id,
        [kpi.ResidenceRec(s.id, a.home, a.host, a.start, a.end) for a in live
         if a.kind == "residence" and a.host],
        [kpi.StayRec(s.id, s.home, a.host, a.start, a.end or a.start, False) for a in live
         if a.kind == "stay" and a.host],
        [kpi.AttendanceRec(s.id, s.home, a.start, True) for a in live if a.kind == "online"],
        MEMBERS,
        YEARS,
    )  # fmt: skip
    got = {(x.a, x.fy, x.muni or None, x.b) for x in k if x.dim == "kpi"}
    assert got == {(c.kpi, c.fy, c.municipality, c.role) for c in expected}


@settings(max_examples=150, deadline=None)
@given(students, st.lists(activities(), max_size=6))
def test_one_bucket_per_span_and_year_and_months_inside_the_year(
    s: StudentInfo, acts: list[Activity]
) -> None:
    k = keys(s, acts)
    for fy in YEARS:
        for span in ("fy", "cum"):
            assert (
                len(
                    [
                        x
                        for x in k
                        if x.dim == "rel"
                        and x.fy == fy
                        and x.b == span
                        and not x.muni
                        and not x.school
                    ]
                )
                <= 1
            )
        assert all(x.a in month_labels(fy) for x in k if x.dim == "month" and x.fy == fy)
    whole = [x for x in k if x.dim == "rel" and not x.muni and not x.school]
    fy_buckets = {x.fy: x.a for x in whole if x.b == "fy"}
    cum_buckets = {x.fy: x.a for x in whole if x.b == "cum"}
    order = {"1": 1, "2": 2, "3+": 3}
    for fy, bucket in fy_buckets.items():
        assert order[cum_buckets[fy]] >= order[bucket]  # the cumulative count never shrinks


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(students, st.lists(activities(), max_size=4)), max_size=5), students,
       st.lists(activities(), max_size=4))  # fmt: skip
def test_applying_deltas_keeps_the_tally_exact(
    population: list[tuple[StudentInfo, list[Activity]]],
    changed: StudentInfo,
    new_acts: list[Activity],
) -> None:
    # One key set per distinct student id (the last one wins, like a database row).
    people = {s.id: (s, acts) for s, acts in population}
    counts: Counter[Key] = tally_keys(keys(s, a) for s, a in people.values())
    before = keys(*people[changed.id]) if changed.id in people else frozenset()
    people[changed.id] = (changed, new_acts)
    for key, d in key_delta(before, keys(changed, new_acts)).items():
        counts[key] += d
    expected = tally_keys(keys(s, a) for s, a in people.values())
    assert +counts == +expected
