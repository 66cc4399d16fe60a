"""Reads about accounts that cross a permission boundary."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ekkyo.tenancy.principal import Principal, Role

from .models import Membership


def principal_for_user(user: Any) -> Principal:
    """Build the principal for a signed-in user from their memberships and links.

    Cached on the user object for the request (the middleware and audit both ask).
    """
    cached = getattr(user, "_ekkyo_principal", None)
    if cached is not None:
        return cached
    admin: set[int] = set()
    municipalities: set[int] = set()
    schools: set[int] = set()
    hosts: set[int] = set()
    partners: set[int] = set()
    roles: set[Role] = set()
    for m in Membership.objects.filter(user_id=user.pk).only(
        "role", "consortium_id", "municipality_id", "school_id", "host_family_id", "partner_id"
    ):
        role = Role(m.role)
        roles.add(role)
        if role is Role.CONSORTIUM_ADMIN:
            admin.add(m.consortium_id)
        elif role is Role.MUNICIPALITY_STAFF and m.municipality_id:
            municipalities.add(m.municipality_id)
        elif role is Role.SCHOOL_STAFF and m.school_id:
            schools.add(m.school_id)
        elif role is Role.HOST and m.host_family_id:
            hosts.add(m.host_family_id)
        elif role is Role.PARTNER and m.partner_id:
            partners.add(m.partner_id)
    from ekkyo.people.models import Guardian, GuardianLink, Student

    # safe: the signed-in user's own student record, to build their principal
    student_id = Student._unscoped.filter(user_id=user.pk).values_list("pk", flat=True).first()
    if student_id:
        roles.add(Role.STUDENT)
    # safe: the signed-in user's own guardian record, as above
    guardian_id = Guardian._unscoped.filter(user_id=user.pk).values_list("pk", flat=True).first()
    children: frozenset[int] = frozenset()
    if guardian_id:
        roles.add(Role.GUARDIAN)
        children = frozenset(
            GuardianLink.objects.filter(guardian_id=guardian_id).values_list(
                "student_id", flat=True
            )
        )
    principal = Principal(
        user_id=user.pk,
        admin_consortium_ids=frozenset(admin),
        municipality_ids=frozenset(municipalities),
        school_ids=frozenset(schools),
        host_ids=frozenset(hosts),
        partner_ids=frozenset(partners),
        student_id=student_id,
        guardian_id=guardian_id,
        child_student_ids=children,
        roles=frozenset(roles),
    )
    user._ekkyo_principal = principal
    return principal


def consortium_ids_of_user(user: Any) -> set[int]:
    ids = set(Membership.objects.filter(user_id=user.pk).values_list("consortium_id", flat=True))
    from ekkyo.people.models import Guardian, Student

    # safe: consortium ids of the user's own records only
    ids.update(Student._unscoped.filter(user_id=user.pk).values_list("consortium_id", flat=True))
    # safe: as above
    ids.update(Guardian._unscoped.filter(user_id=user.pk).values_list("consortium_id", flat=True))
    return ids


def working_consortium_id(principal: Principal) -> int | None:
    """The consortium a staff member works in: the secretariat's own (lowest id),
    else that of the person's first membership; None without one."""
    ids = sorted(principal.admin_consortium_ids) or sorted(
        Membership.objects.filter(user_id=principal.user_id or 0).values_list(
            "consortium_id", flat=True
        )
    )
    return ids[0] if ids else None


def needs_second_factor(user: Any) -> bool:
    """Staff whose role reaches class II/I personal data must use TOTP."""
    return principal_for_user(user).is_staff_with_personal_data


def users_visible_to(principal: Principal) -> Q:
    """Accounts the principal may see: the secretariat sees accounts tied to its
    consortia (staff memberships, students, guardians); everyone sees their own."""
    from ekkyo.people.models import Guardian, Student

    if principal.system:
        return Q()
    q = Q(pk=principal.user_id) if principal.user_id else Q(pk__in=[])
    if principal.admin_consortium_ids:
        ids = principal.admin_consortium_ids
        q |= Q(pk__in=Membership.objects.filter(consortium_id__in=ids).values("user_id"))
        # safe: user ids of the secretariat's own consortia, a subquery for the account list
        q |= Q(pk__in=Student._unscoped.filter(consortium_id__in=ids).values("user_id"))
        # safe: as above
        q |= Q(pk__in=Guardian._unscoped.filter(consortium_id__in=ids).values("user_id"))
    return q


def sso_identities_managed(*, actor: Any) -> Any:
    """The sign-in identities of the schools and towns the actor manages."""
    from ekkyo.registry.selectors import schools_for_principal

    from .models import SignInIdentity

    principal = actor.principal
    return (
        SignInIdentity.objects.filter(
            Q(school__in=schools_for_principal(principal).values("pk"))
            | Q(municipality__in=municipalities_for_principal(principal).values("pk"))
        )
        .select_related("school__municipality", "municipality__prefecture", "registered_by")
        .order_by("provider", "domain", "tenant_id")
    )


def municipalities_for_principal(principal: Principal) -> Any:
    """Towns whose sign-in identities the principal may manage."""
    from ekkyo.registry.models import Municipality

    qs = Municipality.objects.all()
    if principal.system:
        return qs
    q = Q(pk__in=principal.municipality_ids)
    if principal.admin_consortium_ids:
        q |= Q(memberships__consortium_id__in=principal.admin_consortium_ids)
    return qs.filter(q).distinct()
