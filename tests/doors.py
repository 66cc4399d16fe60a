"""Actors for calling doors directly in tests (programmes, allocation, participation, …)."""

from __future__ import annotations

from typing import Any

from ekkyo.accounts.selectors import principal_for_user
from ekkyo.tenancy.actor import Actor, system_actor

SYSTEM = system_actor(reason="test")


def actor_of(user: Any) -> Actor:
    """The actor a request by ``user`` would have (principal, id, label)."""
    return Actor(principal=principal_for_user(user), user_id=user.pk, label=str(user), user=user)
