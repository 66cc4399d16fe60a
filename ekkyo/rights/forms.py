"""Forms of the rights pages: they parse and validate; the doors write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_KEEP_DAYS, MAX_KEEP_FISCAL_YEARS, RecordKind


class DeletionRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that the personal data will be deleted for good once the school "
            "approves, and that participation records stay, without the name, for the "
            "programme's figures."
        ),
        required=True,
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)


class RetentionPolicyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of record"), choices=RecordKind.choices)
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[
            ("days", _("days after the end")),
            ("fiscal_years", _("fiscal years after the end")),
        ],
    )
    value = forms.IntegerField(label=_("Period"), min_value=0, max_value=MAX_KEEP_DAYS)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        value = data.get("value")
        if value is not None and data.get("unit") == "days" and value < 1:
            self.add_error("value", _("At least one day."))
        if (
            value is not None
            and data.get("unit") == "fiscal_years"
            and value > MAX_KEEP_FISCAL_YEARS
        ):
            self.add_error("value", _("At most %(n)s fiscal years.") % {"n": MAX_KEEP_FISCAL_YEARS})
        return data
