"""Answering: idempotent submissions, conflicts, closed windows, linked vs anonymous."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ekkyo.surveys.models import InstrumentVersion, Response, Wave, WaveMode
from ekkyo.surveys.services import class_link_ensure, student_token, tokens_ensure
from ekkyo.tenancy.principal import Role

from ..factories import World

pytestmark = pytest.mark.django_db


def make_wave(world: World, mode: str = WaveMode.LINKED, **extra: Any) -> Wave:
    now = timezone.now()
    w = Wave.objects.create(
        consortium=world.a.consortium,
        instrument=InstrumentVersion.objects.get(code="ekkyo-student"),
        title="令和8年度 年次調査",
        kind=extra.pop("kind", "annual"),
        mode=mode,
        fiscal_year=2026,
        opens_at=extra.pop("opens_at", now - timedelta(hours=1)),
        closes_at=extra.pop("closes_at", now + timedelta(days=7)),
        **extra,
    )
    w.schools.add(world.a.school)
    return w


def answers_for(wave: Wave, value: int = 4) -> dict[str, int]:
    inst = wave.instrument.parsed()
    scales = {s.code: s for s in inst.scales}
    return {i.code: min(value, scales[i.scale].max) for i in inst.items}


def post(client: Client, token: str, cid: str, answers: dict[str, int]) -> Any:
    return client.post(
        reverse("surveys:submit", args=[token]),
        data=json.dumps({"client_id": cid, "answers": answers}),
        content_type="application/json",
    )


def test_submission_is_stored_once_and_conflicts_are_refused(world: World, system: None) -> None:
    wave = make_wave(world)
    pairs = dict((s.pk, t) for s, t in tokens_ensure(wave))
    student = world.a.students[0]
    token = pairs[student.pk]
    client = Client()
    assert client.get(reverse("surveys:answer", args=[token])).status_code == 200
    cid = str(uuid.uuid4())
    answers = answers_for(wave)
    first = post(client, token, cid, answers)
    assert first.status_code == 201 and first.json()["status"] == "stored"
    again = post(client, token, cid, answers)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    changed = post(client, token, cid, {**answers, next(iter(answers)): 1})
    assert changed.status_code == 409
    other_id = post(client, token, str(uuid.uuid4()), answers)
    assert other_id.status_code == 409  # one questionnaire per student in linked mode
    stored = Response._unscoped.get(wave=wave)
    assert stored.respondent == student.pseudonym  # pseudonym, never the student
    assert stored.submitted_at is not None
    # Class I answers are encrypted apart from the rest.
    inst = wave.instrument.parsed()
    class1 = {i.code for i in inst.items if i.data_class == "I"}
    assert class1 and not (class1 & set(stored.answers)) and stored.class1_encrypted


def test_closed_window_refuses_with_a_message(world: World, system: None) -> None:
    now = timezone.now()
    wave = make_wave(world, opens_at=now - timedelta(days=3), closes_at=now - timedelta(days=1))
    token = student_token(wave, world.a.students[0])
    tokens_ensure(wave)
    response = post(Client(), token, str(uuid.uuid4()), answers_for(wave))
    assert (
        response.status_code == 410 and "closed" in response.json()["error"].lower()
    ) or "終了" in response.json()["error"]
    assert not Response._unscoped.exists()


def test_bad_input_is_refused(world: World, system: None) -> None:
    wave = make_wave(world)
    token = dict((s.pk, t) for s, t in tokens_ensure(wave))[world.a.students[0].pk]
    c = Client()
    assert post(c, token, "not-a-uuid", answers_for(wave)).status_code == 400
    assert post(c, token, str(uuid.uuid4()), {"nope": 3}).status_code == 400
    code = next(iter(answers_for(wave)))
    assert post(c, token, str(uuid.uuid4()), {code: 99}).status_code == 400
    assert post(c, "wrong-token", str(uuid.uuid4()), {}).status_code == 404
    raw = c.post(reverse("surveys:submit", args=[token]), data="{", content_type="application/json")
    assert raw.status_code == 400


def test_anonymous_class_link_keeps_no_link_and_no_time(world: World, system: None) -> None:
    wave = make_wave(world, mode=WaveMode.ANONYMOUS, grades="2")
    token = class_link_ensure(wave, world.a.school.pk, 2)
    c = Client()
    for _ in range(3):
        assert post(c, token, str(uuid.uuid4()), answers_for(wave)).status_code == 201
    rows = Response._unscoped.filter(wave=wave)
    assert rows.count() == 3
    assert all(r.respondent is None and r.submitted_at is None for r in rows)
    assert {r.school_id for r in rows} == {world.a.school.pk} and {r.grade for r in rows} == {2}


def test_wave_pages_rates_and_sheets(world: World, system: None) -> None:
    wave = make_wave(world)
    teacher = Client()
    teacher.force_login(world.a.users[Role.SCHOOL_STAFF])
    sheet = teacher.get(reverse("surveys:wave_sheet", args=[wave.pk, world.a.school.code]))
    assert sheet.status_code == 200 and sheet.content.decode().count("<svg") == len(
        world.a.students
    )
    token = student_token(wave, world.a.students[0])
    post(Client(), token, str(uuid.uuid4()), answers_for(wave))
    detail = teacher.get(reverse("surveys:wave_detail", args=[wave.pk]))
    row = detail.context["rows"][0]
    assert (row["target"], row["answered"]) == (len(world.a.students), 1)
    other = Client()
    other.force_login(world.b.users[Role.SCHOOL_STAFF])
    assert other.get(reverse("surveys:wave_detail", args=[wave.pk])).status_code == 404
    assert (
        other.get(reverse("surveys:wave_sheet", args=[wave.pk, world.a.school.code])).status_code
        == 404
    )


def test_programme_wave_asks_its_participants(world: World, system: None) -> None:
    from ekkyo.allocation.seat_services import seat_confirm
    from ekkyo.surveys.services import wave_targets
    from ekkyo.tenancy.actor import system_actor

    p = world.a.published
    seat_confirm(
        actor=system_actor(reason="test"), programme_id=p.pk, student_id=world.a2.students[0].pk
    )
    wave = make_wave(world, kind="pre", programme=p)
    assert [s.pk for s in wave_targets(wave)] == [world.a2.students[0].pk]
