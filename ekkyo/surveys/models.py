"""Evaluation surveys: instrument versions, waves, tokens and responses.

A wave keeps the exact instrument version it ran with (code, version and a
content fingerprint). In linked mode every student gets an opaque token and
responses carry the student's pseudonym (never a name), so pre and post
waves join; in anonymous mode a class QR is shared and nothing links a
response to a person — not even for the secretariat (no token, no
pseudonym, and only the date of submission, not the time).

Answers to class I items (health) are stored encrypted, apart from the rest.
"""

from __future__ import annotations

import functools

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.people.models import Student
from ekkyo.programmes.models import Programme
from ekkyo.registry.models import Consortium, School
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


@functools.lru_cache(maxsize=32)
def _parse_instrument(fingerprint: str, source_yaml: str):  # type: ignore[no-untyped-def]
    from ekkyo.core.instrument import load_instrument

    return load_instrument(source_yaml)


class InstrumentVersion(models.Model):
    code = models.SlugField(_("code"))
    version = models.CharField(_("version"), max_length=30)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, unique=True)
    audience = models.CharField(_("audience"), max_length=10)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    source_yaml = models.TextField(_("definition (YAML)"))
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-loaded_at"]
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.version}"

    def parsed(self):  # type: ignore[no-untyped-def]
        """The parsed instrument, cached per content fingerprint (immutable)."""
        return _parse_instrument(self.fingerprint, self.source_yaml)


class WaveKind(models.TextChoices):
    ANNUAL = "annual", _("Annual (consortium-wide)")
    PRE = "pre", _("Before a programme")
    POST = "post", _("After a programme")


class WaveMode(models.TextChoices):
    LINKED = "linked", _("Linked (per-student token; pre and post join)")
    ANONYMOUS = "anonymous", _("Anonymous (no link to any person)")


class Wave(models.Model):
    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="waves")
    instrument = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="waves"
    )
    title = models.CharField(_("title"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=WaveKind.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=WaveMode.choices)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="waves"
    )
    paired_with = models.ForeignKey(
        "self",
        verbose_name=_("pre wave of this post wave"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    schools = models.ManyToManyField(School, verbose_name=_("schools"), blank=True)
    grades = models.CharField(_("grades"), max_length=40, blank=True, help_text=_("e.g. 1,2,3"))
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="wave_window"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: object = None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at  # type: ignore[operator]


class SurveyToken(models.Model):
    """A linked-mode invitation: one opaque token per student and wave.

    Only a hash of the token is stored; the printed QR carries the token.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="tokens")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="survey_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        verbose_name = _("survey token")
        verbose_name_plural = _("survey tokens")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["wave", "student"], name="one_token_per_student")
        ]

    def __str__(self) -> str:
        return f"{self.wave_id}/{self.student_id}"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        visible = Student.visible_ids(principal, full=True)
        return Q(student_id__in=visible)


class ClassLink(models.Model):
    """A class QR for tablets: the wave, a school and a grade, no person."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="class_links")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"{self.wave_id}/{self.school_id}/{self.grade}"


class Response(models.Model):
    """One submitted questionnaire. ``client_id`` makes submission idempotent."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    client_id = models.UUIDField()
    content_hash = models.CharField(max_length=64)
    # Linked mode: the student's pseudonym (not the student), so pre and post join.
    respondent = models.UUIDField(null=True, blank=True, db_index=True)
    # Set when the answers are unlinked from the student (erasure): the home
    # town they were counted under, so KPI ④ (town rows by home) does not change.
    home_municipality_code = models.CharField(max_length=6, blank=True, default="")
    school = models.ForeignKey(
        School, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    grade = models.PositiveSmallIntegerField(null=True, blank=True)
    answers = models.JSONField(default=dict)
    class1_encrypted = models.TextField(blank=True)
    submitted_on = models.DateField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, default="web")

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(fields=["wave", "client_id"], name="response_client_id_once"),
            models.UniqueConstraint(
                fields=["wave", "respondent"],
                condition=Q(respondent__isnull=False),
                name="one_linked_response_per_student",
            ),
        ]
        indexes = [models.Index(fields=["wave", "school"])]

    def __str__(self) -> str:
        return str(self.client_id)

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """Responses are figures' raw material: the secretariat and the
        respondent's own school only (reports leave through disclosure control)."""
        return any_of(
            Q(wave__consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            Q(school_id__in=principal.school_ids) if principal.school_ids else None,
        )


class ImportMapping(models.Model):
    """A saved column-to-item mapping for one source (e.g. a Google Form)."""

    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("source name"), max_length=100)
    instrument = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="+")
    mapping = models.JSONField(_("column → item"), default=dict)
    respondent_column = models.CharField(_("respondent column"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(fields=["consortium", "name"], name="import_mapping_name")
        ]

    def __str__(self) -> str:
        return self.name
