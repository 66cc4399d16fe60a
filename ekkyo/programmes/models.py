"""Programmes and what students do in them: the second pillar (new flows of people).

Programme → (published in the catalogue) → Application in an AllocationRound
(ranked choices, guardian consent, school approval) → Seat (by allocation or
confirmed by hand) → participation records that the KPIs count: Stay (KPI ②),
Residence (KPI ①) and Attendance of online Sessions (KPI ③).

Programmes themselves are public (the catalogue); everything about a student
is personal data and goes through TenantManager.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ekkyo.partners.models import Partner
from ekkyo.people.models import Student
from ekkyo.registry.models import Consortium, Municipality, School
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


def _en() -> bool:
    return (get_language() or "ja").startswith("en")


class Theme(models.Model):
    """A regional theme (地域課題): 農業, 漁業, 防災, 観光, 福祉, まちづくり, …"""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.name_en if _en() else self.name


class ProgrammeKind(models.TextChoices):
    ONLINE = "online", _("Online")
    SHORT_STAY = "short_stay", _("Short stay (days to two weeks)")
    MID_STAY = "mid_stay", _("Mid-term stay (weeks to a year)")
    RESIDENCE = "residence", _("Residence (study and live, 1–3 years)")


OFFLINE_KINDS = (ProgrammeKind.SHORT_STAY, ProgrammeKind.MID_STAY, ProgrammeKind.RESIDENCE)
# The programmes whose Stays are KPI② (DESIGN.md: "a Stay (short or mid-term)").
STAY_KINDS = (ProgrammeKind.SHORT_STAY, ProgrammeKind.MID_STAY)


class Accommodation(models.TextChoices):
    NONE = "none", _("None (online)")
    DORMITORY = "dormitory", _("Dormitory")
    HOST_FAMILY = "host_family", _("Host family")
    OTHER = "other", _("Other")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class SchoolLevel(models.TextChoices):
    ANY = "any", _("Middle and high school")
    MIDDLE = "middle", _("Middle school")
    HIGH = "high", _("High school")


class Programme(models.Model):
    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="programmes")
    kind = models.CharField(_("kind"), max_length=20, choices=ProgrammeKind.choices)
    title = models.CharField(_("title"), max_length=150)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary = models.TextField(_("description"), blank=True)
    summary_en = models.TextField(_("description (English)"), blank=True)
    host_municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("host municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_programmes",
    )
    host_school = models.ForeignKey(
        School,
        verbose_name=_("host school"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_programmes",
    )
    partners = models.ManyToManyField(Partner, verbose_name=_("partners"), blank=True)
    themes = models.ManyToManyField(Theme, verbose_name=_("themes"), blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    applications_open = models.DateTimeField(_("applications open"), null=True, blank=True)
    applications_close = models.DateTimeField(_("applications close"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("places"))
    school_level = models.CharField(
        _("school level"), max_length=10, choices=SchoolLevel.choices, default=SchoolLevel.ANY
    )
    min_grade = models.PositiveSmallIntegerField(_("lowest grade"), default=1)
    max_grade = models.PositiveSmallIntegerField(_("highest grade"), default=3)
    exclude_host_residents = models.BooleanField(
        _("only students from other municipalities"), default=True
    )
    languages = models.CharField(
        _("languages"), max_length=20, default="ja", help_text=_("Comma-separated: ja, en")
    )
    cost_yen = models.PositiveIntegerField(_("cost to the family (yen)"), default=0)
    cost_note = models.CharField(_("about the cost"), max_length=200, blank=True)
    accommodation = models.CharField(
        _("accommodation"), max_length=20, choices=Accommodation.choices, default=Accommodation.NONE
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_on", "title"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="programme_dates"
            ),
            models.CheckConstraint(
                condition=Q(max_grade__gte=F("min_grade")), name="programme_grades"
            ),
            models.CheckConstraint(
                condition=Q(applications_close__isnull=True)
                | Q(applications_open__isnull=True)
                | Q(applications_close__gt=F("applications_open")),
                name="programme_application_window",
            ),
            models.CheckConstraint(
                condition=Q(host_municipality__isnull=False) | Q(host_school__isnull=False),
                name="programme_has_host",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_on"])]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title_en if _en() and self.title_en else self.title

    @property
    def display_summary(self) -> str:
        return self.summary_en if _en() and self.summary_en else self.summary

    @property
    def host_display(self) -> str:
        parts = []
        if self.host_municipality_id:
            parts.append(self.host_municipality.full_name)  # type: ignore[union-attr]
        if self.host_school_id:
            parts.append(self.host_school.display_name)  # type: ignore[union-attr]
        return " · ".join(parts)

    @property
    def is_online(self) -> bool:
        return self.kind == ProgrammeKind.ONLINE

    @property
    def language_list(self) -> list[str]:
        return [x.strip() for x in self.languages.split(",") if x.strip()]

    def is_open_for_applications(self, now: datetime | None = None) -> bool:
        """Published, inside its application window (which must be set), not yet begun."""
        now = now or timezone.now()
        return (
            self.status == ProgrammeStatus.PUBLISHED
            and self.applications_open is not None
            and self.applications_open <= now
            and (self.applications_close is None or now < self.applications_close)
            and self.starts_on > timezone.localdate(now)
        )


class PartKind(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("In person")


class Session(models.Model):
    """One dated part of a programme: an online meeting (KPI ③ counts attendance
    of these) or an in-person part (e.g. the 小規模校サミット's main day)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(_("kind"), max_length=10, choices=PartKind.choices)
    title = models.CharField(_("title"), max_length=150)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=150, blank=True)
    meeting_url = models.URLField(_("meeting link"), blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_times")
        ]

    def __str__(self) -> str:
        return f"{self.programme} — {self.title}"


class Seat(models.Model):
    """A confirmed place on a programme, by allocation or by hand.

    The capacity check and the insert happen under a row lock on the
    programme (services.seat_confirm), so two staff confirming the last seat
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


def student_full_filter(principal: Principal) -> Q:
    """Rows about students the principal sees in full, not for hosting only: the
    ``full_access_filter`` of every row about a student, so that
    ``tenancy.access.access(..., grant=Grant.FULL)`` asks for the student's
    full grant (docs/access.md)."""
    return Q(student_id__in=Student.visible_ids(principal, full=True))


def student_related_filter(principal: Principal, prefix: str = "student") -> Q:
    """Rows about a student: visible to whoever may see the student, and to the
    host municipality's staff for their own programmes (DESIGN.md)."""
    visible = Student.visible_ids(principal)
    return any_of(
        Q(**{f"{prefix}_id__in": visible}),
        Q(programme__host_municipality_id__in=principal.municipality_ids)
        if principal.municipality_ids
        else None,
        Q(programme__host_school_id__in=principal.school_ids) if principal.school_ids else None,
    )


class Stay(models.Model):
    """A student's stay in a host town for an offline programme (KPI ②)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="stays")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="stays")
    arrival = models.DateField(_("arrival"))
    departure = models.DateField(_("departure"))
    host_family = models.ForeignKey(
        "hosting.HostFamily",
        verbose_name=_("host family"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stays",
    )
    cancelled = models.BooleanField(_("cancelled"), default=False)
    # Class I (要配慮個人情報): allergies, diet for reasons of health or belief,
    # medical notes. Encrypted at rest (ekkyo.crypto), read through
    # ``health``; shown to the host only while the guardian's consent holds.
    health_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["arrival"]
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        constraints = [
            models.CheckConstraint(condition=Q(departure__gte=F("arrival")), name="stay_dates")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.arrival}–{self.departure}"

    @property
    def health(self) -> dict[str, Any]:
        """Allergies, diet needs, pet allergy and notes (class I; decrypted on read)."""
        if not self.health_encrypted:
            return {}
        from ekkyo.crypto import decrypt_text

        data: dict[str, Any] = json.loads(decrypt_text(self.health_encrypted))
        return data

    @health.setter
    def health(self, value: dict[str, Any]) -> None:
        from ekkyo.crypto import encrypt_text

        self.health_encrypted = encrypt_text(json.dumps(value, ensure_ascii=False)) if value else ""

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        q = student_related_filter(principal)
        if principal.host_ids:
            q |= Q(host_family_id__in=principal.host_ids)
        return q

    @classmethod
    def full_access_filter(cls, principal: Principal) -> Q:
        return student_full_filter(principal)


class Residence(models.Model):
    """A student living and studying in a member town (地域みらい留学; KPI ①)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="residences")
    programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="residences"
    )
    home_municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    home_country = models.CharField(_("home country"), max_length=2, default="JP")
    host_municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="residents")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["start"]
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="residence_dates"
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.start}–{self.end or ''}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        visible = Student.visible_ids(principal)
        return any_of(
            Q(student_id__in=visible),
            Q(host_municipality_id__in=principal.municipality_ids)
            if principal.municipality_ids
            else None,
        )

    @classmethod
    def full_access_filter(cls, principal: Principal) -> Q:
        return student_full_filter(principal)


class Attendance(models.Model):
    """Presence of a student at one session (KPI ③ counts online ones)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        ZOOM = "zoom", _("Zoom report")
        TEAMS = "teams", _("Microsoft Teams report")
        MEET = "meet", _("Google Meet report")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="attendance")
    minutes = models.PositiveIntegerField(_("minutes"), null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} @ {self.session_id}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        visible = Student.visible_ids(principal)
        return any_of(
            Q(student_id__in=visible),
            Q(session__programme__host_municipality_id__in=principal.municipality_ids)
            if principal.municipality_ids
            else None,
        )

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


class ProgrammeQuestion(models.Model):
    """A programme's own question to applicants (e.g. 「志望動機」)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("question"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    max_length = models.PositiveIntegerField(_("longest answer (characters)"), default=400)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.display_text

    @property
    def display_text(self) -> str:
        return self.text_en if _en() and self.text_en else self.text


class ApplicationChoice(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="choices")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="choices")
    rank = models.PositiveSmallIntegerField(_("rank"))
    answers = models.JSONField(_("answers"), default=dict, blank=True)

    class Meta:
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


class Reflection(models.Model):
    """After a stay or a programme: what the student learned about the other
    region and about their own (feeds the portfolio)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="reflections")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="reflections")
    about_other_region = models.TextField(_("What did you learn about the region you visited?"))
    about_own_region = models.TextField(_("What did you notice about your own region?"))
    submitted_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        verbose_name = _("reflection")
        verbose_name_plural = _("reflections")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["student", "programme"], name="one_reflection")
        ]

    def __str__(self) -> str:
        return f"{self.student_id} on {self.programme_id}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        visible = Student.visible_ids(principal, full=True)
        return any_of(
            Q(student_id__in=visible),
            Q(programme__host_municipality_id__in=principal.municipality_ids)
            if principal.municipality_ids
            else None,
        )

    @classmethod
    def full_access_filter(cls, principal: Principal) -> Q:
        return student_full_filter(principal)


# The residence funnel lives in its own module; imported here so Django finds it.
from .funnel import FunnelEntry, FunnelStage  # noqa: E402, F401
