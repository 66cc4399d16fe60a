"""Audit event codes written by the participation doors (one code per kind of action)."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

# --- participation records (services.py)
ATTENDANCE_RECORD = event("attendance.record", _("Recorded attendance by hand"))
ATTENDANCE_IMPORT = event("attendance.import", _("Imported attendance from a meeting report"))
STAY_CREATE_FROM_SEATS = event("stay.create_from_seats", _("Created stays from seats"))
STAY_CANCELLED_SET = event("stay.cancelled.set", _("Cancelled or restored a stay"))
RESIDENCE_CREATE = event("residence.create", _("Recorded a residence"))
REFLECTION_SAVE = event("reflection.save", _("Saved a reflection"))
