"""Reads of reference data (not personal data: no tenancy filter needed)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ekkyo.core.fiscal import fiscal_year_of
from ekkyo.tenancy.principal import Principal

from .models import Consortium, Member, School


def consortium_for_school(school: School) -> Consortium | None:
    member = (
        Member.objects.filter(municipality_id=school.municipality_id)
        .select_related("consortium")
        .order_by("-first_fy")
        .first()
    )
    return member.consortium if member else None


def members_active(*, consortium: Consortium, fy: int) -> QuerySet[Member]:
    return (
        Member.objects.filter(consortium=consortium, first_fy__lte=fy)
        .filter(Q(last_fy__isnull=True) | Q(last_fy__gte=fy))
        .select_related("municipality__prefecture")
    )


def schools_for_principal(principal: Principal) -> QuerySet[School]:
    """Schools whose students the principal may manage (roster, codes)."""
    qs = School.objects.select_related("municipality__prefecture")
    if principal.system:
        return qs
    q = Q(pk__in=[])
    if principal.admin_consortium_ids:
        q |= Q(municipality__memberships__consortium_id__in=principal.admin_consortium_ids)
    if principal.municipality_ids:
        q |= Q(municipality_id__in=principal.municipality_ids)
    if principal.school_ids:
        q |= Q(pk__in=principal.school_ids)
    return qs.filter(q).distinct()


def current_fiscal_year() -> int:
    from django.utils import timezone

    return fiscal_year_of(timezone.localdate())
