"""Allocation: rounds of applications, ranked choices, and the seats they give.

AllocationRound → Application (one per student and round; guardian consent,
school approval) with ranked ApplicationChoices → Seat (by the round's
allocation, or confirmed by hand on the programme's page). The tables keep
their ``programmes_*`` names: the models moved app without a database change
(docs/decisions.md, "Four apps out of programmes").
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme, student_full_filter, student_related_filter
from ekkyo.registry.models import Consortium
from ekkyo.tenancy.managers import TenantManager
from ekkyo.tenancy.principal import Principal


class Seat(models.Model):
    """A confirmed place on a programme, by allocation or by hand.

    The capacity check and the insert happen under a row lock on the
    programme (seat_services.seat_confirm), so two staff confirming the last seat
    at the same moment cannot exceed it.
    """

    class Source(models.TextChoices):
        ALLOCATION = "allocation", _("Allocation")
        MANUAL = "manual", _("Confirmed by staff")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="seats")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="seats")
    source = models.CharField(max_length=12, choices=Source.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        db_table = "programmes_seat"
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "student"],
                condition=Q(cancelled_at__isnull=True),
                name="one_active_seat_per_student_and_programme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} @ {self.programme_id}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return student_related_filter(principal)

    @classmethod
    def full_access_filter(cls, principal: Principal) -> Q:
        return student_full_filter(principal)


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open for applications")
    CLOSED = "closed", _("Closed, not yet allocated")
    ALLOCATED = "allocated", _("Allocated, not yet published")
    PUBLISHED = "published", _("Results published")


class AllocationRound(models.Model):
    """One round of applications and seat allocation (DESIGN.md: deferred acceptance).

    Policy: each programme ranks its applicants by the round's rules, in this
    order — first-time participants first, students of small schools first —
    then by one seeded lottery shared by all programmes; with
    ``spread_municipalities`` the ranking then alternates between home
    municipalities so seats spread across towns. The seed makes a run
    reproducible.
    """

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="rounds")
    name = models.CharField(_("name"), max_length=120)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    programmes = models.ManyToManyField(
        Programme, verbose_name=_("programmes"), related_name="rounds"
    )
    max_choices = models.PositiveSmallIntegerField(_("choices per student"), default=3)
    opens_at = models.DateTimeField(_("applications open"))
    closes_at = models.DateTimeField(_("applications close"))
    prefer_first_time = models.BooleanField(_("first-time participants first"), default=True)
    prefer_small_schools = models.BooleanField(_("students of small schools first"), default=True)
    small_school_size = models.PositiveIntegerField(
        _("small school: at most this many students"), default=100
    )
    spread_municipalities = models.BooleanField(
        _("spread seats across home municipalities"), default=True
    )
    lottery_seed = models.PositiveIntegerField(_("lottery seed"))
    notice_version = models.CharField(_("consent notice version"), max_length=30, default="2026-04")
    previous_round = models.ForeignKey(
        "self",
        verbose_name=_("second round of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="second_rounds",
    )
    status = models.CharField(max_length=12, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    allocated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "programmes_allocationround"
        ordering = ["-opens_at"]
        verbose_name = _("allocation round")
        verbose_name_plural = _("allocation rounds")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="round_window"),
            models.CheckConstraint(
                condition=Q(max_choices__gte=1, max_choices__lte=20), name="round_choices"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == RoundStatus.OPEN and self.opens_at <= now < self.closes_at


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Not yet submitted")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    PLACED = "placed", _("Seat offered")
    WAITLISTED = "waitlisted", _("On the waiting list")
    NOT_PLACED = "not_placed", _("No seat this round")
    EXCLUDED = "excluded", _("Not considered")


class SchoolDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for the school")
    APPROVED = "approved", _("Approved by the school")
    DECLINED = "declined", _("Declined by the school")


class Application(models.Model):
    """A student's ranked request in one round (申込). One per student and round."""

    round = models.ForeignKey(
        AllocationRound, on_delete=models.CASCADE, related_name="applications"
    )
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="applications")
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    school_decision = models.CharField(
        _("school decision"),
        max_length=10,
        choices=SchoolDecision.choices,
        default=SchoolDecision.PENDING,
    )
    school_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    school_decided_at = models.DateTimeField(null=True, blank=True)
    school_note = models.CharField(_("note from the school"), max_length=300, blank=True)
    placed_programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.JSONField(_("why"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        db_table = "programmes_application"
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["round", "student"], name="one_application_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.round_id}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        visible = Student.visible_ids(principal)
        return Q(student_id__in=visible)

    @classmethod
    def full_access_filter(cls, principal: Principal) -> Q:
        return student_full_filter(principal)


class ApplicationChoice(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="choices")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="choices")
    rank = models.PositiveSmallIntegerField(_("rank"))
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    class Meta:
        db_table = "programmes_applicationchoice"
        ordering = ["application", "rank"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [
            models.UniqueConstraint(fields=["application", "rank"], name="choice_rank_unique"),
            models.UniqueConstraint(
                fields=["application", "programme"], name="choice_programme_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.rank} {self.programme_id}"
