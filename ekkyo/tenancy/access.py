"""Access helpers for views: role checks and fetching objects by id.

``require_roles`` refuses with 403 (and an audit record) when the signed-in
person holds none of the roles. ``access_object`` fetches a tenant object
through its scoped manager and answers 404 both for "missing" and for
"exists but not yours" (so ids cannot be probed), auditing the latter.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseBase

from .principal import Principal, Role, current_principal

F = TypeVar("F", bound=Callable[..., HttpResponseBase])
M = TypeVar("M", bound=models.Model)


def _deny(request: HttpRequest, what: str) -> None:
    from ekkyo.audit.models import Action
    from ekkyo.audit.services import audit_record

    audit_record(request=request, action=Action.ACCESS_DENIED, summary=what)


def require_roles(*roles: Role) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            principal: Principal = current_principal()
            if not principal.has_role(*roles):
                _deny(request, f"role required: {', '.join(r.value for r in roles)}")
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def access_object(request: HttpRequest, model: type[M], **lookup: Any) -> M:
    """The object if the principal may see it; 404 otherwise (audited if it exists)."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        if model._base_manager.filter(**lookup).exists():
            _deny(request, f"{model._meta.label_lower} {lookup}")
        raise Http404
    return obj
