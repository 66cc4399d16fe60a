"""Audit event codes written by the hosting doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

HOST_FAMILY_CREATE = event("host_family.create", _("Registered a host family"))
HOST_FAMILY_UPDATE = event("host_family.update", _("Changed a host family"))
HOST_FAMILY_LIST_VIEW = event("host_family.list.view", _("Viewed the host-family register"))
PLACEMENTS_VIEW = event("stay.placements.view", _("Viewed the guests to place with host families"))
HOST_REQUEST_SEND = event("host_request.send", _("Sent a request to a host family"))
HOST_REQUEST_HOST_ANSWER = event("host_request.host_answer", _("A host family answered a request"))
HOST_REQUEST_GUEST_ANSWER = event(
    "host_request.guest_answer", _("A guest answered a host family's offer")
)
HOST_GUESTS_VIEW = event("stay.host_guests.view", _("A host family viewed its guests"))
STAY_HEALTH_UPDATE = event("stay.health.update", _("Changed the health notes of a stay"))
STAY_HEALTH_VIEW = event("stay.health.view", _("A host family saw the health notes of a stay"))
STAY_HEALTH_CONSENT_GIVE = event(
    "stay.health.consent.give", _("Consented to showing health notes to the host family")
)
STAY_HEALTH_CONSENT_WITHDRAW = event(
    "stay.health.consent.withdraw", _("Withdrew the consent to show health notes to the host")
)
