"""The school feedback report applies disclosure control to every figure."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from ekkyo.allocation.seat_services import seat_confirm
from ekkyo.surveys.services import response_submit, student_token, tokens_ensure
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import Role

from ..factories import World, programme, student
from .test_answering import answers_for, make_wave

pytestmark = pytest.mark.django_db


def test_report_hides_small_groups_and_their_complements(world: World, system: None) -> None:
    # 12 students answer at Alpha's school; 2 of them took part in a programme.
    extra = [student(world.a.school, consortium=world.a.consortium) for _ in range(9)]
    everyone = [*world.a.students, *extra]
    wave = make_wave(world)
    tokens_ensure(wave)
    for s in everyone:
        response_submit(
            token=student_token(wave, s), client_id=str(uuid.uuid4()), answers=answers_for(wave, 4)
        )
    p = programme(world.a.consortium, world.a2.municipality, title="夏", capacity=5)
    p.starts_on = p.starts_on.replace(year=2026)
    p.save()
    for s in everyone[:2]:
        seat_confirm(actor=system_actor(reason="test"), programme_id=p.pk, student_id=s.pk)
    c = Client()
    c.force_login(world.a.users[Role.SCHOOL_STAFF])
    page = c.get(reverse("surveys:school_report", args=[world.a.school.code, 2026]))
    assert page.status_code == 200
    row = next(r for r in page.context["rows"] if r.code == "comp_kyodosei")
    assert not row.figures["school"].suppressed and row.figures["school"].n == 12
    assert row.figures["participants"].suppressed  # 2 < k
    assert row.figures["others"].suppressed  # would reveal the 2 by difference
    assert row.figures["others"].reason == "differencing"
    other = Client()
    other.force_login(world.b.users[Role.SCHOOL_STAFF])
    assert (
        other.get(reverse("surveys:school_report", args=[world.a.school.code, 2026])).status_code
        == 404
    )


def test_report_pdf_embeds_a_japanese_font(world: World, system: None) -> None:
    from ekkyo.pdf import safe_text

    assert safe_text("髙橋 山﨑") == "髙橋 山﨑"
    assert safe_text("𠮷田") == "［U+20BB7］田"  # never dropped: shown as its code point
    wave = make_wave(world)
    tokens_ensure(wave)
    c = Client()
    c.force_login(world.a.users[Role.SCHOOL_STAFF])
    response = c.get(
        reverse("surveys:school_report", args=[world.a.school.code, 2026]), {"format": "pdf"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF") and b"FontFile2" in body and b"IPAexGothic" in body
