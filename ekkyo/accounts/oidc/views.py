"""Login and callback views of the ``ekkyo_oidc`` provider."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.decorators import login_not_required
from allauth.core.internal.deferred import jwt
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ekkyo.tenancy.access import public_route

TENANT_PLACEHOLDER = "{tenantid}"


def issuer_for(configured: str, unverified_claims: dict[str, Any]) -> str:
    """The issuer an ID token must carry.

    Microsoft's multi-tenant endpoints (``common``, ``organizations``) publish
    ``https://login.microsoftonline.com/{tenantid}/v2.0``: the token's own
    ``tid`` fills the placeholder, and the signature check then proves it
    (the registered tenant is checked later, by ``core.sso.check_claims``).
    """
    if TENANT_PLACEHOLDER not in configured:
        return configured
    tid = unverified_claims.get("tid")
    if not isinstance(tid, str) or not tid or "/" in tid:
        raise OAuth2Error("id_token without a tenant id")
    return configured.replace(TENANT_PLACEHOLDER, tid)


class SchoolOIDCAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict[str, Any]:
        config = self.openid_config
        try:
            unverified = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise OAuth2Error("Invalid id_token") from exc
        data: dict[str, Any] = jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=config["jwks_uri"],
            issuer=issuer_for(config["issuer"], unverified),
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,  # always, even over the token endpoint's TLS
        )
        return data

    def get_callback_url(self, request: HttpRequest, app: SocialApp) -> str:
        url = reverse("ekkyo_oidc_callback", kwargs={"provider_id": self.provider_id})
        return str(build_absolute_uri(request, url, self.redirect_uri_protocol))


@require_http_methods(["GET", "POST"])
@public_route
@login_not_required
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Starts the sign-in (a POST from the button; a GET shows a confirmation)."""
    try:
        view = OAuth2LoginView.adapter_view(SchoolOIDCAdapter(request, provider_id))
        return view(request)  # type: ignore[no-any-return]
    except SocialApp.DoesNotExist:
        raise Http404 from None


@require_http_methods(["GET"])
@public_route
@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Where Google or Microsoft sends the browser back with a code."""
    try:
        view = OAuth2CallbackView.adapter_view(SchoolOIDCAdapter(request, provider_id))
        return view(request)  # type: ignore[no-any-return]
    except SocialApp.DoesNotExist:
        raise Http404 from None
