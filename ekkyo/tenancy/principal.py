"""Who is asking: the principal whose rights scope every personal-data query.

A :class:`Principal` is built once per request (middleware) or per background
job (``system_scope``) and kept in a context variable. Tenant models'
managers read it to filter every queryset (see ``managers.py``); a query made
with no principal active raises :class:`ScopeError` instead of returning
everything, as django-scopes does. Roles and what they may see are defined in
DESIGN.md ("Users and what each may see").
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("ekkyo.tenancy")


class Role(StrEnum):
    CONSORTIUM_ADMIN = "consortium_admin"
    MUNICIPALITY_STAFF = "municipality_staff"
    SCHOOL_STAFF = "school_staff"
    HOST = "host"
    PARTNER = "partner"
    STUDENT = "student"
    GUARDIAN = "guardian"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def sees_personal_data(self) -> bool:
        """Roles that reach class II or I data must sign in with a second factor."""
        return self in STAFF_ROLES_WITH_PERSONAL_DATA


ROLE_LABELS = {
    Role.CONSORTIUM_ADMIN: _("Consortium secretariat"),
    Role.MUNICIPALITY_STAFF: _("Municipality staff"),
    Role.SCHOOL_STAFF: _("School coordinator / teacher"),
    Role.HOST: _("Host"),
    Role.PARTNER: _("Partner"),
    Role.STUDENT: _("Student"),
    Role.GUARDIAN: _("Guardian"),
}

STAFF_ROLES = (
    Role.CONSORTIUM_ADMIN,
    Role.MUNICIPALITY_STAFF,
    Role.SCHOOL_STAFF,
    Role.HOST,
    Role.PARTNER,
)
STAFF_ROLES_WITH_PERSONAL_DATA = frozenset(
    {Role.CONSORTIUM_ADMIN, Role.MUNICIPALITY_STAFF, Role.SCHOOL_STAFF, Role.HOST}
)


class ScopeError(RuntimeError):
    """A tenant model was queried with no principal active."""


@dataclass(frozen=True)
class Principal:
    """The rights of the person (or job) on whose behalf queries run.

    The id sets are what each role grants; an empty principal (anonymous)
    sees no personal data at all. ``system`` is for audited background work
    and commands, never for requests.
    """

    user_id: int | None = None
    admin_consortium_ids: frozenset[int] = frozenset()
    municipality_ids: frozenset[int] = frozenset()
    school_ids: frozenset[int] = frozenset()
    host_ids: frozenset[int] = frozenset()
    partner_ids: frozenset[int] = frozenset()
    student_id: int | None = None
    guardian_id: int | None = None
    child_student_ids: frozenset[int] = frozenset()
    system: bool = False
    reason: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.system

    @property
    def is_staff_with_personal_data(self) -> bool:
        return bool(self.roles & STAFF_ROLES_WITH_PERSONAL_DATA)

    def has_role(self, *roles: Role) -> bool:
        return self.system or bool(self.roles & set(roles))


ANONYMOUS = Principal()

_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "ekkyo_principal", default=None
)


def current_principal() -> Principal:
    """The active principal; raises ScopeError when none is active."""
    principal = _current.get()
    if principal is None:
        raise ScopeError(
            "No tenancy scope is active. Requests get one from TenancyMiddleware; "
            "commands and jobs must use `with system_scope(reason=...)`."
        )
    return principal


def principal_or_none() -> Principal | None:
    return _current.get()


@contextlib.contextmanager
def activate(principal: Principal) -> Iterator[Principal]:
    token = _current.set(principal)
    try:
        yield principal
    finally:
        _current.reset(token)


@contextlib.contextmanager
def system_scope(*, reason: str) -> Iterator[Principal]:
    """Run unscoped on purpose: commands, migrations of data, consortium roll-ups.

    Every use names its reason; it is logged so an unscoped path is never silent.
    """
    if not reason:
        raise ValueError("system_scope needs a reason")
    logger.debug("system scope entered: %s", reason)
    with activate(Principal(system=True, reason=reason)) as p:
        yield p
