"""Writes shared by the service tables: insert rows, leaving those whose key already exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, insert, select
from sqlalchemy.dialects import postgresql, sqlite


def insert_new(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows``, skipping any whose primary or unique key is already stored (content-
    addressed or derived rows that a concurrent writer may have written first)."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect in ("sqlite", "postgresql"):
        make = sqlite.insert if dialect == "sqlite" else postgresql.insert
        connection.execute(make(table).on_conflict_do_nothing(), list(rows))
        return
    key = list(table.primary_key.columns)
    for row in rows:
        found = connection.execute(select(1).where(and_(*(c == row[c.name] for c in key)))).first()
        if found is None:
            connection.execute(insert(table), dict(row))
