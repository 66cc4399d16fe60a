from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EventKindChoices, Weekday


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int)
    number = forms.IntegerField(label=_("Period"), min_value=1, max_value=19)
    starts = forms.TimeField(label=_("Starts"), widget=TimeInput())
    ends = forms.TimeField(label=_("Ends"), widget=TimeInput())
    label = forms.CharField(label=_("Subject or name"), max_length=60, required=False)
    preferred = forms.BooleanField(label=_("Open to cross-school learning"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", _("The period must end after it starts."))
        return data


PeriodFormSet = forms.formset_factory(PeriodForm, extra=3, can_delete=True, max_num=140)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKindChoices.choices)
    start_date = forms.DateField(label=_("First day"), widget=DateInput())
    end_date = forms.DateField(
        label=_("Last day"),
        widget=DateInput(),
        required=False,
        help_text=_("Leave empty for a single day."),
    )
    title = forms.CharField(label=_("Title"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and not end:
            data["end_date"] = start
        elif start and end:
            if end < start:
                self.add_error("end_date", _("The last day is before the first day."))
            elif end - start > timedelta(days=366):
                self.add_error("end_date", _("An event lasts at most a year."))
        return data


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        help_text=_("UTF-8 or Shift_JIS (CP932) CSV, or the first sheet of an .xlsx workbook."),
    )


class SlotSearchForm(forms.Form):
    schools: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Participating schools"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )
    first = forms.DateField(label=_("From"), widget=DateInput())
    last = forms.DateField(label=_("Until"), widget=DateInput())
    length = forms.IntegerField(
        label=_("Length (minutes)"), min_value=10, max_value=240, initial=50
    )
    only_preferred = forms.BooleanField(
        label=_("Only in periods open to cross-school learning"), required=False
    )
    only_labels = forms.CharField(
        label=_("Only in periods named"),
        required=False,
        max_length=200,
        help_text=_("Comma-separated, e.g. 総合的な探究の時間. Leave empty for any period."),
    )

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The end of the range is before its start."))
            elif last - first > timedelta(days=400):
                self.add_error("last", _("Search at most about one school year at a time."))
        return data

    def labels(self) -> frozenset[str]:
        raw = self.cleaned_data.get("only_labels") or ""
        return frozenset(x.strip() for x in raw.replace("、", ",").split(",") if x.strip())


class BookForm(forms.Form):
    day = forms.DateField()
    start = forms.IntegerField(min_value=0, max_value=24 * 60)
    end = forms.IntegerField(min_value=1, max_value=24 * 60)
    title = forms.CharField(label=_("Session title"), max_length=150)
    meeting_url = forms.URLField(label=_("Meeting link"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            raise forms.ValidationError(_("The slot must end after it starts."))
        return data


def default_range(today: date) -> tuple[date, date]:
    return today + timedelta(days=1), today + timedelta(days=42)
