"""Fast bulk inserts for the demo seeder (``ekkyo seed-demo``).

On PostgreSQL the rows go in with ``COPY … FROM STDIN`` (psycopg 3's
``cursor.copy()``), with ids reserved from the table's own sequence first
(``nextval`` over ``generate_series``): the sequence is then already past
every id written, so later inserts by the ORM, the pages or another process
never collide, and the caller gets the ids on its objects as with
``bulk_create``. Elsewhere (SQLite, the ``make demo`` default) it is
``bulk_create`` in large batches.

Like ``bulk_create`` it sends no signals and calls no ``save()``: the
caller recounts what signals would keep current (the KPI aggregates, once at
the end of the seed). Only for system jobs that write synthetic data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from ekkyo.bulk import SQLITE_BATCH, copy_available, reserve_ids

__all__ = ["bulk_insert", "copy_available", "reserve_ids"]

M = TypeVar("M", bound=Model)

#: Field types whose Python values psycopg writes correctly as they are
#: (aware datetimes, dates, UUIDs, ints, bools, strings and str/int choices).
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
        "UUIDField",
    }
)


def bulk_insert(model: type[M], objs: Sequence[M], *, using_copy: bool | None = None) -> list[M]:
    """Insert ``objs`` (unsaved instances); afterwards each has its pk, as with ``bulk_create``."""
    if not objs:
        return list(objs)
    if using_copy is None:
        using_copy = copy_available()
    if not using_copy:
        return model._base_manager.bulk_create(objs, batch_size=SQLITE_BATCH)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if not f.generated]
    if any(getattr(o, pk.attname) is None for o in objs):
        for o, i in zip(
            (o for o in objs if getattr(o, pk.attname) is None),
            reserve_ids(model, sum(1 for o in objs if getattr(o, pk.attname) is None)),
            strict=True,
        ):
            setattr(o, pk.attname, i)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    # Values psycopg writes as they are (the ORM's preparation is the identity for
    # them on PostgreSQL) are read straight off the objects; the others (JSON,
    # decimals...) go through the field's own preparation, as in bulk_create.
    now = timezone.now()
    plan: list[tuple[str, Any]] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for o in objs:
                setattr(o, f.attname, now)
        prep = None if f.get_internal_type() in _AS_IS else f.get_db_prep_save
        plan.append((f.attname, prep))
    with connection.cursor() as cur, cur.copy(sql) as copy:
        write = copy.write_row
        for o in objs:
            d = o.__dict__
            write(
                [
                    d[name] if prep is None else prep(d[name], connection=connection)
                    for name, prep in plan
                ]
            )
    for o in objs:
        o._state.adding = False
        o._state.db = connection.alias
    return list(objs)
