"""The survey doors: waves, sheets, reminders, imports and reports are audited
with their own codes, and sheets and reminders reach only students the actor
sees in full — never a guest its school sees only for hosting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ekkyo.accounts.selectors import principal_for_user
from ekkyo.allocation.models import ApplicationChoice, Seat
from ekkyo.audit.models import AuditEvent
from ekkyo.surveys.models import ImportMapping, InstrumentVersion, SurveyToken, Wave, WaveMode
from ekkyo.surveys.services import tokens_ensure
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from ..factories import World, programme
from .test_answering import make_wave
from .test_import import _google_forms_csv

pytestmark = pytest.mark.django_db


def _client(world: World, role: Role, tenant: str = "a") -> Client:
    c = Client()
    c.force_login(getattr(world, tenant).users[role])
    return c


def _actor(user: Any) -> Actor:
    return Actor(principal=principal_for_user(user), user_id=user.pk, label=str(user), user=user)


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent._unscoped.filter(action=action).order_by("pk"))


def _guest_wave(world: World) -> Wave:
    """A linked wave of a programme hosted by school A, whose seat holders are
    one of A's students and the guest from A2 (whom A's school sees only for
    hosting, as an applicant to its programme)."""
    p = programme(
        world.a.consortium, world.a.municipality, title="学校主催", host_school=world.a.school
    )
    ApplicationChoice.objects.create(application=world.guest_application, programme=p, rank=2)
    for student in (world.a.students[0], world.guest):
        Seat._unscoped.create(programme=p, student=student, source="manual")
    return make_wave(world, kind="pre", programme=p)


def test_sheet_and_reminders_leave_out_a_hosting_only_guest(
    world: World,
    system: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    wave = _guest_wave(world)
    teacher = _client(world, Role.SCHOOL_STAFF)
    user = world.a.users[Role.SCHOOL_STAFF]
    sheet = teacher.get(reverse("surveys:wave_sheet", args=[wave.pk, world.a.school.code]))
    body = sheet.content.decode()
    assert sheet.status_code == 200 and body.count("<svg") == 1
    assert world.a.students[0].family_name in body and "来訪秘匿" not in body
    (printed,) = _events("wave.sheet.view")
    assert printed.detail == {"school": world.a.school.code, "cards": 1, "mode": "linked"}
    # The guest's own school is not this teacher's: refused like a missing one.
    other = teacher.get(reverse("surveys:wave_sheet", args=[wave.pk, world.a2.school.code]))
    assert other.status_code == 404
    assert AuditEvent._unscoped.filter(action="access.denied", actor_id=user.pk).count() == 1

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = teacher.post(reverse("surveys:wave_remind", args=[wave.pk]), {})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[world.a.guardian.email]]
    assert "guest-guardian@example.jp" not in {m.to[0] for m in mail.outbox}
    (reminded,) = _events("wave.remind")
    assert reminded.detail == {"students": 1, "mails": 1}
    assert reminded.object_id == str(wave.pk)
    guest_token = SurveyToken._unscoped.get(wave=wave, student=world.guest)
    assert guest_token.reminded_at is None
    assert SurveyToken._unscoped.get(wave=wave, student=world.a.students[0]).reminded_at
    # The town sees the guest for hosting too, and may not use these routes at all.
    town = _client(world, Role.MUNICIPALITY_STAFF)
    assert town.post(reverse("surveys:wave_remind", args=[wave.pk]), {}).status_code == 403


def test_the_secretariat_reminds_everyone_it_sees_in_full(
    world: World, system: None, django_capture_on_commit_callbacks: Any
) -> None:
    wave = _guest_wave(world)
    tokens_ensure(wave)
    admin = _client(world, Role.CONSORTIUM_ADMIN)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("surveys:wave_remind", args=[wave.pk]), {})
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.a.guardian.email, "guest-guardian@example.jp"]
    )
    other = _client(world, Role.CONSORTIUM_ADMIN, "b")
    assert other.post(reverse("surveys:wave_remind", args=[wave.pk]), {}).status_code == 404


def test_wave_creation_is_audited_and_only_the_secretariat_creates(
    world: World, system: None
) -> None:
    now = timezone.localtime()
    data = {
        "title": "新しい調査",
        "instrument": InstrumentVersion.objects.get(code="ekkyo-student").pk,
        "kind": "annual",
        "mode": WaveMode.LINKED,
        "fiscal_year": 2026,
        "schools": [world.a.school.pk],
        "grades": "1,2",
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    admin = _client(world, Role.CONSORTIUM_ADMIN)
    assert admin.post(reverse("surveys:wave_list"), data).status_code == 302
    wave = Wave.objects.get(title="新しい調査")
    assert wave.consortium == world.a.consortium
    assert list(wave.schools.all()) == [world.a.school]
    (created,) = _events("wave.create")
    assert created.object_id == str(wave.pk)
    assert created.detail["new"]["schools"] == [world.a.school.code]
    teacher = _client(world, Role.SCHOOL_STAFF)
    teacher.post(reverse("surveys:wave_list"), {**data, "title": "先生の調査"})
    assert not Wave.objects.filter(title="先生の調査").exists()

    from ekkyo.surveys.services import wave_create
    from ekkyo.tenancy.access import NotFound

    with pytest.raises(NotFound):  # another consortium's school
        wave_create(
            actor=_actor(world.a.users[Role.CONSORTIUM_ADMIN]),
            title="他校",
            instrument=wave.instrument,
            kind="annual",
            mode=WaveMode.LINKED,
            fiscal_year=2026,
            opens_at=wave.opens_at,
            closes_at=wave.closes_at,
            schools=[world.b.school],
        )


def test_import_and_its_mapping_are_audited(world: World, system: None) -> None:
    wave = make_wave(world)
    rows = [["x", world.a.students[0].student_number, "4", "4", "4"]]
    admin = _client(world, Role.CONSORTIUM_ADMIN)
    url = reverse("surveys:wave_import", args=[wave.pk])

    def upload() -> Any:
        return admin.post(
            url,
            {
                "file": SimpleUploadedFile("gf.csv", _google_forms_csv(wave, rows)),
                "source": "Google Forms",
                "respondent_column": "学籍番号",
                "apply": "on",
            },
        )

    assert upload().status_code == 302
    (imported,) = _events("response.import")
    assert imported.detail["created"] == 1 and imported.detail["linked"] == 1
    (saved,) = _events("import_mapping.save")
    mapping = ImportMapping.objects.get()
    assert saved.object_id == str(mapping.pk)
    assert saved.detail["new"]["respondent_column"] == "学籍番号"
    assert upload().status_code == 302  # again: nothing new, the mapping unchanged
    assert _events("response.import")[-1].detail["created"] == 0
    assert _events("import_mapping.save")[-1].detail == {"old": {}, "new": {}}
    # Another consortium's secretariat cannot import into this wave.
    other = _client(world, Role.CONSORTIUM_ADMIN, "b")
    assert other.get(url).status_code == 404


def test_school_report_views_and_exports_are_audited(world: World, system: None) -> None:
    teacher = _client(world, Role.SCHOOL_STAFF)
    url = reverse("surveys:school_report", args=[world.a.school.code, 2026])
    assert teacher.get(url).status_code == 200
    assert teacher.get(url, {"format": "pdf"}).status_code == 200
    assert [e.detail["format"] for e in _events("school_report.view")] == ["html"]
    assert [e.detail["format"] for e in _events("school_report.export")] == ["pdf"]
    assert (
        teacher.get(reverse("surveys:school_report", args=[world.a2.school.code, 2026])).status_code
        == 404
    )
    denied = AuditEvent._unscoped.filter(
        action="access.denied", actor_id=world.a.users[Role.SCHOOL_STAFF].pk
    )
    assert denied.count() == 1
