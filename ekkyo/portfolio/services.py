"""Sharing a portfolio and withdrawing a share: the only writes of this app.

``portfolio_share_create`` shares the signed-in student's own portfolio (full
grant on themself); ``portfolio_share_withdraw`` withdraws a share of the
student or of one of a guardian's children (full grant; nobody else reaches
shares). Both take an explicit :class:`Actor` and are audited with specific
codes (``portfolio.events``); withdrawing twice is harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from ekkyo.accounts.models import User
from ekkyo.audit.services import audit_record, snapshot
from ekkyo.tenancy.access import Grant, access
from ekkyo.tenancy.actor import Actor

from . import events
from .models import SECTIONS, PortfolioShare
from .selectors import own_student


class ShareError(ValueError):
    pass


def _user(actor: Actor) -> User | None:
    """The actor's account for ``created_by``/``withdrawn_by`` (none for a job)."""
    return cast("User | None", actor.user if getattr(actor.user, "pk", None) else None)


def portfolio_share_create(
    *,
    actor: Actor,
    recipient_kind: str,
    recipient_label: str,
    sections: list[str],
    expires_at: datetime | None,
    request_key: str = "",
) -> PortfolioShare:
    """A new share link of the actor's own portfolio; the same ``request_key``
    (a double submit) returns the first one."""
    student = own_student(actor=actor)
    chosen = [s for s in SECTIONS if s in sections]
    if not chosen:
        raise ShareError("choose at least one section")
    if expires_at is not None and expires_at <= timezone.now():
        raise ShareError("the expiry is in the past")
    key = request_key[:64]
    if key:
        existing = PortfolioShare._unscoped.filter(  # safe: the actor's own student (above)
            student=student, request_key=key
        ).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            share = PortfolioShare._unscoped.create(  # safe: the actor's own student (above)
                student=student,
                recipient_kind=recipient_kind,
                recipient_label=recipient_label.strip()[:120],
                sections=chosen,
                expires_at=expires_at,
                request_key=key,
                created_by=_user(actor),
            )
            audit_record(
                actor=actor,
                event=events.PORTFOLIO_SHARE_CREATE,
                obj=share,
                consortium_id=student.consortium_id,
                summary=f"portfolio shared with {share.get_recipient_kind_display()}: "
                f"{', '.join(chosen)}",
                new=snapshot(
                    share, ["recipient_kind", "recipient_label", "sections", "expires_at"]
                ),
            )
    except IntegrityError:
        # The same form arrived twice at once: the other request made it.
        return PortfolioShare._unscoped.get(  # safe: the actor's own student (above)
            student=student, request_key=key
        )
    return share


@transaction.atomic
def portfolio_share_withdraw(*, actor: Actor, share_id: int) -> tuple[PortfolioShare, bool]:
    """Withdraw a share (the link stops working at once).

    Returns the share and whether this call withdrew it (False if it already was)."""
    checked = access(actor, PortfolioShare, grant=Grant.FULL, pk=share_id)
    # safe: access() above checked the actor's right to this share
    share = PortfolioShare._unscoped.select_for_update().get(pk=checked.pk)
    if share.withdrawn_at is not None:
        return share, False
    before = snapshot(share, ["withdrawn_at"])
    share.withdrawn_at = timezone.now()
    share.withdrawn_by = _user(actor)
    share.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        actor=actor,
        event=events.PORTFOLIO_SHARE_WITHDRAW,
        obj=share,
        consortium_id=share.student.consortium_id,
        summary="portfolio share withdrawn",
        old=before,
        new=snapshot(share, ["withdrawn_at"]),
    )
    return share, True
