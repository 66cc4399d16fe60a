"""Emails for application status changes, in each recipient's language.

Students usually have no email address; their guardians get the message,
and a student account with an address gets it too. Sending happens after
the transaction commits, so a rolled-back change never emails anyone. The
same events show on the applicant's to-do list (``todo_for``), so nobody
depends on email. The application and its recipients are read by selectors
(``notice_application``, ``notice_recipients``): this module queries nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .selectors import notice_application, notice_recipients

logger = logging.getLogger("ekkyo.notifications")

SUBJECTS = {
    "submitted": gettext_noop("Your application was submitted"),
    "consent_given": gettext_noop("A guardian gave consent"),
    "consent_withdrawn": gettext_noop("A guardian withdrew consent"),
    "approved": gettext_noop("The school approved the application"),
    "declined": gettext_noop("The school declined the application"),
    "withdrawn": gettext_noop("The application was withdrawn"),
    "published": gettext_noop("The results of the allocation round"),
}
DEFAULT_SUBJECT = gettext_noop("Your application")


_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar("ekkyo_mail_off", default=False)


@contextlib.contextmanager
def suppressed() -> Iterator[None]:
    """No emails inside this block (loading demo data, re-running history)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def application_changed(application: Any, event: str) -> None:
    """Queue the emails for ``event`` until the current transaction commits."""
    if _suppressed.get():
        return
    application_id = application.pk
    transaction.on_commit(lambda: _send(application_id, event))


def _send(application_id: int, event: str) -> None:
    application = notice_application(application_id)
    if application is None:
        return
    for email, lang in notice_recipients(application):
        with translation.override(lang):
            subject = "[越境ねっと] " + _(SUBJECTS.get(event, DEFAULT_SUBJECT))
            body = render_to_string(
                "allocation/email/application.txt",
                {"application": application, "event": event, "student": application.student},
            )
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        except OSError:  # the mail server is down: the to-do list still shows it
            logger.exception("could not send %s email for application %s", event, application_id)
