"""Audit event codes written by the allocation doors (one code per kind of action)."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

# --- the application workflow (services.py)
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

# --- seats (seat_services.py)
SEAT_CONFIRM = event("seat.confirm", _("Confirmed a seat by hand"))
SEAT_CANCEL = event("seat.cancel", _("Cancelled a seat"))
