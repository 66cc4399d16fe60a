"""Host families: register, ranked suggestions, request → host → student, class I notes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from ekkyo.audit.models import Action, AuditEvent
from ekkyo.hosting.models import HostFamily, HostRequest, RequestStatus
from ekkyo.hosting.services import HostingError, guest_view, request_answer
from ekkyo.people.models import Consent
from ekkyo.programmes.models import Stay
from ekkyo.tenancy.principal import Role

from ..factories import World, programme, user

pytestmark = pytest.mark.django_db


def _client(world: World, role: Role) -> Client:
    c = Client()
    c.force_login(world.a.users[role])
    return c


def _setup(world: World) -> tuple[Stay, HostFamily, HostFamily]:
    p = programme(world.a.consortium, world.a.municipality, title="冬の暮らし", capacity=5)
    guest = world.a2.students[0]
    guest.gender = "female"
    guest.save()
    stay = Stay._unscoped.create(
        programme=p, student=guest, arrival=date(2026, 8, 1), departure=date(2026, 8, 5)
    )
    checked = date(2030, 3, 31)
    good = HostFamily._unscoped.create(
        consortium=world.a.consortium,
        municipality=world.a.municipality,
        name="山田家",
        background_check_until=checked,
        allergy_ok="egg",
        distance_km=1,
    )
    unsafe = HostFamily._unscoped.create(
        consortium=world.a.consortium,
        municipality=world.a.municipality,
        name="鈴木家",
        background_check_until=checked,
        distance_km=0.5,
    )
    return stay, good, unsafe


def test_town_registers_a_family_and_other_towns_cannot_see_it(world: World, system: None) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    form = {
        "municipality": world.a.municipality.pk,
        "name": "高橋家",
        "guest_capacity": "2",
        "languages": "ja,en",
        "accepts_genders": "female,male,other",
        "min_age": "12",
        "max_age": "18",
        "distance_km": "3.5",
        "active": "on",
    }
    assert town.post(reverse("hosting:family_list"), {**form, "max_age": "10"}).status_code == 200
    assert town.post(reverse("hosting:family_list"), form).status_code == 302
    family = HostFamily._unscoped.get(name="高橋家")
    assert family.consortium == world.a.consortium
    other = Client()
    other.force_login(world.b.users[Role.MUNICIPALITY_STAFF])
    assert "高橋家" not in other.get(reverse("hosting:family_list")).content.decode()
    assert other.get(reverse("hosting:family_edit", args=[family.pk])).status_code == 404


def test_suggestions_respect_allergies_and_the_whole_flow(world: World, system: None) -> None:
    stay, good, _unsafe = _setup(world)
    from ekkyo.hosting.services import health_save

    health_save(
        stay=stay, data={"allergies": ["egg"]}, share_with_host=False, guardian=None, user=None
    )
    town = _client(world, Role.MUNICIPALITY_STAFF)
    page = town.get(reverse("hosting:placements", args=[stay.programme_id]))
    row = next(r for r in page.context["rows"] if r["stay"].pk == stay.pk)
    ranked = [(s["family"].name, s["score"].feasible) for s in row["suggestions"]]
    assert ("山田家", True) in ranked and ("鈴木家", False) in ranked  # egg allergy: unsafe
    assert ranked.index(("山田家", True)) < ranked.index(("鈴木家", False))
    town.post(
        reverse("hosting:placements", args=[stay.programme_id]),
        {"stay": stay.pk, "family": good.pk, "score": "0.9"},
    )
    req = HostRequest._unscoped.get(stay=stay, host_family=good)
    assert req.status == RequestStatus.SENT
    with pytest.raises(HostingError):
        request_answer(host_request=req, accept=True, side="student", user=None)
    request_answer(host_request=req, accept=True, side="host", user=None)
    request_answer(host_request=req, accept=True, side="student", user=None)
    stay.refresh_from_db()
    assert stay.host_family == good


def test_host_sees_health_notes_only_with_consent(world: World, system: None) -> None:
    stay, good, _unsafe = _setup(world)
    stay.host_family = good
    stay.save()
    from ekkyo.hosting.services import health_save

    health_save(
        stay=stay,
        data={"allergies": ["wheat"], "notes": "エピペン携帯"},
        share_with_host=False,
        guardian=None,
        user=None,
    )
    stay.refresh_from_db()
    assert stay.health_encrypted and "エピペン" not in stay.health_encrypted  # encrypted at rest
    assert guest_view(stay)["health"] is None
    health_save(stay=stay, data=stay.health, share_with_host=True, guardian=None, user=None)
    assert guest_view(stay)["health"]["notes"] == "エピペン携帯"
    host_user = user("host-yamada@example.jp", mfa=True)
    from ekkyo.accounts.models import Membership

    Membership.objects.create(
        user=host_user, role=Role.HOST, consortium=world.a.consortium, host_family=good
    )
    c = Client()
    c.force_login(host_user)
    body = c.get(reverse("hosting:host_home")).content.decode()
    assert "エピペン携帯" in body and stay.student.family_name in body
    assert stay.student.birth_date.isoformat() not in body  # only what hosting needs
    assert world.b.stay.student.family_name not in body
    health_save(stay=stay, data=stay.health, share_with_host=False, guardian=None, user=None)
    assert "エピペン携帯" not in c.get(reverse("hosting:host_home")).content.decode()
    assert Consent._unscoped.filter(purpose="health", withdrawn_at__isnull=False).exists()
    assert (
        AuditEvent._unscoped.filter(action=Action.UPDATE, summary__contains="class I").count() == 3
    )


def test_guardian_enters_health_notes(world: World, system: None) -> None:
    guardian_client = _client(world, Role.GUARDIAN)
    child = world.a.students[0]
    p = programme(world.a.consortium, world.a2.municipality, title="島", capacity=3)
    stay = Stay._unscoped.create(
        programme=p,
        student=child,
        arrival=date(2026, 9, 1),
        departure=date(2026, 9, 1) + timedelta(days=3),
    )
    url = reverse("hosting:stay_health", args=[stay.pk])
    assert guardian_client.get(url).status_code == 200
    guardian_client.post(url, {"allergies": ["milk"], "notes": "服薬あり", "share_with_host": "on"})
    stay.refresh_from_db()
    assert stay.health == {"allergies": ["milk"], "notes": "服薬あり"}
    other = world.a2.students[0]
    foreign = Stay._unscoped.create(
        programme=p, student=other, arrival=date(2026, 9, 1), departure=date(2026, 9, 2)
    )
    assert guardian_client.get(reverse("hosting:stay_health", args=[foreign.pk])).status_code == 404
