"""Audit event codes written by the programmes doors (catalogue and editing).

The allocation, participation and funnel apps register their own codes in
their ``events.py``; the codes themselves did not change when they moved.
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
