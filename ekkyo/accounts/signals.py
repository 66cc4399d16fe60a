"""Audit receivers for sign-in events (allauth and Django's auth signals).

Signals carry the request; the receivers turn it into an :class:`Actor` (the
person signing in or out) before writing the audit row, as every door does.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ekkyo.audit.services import audit_record
from ekkyo.tenancy.actor import ANONYMOUS_ACTOR, Actor

from . import events
from .selectors import consortium_ids_of_user


def _actor(request: Any, user: Any) -> Actor:
    base = getattr(request, "actor", None) or ANONYMOUS_ACTOR
    if request is not None and base is ANONYMOUS_ACTOR:
        from .middleware import client_ip

        base = Actor(
            principal=base.principal,
            remote_addr=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            path=request.get_full_path()[:300],
        )
    if user is None:
        return base
    consortia = sorted(consortium_ids_of_user(user))
    return Actor(
        principal=base.principal,
        user_id=user.pk,
        label=str(user)[:200],
        consortium_id=consortia[0] if consortia else None,
        remote_addr=base.remote_addr,
        user_agent=base.user_agent,
        path=base.path,
    )


def sso_provider_of_login(request: Any, user: Any) -> str | None:
    """The provider ("google", "microsoft") if this sign-in was with a school
    account: allauth records the session's authentication steps, and the
    last one before the second factor says how the person identified."""
    if request is None or not hasattr(request, "session"):
        return None
    from allauth.account.internal.flows.login import get_authentication_records

    for record in reversed(get_authentication_records(request, user)):
        if record.get("method") == "mfa":
            continue
        if record.get("method") == "socialaccount":
            return str(record.get("provider") or "")
        return None
    return None


@receiver(user_logged_in)
def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    provider = sso_provider_of_login(request, user)
    if provider is not None:
        audit_record(
            actor=_actor(request, user),
            event=events.SSO_SIGN_IN,
            obj=user,
            summary=f"{user} ({provider})",
            new={"provider": provider, "student": hasattr(user, "student")},
        )
        return
    code = events.STUDENT_SIGN_IN if hasattr(user, "student") else events.SIGN_IN
    audit_record(actor=_actor(request, user), event=code, obj=user, summary=str(user))


@receiver(user_logged_out)
def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=_actor(request, user), event=events.SIGN_OUT, obj=user)


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: Any, request: Any = None, **kwargs: Any) -> None:
    # The attempted identifier is kept (it may be a typo of someone's address);
    # the password never is.
    tried = str(credentials.get("email") or credentials.get("username") or "")[:200]
    from .models import User

    target = User.objects.filter(email__iexact=tried).first() if tried else None
    consortia = sorted(consortium_ids_of_user(target)) if target is not None else []
    audit_record(
        actor=_actor(request, None),
        event=events.SIGN_IN_FAILED,
        consortium_id=consortia[0] if consortia else None,
        object_type="accounts.user" if target is not None else "",
        object_id=target.pk if target is not None else "",
        summary=tried,
        detail={"identifier": tried},
    )
