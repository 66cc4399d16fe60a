"""Audit event codes written by the people doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

STUDENT_VIEW = event("student.view", _("Viewed a student's profile"))
STUDENT_LIST_VIEW = event("student.list.view", _("Viewed the student list"))
STUDENT_EXPORT = event("student.export", _("Exported students"))
ROSTER_UPLOAD = event("roster.upload", _("Uploaded a roster for preview"))
ROSTER_IMPORT = event("roster.import", _("Imported a roster"))
ROSTER_DISCARD = event("roster.discard", _("Discarded a roster upload"))
ONEROSTER_UPLOAD = event("oneroster.upload", _("Uploaded a OneRoster package for preview"))
ONEROSTER_IMPORT = event("oneroster.import", _("Imported a OneRoster package"))
ONEROSTER_DISCARD = event("oneroster.discard", _("Discarded a OneRoster upload"))
