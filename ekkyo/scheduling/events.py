"""Audit event codes written by the scheduling doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

TIMETABLE_SAVE = event("timetable.save", _("Saved a bell schedule"))
TIMETABLE_IMPORT = event("timetable.import", _("Imported a bell schedule"))
CALENDAR_IMPORT = event("calendar.import", _("Imported school calendar events"))
CALENDAR_EVENT_CREATE = event("calendar.event.create", _("Added a school calendar event"))
CALENDAR_EVENT_DELETE = event("calendar.event.delete", _("Deleted a school calendar event"))
SESSION_BOOK = event("session.book", _("Booked a session in a common slot"))
