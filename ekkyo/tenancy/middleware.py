"""Activates the signed-in person's principal for the whole request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .principal import ANONYMOUS, activate


class TenancyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from ekkyo.accounts.selectors import principal_for_user

        user = getattr(request, "user", None)
        principal = (
            principal_for_user(user) if user is not None and user.is_authenticated else ANONYMOUS
        )
        request.principal = principal  # type: ignore[attr-defined]
        with activate(principal):
            return self.get_response(request)
