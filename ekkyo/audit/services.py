"""Writing audit records. Every caller passes the request (or None for jobs).

``audit_record`` never raises into the caller's flow for a bad request
object, but a database failure does propagate: an unrecorded view of
personal data is worse than a failed page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from .models import Action, AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # Behind the load balancer the real address is the first X-Forwarded-For hop;
    # only trusted when the deployment says so (SECURE_PROXY_SSL_HEADER set).
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def _consortium_of(request: HttpRequest | None, user: Any) -> int | None:
    principal = getattr(request, "principal", None) if request is not None else None
    ids: Iterable[int] = ()
    if principal is not None:
        ids = principal.admin_consortium_ids
    if not ids and user is not None and getattr(user, "pk", None):
        from ekkyo.accounts.selectors import consortium_ids_of_user

        ids = consortium_ids_of_user(user)
    ids = sorted(ids)
    return ids[0] if ids else None


def audit_record(
    *,
    request: HttpRequest | None,
    action: Action | str,
    user: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    detail: dict[str, Any] | None = None,
    consortium_id: int | None = None,
) -> AuditEvent:
    """Append one audit event. ``user`` defaults to the request's user."""
    if user is None and request is not None:
        req_user = getattr(request, "user", None)
        user = req_user if req_user is not None and req_user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        consortium_id = consortium_id or getattr(obj, "consortium_id", None)
    event = AuditEvent(
        consortium_id=consortium_id or _consortium_of(request, user),
        actor_id=getattr(user, "pk", None),
        actor_label=str(user)[:200] if user is not None else "",
        action=str(action),
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:300],
        path=(request.get_full_path()[:300] if request is not None else ""),
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        detail=detail or {},
    )
    event.save()
    return event
