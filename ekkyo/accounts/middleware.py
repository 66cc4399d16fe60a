"""Staff who can reach personal data must enrol a TOTP second factor first.

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
            from ekkyo.tenancy.middleware import principal_of

            needs = principal_of(request).is_staff_with_personal_data
            if needs and not is_mfa_enabled(user):
                return redirect(reverse("mfa_activate_totp") + "?required=1")
        return self.get_response(request)
