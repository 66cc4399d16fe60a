"""Host families: register, ranked suggestions, request → host → student, class I notes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ekkyo.accounts.models import Membership
from ekkyo.accounts.selectors import principal_for_user
from ekkyo.audit.models import AuditEvent
from ekkyo.hosting import services
from ekkyo.hosting.models import HostFamily, HostRequest, RequestStatus
from ekkyo.hosting.selectors import guest_view
from ekkyo.hosting.services import HostingError
from ekkyo.participation.models import Stay
from ekkyo.people.models import Consent, Guardian, GuardianLink
from ekkyo.tenancy.access import NotFound
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World, programme, user

pytestmark = pytest.mark.django_db


def _client(world: World, role: Role) -> Client:
    c = Client()
    c.force_login(world.a.users[role])
    return c


def actor_of(u: Any) -> Actor:
    """The actor a request by ``u`` would have (fresh principal)."""
    u._ekkyo_principal = None
    return Actor(principal=principal_for_user(u), user_id=u.pk, label=str(u), user=u)


def _events(code: str) -> list[AuditEvent]:
    with system_scope(reason="test assert"):
        return list(AuditEvent._unscoped.filter(action=code).order_by("pk"))


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


def _guest_guardian(world: World, stay: Stay) -> Any:
    """A signed-in guardian of the stay's student (A2's guardian of students[0])."""
    g = user("parent-aside@example.jp", name="Aside保護者")
    world.a2.guardian.user = g
    world.a2.guardian.save(update_fields=["user"])
    assert stay.student_id == world.a2.students[0].pk
    return g


def _host_of(world: World, family: HostFamily) -> Any:
    host_user = user(f"host-{family.pk}@example.jp", mfa=True)
    Membership.objects.create(
        user=host_user, role=Role.HOST, consortium=world.a.consortium, host_family=family
    )
    return host_user


FORM = {
    "name": "高橋家",
    "guest_capacity": "2",
    "languages": "ja,en",
    "accepts_genders": "female,male,other",
    "min_age": "12",
    "max_age": "18",
    "distance_km": "3.5",
    "active": "on",
}


def test_town_registers_a_family_and_other_towns_cannot_see_it(world: World, system: None) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    form = {**FORM, "municipality": world.a.municipality.pk}
    assert town.post(reverse("hosting:family_list"), {**form, "max_age": "10"}).status_code == 200
    assert town.post(reverse("hosting:family_list"), form).status_code == 302
    family = HostFamily._unscoped.get(name="高橋家")
    assert family.consortium == world.a.consortium
    [created] = _events("host_family.create")
    assert created.object_id == str(family.pk) and created.detail["new"]["name"] == "高橋家"
    assert _events("host_family.list.view")  # the register page is a view of personal data
    other = Client()
    other.force_login(world.b.users[Role.MUNICIPALITY_STAFF])
    assert "高橋家" not in other.get(reverse("hosting:family_list")).content.decode()
    assert other.get(reverse("hosting:family_edit", args=[family.pk])).status_code == 404
    # A town outside the actor's register is refused by the door too, not only the form.
    with pytest.raises(NotFound):
        services.host_family_create(
            actor=actor_of(world.a.users[Role.MUNICIPALITY_STAFF]),
            values={"municipality": world.a2.municipality, "name": "越境家"},
        )


def test_town_edits_a_family_and_the_log_keeps_old_and_new(world: World, system: None) -> None:
    town = _client(world, Role.MUNICIPALITY_STAFF)
    family = world.a.family
    url = reverse("hosting:family_edit", args=[family.pk])
    assert town.get(url).status_code == 200
    form = {**FORM, "municipality": world.a.municipality.pk, "name": family.name}
    assert town.post(url, {**form, "guest_capacity": "4"}).status_code == 302
    family.refresh_from_db()
    assert family.guest_capacity == 4
    [changed] = _events("host_family.update")
    assert changed.detail["old"]["guest_capacity"] == 2
    assert changed.detail["new"]["guest_capacity"] == 4
    assert "name" not in changed.detail["new"]  # only what changed
    # Another town's family: 404 and nothing changes.
    foreign = world.a2.family
    response = town.post(reverse("hosting:family_edit", args=[foreign.pk]), form)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.name != family.name


def test_suggestions_respect_allergies_and_the_whole_flow(world: World, system: None) -> None:
    stay, good, _unsafe = _setup(world)
    stay.health = {"allergies": ["egg"]}
    stay.save()
    town = _client(world, Role.MUNICIPALITY_STAFF)
    page = town.get(reverse("hosting:placements", args=[stay.programme_id]))
    row = next(r for r in page.context["rows"] if r["stay"].pk == stay.pk)
    ranked = [(s["family"].name, s["score"].feasible) for s in row["suggestions"]]
    assert ("山田家", True) in ranked and ("鈴木家", False) in ranked  # egg allergy: unsafe
    assert ranked.index(("山田家", True)) < ranked.index(("鈴木家", False))
    assert _events("stay.placements.view")[-1].detail["stays"]
    town.post(
        reverse("hosting:placements", args=[stay.programme_id]),
        {"stay": stay.pk, "family": good.pk, "score": "0.9"},
    )
    req = HostRequest._unscoped.get(stay=stay, host_family=good)
    assert req.status == RequestStatus.SENT and req.score == 0.9
    [sent] = _events("host_request.send")
    assert sent.object_id == str(req.pk) and sent.detail["student"] == stay.student_id

    host = actor_of(_host_of(world, good))
    guardian = actor_of(_guest_guardian(world, stay))
    with pytest.raises(HostingError):
        services.host_request_guest_answer(actor=guardian, request_id=req.pk, accept=True)
    services.host_request_host_answer(actor=host, request_id=req.pk, accept=True)
    [answered] = _events("host_request.host_answer")
    assert answered.detail["old"] == {"status": "sent"}
    assert answered.detail["new"] == {"status": "host_accepted"}
    # The family cannot confirm on the guest's behalf; the guest's side can.
    with pytest.raises(NotFound):
        services.host_request_guest_answer(actor=host, request_id=req.pk, accept=True)
    services.host_request_guest_answer(actor=guardian, request_id=req.pk, accept=True)
    assert _events("host_request.guest_answer")[-1].detail["new"] == {"status": "confirmed"}
    stay.refresh_from_db()
    assert stay.host_family == good


def test_a_town_cannot_send_requests_for_another_towns_programme(
    world: World, system: None
) -> None:
    stay, good, _unsafe = _setup(world)
    other = programme(world.a.consortium, world.a2.municipality, title="隣町の企画")
    foreign = Stay._unscoped.create(
        programme=other, student=world.a.students[0], arrival=date(2026, 8, 1),
        departure=date(2026, 8, 2),
    )  # fmt: skip
    town = _client(world, Role.MUNICIPALITY_STAFF)
    # Another town's programme, and a stay of another programme under ours.
    assert town.get(reverse("hosting:placements", args=[other.pk])).status_code == 404
    for programme_id, stay_id in ((other.pk, foreign.pk), (stay.programme_id, foreign.pk)):
        response = town.post(
            reverse("hosting:placements", args=[programme_id]),
            {"stay": stay_id, "family": good.pk},
        )
        assert response.status_code == 404
    # Another town's family.
    response = town.post(
        reverse("hosting:placements", args=[stay.programme_id]),
        {"stay": stay.pk, "family": world.a2.family.pk},
    )
    assert response.status_code == 404
    assert not HostRequest._unscoped.exists()
    assert _events("access.denied")


def test_host_sees_health_notes_only_with_consent(world: World, system: None) -> None:
    stay, good, _unsafe = _setup(world)
    stay.host_family = good
    stay.save()
    guardian = actor_of(_guest_guardian(world, stay))
    services.stay_health_update(
        actor=guardian,
        stay_id=stay.pk,
        data={"allergies": ["wheat"], "notes": "エピペン携帯"},
        share_with_host=False,
    )
    stay.refresh_from_db()
    assert stay.health_encrypted and "エピペン" not in stay.health_encrypted  # encrypted at rest
    assert guest_view(stay)["health"] is None
    services.stay_health_update(
        actor=guardian, stay_id=stay.pk, data=stay.health, share_with_host=True
    )
    assert guest_view(stay)["health"]["notes"] == "エピペン携帯"
    c = Client()
    c.force_login(_host_of(world, good))
    body = c.get(reverse("hosting:host_home")).content.decode()
    assert "エピペン携帯" in body and stay.student.family_name in body
    assert stay.student.birth_date.isoformat() not in body  # only what hosting needs
    assert world.b.stay.student.family_name not in body
    [seen] = _events("stay.health.view")
    assert seen.object_id == str(stay.pk) and seen.actor_label.startswith("host-")
    services.stay_health_update(
        actor=guardian, stay_id=stay.pk, data=stay.health, share_with_host=False
    )
    assert "エピペン携帯" not in c.get(reverse("hosting:host_home")).content.decode()
    assert len(_events("stay.health.view")) == 1  # nothing shown, nothing to log
    assert Consent._unscoped.filter(purpose="health", withdrawn_at__isnull=False).exists()
    updates = _events("stay.health.update")
    assert len(updates) == 3
    assert "エピペン" not in str([u.detail for u in updates])  # the log never holds the notes
    assert updates[1].detail["new"] == {"shared_with_host": True}
    assert len(_events("stay.health.consent.give")) == 1
    assert len(_events("stay.health.consent.withdraw")) == 1


def test_a_family_that_declined_no_longer_sees_the_notes(world: World, system: None) -> None:
    stay, good, _unsafe = _setup(world)
    guardian = actor_of(_guest_guardian(world, stay))
    services.stay_health_update(
        actor=guardian, stay_id=stay.pk, data={"notes": "服薬あり"}, share_with_host=True
    )
    req = HostRequest._unscoped.create(stay=stay, host_family=good)
    c = Client()
    c.force_login(_host_of(world, good))
    assert "服薬あり" in c.get(reverse("hosting:host_home")).content.decode()
    assert (
        c.post(reverse("hosting:host_home"), {"request": req.pk, "action": "decline"}).status_code
        == 302
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.HOST_DECLINED
    assert "服薬あり" not in c.get(reverse("hosting:host_home")).content.decode()


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
    [update] = _events("stay.health.update")
    assert update.object_id == str(child.pk) and update.detail["stay"] == stay.pk
    other = world.a2.students[0]
    foreign = Stay._unscoped.create(
        programme=p, student=other, arrival=date(2026, 9, 1), departure=date(2026, 9, 2)
    )
    assert guardian_client.get(reverse("hosting:stay_health", args=[foreign.pk])).status_code == 404


def test_hosting_only_guardian_cannot_write_the_guests_health_or_answer_for_them(
    world: World, system: None
) -> None:
    """A guardian who is also the guest's host family sees the guest for hosting
    only: the full-grant doors (health notes, the guest's answer) refuse them."""
    me = user("guardian-host@example.jp", mfa=True)
    mine = Guardian._unscoped.create(consortium=world.a.consortium, family_name="兼務", user=me)
    GuardianLink.objects.create(guardian=mine, student=world.a.students[1])
    Membership.objects.create(
        user=me, role=Role.HOST, consortium=world.a.consortium, host_family=world.a.family
    )
    c = Client()
    c.force_login(me)
    guest_stay = world.guest_stay
    assert guest_stay.host_family_id == world.a.family.pk
    url = reverse("hosting:stay_health", args=[guest_stay.pk])
    assert c.post(url, {"notes": "書き換え", "share_with_host": "on"}).status_code == 404
    guest_stay.refresh_from_db()
    assert guest_stay.health == {}
    assert not Consent._unscoped.filter(student=world.guest).exists()
    denied = _events("access.denied")[-1]
    assert denied.detail == {"grant": "full", "model": "participation.stay"}

    offer = HostRequest._unscoped.create(
        stay=guest_stay, host_family=world.a.family, status=RequestStatus.HOST_ACCEPTED
    )
    response = c.post(reverse("hosting:my_stays"), {"request": offer.pk, "action": "decline"})
    assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.status == RequestStatus.HOST_ACCEPTED
