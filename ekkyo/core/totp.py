"""RFC 6238 TOTP codes (SHA-1, 30 s, 6 digits), as authenticator apps compute them.

Used by the demo and tests to produce the code a person's app would show.
No Django import.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time


def totp_at(secret: str, unix_time: float, *, period: int = 30, digits: int = 6) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int(unix_time) // period)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def totp_now(secret: str) -> str:
    return totp_at(secret, time.time())
