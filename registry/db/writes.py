"""Writes shared by the service tables: insert rows, leaving those whose key already exists; and
the staging that holds back what a request carried until the request is known to succeed.

Service rows written on behalf of a request (the documents whose hashes go on chain, a natural
person's private identifier) go through :func:`write_new`. Outside a :func:`staging` scope it
writes at once. Inside one it only stages the rows: they are written when the scope's owner
knows the request succeeded (:meth:`StagedWrites.flush`: the API before a 2xx answer, the CLI
when a command ends without error, and the chain client's send listener as soon as a
transaction carrying them is mined, :func:`flush_after_send`), and dropped with the scope
otherwise. A refused request (invalid input, a bad signature, no authority, a contract refusal, a
failed simulation) so leaves no row behind. The stores read staged rows too
(:func:`staged_rows`), so a request sees what it wrote itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, and_, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from registry.chain.client import SentCall

logger = logging.getLogger(__name__)


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


class StagedWrites:
    """Rows held back until the request that carried them is known to succeed."""

    def __init__(self) -> None:
        self._rows: list[tuple[Engine, Table, dict[str, Any]]] = []

    def add(self, engine: Engine, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        self._rows.extend((engine, table, dict(row)) for row in rows)

    def rows(self, table: Table) -> list[dict[str, Any]]:
        """The rows staged for ``table``, oldest first."""
        return [row for _, staged, row in self._rows if staged is table]

    def __len__(self) -> int:
        return len(self._rows)

    def flush(self) -> None:
        """Write every staged row (insert-if-new, one transaction per database) and forget
        them; they stay staged if the database refuses."""
        engines: dict[int, Engine] = {}
        for engine, _, _ in self._rows:
            engines.setdefault(id(engine), engine)
        for key, engine in engines.items():
            mine = [(t, r) for e, t, r in self._rows if id(e) == key]
            with engine.begin() as connection:
                for table in dict.fromkeys(t for t, _ in mine):
                    insert_new(connection, table, [r for t, r in mine if t is table])
            self._rows = [entry for entry in self._rows if id(entry[0]) != key]

    def discard(self) -> None:
        self._rows.clear()


_staged: ContextVar[StagedWrites | None] = ContextVar("dareg_staged_writes", default=None)


@contextmanager
def staging() -> Iterator[StagedWrites]:
    """A scope in which :func:`write_new` stages rows instead of writing them. The owner calls
    :meth:`StagedWrites.flush` once it knows its request succeeded; whatever is still staged
    when the scope ends is dropped. Code run in a copy of the context (a threadpool) shares the
    scope."""
    staged = StagedWrites()
    token = _staged.set(staged)
    try:
        yield staged
    finally:
        staged.discard()
        _staged.reset(token)


def write_new(engine: Engine, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (:func:`insert_new`) now, or inside a :func:`staging` scope when the
    scope's request succeeds."""
    staged = _staged.get()
    if staged is not None:
        staged.add(engine, table, rows)
        return
    with engine.begin() as connection:
        insert_new(connection, table, rows)


def staged_rows(table: Table) -> list[dict[str, Any]]:
    """The rows of ``table`` the current scope staged (none outside a scope)."""
    staged = _staged.get()
    return [] if staged is None else staged.rows(table)


#: The name of :func:`flush_after_send` among the chain client's send listeners.
LISTENER = "staged-writes"


def flush_after_send(sent: SentCall) -> None:
    """The chain client's send listener: a transaction was mined, so the rows staged for it (the
    documents whose hashes it carries) are written now, before anything else can fail. A
    database that refuses is logged, not raised (the transaction is mined either way): the rows
    stay staged, and the scope's owner writes them before it answers, or fails."""
    staged = _staged.get()
    if staged is None or sent.error is not None or sent.receipt is None:
        return
    try:
        staged.flush()
    except SQLAlchemyError:
        mined = sent.receipt.tx_hash
        logger.exception("transaction %s is mined, its documents are not written yet", mined)
