"""Pages of background jobs: the list of mine, one job's progress, its retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ekkyo.tenancy.access import Grant, require_roles
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from .models import Job
from .selectors import job_for, jobs_for
from .services import job_retry

STAFF = (Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF)


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]


def _state(job: Job) -> dict[str, object]:
    left = job.seconds_left()
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "seconds_left": left,
        "finished": job.finished,
        "error": job.error_text(),
        "result_url": job.result_url,
    }


@require_GET
@require_roles(*STAFF, grant=Grant.NONE)
def job_list(request: HttpRequest) -> HttpResponse:
    return render(request, "jobs/job_list.html", {"jobs": jobs_for(actor=_actor(request))})


@require_GET
@require_roles(*STAFF, grant=Grant.FULL)
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for(actor=_actor(request), job_id=job_id)
    return render(request, "jobs/job_detail.html", {"job": job, "state": _state(job)})


@require_GET
@require_roles(*STAFF, grant=Grant.FULL)
def job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    """What the progress page polls (the page itself was audited)."""
    job = job_for(actor=_actor(request), job_id=job_id, audit=False)
    return JsonResponse(_state(job))


@require_POST
@require_roles(*STAFF, grant=Grant.FULL)
def job_retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_retry(actor=_actor(request), job_id=job_id)
    messages.info(request, _("The job was started again."))
    return redirect("jobs:job_detail", job_id=job.pk)
