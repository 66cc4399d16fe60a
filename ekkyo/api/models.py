"""Integration tokens and idempotency records of the REST API (``/api/v1/``).

A token belongs to a consortium (it acts as the secretariat) or to one of its
member towns (it acts as the town's staff); only the SHA-256 of its secret is
stored, the secret itself is shown once. An idempotency record is inserted
*before* a POST runs (unique per token and key), so a second request with the
same key finds it: in flight (409), another body (422), or done (replayed).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    PROGRAMMES_READ = "programmes:read", _("Read programmes and sessions")
    APPLICATIONS_READ = "applications:read", _("Read applications")
    PARTICIPATION_READ = "participation:read", _("Read stays and residences")
    PARTICIPATION_WRITE = "participation:write", _("Record stays and residences")
    ATTENDANCE_WRITE = "attendance:write", _("Record attendance of sessions")
    SURVEYS_WRITE = "surveys:write", _("Submit survey responses")
    KPIS_READ = "kpis:read", _("Read KPI figures after disclosure control")


class ApiToken(models.Model):
    consortium = models.ForeignKey(
        "registry.Consortium", on_delete=models.CASCADE, related_name="api_tokens"
    )
    # Set: the token acts as this town's staff; empty: as the secretariat.
    municipality = models.ForeignKey(
        "registry.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.revoked_at is None and self.expires_at > moment  # type: ignore[operator]


class IdempotencyRecord(models.Model):
    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # None: in flight
    response = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_unique_key"),
            models.CheckConstraint(
                condition=Q(status__isnull=True) | Q(status__gte=100), name="api_idempotency_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
