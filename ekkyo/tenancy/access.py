"""Doors' access checks: roles, grant levels, and fetching user-chosen objects.

Grant levels (``docs/access.md`` has the whole matrix):

* ``Grant.FULL`` — the actor sees the person's whole record: the secretariat
  of the student's consortium, the town the student lives or studies in, the
  student's school, the student, their guardians.
* ``Grant.HOSTING`` — the actor sees the person *for hosting* only: a host
  town or school for applicants to and guests of its programmes, a host
  family for its guests (the fields needed to host). Everyone with FULL
  access has HOSTING access too.
* ``Grant.NONE`` — the route touches no one's personal data through a
  user-chosen id (public pages, the actor's own lists, which are scoped).

Every view declares the roles and the grant it needs (:func:`require_roles`,
:func:`public_route`); the route matrix test reads the declaration. Doors
fetch user-chosen objects with :func:`access`, which answers "missing" and
"not yours" alike (404) and records the latter as a failed authorisation.

This module imports no app: the audit layer registers the recorder of
refusals (:func:`set_denial_recorder`) when it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, NoReturn, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseBase

from .actor import Actor
from .principal import Principal, Role

F = TypeVar("F", bound=Callable[..., HttpResponseBase])
M = TypeVar("M", bound=models.Model)


class Grant(StrEnum):
    FULL = "full"
    HOSTING = "hosting"
    NONE = "none"


class NotFound(Http404):
    """The object is missing or not the actor's: one answer for both.

    ``pending_denial`` holds a refusal not yet recorded because it happened
    inside a transaction that the exception is about to roll back; the
    request's middleware records it once the transaction is gone."""

    pending_denial: tuple[Actor, str, dict[str, Any]] | None = None


_recorder: Callable[[Actor, str, dict[str, Any]], None] | None = None


def set_denial_recorder(recorder: Callable[[Actor, str, dict[str, Any]], None]) -> None:
    """Called once by the audit layer: how refusals are recorded."""
    global _recorder
    _recorder = recorder


def deny(actor: Actor, what: str, **detail: Any) -> None:
    """Record a failed authorisation now (the caller then refuses)."""
    if _recorder is not None:
        _recorder(actor, what, detail)


def record_pending_denial(exc: BaseException) -> None:
    """Record the refusal an exception carries (see :class:`NotFound`)."""
    pending = getattr(exc, "pending_denial", None)
    if pending is not None:
        exc.pending_denial = None  # type: ignore[attr-defined]
        deny(pending[0], pending[1], **pending[2])


def _actor_of(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    if not isinstance(actor, Actor):
        raise RuntimeError("request.actor is missing: is ActorMiddleware installed?")
    return actor


def require_roles(*roles: Role, grant: Grant = Grant.NONE) -> Callable[[F], F]:
    """A view for people holding one of ``roles``; others get 403 (audited).

    ``grant`` declares the level of access to a person the view's doors need
    (the doors enforce it; the route matrix checks the declaration)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = _actor_of(request)
            if not actor.principal.has_role(*roles):
                deny(actor, f"role required: {', '.join(r.value for r in roles)}")
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.ekkyo_roles = frozenset(roles)  # type: ignore[attr-defined]
        wrapper.ekkyo_grant = grant  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def public_route(view: F) -> F:
    """A view anyone may open (the catalogue, sign-in, token links): it reaches
    no one's personal data by a user-chosen id, or only through a secret token."""
    view.ekkyo_roles = frozenset()  # type: ignore[attr-defined]
    view.ekkyo_grant = Grant.NONE  # type: ignore[attr-defined]
    return view


def grant_filter(model: type[models.Model], principal: Principal, grant: Grant) -> Q:
    """The rows of ``model`` the principal reaches at ``grant``.

    Models whose rows are seen for hosting as well declare
    ``full_access_filter(principal)``; for the others every visible row is
    seen in full."""
    if principal.system:
        return Q()
    if grant is Grant.FULL and hasattr(model, "full_access_filter"):
        return model.full_access_filter(principal)  # type: ignore[attr-defined,no-any-return]
    return model.tenancy_filter(principal)  # type: ignore[attr-defined,no-any-return]


def refusal(actor: Actor, what: str, **detail: Any) -> NotFound:
    """The 404 for something that exists but is not the actor's, recorded as a
    failed authorisation: now, or — inside a door's transaction, which the
    exception is about to roll back — by the request's middleware afterwards.
    Doors ``raise refusal(...)``; for "missing" they raise a plain NotFound."""
    exc = NotFound()
    if transaction.get_connection().in_atomic_block:
        exc.pending_denial = (actor, what, detail)
    else:
        deny(actor, what, **detail)
    return exc


def object_refusal(actor: Actor, label: str, grant: Grant | str, **lookup: Any) -> NotFound:
    """:func:`refusal` for a model row (``label`` as ``app.model``) the actor
    sees, but not at ``grant``."""
    return refusal(actor, f"{label} {lookup}", grant=str(grant), model=label)


def refuse(actor: Actor, what: str, *, exists: bool, **detail: Any) -> NoReturn:
    """Raise the 404 for "missing" (``exists`` False) or "not yours" alike; only
    the latter is recorded (see :func:`refusal`)."""
    if exists:
        raise refusal(actor, what, **detail)
    raise NotFound


def access(actor: Actor, model: type[M], *, grant: Grant, **lookup: Any) -> M:
    """The object if ``actor`` reaches it at ``grant``; :class:`NotFound` otherwise.

    "Missing" and "not yours" give the same answer, so ids cannot be probed;
    the latter is recorded as a failed authorisation."""
    unscoped = model._base_manager
    q = grant_filter(model, actor.principal, grant)
    obj = unscoped.filter(q, **lookup).first()
    if obj is None:
        if unscoped.filter(**lookup).exists():
            label = model._meta.label_lower
            raise refusal(actor, f"{label} {lookup}", grant=str(grant), model=label)
        raise NotFound
    return obj


def access_object(request: HttpRequest, model: type[M], **lookup: Any) -> M:
    """Transitional form of :func:`access` for views not yet behind a door:
    anything the principal sees at all (hosting included)."""
    return access(_actor_of(request), model, grant=Grant.HOSTING, **lookup)
