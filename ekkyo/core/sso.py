"""Checks for single sign-on (Google Workspace, Microsoft Entra ID), without Django.

A school (or town) registers the sign-in identities it owns: Google Workspace
domains (the ``hd`` claim) and Microsoft Entra tenant ids (the ``tid`` claim,
a GUID). After an OpenID Connect callback the Django layer passes the ID
token's *verified* claims here; :func:`check_claims` decides whether they may
sign in to an account whose school registered ``identities``. The request's
``hd`` / ``tenant`` parameters are never trusted: only signed claims are.
Microsoft's ``common`` endpoint is fine because ``tid`` is always checked.

Refusal reasons (stable codes, also used in the audit event
``signin.sso.refused``): ``unverified_email``, ``wrong_domain``,
``wrong_tenant``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ekkyo.core.messages import Problem, gettext_noop

Provider = Literal["google", "microsoft"]
PROVIDERS: tuple[Provider, ...] = ("google", "microsoft")

REFUSAL_REASONS = (
    "unverified_email",
    "wrong_domain",
    "wrong_tenant",
    "no_account",
    # the OpenID Connect exchange itself failed (cancelled, bad state or token)
    "authentication_failed",
)

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class IdentityError(ValueError):
    """A registered identity that cannot be accepted; ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.render())
        self.problem = problem


def normalize_domain(value: str) -> str:
    """A Google Workspace domain, lower-cased; :class:`IdentityError` if malformed."""
    domain = (value or "").strip().lower().rstrip(".")
    if not domain:
        raise IdentityError(Problem("sso.domain.required", gettext_noop("A domain is required.")))
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_domain = ""
    labels = ascii_domain.split(".")
    if (
        len(ascii_domain) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise IdentityError(
            Problem(
                "sso.domain.invalid",
                gettext_noop("%(value)s is not a domain name (for example school.example.jp)."),
                {"value": value},
                field="domain",
            )
        )
    return ascii_domain


def normalize_tenant_id(value: str) -> str:
    """A Microsoft Entra tenant id (GUID), lower-cased canonical form."""
    text = (value or "").strip()
    if not text:
        raise IdentityError(
            Problem("sso.tenant.required", gettext_noop("A tenant id is required."))
        )
    try:
        if len(text.replace("-", "")) != 32 or text.count("-") not in (0, 4):
            raise ValueError(text)
        tenant = str(uuid.UUID(text))
        if tenant == str(uuid.UUID(int=0)):
            raise ValueError(text)
    except ValueError:
        raise IdentityError(
            Problem(
                "sso.tenant.invalid",
                gettext_noop(
                    "%(value)s is not a tenant id: expected a GUID such as "
                    "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx."
                ),
                {"value": value},
                field="tenant_id",
            )
        ) from None
    return tenant


@dataclass(frozen=True)
class Identities:
    """What one school (or town) registered."""

    domains: frozenset[str] = frozenset()
    tenant_ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, domains: Iterable[str] = (), tenant_ids: Iterable[str] = ()) -> Identities:
        return cls(
            frozenset(normalize_domain(d) for d in domains),
            frozenset(normalize_tenant_id(t) for t in tenant_ids),
        )


@dataclass(frozen=True)
class Verdict:
    """``reason`` is ``None`` when the claims may sign in; ``email`` normalized."""

    reason: str | None
    email: str

    @property
    def ok(self) -> bool:
        return self.reason is None


def email_of(claims: Mapping[str, Any]) -> str:
    """The claimed e-mail, lower-cased (empty if absent)."""
    return str(claims.get("email") or "").strip().lower()


def _true(value: Any) -> bool:
    # Some providers send the string "true"; anything else is not true.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _verified(provider: str, claims: Mapping[str, Any]) -> bool:
    """Google sends ``email_verified``. Microsoft Entra ID does not: its
    optional claim ``xms_edov`` ("e-mail domain owner verified") says the
    address's domain is verified in the tenant, which is what counts here."""
    if _true(claims.get("email_verified")):
        return True
    return provider == "microsoft" and _true(claims.get("xms_edov"))


def verified_email(provider: Provider, claims: Mapping[str, Any]) -> str | None:
    """The claims' e-mail (lower-cased) if the provider verified it, else None."""
    email = email_of(claims)
    if not email or "@" not in email or not _verified(provider, claims):
        return None
    return email


def check_claims(provider: Provider, claims: Mapping[str, Any], identities: Identities) -> Verdict:
    """May these (signature-checked) ID token claims sign in to an account of ``identities``?

    Refused unless the e-mail is verified, its domain is registered, and
    (Google) ``hd`` equals that domain or (Microsoft) ``tid`` is a registered
    tenant id. The order of checks fixes which reason is reported.
    """
    email = verified_email(provider, claims)
    if email is None:
        return Verdict("unverified_email", email_of(claims))
    domain = email.rsplit("@", 1)[1]
    if domain not in identities.domains:
        return Verdict("wrong_domain", email)
    if provider == "google":
        if str(claims.get("hd") or "").strip().lower() != domain:
            return Verdict("wrong_domain", email)
    elif provider == "microsoft":
        tid = str(claims.get("tid") or "").strip().lower()
        if not tid or tid not in identities.tenant_ids:
            return Verdict("wrong_tenant", email)
    else:  # pragma: no cover - Provider is closed
        raise ValueError(provider)
    return Verdict(None, email)
