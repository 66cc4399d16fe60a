"""``/api/v1/``: the API's URL patterns, each view wrapped once.

The wrapper resolves the bearer token (``selectors.token_for_secret``),
builds the token's actor and activates its principal for the request's
scoped queries (the pages get theirs from ``ActorMiddleware``), and runs
every POST through the idempotency record (``services.idempotency_*``).
It also copies each operation's declaration (scope, grant) onto the view,
so the access matrix and the route tests read API routes like pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from ekkyo.accounts.middleware import client_ip
from ekkyo.tenancy.access import Grant, public_route
from ekkyo.tenancy.principal import ANONYMOUS, activate

from . import selectors, services
from .views import API_ROLES, DECLARATIONS, api, openapi_view

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
_BRACES = re.compile(r"\{(\w+)\}")
_GRANT_ORDER = [Grant.NONE, Grant.HOSTING, Grant.FULL]


def _bearer(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _conflict(status: int) -> JsonResponse:
    if status == 409:
        detail = _("A request with this Idempotency-Key is still being processed.")
    else:
        detail = _("This Idempotency-Key was already used with another request body.")
    if status == 422:
        body: dict[str, Any] = {
            "detail": [{"loc": ["header", "Idempotency-Key"], "msg": detail, "type": "idempotency"}]
        }
    else:
        body = {"detail": detail}
    return JsonResponse(body, status=status)


def _wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = selectors.token_for_secret(_bearer(request))
        principal = ANONYMOUS
        if token is not None:
            actor = selectors.actor_for_token(
                token,
                remote_addr=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                path=request.get_full_path(),
            )
            request.api_token = token  # type: ignore[attr-defined]
            request.actor = actor  # type: ignore[attr-defined]
            principal = actor.principal
            services.api_token_touch(token=token)
        with activate(principal):
            key = request.headers.get("Idempotency-Key", "")
            if request.method != "POST" or token is None or not 0 < len(key) <= 200:
                return view(request, *args, **kwargs)
            try:
                record, fresh = services.idempotency_begin(
                    token=token,
                    key=key,
                    method=request.method,
                    path=request.path,
                    body=request.body,
                )
            except services.IdempotencyConflict as exc:
                return _conflict(exc.status)
            if not fresh:
                replay = HttpResponse(
                    record.response, status=record.status, content_type="application/json"
                )
                replay["Idempotent-Replayed"] = "true"
                return replay
            try:
                response = view(request, *args, **kwargs)
            except BaseException:
                services.idempotency_abandon(record=record)
                raise
            if response.status_code >= 500:
                services.idempotency_abandon(record=record)
            else:
                services.idempotency_finish(
                    record=record,
                    status=response.status_code,
                    response=response.content.decode("utf-8"),
                )
            return response

    return wrapper


def _declared(route: str) -> tuple[set[str], Grant]:
    """Scopes and the highest grant of the operations on an API route."""
    bare = _PARAM.sub(r"\1", route)
    scopes: set[str] = set()
    grant = Grant.NONE
    for (_method, op_path), (scope, g) in DECLARATIONS.items():
        if _BRACES.sub(r"\1", op_path).lstrip("/") == bare:
            scopes.add(scope.value)
            if _GRANT_ORDER.index(g) > _GRANT_ORDER.index(grant):
                grant = g
    return scopes, grant


def _patterns() -> list[Any]:
    patterns, _app, _ns = api.urls
    out: list[Any] = [path("openapi.json", public_route(openapi_view), name="openapi")]
    for p in patterns:
        if isinstance(p, URLPattern) and p.name == "api-root":
            continue  # ninja's redirect to the docs page, which we do not serve
        if isinstance(p, URLPattern):
            route = str(p.pattern)
            wrapped = _wrap(p.callback)
            scopes, grant = _declared(route)
            if not scopes:
                raise RuntimeError(f"API route {route!r} declares no scope")
            wrapped.ekkyo_roles = API_ROLES  # type: ignore[attr-defined]
            wrapped.ekkyo_grant = grant  # type: ignore[attr-defined]
            wrapped.ekkyo_api_scopes = frozenset(scopes)  # type: ignore[attr-defined]
            wrapped.csrf_exempt = True  # type: ignore[attr-defined]
            out.append(URLPattern(p.pattern, wrapped, p.default_args, p.name))
        else:
            out.append(p)
    return out


app_name = "api-v1"
urlpatterns = _patterns()
