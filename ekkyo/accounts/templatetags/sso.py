"""``{% sso_buttons %}``: the "sign in with Google / Microsoft" buttons, one per
configured provider (none when the deployment has none)."""

from __future__ import annotations

from typing import Any

from django import template

from ekkyo.accounts.sso_services import sso_configured_providers

register = template.Library()


@register.inclusion_tag("accounts/_sso_buttons.html", takes_context=True)
def sso_buttons(context: Any, audience: str = "") -> dict[str, Any]:
    return {
        "providers": sso_configured_providers(),
        "audience": audience,
        "csrf_token": context.get("csrf_token"),  # for the buttons' forms
    }
