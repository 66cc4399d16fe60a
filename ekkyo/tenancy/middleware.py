"""Activates the signed-in person's principal for the whole request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .principal import ANONYMOUS, Principal, activate


def principal_of(request: HttpRequest) -> Principal:
    """The signed-in person's principal, worked out once per request."""
    found = getattr(request, "_ekkyo_principal", None)
    if found is None:
        from ekkyo.accounts.selectors import principal_for_user

        user = getattr(request, "user", None)
        found = (
            principal_for_user(user) if user is not None and user.is_authenticated else ANONYMOUS
        )
        request._ekkyo_principal = found  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


class TenancyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        principal = principal_of(request)
        request.principal = principal  # type: ignore[attr-defined]
        with activate(principal):
            return self.get_response(request)
