"""Encryption at rest for secrets and class I data (DESIGN.md "Classes").

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``. The key comes from
FIELD_ENCRYPTION_KEY when set, else it is derived from SECRET_KEY with HKDF,
so the demo needs no extra setting. Rotating the key needs a re-encryption
job; docs/decisions.md says how.
"""

from __future__ import annotations

import base64
import time
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _fernet() -> Fernet:
    explicit = getattr(settings, "FIELD_ENCRYPTION_KEY", "")
    if explicit:
        return Fernet(explicit.encode())
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"ekkyo-field-encryption", info=b"v1"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_text(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def encrypt_texts(texts: list[str]) -> list[str]:
    """Encrypt many values at once (bulk writers: one key object, one timestamp)."""
    f = _fernet()
    now = int(time.time())
    return [f.encrypt_at_time(t.encode("utf-8"), now).decode("ascii") for t in texts]


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong key or corrupted value") from exc
