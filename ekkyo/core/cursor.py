"""Opaque cursors for keyset pagination: the last row's (sort key, id).

A cursor is URL-safe base64 of a small JSON list, so clients treat it as
opaque and the server can change what it holds. Keyset pagination (rows
after the last one seen, by sort key then id) stays stable under inserts:
a page never repeats or skips rows that existed when the listing started.
No Django import.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class BadCursor(ValueError):
    """The cursor was not made by :func:`encode`."""


def encode(sort_value: Any, pk: int) -> str:
    raw = json.dumps([sort_value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(cursor) from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[1], int)
        or isinstance(value[1], bool)
        or not isinstance(value[0], (str, int))
        or isinstance(value[0], bool)
    ):
        raise BadCursor(cursor)
    return value[0], value[1]
