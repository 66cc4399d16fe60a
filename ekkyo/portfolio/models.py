"""A student's 越境 portfolio and what they choose to share of it.

The portfolio itself is not stored: it is read from the participation
records, reflections, teams and the student's own linked survey answers
(``selectors.portfolio_for``). What is stored is the student's decision to
share: a PortfolioShare names the recipient (a school, a university
admission office, …), the sections shown, an unguessable link token, an
optional expiry, and the moment it was withdrawn. A withdrawn or expired
share shows nothing; every view of a live one is audit-logged.

Only the student and their guardians reach shares through the tenancy
layer; staff do not (a school sees what a student shared with it through
the link, like any other recipient).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.people.models import Student
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


class Section(models.TextChoices):
    PROGRAMMES = "programmes", _("Programmes taken")
    REGIONS = "regions", _("Regions connected")
    TEAMS = "teams", _("Teams")
    REFLECTIONS = "reflections", _("Reflections")
    GROWTH = "growth", _("My survey growth")


SECTIONS: tuple[str, ...] = tuple(s.value for s in Section)


class RecipientKind(models.TextChoices):
    SCHOOL = "school", _("A school")
    UNIVERSITY = "university", _("A university admission office")
    OTHER = "other", _("Someone else")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class PortfolioShare(models.Model):
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="portfolio_shares")
    recipient_kind = models.CharField(
        _("shared with"), max_length=12, choices=RecipientKind.choices
    )
    recipient_label = models.CharField(
        _("name of the recipient"),
        max_length=120,
        help_text=_("For example the school or university and office you send the link to."),
    )
    sections = models.JSONField(_("sections shown"), default=list)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    # A double submit of the share form creates one share, not two.
    request_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for the share link after a token check

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("portfolio share")
        verbose_name_plural = _("portfolio shares")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "request_key"],
                condition=~Q(request_key=""),
                name="portfolio_share_request_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.recipient_label}"

    def is_live(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.withdrawn_at is None and (self.expires_at is None or now < self.expires_at)

    @property
    def section_labels(self) -> list[str]:
        labels = dict(Section.choices)
        return [str(labels[s]) for s in SECTIONS if s in self.sections]

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        """The student and their guardians only — not staff (see the module docstring)."""
        return any_of(
            Q(student_id=principal.student_id) if principal.student_id else None,
            Q(student_id__in=principal.child_student_ids) if principal.child_student_ids else None,
        )
