"""Growth and effect pages: small groups hidden, estimates labelled observational."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ekkyo.surveys.services import response_submit, student_token, tokens_ensure
from ekkyo.tenancy.principal import Role

from ..factories import World, student
from .test_answering import answers_for, make_wave

pytestmark = pytest.mark.django_db


def test_paired_change_shown_only_for_groups_of_k(world: World, system: None) -> None:
    now = timezone.now()
    pre = make_wave(
        world, kind="pre", opens_at=now - timedelta(days=10), closes_at=now + timedelta(days=1)
    )
    post = make_wave(world, kind="post", paired_with=pre)
    people = [
        *world.a.students,
        *[student(world.a.school, consortium=world.a.consortium) for _ in range(9)],
    ]
    tokens_ensure(pre)
    tokens_ensure(post)
    for i, s in enumerate(people):
        response_submit(
            token=student_token(pre, s),
            client_id=str(uuid.uuid4()),
            answers=answers_for(pre, 2 + i % 2),
        )
        response_submit(
            token=student_token(post, s), client_id=str(uuid.uuid4()), answers=answers_for(post, 4)
        )
    admin = Client()
    admin.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    page = admin.get(reverse("surveys:effects", args=[2026]))
    assert page.status_code == 200
    body = page.content.decode()
    rows = next(p["rows"] for p in page.context["posts"] if p["wave"].pk == post.pk)
    shown = [r for r in rows if r.change is not None]
    assert shown and all(r.change.n == 12 for r in shown)
    assert next(r for r in shown if r.code == "activities").change.mean_diff == 1.5
    assert "not proof of cause" in body or "因果" in body
    teacher = Client()
    teacher.force_login(world.a.users[Role.SCHOOL_STAFF])
    assert teacher.get(reverse("surveys:effects", args=[2026])).status_code == 403
