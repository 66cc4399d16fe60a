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
