"""Forms of the team pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ekkyo.partners.models import Partner

from .models import PostKind, TeamSet

MAX_FILE_BYTES = 10 * 1024 * 1024


def _weight(label: Any, default: float, help_text: Any) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        initial=default,
        min_value=0,
        max_value=10,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": "10"}),
    )


class FormTeamsForm(forms.Form):
    name = forms.CharField(label=_("Name of the team set"), max_length=120, required=False)
    team_size = forms.IntegerField(
        label=_("Students per team"), min_value=2, max_value=12, initial=4
    )
    method = forms.ChoiceField(
        label=_("Method"),
        initial="auto",
        choices=[
            ("auto", _("Automatic (exact for small groups, otherwise fast search)")),
            ("exact", _("Exact (CP-SAT; may take a few seconds)")),
            ("heuristic", _("Fast search")),
        ],
    )
    regions = _weight(_("Weight: mixed regions"), 3.0, _("Different home towns and prefectures."))
    interests = _weight(_("Weight: shared interests"), 2.0, _("Themes the students ranked."))
    grades = _weight(_("Weight: balance of grades"), 1.0, "")
    genders = _weight(_("Weight: balance of genders"), 1.0, "")
    no_isolation = _weight(
        _("Weight: nobody alone"), 2.0, _("Nobody is the only one of their gender or grade.")
    )
    previous: forms.ModelChoiceField[TeamSet] = forms.ModelChoiceField(
        label=_("New teammates compared with"),
        queryset=None,  # the programme's sets, given to __init__ (programme_team_sets)
        required=False,
        empty_label=_("(no earlier team set)"),
        help_text=_("Students who were together there are put with new teammates when possible."),
    )

    def __init__(self, *args: Any, team_sets: QuerySet[TeamSet], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["previous"].queryset = team_sets  # type: ignore[attr-defined]

    def weights(self) -> dict[str, float]:
        keys = ("regions", "interests", "grades", "genders", "no_isolation")
        return {k: float(self.cleaned_data[k]) for k in keys}


class PostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PostKind.choices, initial=PostKind.POST)
    body = forms.CharField(
        label=_("Message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput, required=False)


class FileForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG, JPEG, Word, Excel, PowerPoint or text; at most 10 MB."),
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Reason for hiding"), max_length=200)


class MentorForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner organisation"), queryset=Partner.objects.none()
    )
    name = forms.CharField(label=_("Mentor's name"), max_length=100)
    role = forms.CharField(label=_("Role"), max_length=100, required=False)

    def __init__(self, *args: Any, consortium_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            consortium_id=consortium_id
        )


class ThemeForm(forms.Form):
    theme = forms.CharField(label=_("Theme (regional issue)"), max_length=200, required=False)
