"""The audit log: append-only records of sign-ins, refusals, views and exports.

The application cannot edit it: the model refuses updates and deletes, its
queryset refuses bulk changes, and a database trigger (see the migration)
aborts any UPDATE or DELETE that gets past them, on SQLite and PostgreSQL.
The actor is stored by id and label, not as a foreign key, so that removing
an account never rewrites history. Times are UTC.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ekkyo.tenancy.managers import TenantManager, TenantQuerySet, any_of
from ekkyo.tenancy.principal import Principal


class AuditError(RuntimeError):
    pass


class Action(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    LOCKED_OUT = "locked_out", _("Locked out")
    MFA_ENABLED = "mfa_enabled", _("Second factor enabled")
    ACCESS_DENIED = "access.denied", _("Access denied")
    VIEW = "view", _("Viewed personal data")
    EXPORT = "export", _("Exported personal data")
    IMPORT = "import", _("Imported data")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    ISSUE_CODE = "issue_code", _("Issued a sign-in code")


class AuditQuerySet(TenantQuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditError("The audit log is append-only.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AuditError("The audit log is append-only.")


class AuditManager(TenantManager):
    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset()
        return AuditQuerySet(model=qs.model, query=qs.query, using=qs.db)


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when (UTC)"), auto_now_add=True, db_index=True)
    consortium_id = models.BigIntegerField(_("consortium"), null=True, blank=True, db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    # A specific event code (``ekkyo.audit.events``), e.g. "student.sign_in_code.issue".
    action = models.CharField(_("event"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    path = models.CharField(_("path"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("from (IP)"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for writing and system jobs

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        base_manager_name = "_unscoped"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditError("The audit log is append-only.")

    @property
    def action_label(self) -> str:
        from .events import label_of

        return label_of(self.action)

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """Only the secretariat reads the log: its consortium's events, and events
        tied to no consortium (failed sign-ins for unknown addresses)."""
        return any_of(
            Q(consortium_id__in=principal.admin_consortium_ids) | Q(consortium_id__isnull=True)
            if principal.admin_consortium_ids
            else None
        )
