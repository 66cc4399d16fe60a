"""Scoped managers: the one place where personal-data querysets are filtered.

A tenant model declares ``objects = TenantManager()`` and implements
``tenancy_filter(principal) -> Q``. Every queryset built from ``objects``
(including reverse relations such as ``school.students``) is filtered by the
active principal; with no principal it raises ScopeError. Forward foreign-key
access uses Django's plain base manager, so an object you may already see can
still show what it points at.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models
from django.db.models import Q

from .principal import Principal, current_principal

NOTHING = Q(pk__in=[])


class TenantModel(Protocol):
    @classmethod
    def tenancy_filter(cls, principal: Principal) -> Q: ...


class TenantQuerySet(models.QuerySet[Any]):
    pass


class TenantManager(models.Manager[Any]):
    """Filters every queryset by the active principal's rights."""

    def get_queryset(self) -> models.QuerySet[Any]:
        qs = super().get_queryset()
        principal = current_principal()
        if principal.system:
            return qs
        q = self.model.tenancy_filter(principal)  # type: ignore[attr-defined]
        return qs.filter(q)


def any_of(*parts: Q | None) -> Q:
    """OR together the grants that apply; no grant means no rows."""
    result: Q | None = None
    for part in parts:
        if part is None:
            continue
        result = part if result is None else result | part
    return result if result is not None else NOTHING
