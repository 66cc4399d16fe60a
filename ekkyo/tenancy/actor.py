"""Who acts: the explicit actor every door (service, access function) takes.

An :class:`Actor` is built once per request by ``accounts.middleware.
ActorMiddleware`` and, for commands and background jobs, by
:func:`system_actor` with a reason. It carries the principal (what the actor
may see), who they are (for the audit log), the consortium they act in and
where the request came from, so that services and the audit log never need an
``HttpRequest``.

This module must never import an app: tenancy is below every app.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .principal import ANONYMOUS, Principal


@dataclass(frozen=True)
class Actor:
    """The person (or job) on whose behalf a door runs."""

    principal: Principal
    user_id: int | None = None
    label: str = ""
    consortium_id: int | None = None
    remote_addr: str | None = None
    user_agent: str = ""
    path: str = ""
    reason: str = ""  # why a system actor runs (commands, jobs)
    # The user object itself, when a service must store it in a foreign key
    # (``issued_by``, ``uploaded_by``); never used for rights.
    user: object | None = field(default=None, compare=False, repr=False)

    @property
    def is_system(self) -> bool:
        return self.principal.system

    @property
    def is_anonymous(self) -> bool:
        return self.principal.is_anonymous and not self.is_system


ANONYMOUS_ACTOR = Actor(principal=ANONYMOUS)


def system_actor(*, reason: str, consortium_id: int | None = None) -> Actor:
    """The actor of a command or job: unscoped on purpose, always with a reason.

    Pair it with ``system_scope(reason=...)`` (which activates the unscoped
    principal for the managers); the actor is what the doors and the audit
    log see.
    """
    if not reason:
        raise ValueError("system_actor needs a reason")
    return Actor(
        principal=Principal(system=True, reason=reason),
        label=f"system: {reason}"[:200],
        consortium_id=consortium_id,
        reason=reason,
    )
