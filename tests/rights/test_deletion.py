"""Deletion requests: filed by the student or a guardian, decided by the student's school."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ekkyo.audit.models import AuditEvent
from ekkyo.people.models import Student
from ekkyo.rights.models import DeletionRequest, RequestStatus
from ekkyo.tenancy.principal import Role, system_scope

from ..factories import World
from .conftest import staff_of

pytestmark = pytest.mark.django_db


def _requests(student: Student) -> list[DeletionRequest]:
    with system_scope(reason="assert"):
        return list(DeletionRequest._unscoped.filter(student=student).order_by("pk"))


def _events(code: str) -> list[AuditEvent]:
    with system_scope(reason="assert"):
        return list(AuditEvent.objects.filter(action=code).order_by("pk"))


def _file(client: Client, student: Student, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("rights:deletion_request", args=[student.pk]),
        {"reason": "転校するため", "confirm": "on", **data},
    )


def _filed(world: World) -> DeletionRequest:
    client = Client()
    client.force_login(world.a.users[Role.STUDENT])
    assert _file(client, world.a.students[1]).status_code == 302
    [request] = _requests(world.a.students[1])
    return request


def test_the_student_files_once_even_on_a_double_submit(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    client = client_as(Role.STUDENT)
    me = world.a.students[1]
    assert _file(client, me).status_code == 302
    assert _file(client, me).status_code == 302
    [request] = _requests(me)
    assert request.status == RequestStatus.REQUESTED and request.requested_role == "student"
    assert request.reason == "転校するため"
    assert request.requested_by_id == world.a.users[Role.STUDENT].pk
    [event] = _events("deletion_request.file")
    assert event.object_id == str(me.pk) and event.detail == {
        "request": request.pk,
        "role": "student",
    }
    # The page shows the open request instead of the form.
    page = client.get(reverse("rights:mine")).content.decode()
    assert reverse("rights:deletion_request", args=[me.pk]) not in page


def test_a_guardian_files_for_their_child(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    child = world.a.students[0]
    assert _file(client_as(Role.GUARDIAN), child).status_code == 302
    [request] = _requests(child)
    assert request.requested_role == "guardian"


def test_filing_needs_the_confirmation(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    response = _file(client_as(Role.STUDENT), world.a.students[1], confirm="")
    assert response.status_code == 400
    assert not _requests(world.a.students[1])


def test_nobody_else_files(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    # A schoolmate, and a student of another town: 404 (audited), nothing filed.
    for target in (world.a.students[0], world.a2.students[0], world.b.students[0]):
        assert _file(client_as(Role.STUDENT), target).status_code == 404
        assert not _requests(target)
    assert len(_events("access.denied")) == 3
    # Staff do not file for students.
    town = Client()
    town.force_login(world.a.users[Role.SCHOOL_STAFF])
    assert _file(town, world.a.students[1]).status_code == 403


def _decide(client: Client, request: DeletionRequest, decision: str, note: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("rights:request_decide", args=[request.pk]), {"decision": decision, "note": note}
    )


def test_the_school_approves_once(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    request = _filed(world)
    school = client_as(Role.SCHOOL_STAFF)
    page = school.get(reverse("rights:requests")).content.decode()
    assert reverse("rights:request_decide", args=[request.pk]) in page
    assert _events("deletion_request.list.view")
    assert _decide(school, request, "approve", "確認済み").status_code == 302
    assert _decide(school, request, "approve").status_code == 302  # double submit
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decision_note == "確認済み"
    assert request.decided_by_id == world.a.users[Role.SCHOOL_STAFF].pk and request.decided_at
    [event] = _events("deletion_request.approve")
    assert event.object_id == str(world.a.students[1].pk)
    assert event.detail["old"]["status"] == "requested"
    assert event.detail["new"]["status"] == "approved"
    assert event.detail["new"]["decision_note"] == "確認済み"
    # A different decision afterwards is refused, and changes nothing.
    assert _decide(school, request, "refuse").status_code == 302
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and not _events("deletion_request.refuse")


def test_the_secretariat_refuses_and_the_student_may_ask_again(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    request = _filed(world)
    assert (
        _decide(client_as(Role.CONSORTIUM_ADMIN), request, "refuse", "在籍確認中").status_code
        == 302
    )
    [event] = _events("deletion_request.refuse")
    assert event.detail["new"]["status"] == "refused"
    student = Client()
    student.force_login(world.a.users[Role.STUDENT])
    page = student.get(reverse("rights:mine")).content.decode()
    assert "在籍確認中" in page
    assert _file(student, world.a.students[1]).status_code == 302
    assert [r.status for r in _requests(world.a.students[1])] == ["refused", "requested"]


def test_another_school_or_the_town_cannot_decide(world: World) -> None:
    request = _filed(world)
    other = Client()
    other.force_login(staff_of(world, world.a2.school))
    assert _decide(other, request, "approve").status_code == 404
    assert _events("access.denied")[-1].detail["model"] == "rights.deletionrequest"
    page = other.get(reverse("rights:requests")).content.decode()
    assert reverse("rights:request_decide", args=[request.pk]) not in page
    town = Client()
    town.force_login(world.a.users[Role.MUNICIPALITY_STAFF])
    assert _decide(town, request, "approve").status_code == 403
    # Another consortium's secretariat neither.
    foreign = Client()
    foreign.force_login(world.b.users[Role.CONSORTIUM_ADMIN])
    assert _decide(foreign, request, "approve").status_code == 404
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.REQUESTED and not _events("deletion_request.approve")


def test_a_bad_decision_is_refused(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    request = _filed(world)
    assert _decide(client_as(Role.SCHOOL_STAFF), request, "maybe").status_code == 400
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.REQUESTED


def _withdraw(client: Client, student: Student):  # type: ignore[no-untyped-def]
    return client.post(reverse("rights:deletion_withdraw", args=[student.pk]))


def test_the_student_withdraws_a_pending_request_once(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    request = _filed(world)
    student = client_as(Role.STUDENT)
    me = world.a.students[1]
    page = student.get(reverse("rights:mine")).content.decode()
    assert reverse("rights:deletion_withdraw", args=[me.pk]) in page
    assert _withdraw(student, me).status_code == 302
    assert _withdraw(student, me).status_code == 302  # double submit: nothing more
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN and request.decided_at
    [event] = _events("deletion_request.withdraw")
    assert event.object_id == str(me.pk)
    assert event.detail["old"]["status"] == "requested"
    assert event.detail["new"]["status"] == "withdrawn"
    # The school no longer has it to decide, and the student may ask again.
    school = client_as(Role.SCHOOL_STAFF)
    assert _decide(school, request, "approve").status_code == 302
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    student = Client()
    student.force_login(world.a.users[Role.STUDENT])
    assert _file(student, me).status_code == 302
    assert [r.status for r in _requests(me)] == ["withdrawn", "requested"]


def test_an_approved_request_cannot_be_withdrawn(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    request = _filed(world)
    assert _decide(client_as(Role.SCHOOL_STAFF), request, "approve").status_code == 302
    student = Client()
    student.force_login(world.a.users[Role.STUDENT])
    assert _withdraw(student, world.a.students[1]).status_code == 302
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and not _events("deletion_request.withdraw")


def test_nobody_else_withdraws(world: World, client_as) -> None:  # type: ignore[no-untyped-def]
    request = _filed(world)
    assert _withdraw(client_as(Role.SCHOOL_STAFF), world.a.students[1]).status_code in {403, 404}
    with system_scope(reason="assert"):
        request.refresh_from_db()
    assert request.status == RequestStatus.REQUESTED
