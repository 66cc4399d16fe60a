"""Audit event codes written by the survey doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

WAVE_CREATE = event("wave.create", _("Created a survey wave"))
WAVE_SHEET_VIEW = event("wave.sheet.view", _("Printed a survey sheet"))
WAVE_REMIND = event("wave.remind", _("Sent survey reminders to guardians"))
RESPONSE_IMPORT = event("response.import", _("Imported survey responses"))
IMPORT_MAPPING_SAVE = event("import_mapping.save", _("Saved a survey import mapping"))
SCHOOL_REPORT_VIEW = event("school_report.view", _("Viewed a school feedback report"))
SCHOOL_REPORT_EXPORT = event("school_report.export", _("Exported a school feedback report"))
