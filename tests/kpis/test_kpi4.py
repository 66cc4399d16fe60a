"""KPI ④ on the dashboards: counted by ``core.kpi.kpi4_share``, town rows by home.

Hand-built: a student whose school is in town A and home in town B counts in
B's row, not A's (docs/kpi-readings.md); an anonymous answer counts for the
consortium and its school only; a home that is not a member has no row.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from ekkyo.kpis.aggregates import aggregates_rebuild
from ekkyo.kpis.models import KeyCount
from ekkyo.people.models import Student
from ekkyo.surveys.models import Response

from ..factories import World, municipality

pytestmark = pytest.mark.django_db

ITEMS = ("es_adults_listen", "es_room_to_try", "es_retry", "es_across_grades")


def _answer(world: World, *, student: Student | None, value: int) -> None:
    Response._unscoped.create(
        wave=world.a.wave, client_id=uuid.uuid4(), content_hash=uuid.uuid4().hex,
        respondent=student.pseudonym if student else None, school=world.a.school,
        answers=dict.fromkeys(ITEMS, value), submitted_on=date(2026, 6, 1),
    )  # fmt: skip


def _cells(world: World) -> dict[tuple[str, str], tuple[int, int]]:
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for r in KeyCount.objects.filter(
        consortium=world.a.consortium, dim="kpi4", fy=2026, a="env_school"
    ):
        rows.setdefault((r.muni, r.school), {})[r.b] = r.n
    return {k: (v["respondents"], v["reaching"]) for k, v in rows.items()}


def test_kpi4_town_rows_are_by_home_and_anonymous_answers_only_count_overall(
    world: World, system: None
) -> None:
    a, a2 = world.a, world.a2
    away, local, elsewhere = a.students
    # Enrolled at A's school; living in A2 (a member), in A, and in a town that is no member.
    Student._unscoped.filter(pk=away.pk).update(home_municipality=a2.municipality)
    Student._unscoped.filter(pk=elsewhere.pk).update(home_municipality=municipality("13"))
    away.refresh_from_db()
    elsewhere.refresh_from_db()
    _answer(world, student=away, value=5)  # reaches 3.5
    _answer(world, student=local, value=2)  # does not
    _answer(world, student=elsewhere, value=5)
    _answer(world, student=None, value=5)  # anonymous
    aggregates_rebuild(a.consortium)
    cells = _cells(world)
    assert cells[("", "")] == (4, 3)  # the consortium: every respondent once
    assert cells[(a2.municipality.code, "")] == (1, 1)  # by home, not by school
    assert cells[(a.municipality.code, "")] == (1, 0)  # the school's town: only its own
    assert ("", a.school.code) in cells and cells[("", a.school.code)] == (4, 3)
    assert {m for m, s in cells if m} == {a.municipality.code, a2.municipality.code}


def test_a_threshold_reached_exactly_counts(world: World, system: None) -> None:
    # Mean of 3, 4, 4, 3 = 3.5: ">= threshold" reaches it.
    Response._unscoped.create(
        wave=world.a.wave, client_id=uuid.uuid4(), content_hash="h",
        respondent=world.a.students[0].pseudonym, school=world.a.school,
        answers=dict(zip(ITEMS, (3, 4, 4, 3), strict=True)), submitted_on=date(2026, 6, 1),
    )  # fmt: skip
    aggregates_rebuild(world.a.consortium)
    assert _cells(world)[("", "")] == (1, 1)


def test_files_carry_kpi4_through_the_gate_for_the_readers_rows_only(
    world: World, system: None
) -> None:
    """The report CSV (like the workbook and the PDF) holds KPI ④ for the
    consortium and the reader's own town; small groups read the marker."""
    import csv
    import io

    from django.test import Client
    from django.urls import reverse

    from ekkyo.core.disclosure import SUPPRESSED_MARKER
    from ekkyo.tenancy.principal import Role

    a, a2 = world.a, world.a2
    away = a.students[0]
    Student._unscoped.filter(pk=away.pk).update(home_municipality=a2.municipality)
    for student in a.students:
        _answer(world, student=student, value=5)
    aggregates_rebuild(a.consortium)
    town = Client()
    town.force_login(a.users[Role.MUNICIPALITY_STAFF])
    body = town.get(reverse("kpis:report_csv", args=[2026])).content.decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(body)) if len(r) > 3 and r[3].startswith("KPI ④")]
    assert {r[1] for r in rows} == {"", a.municipality.code}  # not A2's row
    assert rows and all(r[5] == SUPPRESSED_MARKER for r in rows)  # 3 and 2 respondents < k
