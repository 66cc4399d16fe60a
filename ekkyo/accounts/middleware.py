"""Per-request identity: the actor every door takes, and the second-factor gate.

Staff who can reach personal data must enrol a TOTP second factor first.

allauth asks for the TOTP code at every sign-in once one is enrolled; this
middleware closes the gap before enrolment: such a user sees nothing but the
enrolment page (and sign-out, language switch, static files) until they have
one. Students and guardians are not affected.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from ekkyo.tenancy.access import record_pending_denial
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import ANONYMOUS, Principal, activate

from .selectors import consortium_ids_of_user, principal_for_user

_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/favicon")


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
        ):
            needs = principal_of(request).is_staff_with_personal_data
            if needs and not is_mfa_enabled(user):
                return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: behind the load balancer the first X-Forwarded-For
    hop, trusted only when the deployment says so (SECURE_PROXY_SSL_HEADER set)."""
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def principal_of(request: HttpRequest) -> Principal:
    """The signed-in person's principal, worked out once per request."""
    found = getattr(request, "_ekkyo_principal", None)
    if found is None:
        user = getattr(request, "user", None)
        found = (
            principal_for_user(user) if user is not None and user.is_authenticated else ANONYMOUS
        )
        request._ekkyo_principal = found  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def actor_for_request(request: HttpRequest) -> Actor:
    """The request's actor: principal, user, consortium, address (built once)."""
    found = getattr(request, "actor", None)
    if isinstance(found, Actor):
        return found
    principal = principal_of(request)
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    consortium_id = None
    if signed_in:
        ids = sorted(principal.admin_consortium_ids) or sorted(consortium_ids_of_user(user))
        consortium_id = ids[0] if ids else None
    return Actor(
        principal=principal,
        user_id=user.pk if signed_in else None,  # type: ignore[union-attr]
        label=str(user)[:200] if signed_in else "",
        consortium_id=consortium_id,
        remote_addr=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        path=request.get_full_path()[:300],
        user=user if signed_in else None,
    )


class ActorMiddleware:
    """Builds the request's :class:`Actor` once and activates its principal, so
    every scoped query of the request is filtered by the signed-in person's
    rights. Views pass ``request.actor`` to the doors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = actor_for_request(request)
        request.actor = actor  # type: ignore[attr-defined]
        request.principal = actor.principal  # type: ignore[attr-defined]
        with activate(actor.principal):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """A refusal raised inside a door's transaction is recorded here, after
        the transaction rolled back (``tenancy.access.NotFound``)."""
        with activate(actor_for_request(request).principal):
            record_pending_denial(exception)
