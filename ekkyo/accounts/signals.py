"""Audit receivers for sign-in events (allauth and Django's auth signals)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record


@receiver(user_logged_in)
def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(request=request, action=Action.SIGN_IN, user=user, summary=str(user))


@receiver(user_logged_out)
def _on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(request=request, action=Action.SIGN_OUT, user=user)


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: Any, request: Any = None, **kwargs: Any) -> None:
    # The attempted identifier is kept (it may be a typo of someone's address);
    # the password never is.
    tried = str(credentials.get("email") or credentials.get("username") or "")[:200]
    from .models import User
    from .selectors import consortium_ids_of_user

    target = User.objects.filter(email__iexact=tried).first() if tried else None
    consortia = sorted(consortium_ids_of_user(target)) if target is not None else []
    audit_record(
        request=request,
        action=Action.SIGN_IN_FAILED,
        user=None,
        consortium_id=consortia[0] if consortia else None,
        object_type="accounts.user" if target is not None else "",
        object_id=target.pk if target is not None else "",
        summary=tried,
        detail={"identifier": tried},
    )
