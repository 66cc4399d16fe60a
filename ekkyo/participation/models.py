"""Participation: the records that the KPIs count, and the only writers of them.

Stay (KPI ②), Residence (KPI ①), Attendance of online Sessions (KPI ③) and the
student's Reflection after a programme (feeds the portfolio). The tables keep
their ``programmes_*`` names: the models moved app without a database change
(docs/decisions.md, "Four apps out of programmes").
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme, Session, student_full_filter, student_related_filter
from ekkyo.registry.models import Municipality, School
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


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
        db_table = "programmes_stay"
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
        db_table = "programmes_residence"
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
        db_table = "programmes_attendance"
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
        db_table = "programmes_reflection"
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
