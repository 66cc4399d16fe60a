from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ekkyo.core.codes import CodeError
from ekkyo.core.oneroster import normalize_board_code
from ekkyo.registry.models import School

from .services import translate_problem

MAX_ONEROSTER_BYTES = 50 * 1024 * 1024


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


class OneRosterUploadForm(forms.Form):
    """A OneRoster package for one school, or (``allow_board``) for a board of education."""

    school = SchoolChoiceField(
        queryset=School.objects.none(),
        label=_("School"),
        required=False,
        help_text=_("For one school's package."),
    )
    board = forms.CharField(
        label=_("Board of education code (教育委員会コード)"),
        required=False,
        max_length=12,
        help_text=_("For a board's package with all its schools: the 6-digit code, e.g. 064000."),
    )
    file = forms.FileField(
        label=_("OneRoster package (zip)"),
        help_text=_(
            "The zip file the school affairs system exported as OneRoster 1.2 (Japan "
            "Profile), up to 50 MB."
        ),
    )

    def __init__(self, *args: Any, schools: Any, allow_board: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        if not allow_board:
            del self.fields["board"]
            self.fields["school"].required = True
        if schools.count() == 1 and not allow_board:
            self.fields["school"].initial = schools.first()

    def clean_board(self) -> str:
        raw = self.cleaned_data.get("board") or ""
        if not raw.strip():
            return ""
        try:
            return normalize_board_code(raw)
        except CodeError as exc:
            raise forms.ValidationError(translate_problem(exc.problem)) from exc

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > MAX_ONEROSTER_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        if not f.name.lower().endswith(".zip"):
            raise forms.ValidationError(
                _("Upload the OneRoster package as a zip file (this file is %(name)s).")
                % {"name": f.name}
            )
        return f

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "board" in self.fields and bool(data.get("school")) == bool(data.get("board")):
            raise forms.ValidationError(
                _("Choose a school, or give a board of education code: one of the two.")
            )
        return data


class StudentFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or kana"), required=False)
    school = forms.CharField(label=_("School code"), required=False)
    grade = forms.IntegerField(label=_("Grade"), required=False, min_value=1, max_value=9)
