"""Programmes: the catalogue and its editing (the second pillar, new flows of people).

Programme → (published in the catalogue) → Application in an AllocationRound
(``ekkyo.allocation``: ranked choices, guardian consent, school approval) →
Seat (by allocation or confirmed by hand) → participation records that the
KPIs count (``ekkyo.participation``): Stay (KPI ②), Residence (KPI ①) and
Attendance of online Sessions (KPI ③). The residence funnel is ``ekkyo.funnel``.

Programmes themselves are public (the catalogue); everything about a student
is personal data and goes through TenantManager. ``student_related_filter``
and ``student_full_filter`` are the tenancy filters of rows about a student
on a programme, shared by the allocation and participation models.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ekkyo.partners.models import Partner
from ekkyo.people.models import Student
from ekkyo.registry.models import Consortium, Municipality, School
from ekkyo.tenancy.managers import any_of
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
