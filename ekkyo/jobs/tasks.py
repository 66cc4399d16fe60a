"""The one task of the queue: run a job by its id (see ``jobs.services``)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task(queue_name="default")
def run_job(job_id: int) -> None:
    services.job_run(job_id=job_id)
