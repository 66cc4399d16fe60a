"""allauth's social-account adapter: school accounts sign in, nothing is created.

allauth runs the OpenID Connect dance and checks the ID token (issuer,
audience, expiry, signature: ``accounts.oidc``); this adapter then hands the
signed claims to ``sso_services.sso_sign_in_account``, which finds the
account by verified e-mail and checks the school's registered domain and
tenant. A refusal ends on our refusal page (audited there). An accepted
person continues through allauth's login stages, so staff still give their
TOTP code; students land where a code sign-in lands.
"""

from __future__ import annotations

from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest
from django.shortcuts import render

from ekkyo.tenancy.actor import ANONYMOUS_ACTOR

from .sso_services import SSORefused, sso_sign_in_account, sso_sign_in_failed


def refusal_page(request: HttpRequest, reason: str, provider: str) -> Any:
    return render(
        request,
        "accounts/sso_refused.html",
        {"reason": reason, "provider": provider},
        status=403,
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False  # accounts are created by schools and the secretariat only

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        provider = str(sociallogin.account.provider)
        claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
        actor = getattr(request, "actor", None) or ANONYMOUS_ACTOR
        if sociallogin.state.get("process") == "connect":
            # Nothing to connect: the address is the link (docs/sso.md).
            raise ImmediateHttpResponse(refusal_page(request, "no_account", provider))
        linked = sociallogin.user.pk if sociallogin.is_existing else None
        try:
            user = sso_sign_in_account(
                actor=actor, provider=provider, claims=claims, linked_user_id=linked
            )
        except SSORefused as refused:
            raise ImmediateHttpResponse(refusal_page(request, refused.reason, provider)) from None
        sociallogin.user = user

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        raise ImmediateHttpResponse(refusal_page(request, "no_account", ""))  # never creates

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        """A sign-in that broke off before any claim was trusted: cancelled at
        the provider, a lost or replayed state, a token whose signature,
        issuer or audience is wrong. Audited; allauth shows its error page."""
        app = getattr(provider, "app", None)
        sso_sign_in_failed(
            actor=getattr(request, "actor", None) or ANONYMOUS_ACTOR,
            provider=str(getattr(app, "provider_id", "") or getattr(provider, "id", "")),
            error=str(error or ""),
            exception=type(exception).__name__ if exception is not None else "",
        )
