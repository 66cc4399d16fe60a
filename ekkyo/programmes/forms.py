from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import Municipality, School
from ekkyo.registry.selectors import schools_for_principal
from ekkyo.tenancy.principal import Principal

from .models import Programme, ProgrammeKind, ProgrammeQuestion, Session, Theme


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Keyword"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *ProgrammeKind.choices]
    )
    prefecture = forms.ChoiceField(label=_("Prefecture"), required=False)
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    open_now = forms.BooleanField(label=_("Accepting applications now"), required=False)
    for_me = forms.BooleanField(label=_("Only programmes open to me"), required=False)

    def __init__(self, *args: Any, prefectures: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prefecture"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (p.code, p.display_name) for p in prefectures
        ]
        self.fields["theme"].choices = [("", _("Any"))] + [  # type: ignore[attr-defined]
            (t.code, str(t)) for t in Theme.objects.all()
        ]


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "kind",
            "title",
            "title_en",
            "summary",
            "summary_en",
            "host_municipality",
            "host_school",
            "themes",
            "partners",
            "starts_on",
            "ends_on",
            "applications_open",
            "applications_close",
            "capacity",
            "school_level",
            "min_grade",
            "max_grade",
            "exclude_host_residents",
            "languages",
            "cost_yen",
            "cost_note",
            "accommodation",
        ]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "applications_open": DateTimeInput(),
            "applications_close": DateTimeInput(),
            "themes": forms.CheckboxSelectMultiple(),
            "partners": forms.CheckboxSelectMultiple(),
            "summary": forms.Textarea(attrs={"rows": 5}),
            "summary_en": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args: Any, principal: Principal, consortium_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = schools_for_principal(principal)
        munis = Municipality.objects.filter(
            Q(memberships__consortium_id__in=principal.admin_consortium_ids)
            | Q(pk__in=principal.municipality_ids)
            | Q(schools__in=schools.filter(pk__in=principal.school_ids))
        ).distinct()
        self.fields["host_municipality"].queryset = munis  # type: ignore[attr-defined]
        self.fields["host_school"].queryset = School.objects.filter(  # type: ignore[attr-defined]
            pk__in=schools.values("pk")
        )
        from ekkyo.partners.models import Partner

        self.fields["partners"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            consortium_id=consortium_id
        )

    def clean_languages(self) -> str:
        langs = [x.strip().lower() for x in self.cleaned_data["languages"].split(",") if x.strip()]
        bad = [x for x in langs if x not in {"ja", "en"}]
        if bad or not langs:
            raise forms.ValidationError(_("Write ja, en or both, separated by a comma."))
        return ",".join(dict.fromkeys(langs))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The last day is before the first day."))
        opens, closes = data.get("applications_open"), data.get("applications_close")
        if opens and closes and closes <= opens:
            self.add_error("applications_close", _("Applications must close after they open."))
        lo, hi = data.get("min_grade"), data.get("max_grade")
        if lo and hi and hi < lo:
            self.add_error("max_grade", _("The highest grade is below the lowest."))
        if not data.get("host_municipality") and not data.get("host_school"):
            self.add_error("host_municipality", _("Choose the host municipality or school."))
        return data


class SessionForm(forms.ModelForm):
    meeting_url = forms.URLField(label=_("meeting link"), required=False, assume_scheme="https")

    class Meta:
        model = Session
        fields = ["kind", "title", "starts_at", "ends_at", "place", "meeting_url"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The session must end after it starts."))
        return data


class SeatConfirmForm(forms.Form):
    school = forms.CharField(label=_("School code"), max_length=13)
    student_number = forms.CharField(label=_("Student number"), max_length=32)


class QuestionForm(forms.ModelForm):
    class Meta:
        model = ProgrammeQuestion
        fields = ["text", "text_en", "required", "max_length"]
