"""The audit log is append-only, records views and exports, and is searchable."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from ekkyo.audit.models import Action, AuditError, AuditEvent
from ekkyo.audit.services import audit_record
from ekkyo.tenancy.actor import system_actor
from ekkyo.tenancy.principal import Role

from ..factories import World

pytestmark = pytest.mark.django_db

ACTOR = system_actor(reason="test: audit log")


def test_model_and_queryset_refuse_changes(system: None) -> None:
    event = audit_record(actor=ACTOR, event=Action.VIEW, summary="x")
    event.summary = "changed"
    with pytest.raises(AuditError):
        event.save()
    with pytest.raises(AuditError):
        event.delete()
    with pytest.raises(AuditError):
        AuditEvent.objects.all().update(summary="changed")
    with pytest.raises(AuditError):
        AuditEvent.objects.all().delete()


def test_database_refuses_update_even_in_raw_sql(system: None) -> None:
    event = audit_record(actor=ACTOR, event=Action.VIEW, summary="kept")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = 'tampered' WHERE id = %s", [event.pk])
    assert AuditEvent._unscoped.get(pk=event.pk).summary == "kept"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="DELETE trigger is PostgreSQL's")
def test_postgres_refuses_delete_in_raw_sql(system: None) -> None:
    event = audit_record(actor=ACTOR, event=Action.VIEW)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent._unscoped.filter(pk=event.pk).exists()


def test_staff_views_and_exports_are_recorded(world: World, system: None) -> None:
    client = Client(REMOTE_ADDR="192.0.2.7")
    staff = world.a.users[Role.SCHOOL_STAFF]
    client.force_login(staff)
    student = world.a.students[0]
    assert client.get(reverse("people:student_detail", args=[student.pk])).status_code == 200
    assert client.get(reverse("people:student_export_csv")).status_code == 200
    view = AuditEvent._unscoped.get(action="student.view", object_id=str(student.pk))
    assert view.actor_id == staff.pk
    assert view.ip == "192.0.2.7"
    assert view.consortium_id == world.a.consortium.pk
    assert view.at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    export = AuditEvent._unscoped.get(action="student.export")
    assert export.detail["count"] == len(world.a.students)


def test_refusals_are_recorded(world: World, system: None) -> None:
    client = Client()
    client.force_login(world.a.users[Role.PARTNER])
    assert client.get(reverse("people:student_list")).status_code == 403
    client.force_login(world.a.users[Role.SCHOOL_STAFF])
    foreign = world.b.students[0]
    assert client.get(reverse("people:student_detail", args=[foreign.pk])).status_code == 404
    denied = AuditEvent._unscoped.filter(action=Action.ACCESS_DENIED)
    assert denied.count() == 2


def test_secretariat_searches_its_own_consortium_only(world: World, system: None) -> None:
    audit_record(
        actor=ACTOR, event=Action.VIEW, summary="in A", consortium_id=world.a.consortium.pk
    )
    audit_record(
        actor=ACTOR, event=Action.VIEW, summary="in B", consortium_id=world.b.consortium.pk
    )
    client = Client()
    client.force_login(world.a.users[Role.CONSORTIUM_ADMIN])
    page = client.get(reverse("audit:event_list"), {"q": "in ", "action": "view"})
    body = page.content.decode()
    assert "in A" in body and "in B" not in body
    csv = b"".join(client.get(reverse("audit:event_export"), {"q": "in A"}).streaming_content)
    assert csv.startswith(b"\xef\xbb\xbf")
    assert b"in A" in csv
    bad = client.get(reverse("audit:event_list"), {"since": "not-a-date"})
    assert bad.status_code == 200  # the form says what is wrong; nothing is listed


def test_exporting_the_log_is_itself_audited(world: World, system: None) -> None:
    client = Client()
    admin = world.a.users[Role.CONSORTIUM_ADMIN]
    client.force_login(admin)
    b"".join(client.get(reverse("audit:event_export"), {"q": "x"}).streaming_content)
    export = AuditEvent._unscoped.get(action="audit.export")
    assert export.actor_id == admin.pk and export.consortium_id == world.a.consortium.pk
    assert export.detail["filters"] == {"q": "x"}
