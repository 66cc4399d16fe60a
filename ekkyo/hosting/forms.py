"""Forms of the hosting pages (they validate; the services write)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from ekkyo.tenancy.principal import Principal

from .matching import ALLERGENS, DIETS
from .models import HostFamily
from .selectors import host_family_municipalities
from .services import FAMILY_FIELDS


class HostFamilyForm(forms.ModelForm):
    class Meta:
        model = HostFamily
        fields = list(FAMILY_FIELDS)
        widgets = {
            f: forms.DateInput(attrs={"type": "date"})
            for f in (
                "available_from",
                "available_until",
                "background_check_on",
                "background_check_until",
            )
        }

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = host_family_municipalities(principal)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lo, hi = data.get("min_age"), data.get("max_age")
        if lo is not None and hi is not None and hi < lo:
            self.add_error("max_age", gettext_lazy("The oldest age is below the youngest."))
        a, b = data.get("available_from"), data.get("available_until")
        if a and b and b < a:
            self.add_error("available_until", gettext_lazy("The end is before the start."))
        return data


class WeightsForm(forms.Form):
    language = forms.FloatField(label=gettext_lazy("Shared language"), min_value=0, initial=3)
    distance = forms.FloatField(label=gettext_lazy("Near the school"), min_value=0, initial=2)
    diet = forms.FloatField(label=gettext_lazy("Diet provided"), min_value=0, initial=2)
    pets = forms.FloatField(label=gettext_lazy("No pets if preferred"), min_value=0, initial=1)


class HealthForm(forms.Form):
    allergies = forms.MultipleChoiceField(
        label=gettext_lazy("Food allergies"),
        required=False,
        choices=[(a, a) for a in ALLERGENS],
        widget=forms.CheckboxSelectMultiple,
    )
    diet = forms.MultipleChoiceField(
        label=gettext_lazy("Diet"),
        required=False,
        choices=[(d, d) for d in DIETS],
        widget=forms.CheckboxSelectMultiple,
    )
    pet_allergy = forms.BooleanField(label=gettext_lazy("Allergic to pets"), required=False)
    prefers_no_pets = forms.BooleanField(
        label=gettext_lazy("Prefers a home without pets"), required=False
    )
    notes = forms.CharField(
        label=gettext_lazy("Other notes for the host (medicine, care)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    share_with_host = forms.BooleanField(
        label=gettext_lazy("I consent to the host family seeing these notes for this stay."),
        required=False,
    )
