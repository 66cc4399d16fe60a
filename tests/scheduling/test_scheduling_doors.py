"""The scheduling doors: each write is audited with its own code (old/new where a
record changes), and another school's timetable, event or programme is refused
like a missing one, the refusal recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ekkyo.audit.models import AuditEvent
from ekkyo.core.scheduling import bell_template_csv
from ekkyo.programmes.models import ProgrammeKind, Session
from ekkyo.scheduling.models import BellPeriod, CalendarEvent
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, programme

pytestmark = pytest.mark.django_db


def _client(world: World, role: Role) -> Client:
    c = Client()
    c.force_login(world.a.users[role])
    return c


def _events(action: str) -> list[AuditEvent]:
    with system_scope(reason="test assert"):
        return list(AuditEvent._unscoped.filter(action=action).order_by("pk"))


def _denials(user: Any) -> int:
    with system_scope(reason="test assert"):
        return AuditEvent._unscoped.filter(action="access.denied", actor_id=user.pk).count()


def _period_form(label: str) -> dict[str, str]:
    return {
        "p-TOTAL_FORMS": "1", "p-INITIAL_FORMS": "0", "p-MIN_NUM_FORMS": "0",
        "p-MAX_NUM_FORMS": "140", "p-0-weekday": "0", "p-0-number": "1",
        "p-0-starts": "08:50", "p-0-ends": "09:40", "p-0-label": label,
    }  # fmt: skip


def test_bell_schedule_saves_and_imports_are_audited_with_old_and_new(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    code = world.a.school.code
    saved_page = c.post(reverse("scheduling:timetable", args=[code]), _period_form("国語"))
    assert saved_page.status_code == 302
    (saved,) = _events("timetable.save")
    assert saved.object_id == str(world.a.school.pk)
    assert saved.detail == {"old": {"periods": []}, "new": {"periods": ["0/1 08:50-09:40 国語"]}}
    upload = SimpleUploadedFile("bell.csv", bell_template_csv(), content_type="text/csv")
    c.post(reverse("scheduling:timetable_import", args=[code]), {"file": upload})
    (imported,) = _events("timetable.import")
    assert imported.detail["old"] == {"periods": ["0/1 08:50-09:40 国語"]}
    assert len(imported.detail["new"]["periods"]) == 6


def test_calendar_doors_are_audited(world: World) -> None:
    c = _client(world, Role.SCHOOL_STAFF)
    url = reverse("scheduling:calendar", args=[world.a.school.code])
    add = {
        "action": "add", "event-kind": "exam", "event-start_date": "2026-11-30",
        "event-end_date": "2026-12-03", "event-title": "期末考査",
    }  # fmt: skip
    for _ in range(2):
        assert c.post(url, add).status_code == 302
    (created,) = _events("calendar.event.create")  # the same event twice: stored and audited once
    event = CalendarEvent.objects.get()
    assert created.object_id == str(event.pk) and created.detail["new"]["title"] == "期末考査"
    c.post(url, {"action": "delete", "event": str(event.pk)})
    (deleted,) = _events("calendar.event.delete")
    assert deleted.detail["old"]["start_date"] == "2026-11-30"
    assert not CalendarEvent.objects.exists()
    upload = SimpleUploadedFile(
        "cal.csv", "種別,開始日,終了日,名称\n休校,2026/1/14,,大雪\n".encode("cp932")
    )
    c.post(reverse("scheduling:calendar_import", args=[world.a.school.code]), {"file": upload})
    (imported,) = _events("calendar.import")
    assert imported.detail == {"filename": "cal.csv", "created": 1, "unchanged": 0}


def test_another_schools_timetable_and_events_are_refused(world: World) -> None:
    teacher = world.a.users[Role.SCHOOL_STAFF]
    c = _client(world, Role.SCHOOL_STAFF)
    other = world.a2.school.code
    response = c.post(reverse("scheduling:timetable", args=[other]), _period_form("x"))
    assert response.status_code == 404
    assert not BellPeriod.objects.exists()
    assert _denials(teacher) == 1
    # An event of another school, named in the form of one's own calendar.
    foreign = CalendarEvent.objects.create(
        school=world.a2.school, kind="exam", start_date="2026-11-30", end_date="2026-11-30"
    )
    url = reverse("scheduling:calendar", args=[world.a.school.code])
    assert c.post(url, {"action": "delete", "event": str(foreign.pk)}).status_code == 404
    assert CalendarEvent.objects.filter(pk=foreign.pk).exists()
    assert _denials(teacher) == 2
    assert c.post(url, {"action": "delete", "event": "999999"}).status_code == 404
    assert _denials(teacher) == 2  # a missing event is not a refusal


def test_booking_is_audited_once_and_refused_to_non_managers(world: World) -> None:
    with system_scope(reason="test arrange"):
        online = programme(
            world.a.consortium, world.a.municipality, title="オンライン", kind=ProgrammeKind.ONLINE
        )
    url = reverse("scheduling:programme_slots", args=[online.pk])
    book = {"day": "2026-11-02", "start": 870, "end": 920, "title": "第1回"}
    town = _client(world, Role.MUNICIPALITY_STAFF)
    for _ in range(2):
        assert town.post(url, book).status_code == 302
    (booked,) = _events("session.book")
    session = Session.objects.get(programme=online)
    assert booked.object_id == str(session.pk)
    assert booked.consortium_id == world.a.consortium.pk
    assert booked.detail["new"]["title"] == "第1回"
    teacher = world.a.users[Role.SCHOOL_STAFF]  # not the host: does not manage it
    assert _client(world, Role.SCHOOL_STAFF).post(url, book).status_code == 404
    assert _denials(teacher) == 1
    assert Session.objects.filter(programme=online).count() == 1
