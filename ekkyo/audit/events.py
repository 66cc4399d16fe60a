"""The audit log's event codes: one specific code per kind of action.

A code is ``<entity>.<action>`` in lower case (``student.sign_in_code.issue``,
``round.publish``, ``seat.confirm``). Each app declares the codes its doors
write in its own ``events.py`` with :func:`event`, which registers a label
for the log's search page. The general codes of the first version
(``sign_in``, ``view``, ``update`` …) stay readable for old rows.

This module imports no app (apps import it).
"""

from __future__ import annotations

import re

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

_LABELS: dict[str, str | Promise] = {}


def event(code: str, label: str | Promise) -> str:
    """Register an event code with its label; returns the code."""
    if not CODE.match(code):
        raise ValueError(f"audit event code {code!r} must look like 'entity.action'")
    known = _LABELS.get(code)
    if known is not None and str(known) != str(label):
        raise ValueError(f"audit event code {code!r} registered twice with different labels")
    _LABELS[code] = label
    return code


def is_registered(code: str) -> bool:
    return code in _LABELS


def label_of(code: str) -> str:
    label = _LABELS.get(code)
    return str(label) if label is not None else code


def choices() -> list[tuple[str, str]]:
    """(code, label) for every registered code, sorted by label, for filters."""
    return sorted(((c, str(label)) for c, label in _LABELS.items()), key=lambda p: p[1])


# Codes written by the tenancy and audit layers themselves, and the general
# codes of the first version (still on old rows).
ACCESS_DENIED = event("access.denied", _("Access denied"))
AUDIT_EXPORT = event("audit.export", _("Exported the audit log"))
for _code, _label in (
    ("sign_in", _("Signed in")),
    ("sign_in_failed", _("Sign-in failed")),
    ("sign_out", _("Signed out")),
    ("locked_out", _("Locked out")),
    ("mfa_enabled", _("Second factor enabled")),
    ("access_denied", _("Access denied")),
    ("view", _("Viewed personal data")),
    ("export", _("Exported personal data")),
    ("import", _("Imported data")),
    ("create", _("Created")),
    ("update", _("Changed")),
    ("issue_code", _("Issued a sign-in code")),
):
    _LABELS[_code] = _label
