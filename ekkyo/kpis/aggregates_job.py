"""The nightly KPI recount as a background job (``ekkyo kpi-aggregates --enqueue``)."""

from __future__ import annotations

from ekkyo.jobs.models import Job
from ekkyo.jobs.services import Progress
from ekkyo.registry.models import Consortium
from ekkyo.tenancy.actor import Actor

from .aggregates import aggregates_rebuild


def kpi_recount_job(actor: Actor, job: Job, progress: Progress) -> dict[str, int]:
    """Recount the job's consortium (every consortium when it names none);
    a rebuild replaces the rows, so running it twice gives the same rows."""
    consortia = list(Consortium.objects.order_by("pk"))
    if job.consortium_id is not None:
        consortia = [c for c in consortia if c.pk == job.consortium_id]
    progress.total(len(consortia))
    keys = 0
    for number, consortium in enumerate(consortia, start=1):
        keys += aggregates_rebuild(consortium)
        progress.done(number)
    return {"consortia": len(consortia), "keys": keys}
