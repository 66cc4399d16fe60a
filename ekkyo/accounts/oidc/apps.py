from typing import Any

from django.apps import AppConfig
from django.core import checks


class OIDCConfig(AppConfig):
    name = "ekkyo.accounts.oidc"
    label = "ekkyo_oidc"
    verbose_name = "School sign-in (OpenID Connect)"

    def ready(self) -> None:
        checks.register(check_sso_apps, checks.Tags.security)


def check_sso_apps(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """allauth finds a pending sign-in's app again by client id alone (for the
    second-factor step): two apps sharing one would break staff sign-in."""
    from ekkyo.accounts.sso_services import sso_configured_apps

    problems: list[checks.CheckMessage] = []
    seen: dict[str, str] = {}
    for app in sso_configured_apps():
        client_id, provider_id = app.get("client_id", ""), app.get("provider_id", "")
        if client_id in seen:
            problems.append(
                checks.Error(
                    f"SSO apps {seen[client_id]!r} and {provider_id!r} share a client id",
                    hint="Give Google and Microsoft their own SSO_*_CLIENT_ID.",
                    id="ekkyo.E101",
                )
            )
        seen[client_id] = provider_id
        if not app.get("secret"):
            problems.append(
                checks.Warning(
                    f"SSO app {provider_id!r} has no client secret",
                    hint=f"Set SSO_{provider_id.upper()}_CLIENT_SECRET.",
                    id="ekkyo.W101",
                )
            )
    return problems
