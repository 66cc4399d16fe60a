"""Sign-in services: student one-time codes and lock-out.

``student_code_issue`` is called by a school coordinator's page and by the
demo seeder; it returns the plain code and QR token once (only hashes are
stored). ``student_code_sign_in`` checks a login ID + code (or a QR token),
counts failures per login ID and locks it for a while after repeated ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ekkyo.audit.services import audit_record
from ekkyo.tenancy.actor import Actor

from . import events
from .models import SignInLock, StudentSignInCode, User

# Unambiguous characters for codes typed by children on tablets (no 0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _hash(value: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), value.strip().upper().encode(), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    login_id: str
    code: str
    qr_token: str
    expires_at: Any


def _login_id_for(student: Any) -> str:
    return f"S{student.pk:07d}"


def student_user_ensure(student: Any) -> User:
    """The student's sign-in account, created (without a password) on first use."""
    if student.user_id is not None:
        return User.objects.get(pk=student.user_id)
    user = User.objects.create(
        username=f"student-{student.pk}",
        display_name=student.full_name,
        language=student.preferred_language,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    student.user = user
    student.save(update_fields=["user"])
    return user


@transaction.atomic
def student_code_issue(*, student: Any, issued_by: Any | None) -> IssuedCode:
    """Issue a fresh one-time code for ``student``; earlier unused codes stop working."""
    student_user_ensure(student)
    now = timezone.now()
    StudentSignInCode.objects.filter(student=student, used_at__isnull=True).update(used_at=now)
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    qr_token = secrets.token_urlsafe(24)
    expires = now + timedelta(hours=settings.STUDENT_CODE_TTL_HOURS)
    login_id = _login_id_for(student)
    StudentSignInCode.objects.create(
        student=student,
        login_id=login_id,
        code_hash=_hash(code),
        qr_token_hash=_hash(qr_token),
        issued_by=issued_by,
        expires_at=expires,
    )
    return IssuedCode(login_id=login_id, code=code, qr_token=qr_token, expires_at=expires)


class SignInRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "locked"


def _lock_key(login_id: str) -> str:
    return "student:" + login_id.strip().upper()[:40]


def is_locked(login_id: str) -> bool:
    lock = SignInLock.objects.filter(key=_lock_key(login_id)).first()
    return bool(lock and lock.locked_until and lock.locked_until > timezone.now())


@transaction.atomic
def _register_failure(login_id: str) -> bool:
    """Count a failure; returns True when this failure locks the login ID."""
    lock, _ = SignInLock.objects.select_for_update().get_or_create(key=_lock_key(login_id))
    lock.failures += 1
    locked = False
    if lock.failures >= settings.STUDENT_LOCKOUT_FAILURES:
        lock.locked_until = timezone.now() + timedelta(minutes=settings.STUDENT_LOCKOUT_MINUTES)
        lock.failures = 0
        locked = True
    lock.save()
    return locked


def student_code_sign_in(
    *, login_id: str = "", code: str = "", qr_token: str = ""
) -> tuple[Any, str]:
    """Return (user, login_id) for a valid, unused code; raise SignInRefused otherwise.

    The code is consumed in its own transaction; a failure is counted in
    another, so that the count survives the refusal.
    """
    login_id = login_id.strip().upper()
    if login_id and is_locked(login_id):
        raise SignInRefused("locked")
    now = timezone.now()
    with transaction.atomic():
        records = StudentSignInCode.objects.select_for_update().select_related("student")
        if qr_token:
            record = records.filter(qr_token_hash=_hash(qr_token)).first()
        else:
            record = (
                records.filter(login_id=login_id, used_at__isnull=True, expires_at__gt=now)
                .order_by("-issued_at")
                .first()
            )
            if record is not None and not hmac.compare_digest(record.code_hash, _hash(code)):
                record = None
        if record is not None and record.is_usable and not is_locked(record.login_id):
            record.used_at = now
            record.save(update_fields=["used_at"])
            SignInLock.objects.filter(key=_lock_key(record.login_id)).delete()
            return User.objects.get(pk=record.student.user_id or 0), record.login_id
    if qr_token:
        # A QR token is 32 random bytes: guessing is hopeless, so no per-ID count.
        raise SignInRefused("invalid")
    locked = _register_failure(login_id or "-")
    raise SignInRefused("locked" if locked else "invalid")


def student_sign_in_refused(*, actor: Actor, login_id: str, locked: bool) -> None:
    """Record a refused student sign-in (the failure count is kept by the check)."""
    audit_record(
        actor=actor,
        event=events.LOCKED_OUT if locked else events.STUDENT_SIGN_IN_FAILED,
        summary=login_id[:40],
        detail={"student_login_id": login_id[:40]},
    )
