"""The access log is append-only in the database itself: triggers of migration 0016 abort every
UPDATE and DELETE (and TRUNCATE on PostgreSQL), on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from registry.db.engine import make_engine, migrate
from registry.db.models import access_log_table

ROW = {
    "recorded_at": datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
    "channel": "api",
    "caller": None,
    "client": "127.0.0.1",
    "request_id": "r-1",
    "action": "POST /api/v1/relay",
    "outcome": "201",
    "tx_hashes": "0x" + "ab" * 32,
}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    migrate(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(insert(access_log_table), [ROW, {**ROW, "request_id": "r-2"}])
    yield engine
    engine.dispose()


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(access_log_table)).scalar())


def test_rows_are_numbered_in_insertion_order(engine: Engine) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            select(access_log_table.c.id, access_log_table.c.request_id).order_by("id")
        ).all()
    assert [r.request_id for r in rows] == ["r-1", "r-2"]
    assert rows[0].id < rows[1].id


@pytest.mark.parametrize(
    "statement",
    [
        update(access_log_table).values(outcome="200"),
        update(access_log_table).where(access_log_table.c.request_id == "r-1").values(caller=None),
        delete(access_log_table),
        delete(access_log_table).where(access_log_table.c.request_id == "r-2"),
    ],
    ids=["update-all", "update-one", "delete-all", "delete-one"],
)
def test_updates_and_deletes_are_refused(engine: Engine, statement: object) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(statement)  # type: ignore[call-overload]
    assert _count(engine) == 2
    with engine.connect() as connection:
        outcomes = connection.execute(select(access_log_table.c.outcome)).scalars().all()
    assert outcomes == ["201", "201"]


def test_truncate_is_refused_on_postgresql(engine: Engine, database_backend: str) -> None:
    if database_backend != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE is refused above)")
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("TRUNCATE access_log"))
    assert _count(engine) == 2


def test_inserts_go_on(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(insert(access_log_table), {**ROW, "request_id": "r-3"})
    assert _count(engine) == 3
