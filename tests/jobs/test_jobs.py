"""Background jobs: the real database queue and a worker run, the progress
page and its access, retry without doing anything twice."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from ekkyo.audit.models import AuditEvent
from ekkyo.jobs.models import Job, JobKind, JobStatus
from ekkyo.jobs.services import job_retry, job_run
from ekkyo.people.models import ImportStatus, RosterImport, Student
from ekkyo.people.services import roster_apply_start
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from ..factories import World
from ..people.test_roster_import import _csv, _rows, _upload

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _client(world: World, role: Role, tenant: str = "a") -> Client:
    client = Client()
    client.force_login(getattr(world, tenant).users[role])
    return client


def _worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ekkyo worker --batch`` in-process, inside the test's transaction: the
    worker's "close old connections" would close the test's own connection
    (the browser test runs a real worker process instead)."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    call_command("worker", "--batch", "--interval", "0.1", stdout=StringIO(), verbosity=0)


def _rows_of(world: World) -> int:
    return Student._unscoped.filter(school=world.a.school, student_number__startswith="R").count()


def test_roster_apply_runs_on_the_database_queue_with_a_worker(
    world: World,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.TASKS = DATABASE_QUEUE
    from django_tasks_db.models import DBTaskResult

    client = _client(world, Role.SCHOOL_STAFF)
    preview = _upload(client, world.a.school.pk, _csv(_rows(world.a.municipality.code)))
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(preview["Location"], {"action": "apply"})
    job = Job._unscoped.get(kind=JobKind.ROSTER_APPLY, params__import_id__gt=0)
    assert started["Location"] == reverse("jobs:job_detail", args=[job.pk])
    # Enqueued, not run: the request returned before the work was done.
    assert job.status == JobStatus.QUEUED and _rows_of(world) == 0
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    page = client.get(started["Location"])
    assert page.status_code == 200 and 'data-status="queued"' in page.content.decode()

    _worker(monkeypatch)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.rows_total == 3 and job.rows_done == 3
    assert job.result == {"created": 3, "updated": 0, "unchanged": 0}
    assert _rows_of(world) == 3
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    status = client.get(reverse("jobs:job_status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100 and status["result_url"]
    # The import is audited as the job's system actor, carrying who started it.
    imported = AuditEvent._unscoped.get(action="roster.import")
    user = world.a.users[Role.SCHOOL_STAFF]
    assert imported.actor_id == user.pk and imported.actor_label.startswith("system: job")
    ran = AuditEvent._unscoped.get(action="job.run")
    assert ran.detail["initiator"] == user.pk

    # A re-delivered task finds its job done: nothing runs twice.
    before = AuditEvent._unscoped.count()
    job_run(job_id=job.pk)
    assert AuditEvent._unscoped.count() == before and _rows_of(world) == 3


def test_the_progress_page_is_the_initiators_and_their_secretariats(world: World) -> None:
    client = _client(world, Role.SCHOOL_STAFF)
    preview = _upload(client, world.a.school.pk, _csv(_rows(world.a.municipality.code)))
    job_page = client.post(preview["Location"], {"action": "apply"})["Location"]
    job = Job._unscoped.get(kind=JobKind.ROSTER_APPLY, params__import_id__gt=0)
    assert job.status == JobStatus.DONE  # the immediate backend in tests
    assert client.get(job_page).status_code == 200
    assert AuditEvent._unscoped.filter(action="job.view", object_id=str(job.pk)).count() == 1
    assert _client(world, Role.CONSORTIUM_ADMIN).get(job_page).status_code == 200
    # The school's own town (not the initiator, not the secretariat), and another
    # consortium's secretariat: 404, as for a missing job.
    assert _client(world, Role.MUNICIPALITY_STAFF).get(job_page).status_code == 404
    assert _client(world, Role.CONSORTIUM_ADMIN, "b").get(job_page).status_code == 404
    assert client.get(reverse("jobs:job_detail", args=[job.pk + 99])).status_code == 404
    listed = _client(world, Role.MUNICIPALITY_STAFF).get(reverse("jobs:job_list"))
    assert f"#{job.pk}" not in listed.content.decode()
    assert f"#{job.pk}" in client.get(reverse("jobs:job_list")).content.decode()


def test_a_failed_job_says_why_and_is_retried_from_its_page(world: World) -> None:
    client = _client(world, Role.SCHOOL_STAFF)
    bad = [
        *_rows(world.a.municipality.code),
        f"R009,佐藤,健,sato,けん,3,2011-07-07,{world.a.municipality.code},",
    ]
    preview = _upload(client, world.a.school.pk, _csv(bad))
    batch = RosterImport._unscoped.latest("pk")
    # The page refuses to start a file with problems; a job started anyway fails.
    assert client.post(preview["Location"], {"action": "apply"}).status_code == 200
    actor: Actor = client.get(preview["Location"]).wsgi_request.actor  # type: ignore[attr-defined]
    job = roster_apply_start(actor=actor, import_id=batch.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "1" in job.error_text()
    page = client.get(
        reverse("jobs:job_detail", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "nothing was imported" in page and reverse("jobs:job_retry", args=[job.pk]) in page
    assert _rows_of(world) == 0

    # The upload is replaced by a good file (as a fix would), then retried.
    batch.content = _csv(_rows(world.a.municipality.code))
    RosterImport._unscoped.filter(pk=batch.pk).update(content=batch.content)
    retried = client.post(reverse("jobs:job_retry", args=[job.pk]))
    assert retried.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2 and _rows_of(world) == 3
    assert RosterImport._unscoped.latest("pk").status == ImportStatus.APPLIED
    # A done job cannot be retried (404, as for a missing one).
    assert client.post(reverse("jobs:job_retry", args=[job.pk])).status_code == 404
    with pytest.raises(Exception):  # noqa: B017 — the door's NotFound
        job_retry(actor=actor, job_id=job.pk)


def test_the_nightly_recount_is_enqueued_for_cron(world: World, system: None) -> None:
    out = StringIO()
    with translation.override("en"):
        call_command("kpi_aggregates", "--enqueue", stdout=out)
    jobs = Job._unscoped.filter(kind=JobKind.KPI_RECOUNT)
    assert jobs.count() >= 2 and all(j.status == JobStatus.DONE for j in jobs)
    assert "queued as job" in out.getvalue()
