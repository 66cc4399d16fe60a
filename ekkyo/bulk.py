"""Bulk writes without model instances, for system jobs (the demo seeder, the
KPI recount).

On PostgreSQL the rows go in with ``COPY … FROM STDIN`` (psycopg 3's
``cursor.copy()``), with ids reserved from the table's own sequence first
(``nextval`` over ``generate_series``), so that later inserts by the ORM
never collide. Elsewhere (SQLite) it is ``bulk_create`` in large batches.
Django's own ``bulk_create`` on PostgreSQL sends each column as an array
(``UNNEST``), and psycopg escapes every text element of it with a regular
expression: for the recount's 110,000 JSON values that was 23 s of a
cProfile run at the 120,000-student demo (docs/benchmarks.md).

Like ``bulk_create``: no signals, no ``save()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Field, Model

#: Rows per ``bulk_create`` statement on SQLite (its limit is 32,766 variables
#: per statement; Django splits further when a model has many columns).
SQLITE_BATCH = 5000


class JsonText(str):
    """A JSON field's value already written as JSON text: :func:`insert_rows`
    sends it as it is instead of encoding a dict (the demo's survey answers
    are put together as text, 450,000 of them)."""

    __slots__ = ()


def copy_available() -> bool:
    """Whether the COPY path is used (PostgreSQL through psycopg 3)."""
    return connection.vendor == "postgresql"


def reserve_ids(model: type[Model], n: int) -> list[int]:
    """``n`` fresh ids from the model's primary-key sequence (PostgreSQL)."""
    if n == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, n],
        )
        return [row[0] for row in cur.fetchall()]


def insert_rows(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert plain rows (values in ``columns`` order, attnames; no pk) without
    building model instances: ``COPY`` on PostgreSQL with ids reserved from
    the sequence, ``bulk_create`` elsewhere. Values are what the fields take
    (dicts for JSON fields, aware datetimes). Returns the rows written."""
    if not rows:
        return 0
    meta = model._meta
    if not copy_available():
        objs = [
            model(
                **{
                    c: json.loads(v) if isinstance(v, JsonText) else v
                    for c, v in zip(columns, row, strict=True)
                }
            )
            for row in rows
        ]
        model._base_manager.bulk_create(objs, batch_size=SQLITE_BATCH)
        return len(objs)
    pk = meta.pk
    assert pk is not None
    by_attname = {f.attname: f for f in meta.concrete_fields}
    given_pk = pk.attname in columns  # e.g. StudentKeys: the student's id is the key
    names = ([] if given_pk else [str(pk.column)]) + [str(by_attname[c].column) for c in columns]
    sql = (
        f"COPY {connection.ops.quote_name(meta.db_table)} "
        f"({', '.join(connection.ops.quote_name(n) for n in names)}) FROM STDIN"
    )
    json_at = [n for n, c in enumerate(columns) if by_attname[c].get_internal_type() == "JSONField"]
    ids: Sequence[int | None] = [None] * len(rows) if given_pk else reserve_ids(model, len(rows))
    dumps = json.dumps
    with connection.cursor() as cur, cur.copy(sql) as copy:
        write = copy.write_row
        for i, row in zip(ids, rows, strict=True):
            if json_at:
                row = list(row)
                for n in json_at:
                    if not isinstance(row[n], JsonText):
                        row[n] = dumps(row[n], ensure_ascii=False)
            write(row if given_pk else (i, *row))
    return len(rows)


def bulk_update_fields(model: type[Model], objs: Sequence[Model], fields: Sequence[str]) -> int:
    """``bulk_update`` of ``fields`` (attnames or field names) for many rows.

    On PostgreSQL: the new values go into a temporary table with ``COPY`` and
    one ``UPDATE … FROM`` applies them (Django's ``bulk_update`` builds a
    ``CASE`` per column and batch; with it the demo's round of 10,000
    applications took 27.5 s to allocate, 15.7 s with this, docs/benchmarks.md).
    Elsewhere, ``bulk_update`` in batches of 500. Returns the rows given."""
    if not objs:
        return 0
    meta = model._meta
    chosen: list[Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, Field), name  # a concrete column, not a reverse relation
        chosen.append(field)
    if not copy_available():
        model._base_manager.bulk_update(objs, [f.name for f in chosen], batch_size=500)
        return len(objs)
    pk = meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    temp = quote(f"_bulk_{meta.db_table}"[:60])
    columns = [pk, *chosen]
    definition = ", ".join(f"{quote(str(f.column))} {f.db_type(connection)}" for f in columns)
    assignments = ", ".join(f"{quote(str(f.column))} = t.{quote(str(f.column))}" for f in chosen)
    json_fields = {f.attname for f in chosen if f.get_internal_type() == "JSONField"}
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMPORARY TABLE {temp} ({definition}) ON COMMIT DROP")
        names = ", ".join(quote(str(f.column)) for f in columns)
        with cur.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for o in objs:
                copy.write_row(
                    [
                        json.dumps(getattr(o, f.attname), ensure_ascii=False)
                        if f.attname in json_fields
                        else getattr(o, f.attname)
                        for f in columns
                    ]
                )
        # Identifiers only, quoted, from the model's own metadata: no user input.
        cur.execute(
            f"UPDATE {quote(meta.db_table)} AS m SET {assignments} FROM {temp} AS t "  # noqa: S608
            f"WHERE m.{quote(str(pk.column))} = t.{quote(str(pk.column))}"
        )
        cur.execute(f"DROP TABLE {temp}")
    return len(objs)


@contextmanager
def foreign_keys_checked_once(models: Iterable[type[Model]]) -> Iterator[None]:
    """Within a transaction on PostgreSQL: the FOREIGN KEY constraints of these
    models' tables are dropped, and added back when the block ends, which
    checks each of them once over all rows (one anti-join per constraint)
    instead of one deferred trigger per inserted row at commit — for the
    demo seed's 3 million rows that commit took 16–23 s (docs/benchmarks.md).
    ``pg_restore --disable-triggers`` loads for the same reason.

    A row that breaks a constraint still fails the transaction, at the end of
    the block instead of at commit. The tables stay locked until commit
    (ALTER TABLE): for system jobs that own the database for a while (the
    demo seeder), not for work beside live traffic. Elsewhere: nothing."""
    tables = _bulk_tables(models, "foreign_keys_checked_once")
    if tables is None:
        yield
        return
    with connection.cursor() as cur:
        constraints = _constraints(cur, tables, "f")
        _fire_deferred_checks(cur)
        _drop_constraints(cur, constraints)
    yield
    with connection.cursor() as cur:
        _fire_deferred_checks(cur)
        _add_constraints(cur, constraints)


def _fire_deferred_checks(cur: Any) -> None:
    """Run the checks deferred so far (PostgreSQL refuses to ALTER a table with
    pending trigger events), then defer again: ekkyo's deferrable constraints
    are Django's foreign keys, all INITIALLY DEFERRED."""
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def indexes_built_once(models: Iterable[type[Model]]) -> Iterator[None]:
    """Within a transaction on PostgreSQL: every index of these models' tables
    but the primary key (unique constraints included) is dropped, and built
    again when the block ends — one sort per index instead of one b-tree
    insertion per row and index. For 600,000 survey tokens that is 3.2 s
    against 11.3 s (docs/benchmarks.md). Uniqueness is checked when the
    index is built: a duplicate fails the transaction there.

    Queries inside the block find no index on these tables: wrap only the
    writes. Tables stay locked until commit; for system jobs such as the demo
    seeder, as :func:`foreign_keys_checked_once`. Elsewhere: nothing."""
    tables = _bulk_tables(models, "indexes_built_once")
    if tables is None:
        yield
        return
    with connection.cursor() as cur:
        constraints = _constraints(cur, tables, "u")
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::text[]::regclass[]) "
            "AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY 1",
            [tables],
        )
        indexes = cur.fetchall()
        _fire_deferred_checks(cur)
        _drop_constraints(cur, constraints)
        for index, _definition in indexes:
            cur.execute(f"DROP INDEX {index}")
    yield
    with connection.cursor() as cur:
        _fire_deferred_checks(cur)
        cur.execute("SET LOCAL maintenance_work_mem = '128MB'")  # the sorts in memory
        # Definitions from the catalogue itself (names quoted by PostgreSQL).
        for _index, definition in indexes:
            cur.execute(definition)
        _add_constraints(cur, constraints)
        cur.execute("RESET maintenance_work_mem")


def _bulk_tables(models: Iterable[type[Model]], what: str) -> list[str] | None:
    """The models' tables where the COPY path is on (None elsewhere); the
    catalogue changes need a transaction to undo them on failure."""
    if not copy_available():
        return None
    if not connection.in_atomic_block:
        raise RuntimeError(f"{what} needs a transaction")
    return sorted({m._meta.db_table for m in models})


def _constraints(cur: Any, tables: list[str], kind: str) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the tables' constraints of one kind
    (``f`` foreign key, ``u`` unique), from PostgreSQL's catalogue."""
    cur.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = %s "
        "AND c.conrelid = ANY(%s::text[]::regclass[]) ORDER BY 1, 2",
        [kind, tables],
    )
    return list(cur.fetchall())


def _drop_constraints(cur: Any, constraints: list[tuple[str, str, str]]) -> None:
    for table, name, _definition in constraints:
        cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")


def _add_constraints(cur: Any, constraints: list[tuple[str, str, str]]) -> None:
    # Table and definition from the catalogue itself (regclass text is quoted as needed).
    for table, name, definition in constraints:
        cur.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        )
