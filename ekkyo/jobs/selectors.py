"""Reads of background jobs: the actor's own, and the secretariat's consortium's."""

from __future__ import annotations

from django.db.models import QuerySet

from ekkyo.audit.services import audit_record
from ekkyo.tenancy.access import Grant, access
from ekkyo.tenancy.actor import Actor

from . import events
from .models import Job


def job_for(*, actor: Actor, job_id: int, audit: bool = True) -> Job:
    """One job its initiator (or the secretariat of its consortium) may see; 404
    for anyone else's and for missing ones alike. The page view is audited; its
    polls (``audit=False``) are not, or every second would write a row."""
    job = access(actor, Job, grant=Grant.FULL, pk=job_id)
    if audit:
        audit_record(actor=actor, event=events.JOB_VIEW, obj=job)
    return job


def jobs_for(*, actor: Actor, limit: int = 50) -> QuerySet[Job]:
    """The actor's jobs (the secretariat: its consortium's too), newest first."""
    return Job.objects.select_related("initiator").order_by("-created_at", "-pk")[:limit]
