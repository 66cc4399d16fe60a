"""Partner organisations (社会資源): companies, universities, NPOs and donors.

Organisations, not people: no personal data here. Contributions (money,
mentors' hours, venues, in kind) and their link to fiscal years come with
the KPI and reporting work.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import Consortium, Municipality


class PartnerKind(models.TextChoices):
    COMPANY = "company", _("Company")
    UNIVERSITY = "university", _("University")
    NPO = "npo", _("NPO")
    DONOR = "donor", _("Donor")
    PUBLIC = "public", _("Public body")
    OTHER = "other", _("Other")


class Partner(models.Model):
    consortium = models.ForeignKey(Consortium, on_delete=models.CASCADE, related_name="partners")
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    name = models.CharField(_("name"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("based in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(fields=["consortium", "name"], name="partner_name_unique")
        ]

    def __str__(self) -> str:
        en = (get_language() or "ja").startswith("en")
        return self.name_en if en and self.name_en else self.name


class ContributionKind(models.TextChoices):
    MONEY = "money", _("Money")
    FURUSATO = "furusato", _("Corporate hometown tax donation (企業版ふるさと納税)")
    MENTOR_HOURS = "mentor_hours", _("Mentors' hours")
    VENUE = "venue", _("Venue")
    IN_KIND = "in_kind", _("In kind")


class Contribution(models.Model):
    """What a partner gives in one fiscal year (社会資源): money, hours, a venue, goods.

    Amounts are yen for money and 企業版ふるさと納税, hours for mentors; a
    venue or a gift in kind may carry its estimated value in yen.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contributions")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    kind = models.CharField(_("kind"), max_length=20, choices=ContributionKind.choices)
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
    )
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("for member town"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    amount_yen = models.PositiveBigIntegerField(_("amount or value (yen)"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=1, null=True, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    received_on = models.DateField(_("date"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-fiscal_year", "partner__name"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_yen__isnull=False) | models.Q(hours__isnull=False),
                name="contribution_has_amount_or_hours",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} FY{self.fiscal_year} {self.get_kind_display()}"
