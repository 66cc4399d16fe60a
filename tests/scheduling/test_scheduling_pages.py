"""Timetables, calendars and common-slot scheduling through the pages and services."""

from __future__ import annotations

import random
from datetime import date, time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from ekkyo.allocation.seat_services import seat_confirm
from ekkyo.core.scheduling import bell_template_csv
from ekkyo.demo.timetables import NORTH, seed_timetables
from ekkyo.programmes.models import ProgrammeKind, Session
from ekkyo.registry.models import School
from ekkyo.scheduling.models import BellPeriod, CalendarEvent
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, programme

pytestmark = pytest.mark.django_db


def _client(world: World, role: Role) -> Client:
    c = Client()
    c.force_login(world.a.users[role])
    return c


def _upload(c: Client, url: str, data: bytes, name: str = "file.csv") -> object:
    return c.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_bell_import_replaces_and_is_idempotent(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    url = reverse("scheduling:timetable_import", args=[world.a.school.code])
    for _ in range(2):
        response = _upload(c, url, bell_template_csv())
        assert response.status_code == 302  # type: ignore[attr-defined]
    periods = BellPeriod.objects.filter(school=world.a.school)
    assert periods.count() == 6
    assert periods.get(number=6).preferred
    page = c.get(reverse("scheduling:timetable", args=[world.a.school.code]))
    assert "総合的な探究の時間" in page.content.decode()


def test_bell_import_with_bad_rows_changes_nothing(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    url = reverse("scheduling:timetable_import", args=[world.a.school.code])
    _upload(c, url, bell_template_csv())
    bad = (
        "曜日,時限,開始,終了,名称,探究\n月,1,08:50,09:40,,\n火,1,8時,09:40,,\n水,x,08:50,09:40,,\n"
    )
    response = _upload(c, url, bad.encode("cp932"))
    assert response.status_code == 400  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    assert "3" in body and "4" in body  # both bad rows are listed
    assert BellPeriod.objects.filter(school=world.a.school).count() == 6  # unchanged


def test_calendar_import_cp932_all_or_nothing_and_idempotent(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    url = reverse("scheduling:calendar_import", args=[world.a.school.code])
    good = (
        "種別,開始日,終了日,名称\n"
        "長期休業,2026/7/20,2026/8/25,夏季休業\n"
        "休校,令和9年1月14日,,大雪\n"
    )
    for _ in range(2):
        assert _upload(c, url, good.encode("cp932")).status_code == 302  # type: ignore[attr-defined]
    assert CalendarEvent.objects.filter(school=world.a.school).count() == 2
    bad = good + "考査,2026-12-01,2026-11-30,逆\n"
    response = _upload(c, url, bad.encode("cp932"))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Row 4" in response.content.decode() or "4行" in response.content.decode()  # type: ignore[attr-defined]
    assert CalendarEvent.objects.filter(school=world.a.school).count() == 2


def test_templates_are_utf8_with_bom(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    for name in ("scheduling:bell_template", "scheduling:calendar_template"):
        body = b"".join(c.get(reverse(name)).streaming_content)  # type: ignore[attr-defined]
        assert body.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("role", "own", "second_town", "other_consortium"),
    [
        (Role.SCHOOL_STAFF, 200, 404, 404),
        (Role.MUNICIPALITY_STAFF, 200, 404, 404),
        (Role.CONSORTIUM_ADMIN, 200, 200, 404),
        (Role.HOST, 403, 403, 403),
        (Role.PARTNER, 403, 403, 403),
        (Role.STUDENT, 403, 403, 403),
        (Role.GUARDIAN, 403, 403, 403),
    ],
)
def test_who_may_edit_which_timetable(
    world: World, role: Role, own: int, second_town: int, other_consortium: int
) -> None:
    c = _client(world, role)
    for tenant, expected in ((world.a, own), (world.a2, second_town), (world.b, other_consortium)):
        for name in ("scheduling:timetable", "scheduling:calendar"):
            response = c.get(reverse(name, args=[tenant.school.code]))
            assert response.status_code == expected, (name, tenant.school.code)


def test_timetable_form_saves_and_rejects_overlaps(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    url = reverse("scheduling:timetable", args=[world.a.school.code])
    form = {
        "p-TOTAL_FORMS": "2",
        "p-INITIAL_FORMS": "0",
        "p-MIN_NUM_FORMS": "0",
        "p-MAX_NUM_FORMS": "140",
        "p-0-weekday": "0",
        "p-0-number": "1",
        "p-0-starts": "08:50",
        "p-0-ends": "09:40",
        "p-0-label": "国語",
        "p-1-weekday": "0",
        "p-1-number": "2",
        "p-1-starts": "09:30",
        "p-1-ends": "10:20",
        "p-1-label": "総合的な探究の時間",
        "p-1-preferred": "on",
    }
    response = c.post(url, form)
    assert response.status_code == 200
    assert not BellPeriod.objects.filter(school=world.a.school).exists()
    form["p-1-starts"] = "09:50"
    form["p-1-ends"] = "10:40"
    assert c.post(url, form).status_code == 302
    assert list(
        BellPeriod.objects.filter(school=world.a.school).values_list("number", "preferred")
    ) == [(1, False), (2, True)]


def test_calendar_page_shows_national_holiday_and_adds_event(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    url = reverse("scheduling:calendar", args=[world.a.school.code]) + "?month=2026-11"
    assert "文化の日" in c.get(url).content.decode()
    response = c.post(
        url,
        {
            "action": "add",
            "event-kind": "exam",
            "event-start_date": "2026-11-30",
            "event-end_date": "2026-12-03",
            "event-title": "期末考査",
        },
    )
    assert response.status_code == 302
    event = CalendarEvent.objects.get(school=world.a.school)
    assert (event.start_date, event.end_date) == (date(2026, 11, 30), date(2026, 12, 3))
    assert c.post(url, {"action": "delete", "event": str(event.pk)}).status_code == 302
    assert not CalendarEvent.objects.filter(school=world.a.school).exists()


def _six_periods(school: School, inquiry: int) -> None:
    starts = [(8, 50), (9, 50), (10, 50), (11, 50), (13, 30), (14, 30)]
    BellPeriod.objects.bulk_create(
        BellPeriod(
            school=school,
            weekday=wd,
            number=n,
            starts=time(h, m),
            ends=time(h, m + 50) if m + 50 < 60 else time(h + 1, m - 10),
            label="総合的な探究の時間" if n == inquiry else "",
            preferred=n == inquiry,
        )
        for wd in range(5)
        for n, (h, m) in enumerate(starts, start=1)
    )


def test_scheduling_finds_books_once_and_exports_ics(world: World) -> None:
    with system_scope(reason="test arrange"):
        online = programme(
            world.a.consortium,
            world.a.municipality,
            title="オンライン探究ゼミ",
            kind=ProgrammeKind.ONLINE,
            starts_on=date(2026, 11, 2),
            ends_on=date(2026, 11, 13),
        )
        seeder = system_actor(reason="test")
        seat_confirm(actor=seeder, programme_id=online.pk, student_id=world.a.students[0].pk)
        seat_confirm(actor=seeder, programme_id=online.pk, student_id=world.a2.students[0].pk)
    _six_periods(world.a.school, inquiry=6)
    _six_periods(world.a2.school, inquiry=6)
    CalendarEvent.objects.create(
        school=world.a2.school,
        kind="exam",
        start_date=date(2026, 11, 9),
        end_date=date(2026, 11, 13),
        title="考査",
    )
    c = _client(world, Role.MUNICIPALITY_STAFF)
    url = reverse("scheduling:programme_slots", args=[online.pk])
    page = c.get(url)
    assert page.status_code == 200
    # The schools of confirmed seats are preselected.
    assert page.context["form"].initial["schools"] == sorted(
        [world.a.school.pk, world.a2.school.pk]
    )
    query: dict[str, Any] = {
        "schools": [world.a.school.pk, world.a2.school.pk],
        "first": "2026-11-02",
        "last": "2026-11-13",
        "length": "50",
        "only_preferred": "on",
    }
    page = c.get(url, query)
    rows = page.context["rows"]
    # 11/3 is 文化の日, 11/9-13 exam week at one school: Mon 2, Wed 4, Thu 5, Fri 6.
    assert [r["slot"].day.day for r in rows] == [2, 4, 5, 6]
    assert all(r["slot"].preferred_schools == 2 and r["slot"].displaced == 0 for r in rows)
    anytime = c.get(url, {k: v for k, v in query.items() if k != "only_preferred"})
    assert anytime.status_code == 200
    assert any(r["slot"].displaced > 0 for r in anytime.context["rows"])
    assert anytime.context["total"] > len(anytime.context["rows"]) == 50
    english = c.get(url, {**query, "length": "100"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200 and english.context["total"] == 0
    slot = rows[0]["slot"]
    book = {"day": "2026-11-02", "start": slot.start, "end": slot.end, "title": "第1回"}
    for _ in range(2):
        assert c.post(url, book).status_code == 302
    sessions = Session.objects.filter(programme=online)
    assert sessions.count() == 1
    assert sessions.get().starts_at.isoformat().startswith("2026-11-02T05:30")  # 14:30 JST
    ics = c.get(
        reverse("scheduling:slot_ics", args=[online.pk]),
        {"day": "2026-11-02", "start": slot.start, "end": slot.end},
    )
    cal = Calendar.from_ical(ics.content)
    events = [e for e in cal.walk("VEVENT")]
    assert len(events) == 1
    assert events[0].decoded("dtstart").hour == 14


def test_scheduling_is_for_programme_managers_only(world: World) -> None:
    with system_scope(reason="test arrange"):
        online = programme(
            world.a.consortium, world.a.municipality, title="企画", kind=ProgrammeKind.ONLINE
        )
    url = reverse("scheduling:programme_slots", args=[online.pk])
    assert _client(world, Role.CONSORTIUM_ADMIN).get(url).status_code == 200
    assert _client(world, Role.MUNICIPALITY_STAFF).get(url).status_code == 200
    # Not the host: the school staff of A's school does not manage it.
    assert _client(world, Role.SCHOOL_STAFF).get(url).status_code == 404
    assert _client(world, Role.PARTNER).get(url).status_code == 403
    other = Client()
    other.force_login(world.b.users[Role.CONSORTIUM_ADMIN])
    assert other.get(url).status_code == 404
    assert (
        other.post(url, {"day": "2026-11-02", "start": 870, "end": 920, "title": "x"}).status_code
        == 404
    )
    assert not Session.objects.filter(programme=online).exists()


def test_seed_timetables_gives_every_school_a_week_and_regional_vacations(world: World) -> None:
    schools = [world.a.school, world.a2.school, world.b.school]  # prefectures 06, 32, 47
    seed_timetables([s.pk for s in schools], fiscal_years=[2026], rng=random.Random(1))
    for s in schools:
        periods = BellPeriod.objects.filter(school=s)
        assert periods.count() == 30
        assert 1 <= periods.filter(preferred=True).count() <= 2
    assert world.a.school.municipality.prefecture_id in NORTH
    winter = {s.pk: CalendarEvent.objects.get(school=s, title="冬季休業") for s in schools}
    north = winter[world.a.school.pk]
    south = winter[world.b.school.pk]
    assert (north.end_date - north.start_date) > (south.end_date - south.start_date)
    assert CalendarEvent.objects.filter(school=world.a.school, kind="closure").exists()
    assert not CalendarEvent.objects.filter(school=world.b.school, kind="closure").exists()
    # Seeding again replaces rather than duplicates.
    seed_timetables([s.pk for s in schools], fiscal_years=[2026], rng=random.Random(1))
    assert BellPeriod.objects.filter(school__in=schools).count() == 90
