"""Importing responses from another tool: labels or numbers, all-or-nothing, idempotent."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ekkyo.surveys.imports import responses_import
from ekkyo.surveys.models import ImportMapping, Response
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import Role

from ..factories import World
from .test_answering import make_wave

pytestmark = pytest.mark.django_db


def _google_forms_csv(wave: object, rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    inst = wave.instrument.parsed()  # type: ignore[attr-defined]
    items = [i for i in inst.items if i.scale == inst.items[0].scale][:3]
    header = ["タイムスタンプ", "学籍番号", *[i.text_ja for i in items]]
    lines = [",".join(header), *[",".join(r) for r in rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_import_with_labels_and_numbers_is_idempotent(world: World, system: None) -> None:
    wave = make_wave(world)
    inst = wave.instrument.parsed()
    scale = next(s for s in inst.scales if s.code == inst.items[0].scale)
    s0, s1 = world.a.students[0], world.a.students[1]
    rows = [
        ["2026/10/01 9:00", s0.student_number, scale.labels_ja[-1], "3", scale.labels_ja[0]],
        ["2026/10/01 9:05", s1.student_number, "4", "", "2"],
        ["2026/10/01 9:07", "EXT-9", "5", "5", "5"],
    ]
    data = _google_forms_csv(wave, rows, "cp932")
    from ekkyo.core.response_import import suggest_mapping
    from ekkyo.core.tabular import read_table

    mapping = suggest_mapping(read_table(data, "f.csv").headers, inst)
    assert len(mapping) == 3
    actor = system_actor(reason="test: import")
    check = responses_import(
        actor=actor, wave_id=wave.pk, data=data, filename="f.csv", source="gf", mapping=mapping,
        respondent_column="学籍番号", apply=False,
    )  # fmt: skip
    assert check.ok and check.rows == 3 and check.linked == 2
    assert not Response._unscoped.exists()
    for _ in range(2):
        done = responses_import(
            actor=actor, wave_id=wave.pk, data=data, filename="f.csv", source="gf",
            mapping=mapping, respondent_column="学籍番号", apply=True,
        )  # fmt: skip
    assert done.new == 0 and done.unchanged == 3
    stored = Response._unscoped.filter(wave=wave)
    assert stored.count() == 3
    assert {r.respondent for r in stored} == {s0.pseudonym, s1.pseudonym, None}
    first = stored.get(respondent=s0.pseudonym)
    codes = [i.code for i in inst.items if i.scale == inst.items[0].scale][:3]
    assert [first.answers[c] for c in codes] == [scale.max, 3, scale.min]  # jsonb has no order


def test_bad_rows_import_nothing_and_are_listed_in_the_page(world: World, system: None) -> None:
    wave = make_wave(world)
    s0 = world.a.students[0]
    rows = [
        ["x", s0.student_number, "4", "4", "4"],
        ["x", "", "4", "4", "4"],
        ["x", "EXT-1", "9", "とても", "4"],
    ]
    data = _google_forms_csv(wave, rows)
    admin = Client()
    admin.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    url = reverse("surveys:wave_import", args=[wave.pk])
    page = admin.post(
        url,
        {
            "file": SimpleUploadedFile("gf.csv", data),
            "source": "Google Forms",
            "respondent_column": "学籍番号",
            "apply": "on",
        },
    )
    assert page.status_code == 200
    problems = page.context["problems"]
    assert {p["row"] for p in problems} == {3, 4}
    assert len([p for p in problems if p["row"] == 4]) == 2  # both bad answers named
    assert not Response._unscoped.filter(wave=wave).exists()
    assert not ImportMapping.objects.exists()
