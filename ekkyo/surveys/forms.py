"""Forms of the staff survey pages: a new wave, and a responses file to import.

Forms parse and validate only; the doors in ``surveys.services`` and
``surveys.imports`` write.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from ekkyo.registry.selectors import schools_for_principal
from ekkyo.tenancy.principal import Principal

from .models import InstrumentVersion, Wave


class WaveForm(forms.ModelForm):
    class Meta:
        model = Wave
        fields = [
            "title",
            "instrument",
            "kind",
            "mode",
            "fiscal_year",
            "programme",
            "paired_with",
            "schools",
            "grades",
            "opens_at",
            "closes_at",
        ]
        widgets = {
            "opens_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "schools": forms.CheckboxSelectMultiple(),
        }

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools_for_principal(principal)  # type: ignore[attr-defined]
        self.fields["instrument"].queryset = InstrumentVersion.objects.all()  # type: ignore[attr-defined]
        self.fields["paired_with"].queryset = Wave.objects.filter(  # type: ignore[attr-defined]
            consortium_id__in=principal.admin_consortium_ids
        )
        from ekkyo.programmes.models import Programme

        self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
            consortium_id__in=principal.admin_consortium_ids
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", gettext_lazy("The survey must close after it opens."))
        grades = data.get("grades") or ""
        if any(not g.strip().isdigit() for g in grades.split(",") if g.strip()):
            self.add_error("grades", gettext_lazy("Write grades as numbers separated by commas."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Responses file (CSV or Excel)"))
    source = forms.CharField(
        label=gettext_lazy("Source name"),
        max_length=100,
        help_text=gettext_lazy("e.g. “Google Forms 2026 annual”; its column mapping is saved."),
    )
    respondent_column = forms.CharField(
        label=gettext_lazy("Respondent column (optional)"), max_length=100, required=False
    )
    apply = forms.BooleanField(
        label=gettext_lazy("Import now (otherwise only check)"), required=False
    )
