"""Parsing a form's or a query string's whole numbers, for the views.

A value that is absent or not a whole number becomes the default (an id of
0 then finds nothing, and the door answers "missing" as for any other id):
the views parse, the doors decide."""

from __future__ import annotations


def whole_or_none(raw: object) -> int | None:
    """``raw`` as an int, or None when absent or not a whole number."""
    if raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError:
        return None


def whole(raw: object, default: int = 0) -> int:
    """``raw`` as an int, or ``default`` when absent or not a whole number."""
    value = whole_or_none(raw)
    return default if value is None else value
