"""Subject access: a student and each guardian download everything held about the student."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from ekkyo.audit.models import AuditEvent
from ekkyo.people.models import Guardian, GuardianLink
from ekkyo.rights.exports import subject_access_pdf
from ekkyo.rights.selectors import SCHEMA, subject_access_export
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World
from .conftest import (
    ANSWER,
    FAMILY,
    GIVEN,
    HEALTH_NOTE,
    POST,
    REFLECTION,
    Subject,
)

pytestmark = pytest.mark.django_db


def _download(client: Client, student_id: int, fmt: str = "json") -> Any:
    response = client.get(reverse(f"rights:export_{fmt}", args=[student_id]))
    assert response.status_code == 200, response.status_code
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "private, no-store"
    return b"".join(response.streaming_content)


def _events(code: str) -> list[AuditEvent]:
    with system_scope(reason="assert"):
        return list(AuditEvent.objects.filter(action=code).order_by("pk"))


def test_the_student_downloads_everything_but_class1(
    world: World, subject: Subject, client_as
) -> None:  # type: ignore[no-untyped-def]
    # The school looks at the profile: the student sees who did.
    school = Client()
    school.force_login(world.a.users[Role.SCHOOL_STAFF])
    assert (
        school.get(reverse("people:student_detail", args=[subject.student.pk])).status_code == 200
    )
    raw = _download(client_as(Role.STUDENT), subject.student.pk)
    text = raw.decode("utf-8")
    # UTF-8 with the names as they are: no \u escapes, no normalisation.
    assert f'"family_name": "{FAMILY}"' in text and GIVEN in text and "\\u" not in text
    data = json.loads(raw)
    assert data["schema"] == SCHEMA and data["exported_for"] == "student"
    assert data["class1_included"] is False
    assert data["student"]["given_name"] == GIVEN and data["student"]["birth_date"] == "2012-05-01"
    assert {g["family_name"] for g in data["guardians"]} == {"Alpha保護者", "単独保護者"}
    assert "lone-guardian@example.jp" in text
    assert len(data["consents"]) == 2
    [application] = data["applications"]
    assert application["choices"][0]["answers"] == [{"question": "志望動機", "answer": ANSWER}]
    assert application["school_note"] == "面談済み、推薦します"
    stay = next(s for s in data["stays"] if s["host_requests"])
    assert stay["health_notes"]["withheld"] is True and stay["health_notes"]["reason"]
    assert HEALTH_NOTE not in text and "egg" not in text
    assert stay["health_notes_shared_with_host"] is True
    assert data["residences"] and data["attendance"] and data["seats"]
    assert data["reflections"][0]["about_other_region"] == REFLECTION
    [response] = data["survey_responses"]
    assert response["answers"] and response["health_answers"]["withheld"] is True
    assert data["survey_invitations"][0]["wave"] == world.a.wave.title
    assert {s["recipient"] for s in data["portfolio_shares"]} == {"進学先高校", "Alpha大学入試課"}
    assert data["teams"][0]["theme"] == world.a.team.theme
    assert data["team_posts"][0]["text"] == POST and data["team_files"][0]["name"] == "調べ学習.pdf"
    # When codes were issued, never a code or its hash.
    [code] = data["sign_in_codes"]
    assert set(code) == {"login_id", "issued_at", "expires_at", "used_at"}
    assert "code_hash" not in text and "token_hash" not in text
    [viewed] = [e for e in data["audit_events"] if e["event"] == "student.view"]
    assert viewed["by"] == str(world.a.users[Role.SCHOOL_STAFF]) and "ip" not in viewed
    # Nobody else: the guardian's other child, teammates, other guests.
    assert "生徒0" not in text and "来訪秘匿" not in text
    [event] = _events("subject_access.export")
    assert event.object_type == "people.student" and event.object_id == str(subject.student.pk)
    assert event.detail == {"format": "json", "class1": False, "as": "student"}
    assert not _events("subject_access.export_class1")


def test_a_guardian_gets_class1_too_and_it_is_audited_as_such(
    world: World, subject: Subject, client_as
) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(_download(client_as(Role.GUARDIAN), subject.student.pk))
    assert data["exported_for"] == "guardian" and data["class1_included"] is True
    stay = next(s for s in data["stays"] if s["host_requests"])
    assert stay["health_notes"] == {"allergies": ["egg"], "notes": HEALTH_NOTE}
    [response] = data["survey_responses"]
    assert {a["item"] for a in response["health_answers"]} == {"wb_sleep", "wb_body"}
    [event] = _events("subject_access.export_class1")
    assert event.detail["class1"] is True and event.detail["as"] == "guardian"
    assert event.object_id == str(subject.student.pk)
    assert not _events("subject_access.export")
    # The student sees that their guardian downloaded it.
    later = json.loads(_download(client_as(Role.STUDENT), subject.student.pk))
    assert "subject_access.export_class1" in [e["event"] for e in later["audit_events"]]


def test_the_pdf_is_readable_and_keeps_every_character(
    world: World, subject: Subject, client_as
) -> None:  # type: ignore[no-untyped-def]
    body = _download(client_as(Role.GUARDIAN), subject.student.pk, "pdf")
    assert body.startswith(b"%PDF") and b"IPAexGothic" in body and b"FontFile2" in body
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    text = text.replace("\n", "")  # table cells wrap
    assert "髙﨑" in text  # in the font
    assert "U+20BB7" in text  # 𠮷 is not: its code point, never dropped
    assert HEALTH_NOTE in text and ANSWER in text and REFLECTION in text
    [event] = _events("subject_access.export_class1")
    assert event.detail["format"] == "pdf"


def test_the_student_pdf_says_class1_is_withheld(world: World, subject: Subject) -> None:
    with system_scope(reason="test"), translation.override("en"):
        data = subject_access_export(
            actor=system_actor(reason="test"), student_id=subject.student.pk, fmt="pdf"
        )
        body = subject_access_pdf(data)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert HEALTH_NOTE not in text and "Withheld" in text


@pytest.mark.parametrize(
    "who",
    ["another_student", "guardian_of_another_child", "foreign_guardian"],
)
def test_nobody_else_gets_it_404_and_audited(
    who: str, world: World, subject: Subject, client_as
) -> None:  # type: ignore[no-untyped-def]
    target = {
        # The signed-in student asks for a schoolmate.
        "another_student": world.a.students[0],
        # Tenant A's guardian (two children) asks for a student of A's second town.
        "guardian_of_another_child": world.a2.students[0],
        # Consortium B's guardian asks for A's student.
        "foreign_guardian": subject.student,
    }[who]
    if who == "foreign_guardian":
        client = Client()
        client.force_login(world.b.users[Role.GUARDIAN])
    else:
        client = client_as(Role.STUDENT if who == "another_student" else Role.GUARDIAN)
    for fmt in ("json", "pdf"):
        assert client.get(reverse(f"rights:export_{fmt}", args=[target.pk])).status_code == 404
    denied = _events("access.denied")
    assert len(denied) == 2 and denied[-1].detail["model"] == "people.student"
    assert not _events("subject_access.export") and not _events("subject_access.export_class1")
    # Missing gives the same answer.
    assert client.get(reverse("rights:export_json", args=[999999])).status_code == 404


def test_staff_have_their_own_pages_not_this_door(
    world: World, subject: Subject, client_as
) -> None:  # type: ignore[no-untyped-def]
    town = client_as(Role.MUNICIPALITY_STAFF)
    assert town.get(reverse("rights:export_json", args=[subject.student.pk])).status_code == 403
    assert _events("access.denied")[-1].summary.startswith("role required")
    # A teacher who is also a parent: the school's full grant does not open the door.
    with system_scope(reason="arrange"):
        own_child = world.a.students[0]
    teacher = world.a.users[Role.SCHOOL_STAFF]
    with system_scope(reason="arrange"):
        g = Guardian._unscoped.create(
            consortium=world.a.consortium, family_name="先生", user=teacher
        )
        GuardianLink.objects.create(guardian=g, student=own_child)
    client = Client()
    client.force_login(teacher)
    assert client.get(reverse("rights:export_json", args=[own_child.pk])).status_code == 200
    assert client.get(reverse("rights:export_json", args=[subject.student.pk])).status_code == 404


def test_the_page_lists_the_guardians_children(world: World, subject: Subject, client_as) -> None:  # type: ignore[no-untyped-def]
    body = client_as(Role.GUARDIAN).get(reverse("rights:mine")).content.decode()
    for child in (world.a.students[0], subject.student):
        assert reverse("rights:export_pdf", args=[child.pk]) in body
        assert reverse("rights:deletion_request", args=[child.pk]) in body
    assert "Aside秘匿" not in body
    mine = client_as(Role.STUDENT).get(reverse("rights:mine")).content.decode()
    assert reverse("rights:export_json", args=[subject.student.pk]) in mine
    assert reverse("rights:export_json", args=[world.a.students[0].pk]) not in mine
