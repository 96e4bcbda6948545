"""Bulk writes of the store: many new rows at once, and insert-or-ignore on a natural key.

Rows the chain only ever adds (block headers, raw events, evidence) have a natural key from the
chain, and are written either all at once when the mirror holds nothing of the batch's block
range (:func:`insert_all`: ``COPY`` on PostgreSQL, the driver's ``executemany`` elsewhere), or
with insert-or-ignore when a batch is replayed (:func:`insert_ignore`: ``ON CONFLICT DO
NOTHING`` on SQLite and PostgreSQL, check-then-insert elsewhere), so applying the same batch
twice writes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from registry.errors import IndexerError

Row = dict[str, Any]


def insert_ignore(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> set[tuple[Any, ...]]:
    """Insert ``rows``, skipping those whose ``keys`` already exist; the keys inserted."""
    if not rows:
        return set()
    key_columns = [table.c[k] for k in keys]
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        make_insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = (
            make_insert(table).on_conflict_do_nothing(index_elements=key_columns)
        ).returning(*key_columns)
        return {tuple(row) for row in connection.execute(statement, list(rows))}
    inserted: set[tuple[Any, ...]] = set()
    for row in rows:
        key = tuple(row[k] for k in keys)
        exists = connection.execute(
            select(1).where(and_(*(c == v for c, v in zip(key_columns, key, strict=True))))
        ).first()
        if exists is None:
            connection.execute(insert(table), dict(row))
            inserted.add(key)
    return inserted


@dataclass(frozen=True)
class Bulk:
    """Rows of one table as parameter tuples in the order of ``names``.

    The values of the ``encoded`` columns (JSON columns) are already JSON text, so they skip
    the column type's bind processor; every other value still goes through it.
    """

    table: Table
    names: tuple[str, ...]
    values: list[tuple[Any, ...]]
    encoded: frozenset[str] = frozenset()

    def dicts(self) -> list[Row]:
        """The rows as SQLAlchemy takes them (JSON columns decoded back to values)."""
        encoded = [i for i, n in enumerate(self.names) if n in self.encoded]
        rows: list[Row] = []
        for one in self.values:
            row = dict(zip(self.names, one, strict=True))
            for i in encoded:
                row[self.names[i]] = json.loads(one[i])
            rows.append(row)
        return rows


def _copy_into(
    connection: Connection, table: Table, names: Sequence[str], values: list[Any]
) -> None:
    """PostgreSQL's ``COPY ... FROM STDIN`` for ``values`` (psycopg 3), in the connection's
    transaction. A constraint violation is raised as SQLAlchemy's :class:`IntegrityError`."""
    import psycopg

    quote = connection.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    driver = connection.connection.driver_connection
    if driver is None:  # pragma: no cover (an open connection always has one)
        raise IndexerError("the database connection is closed")
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc


def bulk_insert(connection: Connection, bulk: Bulk) -> None:
    """Write many new rows at once: ``COPY`` on PostgreSQL, the driver's ``executemany``
    elsewhere.

    Each value goes through its column type's bind processor (UTC datetimes) exactly as
    :func:`sqlalchemy.insert` would, but without SQLAlchemy's per-row parameter handling, which
    costs more than the database's own work for large batches; JSON columns arrive as text.
    """
    dialect = connection.dialect
    table, names = bulk.table, list(bulk.names)
    processors = [
        (i, process)
        for i, n in enumerate(names)
        if n not in bulk.encoded
        and (process := table.c[n].type._cached_bind_processor(dialect)) is not None
    ]
    values: list[Any] = bulk.values
    if processors:
        # a processor depends on the value only, and values repeat (every anchor of a block
        # has the block's time): process each distinct value once
        seen: list[dict[Any, Any]] = [{} for _ in processors]
        processed: list[Any] = []
        for one in bulk.values:
            row = list(one)
            for (i, process), known in zip(processors, seen, strict=True):
                value = row[i]
                key = (value.__class__, value)  # 1 == True == 1.0, but not to a processor
                try:
                    row[i] = known[key]
                except KeyError:
                    row[i] = known[key] = process(value)
                except TypeError:  # unhashable
                    row[i] = process(value)
            processed.append(tuple(row))
        values = processed
    if dialect.name == "postgresql":
        _copy_into(connection, table, names, values)
        return
    compiled = insert(table).values({n: bindparam(n) for n in names}).compile(dialect=dialect)
    if not compiled.positional:
        values = [dict(zip(names, one, strict=True)) for one in values]
    elif list(compiled.positiontup or []) != names:
        where = [names.index(n) for n in compiled.positiontup or []]
        values = [tuple(one[i] for i in where) for one in values]
    connection.exec_driver_sql(str(compiled), values)


def insert_all(connection: Connection, bulk: Bulk) -> int:
    """Insert rows known to be new (one bulk write); how many."""
    if bulk.values:
        try:
            bulk_insert(connection, bulk)
        except IntegrityError as exc:
            raise IndexerError(
                f"the mirror already holds a {bulk.table.name} row of a block range it never "
                f"indexed ({exc.orig}); it no longer matches the chain: rebuild it",
                table=bulk.table.name,
            ) from exc
    return len(bulk.values)
