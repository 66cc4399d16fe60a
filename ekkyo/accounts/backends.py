"""Authentication backend for students' one-time codes (no email, no password)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from .models import User


class StudentCodeBackend(BaseBackend):
    """Lets ``login()`` accept a student user whose code the service already checked."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        return None  # codes are verified by accounts.services, never here

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()
