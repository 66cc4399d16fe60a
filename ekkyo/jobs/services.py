"""Doors of background jobs: start, run (the worker's side), retry.

A door that hands work to the queue calls :func:`job_start` inside its own
transaction: the :class:`Job` row is written with it, and the task is
enqueued only once that transaction commits (``transaction.on_commit``), so
a worker never picks up a job whose row — or whose stored upload — is not
there yet. With the immediate backend (tests) the task runs at once.

The worker runs :func:`job_run` for a job id: it runs inside
``system_scope`` with a system actor that carries the initiating user's id,
so every audit row the work writes says "system: job …" *and* who started
it. A job found done is left alone; a handler must itself be idempotent
(the roster import finds its upload applied; reminders skip the tokens
already reminded), so a retried or re-delivered task does nothing twice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ekkyo.audit.services import audit_record
from ekkyo.core.messages import gettext_noop
from ekkyo.tenancy.access import Grant, access, refuse
from ekkyo.tenancy.actor import Actor, system_actor
from ekkyo.tenancy.principal import system_scope

from . import events
from .models import Job, JobKind, JobStatus

logger = logging.getLogger(__name__)

# What runs each kind of job: ``handler(actor, job, progress) -> result dict``.
HANDLERS: dict[str, str] = {
    JobKind.ROSTER_APPLY: "ekkyo.people.services.roster_apply_job",
    JobKind.ONEROSTER_APPLY: "ekkyo.people.oneroster_services.oneroster_apply_job",
    JobKind.TEAMS_FORM: "ekkyo.teams.services.teamset_form_job",
    JobKind.SURVEY_REMIND: "ekkyo.surveys.services.wave_remind_job",
    JobKind.KPI_RECOUNT: "ekkyo.kpis.aggregates_job.kpi_recount_job",
}

UNEXPECTED = gettext_noop(
    "The job stopped on an unexpected error; nothing of it was kept. "
    "Try again, or ask the secretariat."
)


class JobError(Exception):
    """A handler's refusal, with a message id (shown in the reader's language)."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class Progress:
    """What a handler tells of its work; each call commits its own row update
    (visible to the progress page when the handler is not inside one
    transaction)."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def total(self, rows: int) -> None:
        self.job.rows_total = rows
        Job._unscoped.filter(pk=self.job.pk).update(rows_total=rows)  # safe: the running job

    def done(self, rows: int) -> None:
        self.job.rows_done = rows
        Job._unscoped.filter(pk=self.job.pk).update(rows_done=rows)  # safe: the running job

    def link(self, url: str) -> None:
        self.job.result_url = url[:300]


def _immediate() -> bool:
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    return backend.endswith("ImmediateBackend")


def _enqueue(job_id: int) -> None:
    from .tasks import run_job

    def go() -> None:
        result = run_job.enqueue(job_id)
        # safe: the job just written by its door
        Job._unscoped.filter(pk=job_id).update(task_id=str(result.id)[:64])

    if _immediate():
        go()
    else:
        transaction.on_commit(go)


@transaction.atomic
def job_start(
    *,
    actor: Actor,
    kind: str,
    consortium_id: int | None,
    params: dict[str, Any] | None = None,
    rows_total: int = 0,
) -> Job:
    """Write a job for ``actor`` and enqueue it once the caller's transaction commits."""
    user = actor.user if getattr(actor.user, "pk", None) else None
    job = Job._unscoped.create(  # safe: a new job of the actor's own
        kind=kind,
        consortium_id=consortium_id,
        initiator=user,  # type: ignore[misc]
        params=dict(params or {}),
        rows_total=rows_total,
    )
    audit_record(
        actor=actor,
        event=events.JOB_START,
        obj=job,
        summary=f"{kind} #{job.pk}",
        new={"kind": kind},
    )
    _enqueue(job.pk)
    job.refresh_from_db()
    return job


def job_start_once(
    *,
    actor: Actor,
    kind: str,
    consortium_id: int | None,
    params: dict[str, Any],
    same: dict[str, Any],
    rows_total: int = 0,
) -> Job:
    """:func:`job_start`, unless a job of ``kind`` whose params match ``same``
    is waiting or running: that job is returned (a second click, a reload).
    The caller has checked the actor's right to what ``same`` names."""
    running = Job._unscoped.filter(  # safe: jobs of the object the caller's door checked
        kind=kind,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        **{f"params__{key}": value for key, value in same.items()},
    ).first()
    if running is not None:
        return running
    return job_start(
        actor=actor, kind=kind, consortium_id=consortium_id, params=params, rows_total=rows_total
    )


def job_actor(job: Job) -> Actor:
    """The system actor of a job, carrying who started it (for the audit log)."""
    base = system_actor(reason=f"job {job.kind} #{job.pk}", consortium_id=job.consortium_id)
    user = job.initiator
    return dataclasses.replace(
        base,
        user_id=job.initiator_id,
        user=user,
        label=f"system: job {job.kind} #{job.pk} for user {job.initiator_id or '-'}"[:200],
    )


def job_run(*, job_id: int) -> Job | None:
    """The worker's side: run the job once. A finished job is left as it is."""
    with system_scope(reason=f"background job #{job_id}"):
        with transaction.atomic():
            job = (
                Job._unscoped.select_for_update(of=("self",))  # safe: the worker runs every job
                .select_related("initiator")
                .filter(pk=job_id)
                .first()
            )
            if job is None or job.finished:
                return job
            job.status = JobStatus.RUNNING
            job.started_at = timezone.now()
            job.attempts += 1
            job.save(update_fields=["status", "started_at", "attempts"])
        actor = job_actor(job)
        progress = Progress(job)
        handler: Callable[[Actor, Job, Progress], dict[str, Any]] = import_string(
            HANDLERS[job.kind]
        )
        try:
            result = handler(actor, job, progress)
        except JobError as exc:
            return _failed(actor, job, exc.message, exc.params)
        except Exception:
            logger.exception("background job %s failed", job.pk)
            return _failed(actor, job, UNEXPECTED, {})
        job.status = JobStatus.DONE
        job.result = result
        job.rows_done = max(job.rows_done, job.rows_total)
        job.finished_at = timezone.now()
        job.error, job.error_params = "", {}
        job.save(
            update_fields=[
                "status", "result", "rows_done", "finished_at", "result_url", "error",
                "error_params",
            ]
        )  # fmt: skip
        audit_record(
            actor=actor,
            event=events.JOB_RUN,
            obj=job,
            summary=f"{job.kind} #{job.pk} done",
            detail={"result": result, "initiator": job.initiator_id},
        )
        return job


def _failed(actor: Actor, job: Job, message: str, params: dict[str, Any]) -> Job:
    job.status = JobStatus.FAILED
    job.error = message[:300]
    job.error_params = {k: str(v) for k, v in params.items()}
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "error_params", "finished_at"])
    audit_record(
        actor=actor,
        event=events.JOB_FAIL,
        obj=job,
        summary=f"{job.kind} #{job.pk} failed",
        detail={"error": job.error, "initiator": job.initiator_id},
    )
    return job


@transaction.atomic
def job_retry(*, actor: Actor, job_id: int) -> Job:
    """Start a failed job again (the same job id: its handler skips what is done)."""
    seen = access(actor, Job, grant=Grant.FULL, pk=job_id)
    job = Job._unscoped.select_for_update().get(pk=seen.pk)  # safe: access() checked it
    if job.status != JobStatus.FAILED:
        refuse(actor, f"jobs.job {job_id} retry", exists=False)
    old = {"status": job.status, "error": job.error}
    job.status = JobStatus.QUEUED
    job.error, job.error_params = "", {}
    job.started_at = job.finished_at = None
    job.save(update_fields=["status", "error", "error_params", "started_at", "finished_at"])
    audit_record(
        actor=actor,
        event=events.JOB_RETRY,
        obj=job,
        old=old,
        new={"status": job.status, "error": ""},
    )
    _enqueue(job.pk)
    job.refresh_from_db()
    return job
