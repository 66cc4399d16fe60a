from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ekkyo.registry.models import School


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} ({obj.code})"


class RosterUploadForm(forms.Form):
    school = SchoolChoiceField(queryset=School.objects.none(), label=_("School"))
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_("CSV (UTF-8 or Shift_JIS as Excel saves it) or Excel .xlsx, up to 10 MB."),
    )

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        if schools.count() == 1:
            self.fields["school"].initial = schools.first()

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        name = f.name.lower()
        if not name.endswith((".csv", ".txt", ".tsv", ".xlsx", ".xls")):
            raise forms.ValidationError(
                _("Upload a CSV file or an Excel .xlsx file (this file is %(name)s).")
                % {"name": f.name}
            )
        return f


class StudentFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or kana"), required=False)
    school = forms.CharField(label=_("School code"), required=False)
    grade = forms.IntegerField(label=_("Grade"), required=False, min_value=1, max_value=9)
