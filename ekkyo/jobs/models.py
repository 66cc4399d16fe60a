"""A background job's progress row, beside django-tasks' own result row.

django-tasks keeps the queue (``django_tasks_db.DBTaskResult``: what to run,
when, by which worker); a :class:`Job` is what a person sees of it: who
started what, in which consortium, how many rows are done out of how many,
when it started and finished, and why it failed. Each task takes a job id,
so a job is run at most once to completion: a task that finds its job done
does nothing, and a failed job can be started again from its page.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import Consortium
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


class JobKind(models.TextChoices):
    ROSTER_APPLY = "roster.apply", _("Roster import")
    ONEROSTER_APPLY = "oneroster.apply", _("OneRoster import")
    TEAMS_FORM = "teams.form", _("Team formation")
    SURVEY_REMIND = "survey.remind", _("Survey reminders to guardians")
    KPI_RECOUNT = "kpi.recount", _("KPI recount")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    consortium = models.ForeignKey(
        Consortium, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=JobKind.choices)
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    # The error as a message id and its parameters: shown in the reader's language.
    error = models.CharField(_("error"), max_length=300, blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for the job doors and the worker

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """Its initiator, and the secretariat of its consortium."""
        if principal.system:
            return Q()
        return any_of(
            Q(initiator_id=principal.user_id) if principal.user_id else None,
            Q(consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
        )

    @property
    def finished(self) -> bool:
        return self.status in {JobStatus.DONE, JobStatus.FAILED}

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_done / self.rows_total))

    def seconds_left(self) -> int | None:
        """The time left at the rate so far (None before the first rows)."""
        if self.finished or not self.started_at or not self.rows_done or not self.rows_total:
            return None
        spent = (timezone.now() - self.started_at).total_seconds()
        rate = self.rows_done / max(spent, 0.001)
        return max(0, int((self.rows_total - self.rows_done) / rate))

    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def error_text(self) -> str:
        if not self.error:
            return ""
        try:
            return (
                gettext(self.error) % self.error_params
                if self.error_params
                else gettext(self.error)
            )
        except (KeyError, TypeError, ValueError):
            return gettext(self.error)
