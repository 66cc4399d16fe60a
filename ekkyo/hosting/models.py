"""The host-family register (ホストファミリー登録) of each member town.

A host family's household data is personal data of adults (class IV, and
contact details); it is visible to the secretariat, the staff of the town
that keeps the register, and the family itself. Guests' fields that a host
sees are limited in ``selectors.guest_view`` (DESIGN.md: only what is needed
to host them).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ekkyo.people.models import Student
from ekkyo.registry.models import Consortium, Municipality
from ekkyo.tenancy.managers import TenantManager, any_of
from ekkyo.tenancy.principal import Principal


class HostFamily(models.Model):
    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="+")
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("town"), on_delete=models.PROTECT, related_name="host_families"
    )
    name = models.CharField(_("household name"), max_length=100)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    household = models.CharField(
        _("household"),
        max_length=200,
        blank=True,
        help_text=_("Who lives there (no names needed)."),
    )
    guest_capacity = models.PositiveSmallIntegerField(_("guests at a time"), default=1)
    languages = models.CharField(_("languages"), max_length=40, default="ja")
    diet_options = models.CharField(
        _("diets provided"), max_length=200, blank=True, help_text=_("e.g. vegetarian, halal")
    )
    allergy_ok = models.CharField(
        _("allergies handled safely"), max_length=200, blank=True, help_text=_("e.g. egg, milk")
    )
    pets = models.BooleanField(_("pets in the home"), default=False)
    accepts_genders = models.CharField(
        _("accepted genders"), max_length=40, default="female,male,other"
    )
    min_age = models.PositiveSmallIntegerField(_("youngest guest age"), default=12)
    max_age = models.PositiveSmallIntegerField(_("oldest guest age"), default=18)
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    background_check_on = models.DateField(_("background check done on"), null=True, blank=True)
    background_check_until = models.DateField(
        _("background check valid until"), null=True, blank=True
    )
    distance_km = models.DecimalField(
        _("distance to the school (km)"), max_digits=5, decimal_places=1, default=0
    )
    active = models.BooleanField(_("accepting guests"), default=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["municipality__code", "name"]
        verbose_name = _("host family")
        verbose_name_plural = _("host families")
        base_manager_name = "_unscoped"
        constraints = [
            models.CheckConstraint(condition=Q(max_age__gte=F("min_age")), name="host_ages")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return any_of(
            Q(consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            Q(municipality_id__in=principal.municipality_ids)
            if principal.municipality_ids
            else None,
            Q(pk__in=principal.host_ids) if principal.host_ids else None,
        )


class RequestStatus(models.TextChoices):
    SENT = "sent", _("Sent to the host")
    HOST_ACCEPTED = "host_accepted", _("Accepted by the host")
    HOST_DECLINED = "host_declined", _("Declined by the host")
    CONFIRMED = "confirmed", _("Confirmed by the student")
    STUDENT_DECLINED = "student_declined", _("Declined by the student")
    WITHDRAWN = "withdrawn", _("Withdrawn by the town")


class HostRequest(models.Model):
    """A request (照会) to a host family to host one guest's stay.

    Sent by the host town; the family accepts or declines; then the student
    (with their guardian) confirms, which places the stay with the family.
    """

    stay = models.ForeignKey(
        "participation.Stay", on_delete=models.CASCADE, related_name="host_requests"
    )
    host_family = models.ForeignKey(HostFamily, on_delete=models.CASCADE, related_name="requests")
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SENT
    )
    score = models.FloatField(_("suggestion score"), null=True, blank=True)
    sent_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()
    _unscoped = models.Manager()  # noqa: DJ012 — unscoped, for services after an access check

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("host request")
        verbose_name_plural = _("host requests")
        base_manager_name = "_unscoped"
        constraints = [
            models.UniqueConstraint(
                fields=["stay", "host_family"],
                condition=~Q(status__in=["host_declined", "student_declined", "withdrawn"]),
                name="one_open_request_per_stay_and_host",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stay_id} → {self.host_family_id} ({self.status})"

    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q:
        return any_of(
            Q(host_family__consortium_id__in=principal.admin_consortium_ids)
            if principal.admin_consortium_ids
            else None,
            Q(host_family__municipality_id__in=principal.municipality_ids)
            if principal.municipality_ids
            else None,
            Q(host_family_id__in=principal.host_ids) if principal.host_ids else None,
            Q(stay__student_id=principal.student_id) if principal.student_id else None,
            Q(stay__student_id__in=principal.child_student_ids)
            if principal.child_student_ids
            else None,
        )

    @classmethod
    def full_access_filter(cls, principal: Principal) -> Q:
        """Requests the principal sees about a student it sees in full (the
        student, their guardians, the secretariat): the family and the host town
        see a request for hosting only, so the guest's answer needs this."""
        if principal.system:
            return Q()
        return cls.tenancy_filter(principal) & Q(
            stay__student_id__in=Student.visible_ids(principal, full=True)
        )
