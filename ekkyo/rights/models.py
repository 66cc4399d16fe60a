"""Rights of the data subject: deletion requests, retention periods, and the job's proof.

DESIGN.md ("Protecting minors' data" → "Rights"): a student and their
guardians can see and download everything held about the student; deletion
requests and retention periods are honoured by a job that can be shown to
have run. The export itself is not stored (``selectors.subject_access_export``
reads it from the records each time).

- :class:`DeletionRequest` — filed by the student or a guardian, decided by
  the student's school or the secretariat, carried out by the job
  (``retention_services.retention_run``), which links the run that did it.
- :class:`RetentionPolicy` — how long each kind of record (:class:`RecordKind`)
  is kept after its end, per consortium; a kind without a row keeps its
  default (:data:`DEFAULT_RETENTION`).
- :class:`RetentionRun` — one run of the job for one consortium: when, by
  whom, dry or not, and what it deleted, per kind and per request. The audit
  log gets ``retention.run`` as well; neither is ever deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.people.models import Student
from ekkyo.registry.models import Consortium
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the school")
    APPROVED = "approved", _("Approved, waiting for the deletion job")
    REFUSED = "refused", _("Refused")
    DONE = "done", _("Carried out")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (RequestStatus.REQUESTED, RequestStatus.APPROVED)


class RequesterRole(models.TextChoices):
    STUDENT = "student", _("The student")
    GUARDIAN = "guardian", _("A guardian")


class DeletionRequest(models.Model):
    """A request to delete a student's personal data (one open request per student)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="deletion_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_role = models.CharField(_("asked by"), max_length=10, choices=RequesterRole.choices)
    requested_at = models.DateTimeField(_("asked on"), default=timezone.now)
    # Free text of the student or guardian; emptied when the request is carried out.
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by_label = models.CharField(_("decided by"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    decision_note = models.CharField(_("note from the school"), max_length=500, blank=True)
    carried_out_at = models.DateTimeField(_("carried out on"), null=True, blank=True)
    run = models.ForeignKey(
        "RetentionRun",
        verbose_name=_("carried out by the run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deletion_requests",
    )
    counts = models.JSONField(_("what was deleted"), default=dict, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("deletion request")
        verbose_name_plural = _("deletion requests")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status__in=["requested", "approved"]),
                name="one_open_deletion_request_per_student",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @classmethod
    def decider_filter(cls, principal: Principal) -> Q:
        """Who decides: the student's school, and the secretariat of the consortium."""
        if principal.system:
            return Q()
        return any_of(
            Q(student__consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            Q(student__school_id__in=principal.school_ids) if principal.school_ids else None,
        )

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """The deciders, and the student and guardians themselves (their own requests)."""
        return any_of(
            cls.decider_filter(principal),
            Q(student_id=principal.student_id) if principal.student_id else None,
            Q(student_id__in=principal.child_student_ids) if principal.child_student_ids else None,
        )


class RecordKind(models.TextChoices):
    """The kinds of record the retention job deletes, each with its end date."""

    SIGN_IN_CODE = "sign_in_code", _("Student sign-in codes (after they expire)")
    ROSTER_UPLOAD = "roster_upload", _("Uploaded roster files (after the upload)")
    SURVEY_TOKEN = "survey_token", _("Personal survey links (after the wave closes)")
    SURVEY_LINK = (
        "survey_link",
        _("Link of survey answers to the student's pseudonym (after the wave closes)"),
    )
    SURVEY_CLASS1 = (
        "survey_class1",
        _("Survey answers about health (class I) (after the wave closes)"),
    )
    HOST_REQUEST = "host_request", _("Requests to host families (after the stay's departure)")
    HEALTH_NOTES = (
        "health_notes",
        _("Health and allergy notes of stays (class I) (after the departure)"),
    )
    APPLICATION = "application", _("Applications and their answers (after the round's year)")
    PORTFOLIO_SHARE = (
        "portfolio_share",
        _("Withdrawn or expired portfolio shares (after withdrawal or expiry)"),
    )
    REFLECTION = "reflection", _("Reflections (after the programme's last day)")
    TEAM_POST = "team_post", _("Team posts and files (after the programme's last day)")


#: kind -> (keep_days, keep_fiscal_years): exactly one is set.
DEFAULT_RETENTION: dict[str, tuple[int | None, int | None]] = {
    RecordKind.SIGN_IN_CODE: (90, None),
    RecordKind.ROSTER_UPLOAD: (30, None),
    RecordKind.SURVEY_TOKEN: (None, 1),
    RecordKind.SURVEY_LINK: (None, 5),
    RecordKind.SURVEY_CLASS1: (None, 2),
    RecordKind.HOST_REQUEST: (365, None),
    RecordKind.HEALTH_NOTES: (365, None),
    RecordKind.APPLICATION: (None, 5),
    RecordKind.PORTFOLIO_SHARE: (365, None),
    RecordKind.REFLECTION: (None, 6),
    RecordKind.TEAM_POST: (None, 3),
}

MAX_KEEP_DAYS = 36500
MAX_KEEP_FISCAL_YEARS = 100


class RetentionPolicy(models.Model):
    """How long one kind of record is kept after its end, in one consortium.

    ``keep_days``: deleted that many days after the end. ``keep_fiscal_years``:
    kept for the rest of the end's fiscal year and that many more; deleted
    from the 1 April after (0 = at the end of the end's fiscal year).
    """

    consortium = models.ForeignKey(
        Consortium, on_delete=models.CASCADE, related_name="retention_policies"
    )
    kind = models.CharField(_("kind of record"), max_length=20, choices=RecordKind.choices)
    keep_days = models.PositiveIntegerField(_("days kept after the end"), null=True, blank=True)
    keep_fiscal_years = models.PositiveSmallIntegerField(
        _("fiscal years kept after the end"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["consortium", "kind"]
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        constraints = [
            models.UniqueConstraint(fields=["consortium", "kind"], name="retention_once_per_kind"),
            models.CheckConstraint(
                condition=(Q(keep_days__isnull=False) & Q(keep_fiscal_years__isnull=True))
                | (Q(keep_days__isnull=True) & Q(keep_fiscal_years__isnull=False)),
                name="retention_days_or_fiscal_years",
            ),
            models.CheckConstraint(
                condition=Q(keep_days__isnull=True) | Q(keep_days__lte=MAX_KEEP_DAYS),
                name="retention_days_at_most_100_years",
            ),
            models.CheckConstraint(
                condition=Q(keep_fiscal_years__isnull=True)
                | Q(keep_fiscal_years__lte=MAX_KEEP_FISCAL_YEARS),
                name="retention_fiscal_years_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consortium_id} {self.kind}: {self.period_display}"

    @property
    def period_display(self) -> str:
        return period_display(self.keep_days, self.keep_fiscal_years)

    def clean(self) -> None:
        if (self.keep_days is None) == (self.keep_fiscal_years is None):
            raise ValidationError(_("Give the period in days or in fiscal years."))
        if self.keep_days is not None and self.keep_days < 1:
            raise ValidationError({"keep_days": _("At least one day.")})


def period_display(keep_days: int | None, keep_fiscal_years: int | None) -> str:
    if keep_days is not None:
        return str(_("%(n)s days") % {"n": keep_days})
    return str(_("%(n)s fiscal years") % {"n": keep_fiscal_years})


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class RetentionRun(models.Model):
    """Proof that the deletion and retention job ran for a consortium (never deleted)."""

    consortium = models.ForeignKey(
        Consortium, on_delete=models.PROTECT, related_name="retention_runs"
    )
    started_at = models.DateTimeField(_("started (UTC)"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished (UTC)"), null=True, blank=True)
    # The actor by id and label, as in the audit log: deleting an account
    # never rewrites the proof.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("run by"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    dry_run = models.BooleanField(_("dry run (nothing deleted)"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    policies = models.JSONField(_("periods applied"), default=dict, blank=True)
    counts = models.JSONField(_("records per kind"), default=dict, blank=True)
    requests = models.JSONField(_("deletion requests carried out"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for the job itself

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        base_manager_name = "_unscoped"

    def __str__(self) -> str:
        return f"{self.consortium_id} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def total(self) -> int:
        return sum(int(n) for n in self.counts.values())

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """The secretariat of the consortium only."""
        return any_of(
            Q(consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None
        )
