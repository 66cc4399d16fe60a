"""Audit event codes written by the programmes doors (one code per kind of action).

Catalogue and editing (``services``), the application workflow
(``applications``), participation records that the KPIs count
(``participation``) and the residence funnel (``funnel_services``).
"""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

# --- catalogue and editing (services.py)
PROGRAMME_CREATE = event("programme.create", _("Created a programme"))
PROGRAMME_UPDATE = event("programme.update", _("Edited a programme"))
PROGRAMME_PUBLISH = event("programme.publish", _("Published a programme"))
PROGRAMME_CANCEL = event("programme.cancel", _("Cancelled a programme"))
SESSION_CREATE = event("session.create", _("Added a session to a programme"))
QUESTION_CREATE = event("question.create", _("Added a question for applicants"))
QUESTION_DELETE = event("question.delete", _("Removed a question for applicants"))
SEAT_CONFIRM = event("seat.confirm", _("Confirmed a seat by hand"))
SEAT_CANCEL = event("seat.cancel", _("Cancelled a seat"))

# --- the application workflow (applications.py)
APPLICATION_SAVE = event("application.save", _("Saved an application's choices"))
APPLICATION_SUBMIT = event("application.submit", _("Submitted an application"))
APPLICATION_WITHDRAW = event("application.withdraw", _("Withdrew an application"))
APPLICATION_APPROVE = event("application.approve", _("The school approved an application"))
APPLICATION_DECLINE = event("application.decline", _("The school declined an application"))
CONSENT_GIVE = event("consent.give", _("A guardian gave consent"))
CONSENT_WITHDRAW = event("consent.withdraw", _("A guardian withdrew consent"))
ROUND_CREATE = event("round.create", _("Created an allocation round"))
ROUND_STATUS_SET = event("round.status.set", _("Opened or closed an allocation round"))
ROUND_ALLOCATE = event("round.allocate", _("Ran the allocation of a round"))
ROUND_PUBLISH = event("round.publish", _("Published the results of a round"))
ROUND_WAITLIST_FILL = event("round.waitlist.fill", _("Offered freed seats from waiting lists"))
ROUND_SECOND = event("round.second", _("Prepared a second round for free seats"))

# --- participation records (participation.py)
ATTENDANCE_RECORD = event("attendance.record", _("Recorded attendance by hand"))
ATTENDANCE_IMPORT = event("attendance.import", _("Imported attendance from a meeting report"))
STAY_CREATE_FROM_SEATS = event("stay.create_from_seats", _("Created stays from seats"))
STAY_CANCELLED_SET = event("stay.cancelled.set", _("Cancelled or restored a stay"))
RESIDENCE_CREATE = event("residence.create", _("Recorded a residence"))
REFLECTION_SAVE = event("reflection.save", _("Saved a reflection"))

# --- the residence funnel (funnel_services.py)
FUNNEL_GRID_SAVE = event("funnel.grid.save", _("Saved a town's residence funnel"))
FUNNEL_IMPORT = event("funnel.import", _("Imported a town's residence funnel"))
FUNNEL_OVERVIEW_VIEW = event("funnel.overview.view", _("Viewed the residence funnel overview"))
