"""The ``ekkyo_oidc`` provider: allauth's OpenID Connect with our adapter."""

from __future__ import annotations

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider

from .views import SchoolOIDCAdapter


class SchoolOIDCProvider(OpenIDConnectProvider):
    id = "ekkyo_oidc"
    name = "School account"
    oauth2_adapter_class = SchoolOIDCAdapter


provider_classes = [SchoolOIDCProvider]
