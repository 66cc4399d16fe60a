"""Accounts, roles and student sign-in codes.

A staff account's rights are its memberships: role + scope (consortium,
municipality, school, host or partner organisation), as DESIGN.md lists.
Students sign in without an email address, with a one-time code their
school coordinator issues (printed or shown as a QR for shared tablets).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import Consortium, Municipality, School
from ekkyo.tenancy.principal import ROLE_LABELS, Role


class User(AbstractUser):
    """Sign-in identity. Staff and guardians sign in by email; students by code."""

    email = models.EmailField(_("email address"), blank=True)
    display_name = models.CharField(_("name"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="ja"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_unique_ci"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or self.username


ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role if r not in (Role.STUDENT, Role.GUARDIAN)]


class Membership(models.Model):
    """One role of a staff account within one scope.

    consortium_admin → consortium; municipality_staff → municipality;
    school_staff → school; host → host family; partner → partner organisation.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=30, choices=ROLE_CHOICES)
    consortium = models.ForeignKey(
        Consortium, on_delete=models.CASCADE, related_name="staff_memberships"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    host_family = models.ForeignKey(
        "hosting.HostFamily", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.CharField(
        _("organisation"), max_length=120, blank=True, help_text=_("Hosts and partners.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="municipality_staff") | Q(municipality__isnull=False),
                name="municipality_staff_has_municipality",
            ),
            models.CheckConstraint(
                condition=~Q(role="school_staff") | Q(school__isnull=False),
                name="school_staff_has_school",
            ),
        ]

    def __str__(self) -> str:
        scope = self.school or self.municipality or self.organisation or self.consortium
        return f"{Role(self.role).label} — {scope}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class StudentSignInCode(models.Model):
    """A one-time sign-in code for a student, issued by their school.

    Only a hash of the code is stored. The QR token is a separate long random
    secret so that a scanned QR signs in directly on a shared tablet.
    """

    student = models.ForeignKey(
        "people.Student", on_delete=models.CASCADE, related_name="sign_in_codes"
    )
    login_id = models.CharField(_("login ID"), max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    qr_token_hash = models.CharField(max_length=128, unique=True)
    issued_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("student sign-in code")
        verbose_name_plural = _("student sign-in codes")

    def __str__(self) -> str:
        return f"{self.login_id} ({self.issued_at:%Y-%m-%d})"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class SignInLock(models.Model):
    """Failed-attempt counter per student login ID (lock-out after repeated failures)."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class SSOProvider(models.TextChoices):
    GOOGLE = "google", _("Google Workspace")
    MICROSOFT = "microsoft", _("Microsoft Entra ID")


class SignInIdentity(models.Model):
    """A Google Workspace domain or a Microsoft Entra tenant a school (or a
    town's board of education) owns, so that its people may sign in with it.

    Google: ``domain`` is the Workspace domain (the ID token's ``hd``).
    Microsoft: ``tenant_id`` is the directory's GUID (the ``tid`` claim) and
    ``domain`` the e-mail domain its accounts use. Values are normalised by
    ``ekkyo.core.sso``; one domain (and tenant) is registered by one owner.
    """

    provider = models.CharField(_("provider"), max_length=10, choices=SSOProvider.choices)
    domain = models.CharField(_("e-mail domain"), max_length=253)
    tenant_id = models.CharField(_("tenant id"), max_length=36, blank=True)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="sign_in_identities"
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sign_in_identities",
    )
    registered_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider", "domain", "tenant_id"]
        verbose_name = _("sign-in identity")
        verbose_name_plural = _("sign-in identities")
        constraints = [
            models.CheckConstraint(
                condition=Q(school__isnull=True) ^ Q(municipality__isnull=True),
                name="sign_in_identity_one_owner",
            ),
            models.CheckConstraint(
                condition=(Q(provider="google") & Q(tenant_id=""))
                | (Q(provider="microsoft") & ~Q(tenant_id="")),
                name="sign_in_identity_tenant_for_microsoft",
            ),
            models.UniqueConstraint(
                fields=["provider", "domain", "tenant_id"], name="sign_in_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        if self.provider == SSOProvider.MICROSOFT:
            return f"{self.get_provider_display()}: {self.domain} ({self.tenant_id})"
        return f"{self.get_provider_display()}: {self.domain}"

    @property
    def owner(self) -> School | Municipality:
        return self.school or self.municipality  # type: ignore[return-value]
