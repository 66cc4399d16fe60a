"""Writes of the API app: integration tokens and idempotency records.

``api_token_create`` / ``api_token_revoke`` are doors (explicit actor, the
consortium or town checked against the actor's rights, an audit row each).
The idempotency functions are called by the POST wrapper in ``views`` around
every API write: ``idempotency_begin`` inserts the record first (the unique
constraint on token + key decides races: the loser sees the winner's row),
``idempotency_finish`` stores the answer to replay, ``idempotency_abandon``
drops the record of a request that failed with a server error so that it can
be retried.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ekkyo.audit.services import audit_record
from ekkyo.registry.models import Consortium, Municipality
from ekkyo.tenancy.access import NotFound, refuse
from ekkyo.tenancy.actor import Actor

from . import events
from .models import ApiToken, IdempotencyRecord, Scope

TOKEN_PREFIX = "ekk_"  # noqa: S105 — the prefix that marks our tokens, not a secret


def secret_hash(secret: str) -> str:
    """Tokens are long random strings: SHA-256 is enough (no dictionary to guess)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenError(ValueError):
    """A token could not be created as asked (message for the user)."""


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def api_token_create(
    *,
    actor: Actor,
    consortium_id: int,
    municipality_id: int | None,
    name: str,
    scopes: list[str],
    expires_at: datetime,
) -> CreatedToken:
    """A token for the consortium (the secretariat may create it) or for one
    of its member towns (the secretariat or that town's staff may).

    Refuses unknown scopes, an expiry in the past and an empty name
    (:class:`TokenError`); a consortium or town that is not the actor's
    answers 404 like a missing one."""
    p = actor.principal
    consortium = Consortium.objects.filter(pk=consortium_id).first()
    if consortium is None:
        raise NotFound
    municipality = None
    if municipality_id is not None:
        municipality = Municipality.objects.filter(
            pk=municipality_id, memberships__consortium=consortium
        ).first()
        if municipality is None:
            raise NotFound
    allowed = p.system or consortium.pk in p.admin_consortium_ids
    if municipality is not None and municipality.pk in p.municipality_ids:
        allowed = True
    if not allowed:
        refuse(actor, f"api token for consortium {consortium.pk}", exists=True)
    name = name.strip()
    if not name:
        raise TokenError(_("The token needs a name."))
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise TokenError(_("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)})
    if not scopes:
        raise TokenError(_("Choose at least one scope."))
    if expires_at <= timezone.now():
        raise TokenError(_("The expiry date must be in the future."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        consortium=consortium,
        municipality=municipality,
        name=name[:100],
        prefix=secret[:12],
        secret_hash=secret_hash(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by_id=actor.user_id,
    )
    audit_record(
        actor=actor,
        event=events.API_TOKEN_CREATE,
        obj=token,
        consortium_id=consortium.pk,
        new={
            "name": token.name,
            "municipality": municipality.pk if municipality else None,
            "scopes": token.scopes,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return CreatedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token the actor manages (``selectors.tokens_managed``)."""
    from .selectors import tokens_managed

    token = tokens_managed(actor=actor).select_for_update(of=("self",)).filter(pk=token_id).first()
    if token is None:
        refuse(actor, f"api token {token_id}", exists=ApiToken.objects.filter(pk=token_id).exists())
    assert token is not None
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            event=events.API_TOKEN_REVOKE,
            obj=token,
            consortium_id=token.consortium_id,
            old={"revoked_at": None},
            new={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Remember when a token was last used (at most once a minute per token)."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


class IdempotencyConflict(Exception):
    """The same key is in flight (409) or was used with another body (422)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def idempotency_begin(
    *, token: ApiToken, key: str, method: str, path: str, body: bytes
) -> tuple[IdempotencyRecord, bool]:
    """(record, fresh): a fresh record is in flight and the request may run;
    otherwise the stored record of the earlier request with that key (done:
    replay it). Raises :class:`IdempotencyConflict` while the first is in
    flight or when the body (or method and path) differ."""
    digest = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                token=token, key=key, method=method, path=path[:300], body_hash=digest
            )
        return record, True
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(token=token, key=key).first()
    if existing is None:  # abandoned between our insert and this read: try once more
        return idempotency_begin(token=token, key=key, method=method, path=path, body=body)
    if existing.body_hash != digest:
        raise IdempotencyConflict(422)
    if existing.status is None:
        raise IdempotencyConflict(409)
    return existing, False


def idempotency_finish(*, record: IdempotencyRecord, status: int, response: str) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(status=status, response=response)


def idempotency_abandon(*, record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).delete()
