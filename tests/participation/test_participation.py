"""Attendance by hand and from meeting reports; stays from seats; residences."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ekkyo.allocation.models import Seat
from ekkyo.allocation.seat_services import seat_confirm
from ekkyo.participation.models import Attendance, Residence, Stay
from ekkyo.programmes.models import ProgrammeKind, Session
from ekkyo.tenancy.principal import Role

from ..doors import SYSTEM
from ..factories import World, programme

pytestmark = pytest.mark.django_db


def _admin(world: World) -> Client:
    c = Client()
    c.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    return c


def _online_with_seats(world: World) -> Session:
    p = programme(
        world.a.consortium, world.a.municipality, title="探究ゼミ", kind=ProgrammeKind.ONLINE
    )
    for s in world.a2.students:
        seat_confirm(actor=SYSTEM, programme_id=p.pk, student_id=s.pk)
    session = Session.objects.create(
        programme=p,
        kind="online",
        title="第1回",
        starts_at=world.a.session.starts_at,
        ends_at=world.a.session.ends_at,
    )
    return session


def test_attendance_from_a_zoom_report(world: World, system: None) -> None:
    session = _online_with_seats(world)
    s0, s1, _s2 = world.a2.students
    s0.romanized_name = "Aside Taro"
    s0.save()
    zoom = (
        "Name (Original Name),User Email,Total Duration (Minutes),Guest\r\n"
        f"{s1.family_name} {s1.given_name},,45,Yes\r\n"
        "Taro Aside,,30,Yes\r\n"
        "先生,teacher@example.jp,60,No\r\n"
    ).encode()
    c = _admin(world)
    url = reverse("programmes:attendance", args=[session.pk])
    preview = c.post(url, {"action": "upload", "report": SimpleUploadedFile("zoom.csv", zoom)})
    p = preview.context["preview"]
    assert p["source"] == "zoom"
    assert sorted(p["attended"]) == sorted([s0.full_name, s1.full_name])
    assert [u["name"] for u in p["unmatched"]] == ["先生"]
    assert not Attendance._unscoped.filter(session=session).exists()  # nothing before confirming
    for _ in range(2):  # confirming twice writes nothing new
        c.post(url, {"action": "confirm", "token": p["token"]})
    rows = Attendance._unscoped.filter(session=session)
    assert {a.student_id for a in rows} == {s0.pk, s1.pk}
    assert {a.minutes for a in rows} == {30, 45} and {a.source for a in rows} == {"zoom"}
    tampered = c.post(url, {"action": "confirm", "token": p["token"] + "x"})
    assert tampered.status_code == 302


def test_attendance_by_hand(world: World, system: None) -> None:
    session = _online_with_seats(world)
    c = _admin(world)
    url = reverse("programmes:attendance", args=[session.pk])
    first = world.a2.students[0]
    c.post(url, {"action": "manual", "present": [str(first.pk), str(world.b.students[0].pk)]})
    assert list(
        Attendance._unscoped.filter(session=session).values_list("student_id", flat=True)
    ) == [first.pk]
    c.post(url, {"action": "manual"})
    assert not Attendance._unscoped.filter(session=session).exists()
    other_town = Client()
    other_town.force_login(world.b.users[Role.MUNICIPALITY_STAFF])
    assert other_town.get(url).status_code == 404


def test_stays_from_seats_and_residences(world: World, system: None) -> None:
    p = programme(world.a.consortium, world.a.municipality, title="漁業", capacity=5)
    for s in world.a2.students[:2]:
        seat_confirm(actor=SYSTEM, programme_id=p.pk, student_id=s.pk)
    c = _admin(world)
    for _ in range(2):
        c.post(reverse("programmes:stays_from_seats", args=[p.pk]))
    assert Stay._unscoped.filter(programme=p).count() == 2
    assert Seat._unscoped.filter(programme=p).count() == 2
    s = world.a2.students[0]
    form = {
        "school_code": s.school.code,
        "student_number": s.student_number,
        "host_municipality": world.a.municipality.pk,
        "school": world.a.school.pk,
        "start": "2026-04-01",
    }
    assert (
        c.post(reverse("programmes:residences"), {**form, "end": "2026-03-01"}).status_code == 200
    )
    assert c.post(reverse("programmes:residences"), form).status_code == 302
    r = Residence._unscoped.get(student=s)
    assert (
        r.home_municipality == s.home_municipality and r.host_municipality == world.a.municipality
    )
