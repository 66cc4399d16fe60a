"""allauth adapter: no public sign-up (the secretariat creates staff accounts)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> Any:
        return super().get_login_redirect_url(request)


def user_display(user: Any) -> str:
    """How allauth names a user in messages ("signed in as …"): their name."""
    return str(user)
