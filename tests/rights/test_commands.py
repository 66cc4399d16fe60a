"""``ekkyo subject-access`` and ``ekkyo retention-run``: the pages' work in bulk."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ekkyo.audit.models import AuditEvent
from ekkyo.people.models import Student
from ekkyo.rights.models import DeletionRequest, RequestStatus, RetentionRun
from ekkyo.rights.retention_services import PSEUDONYM_NAME
from ekkyo.tenancy.principal import system_scope

from ..factories import World
from .conftest import FAMILY, HEALTH_NOTE, Subject

pytestmark = pytest.mark.django_db


def _events(code: str) -> list[AuditEvent]:
    with system_scope(reason="assert"):
        return list(AuditEvent.objects.filter(action=code))


def test_subject_access_as_the_student_and_as_a_guardian(
    world: World, subject: Subject, tmp_path: Path
) -> None:
    out = tmp_path / "student.json"
    stdout = io.StringIO()
    call_command(
        "subject_access",
        "--student", str(subject.student.pk), "--format", "json", "--output", str(out),
        stdout=stdout,
    )  # fmt: skip
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["student"]["family_name"] == FAMILY and data["class1_included"] is False
    assert HEALTH_NOTE not in out.read_text(encoding="utf-8")
    assert "withheld" in stdout.getvalue()
    [event] = _events("subject_access.export")
    assert event.actor_label.startswith("system: subject-access")
    guardian = tmp_path / "guardian.pdf"
    call_command(
        "subject_access",
        "--student", str(subject.student.pk), "--format", "pdf", "--output", str(guardian),
        "--as-guardian", str(world.a.guardian.pk), stdout=io.StringIO(),
    )  # fmt: skip
    assert guardian.read_bytes().startswith(b"%PDF")
    [event] = _events("subject_access.export_class1")
    assert event.detail == {
        "format": "pdf",
        "class1": True,
        "as": "guardian",
        "guardian": world.a.guardian.pk,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--student", "999999", "--format", "json"], "no such student"),
        (["--format", "json", "--as-guardian", "999999"], "not a guardian"),
        (["--format", "xml"], "invalid choice"),
    ],
)
def test_subject_access_says_what_is_wrong(
    args: list[str], message: str, world: World, subject: Subject, tmp_path: Path
) -> None:
    if "--student" not in args:
        args = ["--student", str(subject.student.pk), *args]
    out = tmp_path / "x"
    with pytest.raises(CommandError, match=message):
        call_command("subject_access", *args, "--output", str(out), stdout=io.StringIO())
    assert not out.exists()


def test_subject_access_needs_a_writable_place(world: World, subject: Subject) -> None:
    with pytest.raises(CommandError, match="existing directory"):
        call_command(
            "subject_access",
            "--student", str(subject.student.pk), "--format", "json",
            "--output", "/nonexistent/dir/x.json",
        )  # fmt: skip


def test_retention_run_dry_then_real(world: World, subject: Subject) -> None:
    with system_scope(reason="arrange"):
        request = DeletionRequest._unscoped.create(
            student=subject.student, requested_role="guardian", status=RequestStatus.APPROVED,
            decided_at=timezone.now(),
        )  # fmt: skip
    dry = io.StringIO()
    call_command("retention_run", "--dry-run", "--consortium", "cons-a", stdout=dry)
    assert "1 approved deletion request(s)" in dry.getvalue() and "(dry run)" in dry.getvalue()
    with system_scope(reason="assert"):
        assert Student._unscoped.get(pk=subject.student.pk).family_name == FAMILY
    out = io.StringIO()
    call_command("retention_run", stdout=out)  # every consortium
    text = out.getvalue()
    assert "cons-a:" in text and "cons-b:" in text and f"request {request.pk}" in text
    with system_scope(reason="assert"):
        assert Student._unscoped.get(pk=subject.student.pk).family_name == PSEUDONYM_NAME
        runs = list(RetentionRun._unscoped.order_by("pk").values_list("dry_run", "status"))
    assert runs == [(True, "done"), (False, "done"), (False, "done")]
    assert all(e.actor_label.startswith("system: retention-run") for e in _events("retention.run"))


def test_retention_run_refuses_an_unknown_consortium(world: World) -> None:
    with pytest.raises(CommandError, match="no such consortium"):
        call_command("retention_run", "--consortium", "nowhere", stdout=io.StringIO())
    with system_scope(reason="assert"):
        assert not RetentionRun._unscoped.exists()
