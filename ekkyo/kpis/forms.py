"""Forms of the KPI pages: the annual report's text and a partner's contribution.

Forms parse and validate only; the doors in ``kpis.services`` write.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from ekkyo.partners.models import Contribution, ContributionKind

from .models import AnnualReport
from .selectors import ContributionChoices


class ReportForm(forms.ModelForm):
    class Meta:
        model = AnnualReport
        fields = ["causes", "improvements"]
        widgets = {
            "causes": forms.Textarea(attrs={"rows": 8}),
            "improvements": forms.Textarea(attrs={"rows": 8}),
        }


class ContributionForm(forms.ModelForm):
    class Meta:
        model = Contribution
        fields = [
            "partner", "kind", "programme", "municipality", "amount_yen", "hours",
            "description", "received_on",
        ]  # fmt: skip
        widgets = {"received_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, choices: ContributionChoices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = choices.partners  # type: ignore[attr-defined]
        self.fields["programme"].queryset = choices.programmes  # type: ignore[attr-defined]
        self.fields["municipality"].queryset = choices.towns  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == ContributionKind.MENTOR_HOURS and not data.get("hours"):
            self.add_error("hours", _("Give the mentors' hours."))
        if kind in (ContributionKind.MONEY, ContributionKind.FURUSATO) and not data.get(
            "amount_yen"
        ):
            self.add_error("amount_yen", _("Give the amount in yen."))
        if not data.get("hours") and not data.get("amount_yen"):
            self.add_error(None, _("Give an amount in yen or a number of hours."))
        return data
