"""Sharing a portfolio and withdrawing a share: the only writes of this app.

``share_create`` is called for the signed-in student only; ``share_withdraw``
for the student or one of their guardians (the view fetched the share
through the tenancy layer). Both are audited; withdrawing twice is harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ekkyo.audit.models import Action
from ekkyo.audit.services import audit_record
from ekkyo.people.models import Student

from .models import SECTIONS, PortfolioShare


class ShareError(ValueError):
    pass


def share_create(
    *,
    student: Student,
    recipient_kind: str,
    recipient_label: str,
    sections: list[str],
    expires_at: datetime | None,
    request_key: str = "",
    user: Any = None,
    request: Any = None,
) -> PortfolioShare:
    """A new share link; the same ``request_key`` (a double submit) returns the first one."""
    chosen = [s for s in SECTIONS if s in sections]
    if not chosen:
        raise ShareError("choose at least one section")
    if expires_at is not None and expires_at <= timezone.now():
        raise ShareError("the expiry is in the past")
    key = request_key[:64]
    if key:
        existing = PortfolioShare._unscoped.filter(student=student, request_key=key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            share = PortfolioShare._unscoped.create(
                student=student,
                recipient_kind=recipient_kind,
                recipient_label=recipient_label.strip()[:120],
                sections=chosen,
                expires_at=expires_at,
                request_key=key,
                created_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:
        # The same form arrived twice at once: the other request made it.
        return PortfolioShare._unscoped.get(student=student, request_key=key)
    audit_record(
        request=request,
        user=user,
        action=Action.CREATE,
        object_type="portfolio.portfolioshare",
        object_id=share.pk,
        consortium_id=student.consortium_id,
        summary=f"portfolio shared with {share.get_recipient_kind_display()}: {', '.join(chosen)}",
    )
    return share


@transaction.atomic
def share_withdraw(*, share: PortfolioShare, user: Any = None, request: Any = None) -> bool:
    """Withdraw the share (the link stops working at once); False if it was already."""
    share = PortfolioShare._unscoped.select_for_update().get(pk=share.pk)
    if share.withdrawn_at is not None:
        return False
    share.withdrawn_at = timezone.now()
    share.withdrawn_by = user if getattr(user, "pk", None) else None
    share.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        request=request,
        user=user,
        action=Action.UPDATE,
        object_type="portfolio.portfolioshare",
        object_id=share.pk,
        consortium_id=share.student.consortium_id,
        summary="portfolio share withdrawn",
    )
    return True
