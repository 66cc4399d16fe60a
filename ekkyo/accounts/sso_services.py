"""Sign-in with a school's Google Workspace or Microsoft Entra ID account.

Two kinds of doors live here:

* ``sso_identity_add`` / ``sso_identity_remove``: a school coordinator, a
  town's staff or the secretariat registers the Google Workspace domain or
  the Microsoft tenant (with its e-mail domain) that a school or a town's
  board of education owns. Grant ``none``: an identity is no one's personal
  data, but only the school's or town's own staff (or the secretariat of a
  consortium it belongs to) may change it.
* ``sso_sign_in_account``: after the OpenID Connect callback, the ID token's
  *signed* claims decide whether, and as whom, the person signs in. The
  account is found by its verified e-mail only (a staff account's address, a
  student's school e-mail); ``ekkyo.core.sso.check_claims`` then checks the
  domain, ``hd`` and ``tid`` against what that person's school and town
  registered. Nothing is created: an address nobody registered is refused.
  Every refusal is audited as ``signin.sso.refused`` with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from ekkyo.audit.services import audit_record
from ekkyo.core import sso
from ekkyo.core.messages import Problem, gettext_noop
from ekkyo.registry.models import Municipality, School
from ekkyo.registry.selectors import schools_for_principal
from ekkyo.tenancy.access import NotFound, refuse
from ekkyo.tenancy.actor import Actor
from ekkyo.tenancy.principal import Role

from . import events
from .models import Membership, SignInIdentity, SSOProvider, User
from .selectors import consortium_ids_of_user, municipalities_for_principal
from .services import student_user_ensure

# When no registration accepts the claims, the reason reported is the one that
# got furthest: a known domain with the wrong tenant says more than a domain.
_REASON_RANK = {"unverified_email": 0, "no_account": 1, "wrong_domain": 2, "wrong_tenant": 3}


class SSORefused(Exception):
    """The claims may not sign in; ``reason`` is one of ``core.sso.REFUSAL_REASONS``."""

    def __init__(self, reason: str, email: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.email = email


# --- Registered identities ----------------------------------------------------


def _owner(
    actor: Actor, *, school_code: str = "", municipality_code: str = ""
) -> tuple[School | None, Municipality | None]:
    """The school or town named, if the actor manages it ("missing" and "not
    yours" answer alike)."""
    principal = actor.principal
    if bool(school_code) == bool(municipality_code):
        raise ValueError("name exactly one owner: a school or a municipality")
    if school_code:
        school = schools_for_principal(principal).filter(code=school_code).first()
        if school is None:
            refuse(
                actor,
                f"sign-in identities of school {school_code}",
                exists=School.objects.filter(code=school_code).exists(),
            )
        return school, None
    town = municipalities_for_principal(principal).filter(code=municipality_code).first()
    if town is None:
        refuse(
            actor,
            f"sign-in identities of municipality {municipality_code}",
            exists=Municipality.objects.filter(code=municipality_code).exists(),
        )
    return None, town


def _identity_snapshot(identity: SignInIdentity) -> dict[str, Any]:
    return {
        "provider": identity.provider,
        "domain": identity.domain,
        "tenant_id": identity.tenant_id,
        "school": identity.school.code if identity.school else "",
        "municipality": identity.municipality.code if identity.municipality else "",
    }


def _taken(domain: str) -> sso.IdentityError:
    """A domain (and tenant) already registered, by this or another owner."""
    return sso.IdentityError(
        Problem(
            "sso.identity.taken",
            gettext_noop(
                "%(value)s is already registered. Each domain (and tenant) belongs "
                "to one school or town; ask the secretariat if it has moved."
            ),
            {"value": domain},
            field="domain",
        )
    )


def sso_identity_add(
    *,
    actor: Actor,
    provider: str,
    domain: str,
    tenant_id: str = "",
    school_code: str = "",
    municipality_code: str = "",
) -> SignInIdentity:
    """Register a Google Workspace domain, or a Microsoft tenant and its
    e-mail domain, for a school or a town the actor manages.

    Raises :class:`ekkyo.core.sso.IdentityError` (with a :class:`Problem`)
    for a malformed value or one another school or town registered."""
    if provider not in sso.PROVIDERS:
        raise sso.IdentityError(
            Problem(
                "sso.provider.invalid",
                gettext_noop("Choose Google or Microsoft."),
                field="provider",
            )
        )
    clean_domain = sso.normalize_domain(domain)
    clean_tenant = sso.normalize_tenant_id(tenant_id) if provider == SSOProvider.MICROSOFT else ""
    school, town = _owner(actor, school_code=school_code, municipality_code=municipality_code)
    taken = SignInIdentity.objects.filter(
        provider=provider, domain=clean_domain, tenant_id=clean_tenant
    )
    if taken.exists():
        raise _taken(clean_domain)
    try:
        with transaction.atomic():
            identity = SignInIdentity.objects.create(
                provider=provider,
                domain=clean_domain,
                tenant_id=clean_tenant,
                school=school,
                municipality=town,
                registered_by_id=actor.user_id,
            )
            audit_record(
                actor=actor,
                event=events.SSO_IDENTITY_ADD,
                obj=identity,
                consortium_id=actor.consortium_id,
                summary=str(identity),
                new=_identity_snapshot(identity),
            )
    except IntegrityError:  # registered by someone else at the same moment
        raise _taken(clean_domain) from None
    return identity


@transaction.atomic
def sso_identity_remove(*, actor: Actor, identity_id: int) -> None:
    """Remove a registration of a school or town the actor manages; people of
    that domain can no longer sign in with it (codes and passwords still work)."""
    identity = (
        SignInIdentity.objects.select_for_update(of=("self",))
        .select_related("school", "municipality")
        .filter(pk=identity_id)
        .first()
    )
    if identity is None:
        raise NotFound
    if identity.school is not None:
        mine = schools_for_principal(actor.principal).filter(pk=identity.school.pk).exists()
    else:
        mine = (
            municipalities_for_principal(actor.principal)
            .filter(pk=identity.municipality_id)
            .exists()
        )
    if not mine:
        refuse(actor, f"accounts.signinidentity {identity_id}", exists=True)
    audit_record(
        actor=actor,
        event=events.SSO_IDENTITY_REMOVE,
        obj=identity,
        consortium_id=actor.consortium_id,
        summary=str(identity),
        old=_identity_snapshot(identity),
    )
    identity.delete()


# --- Signing in ---------------------------------------------------------------


def _owners_of(user: User | None, student: Any) -> tuple[set[int], set[int]]:
    """(school ids, municipality ids) whose registrations apply: a student's
    school and its town; a staff member's schools and towns."""
    schools: set[int] = set()
    towns: set[int] = set()
    if student is not None and student.school is not None:
        schools.add(student.school_id)
        towns.add(student.school.municipality_id)
    if user is None:
        return schools, towns
    for m in Membership.objects.filter(
        user_id=user.pk, role__in=[Role.SCHOOL_STAFF, Role.MUNICIPALITY_STAFF]
    ).select_related("school"):
        if m.school is not None:
            schools.add(m.school_id)  # type: ignore[arg-type]
            towns.add(m.school.municipality_id)
        elif m.municipality_id is not None:
            towns.add(m.municipality_id)
    return schools, towns


def _account_for(email: str) -> tuple[User | None, Any]:
    """(account, student) whose sign-in address is ``email``: an active staff
    or guardian account's e-mail, or a student's school e-mail (the student's
    account may not exist yet). (None, None) when there is none, or more than
    one: never guess."""
    from ekkyo.people.models import Student

    users = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    students = list(
        # safe: looked up by the verified address being signed in, nothing is shown
        Student._unscoped.filter(school_email__iexact=email).select_related("school", "user")[:2]
    )
    if len(users) + len(students) != 1:
        return None, None
    if users:
        # safe: the signing-in account's own student record, if it has one
        student = Student._unscoped.filter(user_id=users[0].pk).select_related("school").first()
        return users[0], student
    student = students[0]
    if student.user is not None and not student.user.is_active:
        return None, None
    return student.user, student


def _verdict(
    provider: sso.Provider, claims: Mapping[str, Any], rows: Iterable[SignInIdentity]
) -> sso.Verdict:
    """Accepted if one registration accepts the claims (a Microsoft tenant
    only with its own domain); else the reason that got furthest."""
    verdicts = [
        sso.check_claims(
            provider,
            claims,
            sso.Identities.of([row.domain], [row.tenant_id] if row.tenant_id else []),
        )
        for row in rows
    ] or [sso.check_claims(provider, claims, sso.Identities())]
    ok = [v for v in verdicts if v.ok]
    if ok:
        return ok[0]
    return max(verdicts, key=lambda v: _REASON_RANK.get(v.reason or "", 0))


def _refuse_sign_in(
    actor: Actor,
    provider: str,
    claims: Mapping[str, Any],
    reason: str,
    email: str,
    user: User | None = None,
) -> SSORefused:
    consortia = sorted(consortium_ids_of_user(user)) if user is not None else []
    audit_record(
        actor=actor,
        event=events.SSO_SIGN_IN_REFUSED,
        consortium_id=consortia[0] if consortia else None,
        object_type="accounts.user" if user is not None else "",
        object_id=user.pk if user is not None else "",
        summary=f"{provider}: {email or '-'} ({reason})"[:200],
        new={
            "reason": reason,
            "provider": provider,
            "email": email[:200],
            "hd": str(claims.get("hd") or "")[:253],
            "tid": str(claims.get("tid") or "")[:36],
        },
    )
    return SSORefused(reason, email)


def sso_sign_in_failed(*, actor: Actor, provider: str, error: str, exception: str) -> None:
    """Record a sign-in that failed before its claims could be trusted."""
    audit_record(
        actor=actor,
        event=events.SSO_SIGN_IN_REFUSED,
        summary=f"{provider}: {error or exception or 'error'}"[:200],
        new={
            "reason": "authentication_failed",
            "provider": provider,
            "error": error[:100],
            "exception": exception[:100],
        },
    )


def sso_sign_in_account(
    *,
    actor: Actor,
    provider: str,
    claims: Mapping[str, Any],
    linked_user_id: int | None = None,
) -> User:
    """The account these signature-checked ID token claims sign in to.

    Raises :class:`SSORefused` (audited) unless the e-mail is verified, belongs
    to exactly one active account, and a domain / tenant registered by that
    account's school or town accepts the claims (``core.sso.check_claims``).
    ``linked_user_id``: an account allauth already tied to this identity,
    which must be the same one."""
    if provider not in sso.PROVIDERS:
        raise _refuse_sign_in(actor, provider, claims, "wrong_domain", sso.email_of(claims))
    email = sso.verified_email(provider, claims)  # type: ignore[arg-type]
    if email is None:
        raise _refuse_sign_in(actor, provider, claims, "unverified_email", sso.email_of(claims))
    domain = email.rsplit("@", 1)[1]
    if not SignInIdentity.objects.filter(provider=provider, domain=domain).exists():
        raise _refuse_sign_in(actor, provider, claims, "wrong_domain", email)
    user, student = _account_for(email)
    if (user is None and student is None) or (
        linked_user_id is not None and (user is None or linked_user_id != user.pk)
    ):
        raise _refuse_sign_in(actor, provider, claims, "no_account", email)
    schools, towns = _owners_of(user, student)
    rows = SignInIdentity.objects.filter(provider=provider).filter(
        Q(school_id__in=schools) | Q(municipality_id__in=towns)
    )
    verdict = _verdict(provider, claims, rows)  # type: ignore[arg-type]
    if not verdict.ok:
        raise _refuse_sign_in(actor, provider, claims, verdict.reason or "", email, user)
    if user is None:
        with transaction.atomic():
            user = student_user_ensure(student)
    return user


def sso_configured_apps() -> list[dict[str, Any]]:
    """The OpenID Connect apps of this deployment (settings.sso_apps)."""
    from django.conf import settings

    providers = getattr(settings, "SOCIALACCOUNT_PROVIDERS", {})
    return list(providers.get("ekkyo_oidc", {}).get("APPS", []))


def sso_configured_providers() -> list[tuple[str, str]]:
    """(provider id, name) of the sign-in apps this deployment has configured."""
    return [(a["provider_id"], a.get("name") or a["provider_id"]) for a in sso_configured_apps()]
