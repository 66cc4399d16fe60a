"""Writing audit records: the one writer of the append-only log.

Doors call :func:`audit_record` with the explicit :class:`Actor` (never an
``HttpRequest``), a specific event code (``ekkyo.audit.events``), the object
and, where a record changes, its old and new values (:func:`changes`).

``audit_record`` lets a database failure propagate: an unrecorded view of
personal data is worse than a failed page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ekkyo.tenancy.actor import Actor

from .models import Action, AuditEvent


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``obj`` as JSON-able values (foreign keys by id)."""
    result: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _plain_value(getattr(obj, attname))
    return result


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``{"old": {...}, "new": {...}}`` with only the keys whose value changed."""
    keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    return {
        "old": {k: _plain_value(old.get(k)) for k in keys},
        "new": {k: _plain_value(new.get(k)) for k in keys},
    }


def audit_record(
    *,
    actor: Actor,
    event: Action | str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    detail: dict[str, Any] | None = None,
    consortium_id: int | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event for ``actor``.

    ``old``/``new`` (e.g. from :func:`snapshot`) are reduced to the fields that
    changed and stored under ``detail["old"]`` and ``detail["new"]``.
    """
    if not event:
        raise ValueError("audit_record needs an event code")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        consortium_id = consortium_id or getattr(obj, "consortium_id", None)
    body = dict(detail or {})
    if old is not None or new is not None:
        body.update(changes(old or {}, new or {}))
    event_row = AuditEvent(
        consortium_id=consortium_id or actor.consortium_id,
        actor_id=actor.user_id,
        actor_label=actor.label[:200],
        action=str(event),
        object_type=object_type,
        object_id=str(object_id),
        summary=summary[:300],
        path=actor.path[:300],
        ip=actor.remote_addr,
        user_agent=actor.user_agent[:300],
        detail=_plain_value(body),
    )
    event_row.save()
    return event_row
