"""Programmes: catalogue and filters, eligibility, calendar and .ics, staff editing, seats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from ekkyo.allocation.models import Seat
from ekkyo.allocation.seat_services import SeatUnavailable, seat_confirm
from ekkyo.programmes.models import Programme, ProgrammeKind, ProgrammeStatus, Session, Theme
from ekkyo.tenancy.principal import Role

from ..doors import actor_of
from ..factories import World, programme

pytestmark = pytest.mark.django_db


def test_catalogue_is_public_and_hides_drafts(world: World) -> None:
    body = Client().get(reverse("programmes:catalogue")).content.decode()
    assert world.a.published.title in body and world.b.published.title in body
    assert world.a.draft.title not in body
    assert Client().get(reverse("programmes:detail", args=[world.a.draft.pk])).status_code == 404
    assert (
        Client().get(reverse("programmes:detail", args=[world.a.published.pk])).status_code == 200
    )


def test_catalogue_filters(world: World, system: None) -> None:
    fish = Theme.objects.get(code="fisheries")
    online = programme(
        world.a.consortium,
        world.a2.municipality,
        title="オンライン探究ゼミ",
        kind=ProgrammeKind.ONLINE,
        starts_on=timezone.localdate() + timedelta(days=30),
        ends_on=timezone.localdate() + timedelta(days=120),
        applications_open=timezone.now() - timedelta(days=1),
        applications_close=timezone.now() + timedelta(days=10),
    )
    online.themes.add(fish)
    client = Client()

    def titles(**params: str) -> set[str]:
        page = client.get(reverse("programmes:catalogue"), params)
        return {p.title for p in page.context["page"].object_list}

    assert titles(kind="online") == {"オンライン探究ゼミ"}
    assert titles(theme="fisheries") == {"オンライン探究ゼミ"}
    assert titles(prefecture="32") == {"オンライン探究ゼミ", world.a2.published.title}
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    assert titles(date_from=later) == {"オンライン探究ゼミ"}
    assert titles(open_now="on") == {"オンライン探究ゼミ"}
    assert titles(q="探究") == {"オンライン探究ゼミ"}


def test_student_sees_what_is_open_to_them(world: World, system: None) -> None:
    client = Client()
    client.force_login(world.a.users[Role.STUDENT])
    # Alpha's own town excludes its residents; Aside's programme is open.
    page = client.get(reverse("programmes:catalogue"), {"for_me": "on"})
    shown = {p.title for p in page.context["page"].object_list}
    assert world.a2.published.title in shown
    assert world.a.published.title not in shown
    detail = client.get(reverse("programmes:detail", args=[world.a.published.pk]))
    assert detail.context["why_not"]


def test_ics_feed_and_calendar(world: World, system: None) -> None:
    Session.objects.create(
        programme=world.a.published,
        kind="online",
        title="事前オンライン交流",
        starts_at=timezone.make_aware(timezone.datetime(2026, 7, 20, 16, 0)),
        ends_at=timezone.make_aware(timezone.datetime(2026, 7, 20, 17, 0)),
    )
    response = Client().get(reverse("programmes:feed"))
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    summaries = {str(e.get("summary")) for e in cal.walk("VEVENT")}
    assert world.a.published.title in summaries
    assert f"{world.a.published.title} — 事前オンライン交流" in summaries
    assert world.a.draft.title not in summaries
    month = Client().get(reverse("programmes:calendar"), {"month": "2026-08"})
    assert world.a.published.title in month.content.decode()
    assert Client().get(reverse("programmes:calendar"), {"month": "garbage"}).status_code == 200


def test_host_town_creates_and_publishes(world: World, system: None) -> None:
    client = Client()
    client.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    form = {
        "kind": "short_stay",
        "title": "棚田の米づくり体験",
        "host_municipality": world.a.municipality.pk,
        "starts_on": "2026-09-10",
        "ends_on": "2026-09-12",
        "capacity": "8",
        "school_level": "any",
        "min_grade": "1",
        "max_grade": "3",
        "languages": "ja",
        "cost_yen": "0",
        "accommodation": "host_family",
    }
    bad = client.post(reverse("programmes:manage_new"), {**form, "ends_on": "2026-09-01"})
    assert bad.status_code == 200 and "ends_on" in bad.context["form"].errors
    other_host = client.post(
        reverse("programmes:manage_new"), {**form, "host_municipality": world.b.municipality.pk}
    )
    assert "host_municipality" in other_host.context["form"].errors
    ok = client.post(reverse("programmes:manage_new"), form)
    assert ok.status_code == 302
    created = Programme.objects.get(title="棚田の米づくり体験")
    assert created.status == ProgrammeStatus.DRAFT and created.consortium == world.a.consortium
    client.post(reverse("programmes:manage_detail", args=[created.pk]), {"action": "publish"})
    created.refresh_from_db()
    assert created.status == ProgrammeStatus.PUBLISHED
    # Another town's staff cannot edit it.
    other = Client()
    other.force_login(world.b.users[Role.MUNICIPALITY_STAFF])
    assert other.get(reverse("programmes:manage_edit", args=[created.pk])).status_code == 404


def test_seat_confirmation_respects_capacity(world: World, system: None) -> None:
    p = programme(world.a.consortium, world.a.municipality, title="定員2", capacity=2)
    admin = actor_of(world.a.users[Role.CONSORTIUM_ADMIN])
    s0, s1, s2 = (s.pk for s in world.a2.students)
    seat_confirm(actor=admin, programme_id=p.pk, student_id=s0)
    with pytest.raises(SeatUnavailable):
        seat_confirm(actor=admin, programme_id=p.pk, student_id=s0)
    seat_confirm(actor=admin, programme_id=p.pk, student_id=s1)
    with pytest.raises(SeatUnavailable):
        seat_confirm(actor=admin, programme_id=p.pk, student_id=s2)
    assert Seat._unscoped.filter(programme=p).count() == 2


def test_seat_by_hand_in_the_page(world: World, system: None) -> None:
    client = Client()
    client.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    p = world.a.published
    s = world.a2.students[0]
    url = reverse("programmes:manage_detail", args=[p.pk])
    ok = client.post(
        url,
        {"action": "seat", "seat-school": s.school.code, "seat-student_number": s.student_number},
    )
    assert ok.status_code == 302
    assert Seat._unscoped.filter(programme=p, student=s).exists()
    foreign = world.b.students[0]
    refused = client.post(
        url,
        {
            "action": "seat",
            "seat-school": foreign.school.code,
            "seat-student_number": foreign.student_number,
        },
    )
    assert refused.status_code == 200
    assert not Seat._unscoped.filter(student=foreign).exists()


def test_questions_and_stay_cancellation_in_the_manage_page(world: World, system: None) -> None:
    from ekkyo.participation.models import Stay
    from ekkyo.programmes.models import ProgrammeQuestion

    client = Client()
    client.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    p = world.a.published
    url = reverse("programmes:manage_detail", args=[p.pk])
    client.post(
        url, {"action": "question", "question-text": "志望動機", "question-max_length": "300"}
    )
    q = ProgrammeQuestion.objects.get(programme=p)
    assert q.text == "志望動機" and q.max_length == 300
    stay = world.a.stay
    client.post(url, {"action": "stay_cancelled", "stay": stay.pk})
    assert Stay._unscoped.get(pk=stay.pk).cancelled
    client.post(url, {"action": "delete_question", "question": q.pk})
    assert not ProgrammeQuestion.objects.filter(programme=p).exists()
