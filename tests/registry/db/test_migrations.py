"""Schema migrations and the database engine."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel

from registry.db.engine import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    make_engine,
    migrate,
    shown_url,
)
from registry.db.models import cursor_table
from registry.settings import Settings

MIRROR_TABLES = {
    "indexer_cursor",
    "block",
    "raw_event",
    "evidence",
    "registration",
    "asset_version",
    "objection",
    "registrar",
    "registrar_account",
    "transfer",
    "pledge",
    "pledge_event",
    "freeze",
    "freeze_event",
    "licence",
    "transfer_approval",
    "cross_border_record",
    "party_country",
    "appraiser",
    "valuation",
    "accounting_class",
    "row_version",
}
SERVICE_TABLES = {
    "document",
    "registrar_profile",
    "asset_facts",
    "private_identifier",
    "relay_usage",
    "idempotency_key",
}
#: The statistics cache (derived from the mirror and the asset facts).
REPORT_TABLES = {"report_label", "report_certificate", "report_state"}
#: The indexer's reorg journal and the permanent record of rollbacks.
REORG_TABLES = {"mirror_batch", "mirror_undo", "reorg_rollback"}
#: The append-only access log (0016).
ACCESS_TABLES = {"access_log"}
#: Who may call the API: sign-in nonces, sessions, API keys.
AUTH_TABLES = {"auth_nonce", "auth_session", "api_key"}
ALL_TABLES = (
    MIRROR_TABLES
    | SERVICE_TABLES
    | REORG_TABLES
    | REPORT_TABLES
    | ACCESS_TABLES
    | AUTH_TABLES
    | {"alembic_version"}
)


@pytest.fixture
def url(database_backend: str, database_url: str, tmp_path: Path) -> str:
    """A new database of the test's backend; for SQLite a file in directories not made yet."""
    if database_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'nested' / 'dir' / 'mirror.db'}"
    return database_url


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables, columns, keys and indexes as the database reports them."""
    inspector = inspect(engine)
    return {
        table: {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(
                (fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
        }
        for table in sorted(inspector.get_table_names())
    }


def test_upgrade_head_on_an_empty_database_creates_every_table(url: str) -> None:
    assert current_revision(url) is None
    if url.startswith("sqlite:///"):
        assert not Path(url.removeprefix("sqlite:///")).exists()
    migrate(url)
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == ALL_TABLES
    assert current_revision(url) == _head_revision()


def test_migrating_twice_is_a_no_op(url: str) -> None:
    migrate(url)
    engine = make_engine(url)
    try:
        before = _schema(engine)
        migrate(url)
        assert _schema(engine) == before
    finally:
        engine.dispose()
    assert current_revision(url) == _head_revision()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    assert diffs == []


def test_indexes_exist(engine: Engine) -> None:
    inspector = inspect(engine)
    evidence = {tuple(i["column_names"]) for i in inspector.get_indexes("evidence")}
    raw = {tuple(i["column_names"]) for i in inspector.get_indexes("raw_event")}
    assert ("anchorer", "block_number", "log_index") in evidence
    assert ("address", "topic0") in raw  # the timeline's StandingGranted lookup
    assert ("tx_hash",) not in raw  # no query reads it (0010 dropped it)


def test_downgrade_to_base_and_back(url: str, engine: Engine) -> None:
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    assert current_revision(url) is None
    migrate(url)
    assert set(inspect(engine).get_table_names()) == (ALL_TABLES)


def test_postgresql_sql_renders_offline() -> None:
    buffer = io.StringIO()
    config = alembic_config("postgresql://dareg@localhost/dareg")
    config.output_buffer = buffer
    command.upgrade(config, "head", sql=True)
    sql = buffer.getvalue()
    assert "CREATE TABLE evidence" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql
    assert "ON DELETE CASCADE" in sql


def test_env_falls_back_to_the_settings_url(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAREG_DATABASE_URL", url)
    assert Settings().effective_database_url == url
    config = alembic_config(url)
    del config.attributes["url"]
    command.upgrade(config, "head")
    assert current_revision(url) == _head_revision()


def test_migrations_ship_with_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))


def test_connections_are_tuned_for_the_backend(engine: Engine, database_backend: str) -> None:
    if database_backend == "postgresql":
        assert engine.dialect.driver == "psycopg"
        assert engine.pool._pre_ping
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"
        return
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in (
                "journal_mode",
                "foreign_keys",
                "busy_timeout",
                "synchronous",
                "cache_size",
                "wal_autocheckpoint",
            )
        }
    assert pragma["journal_mode"] == "wal"
    assert pragma["foreign_keys"] == 1
    assert pragma["busy_timeout"] is not None
    assert pragma["busy_timeout"] >= 1000
    assert pragma["synchronous"] == 1  # NORMAL
    assert pragma["cache_size"] == -64 * 1024  # KiB
    assert pragma["wal_autocheckpoint"] == 16_384


def test_make_engine_creates_the_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
    assert path.exists()


def test_a_postgresql_url_without_driver_gets_psycopg() -> None:
    engine = make_engine("postgresql://dareg@127.0.0.1:1/dareg")
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


def test_shown_urls_hide_the_password() -> None:
    shown = shown_url("postgresql+psycopg://dareg:s3cret@127.0.0.1:5432/dareg")
    assert shown == "postgresql+psycopg://dareg:***@127.0.0.1:5432/dareg"
    assert shown_url("sqlite:///var/registry.db") == "sqlite:///var/registry.db"


def test_make_engine_accepts_in_memory_sqlite() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_datetimes_are_stored_in_utc_and_read_back_aware(engine: Engine) -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 1, 2, 11, 30, tzinfo=beijing)
    with engine.begin() as connection:
        connection.execute(
            insert(cursor_table),
            {
                "chain_id": 7,
                "last_block": 1,
                "last_block_hash": "0x" + "00" * 32,
                "updated_at": moment,
            },
        )
        stored = connection.exec_driver_sql("SELECT updated_at FROM indexer_cursor").scalar()
    if isinstance(stored, datetime):  # PostgreSQL: a timestamptz, i.e. an instant
        assert stored == moment
    else:  # SQLite: text, in UTC
        assert str(stored).startswith("2026-01-02 03:30:00")
    with engine.connect() as connection:
        read = connection.execute(select(cursor_table.c.updated_at)).scalar_one()
    assert read == moment
    assert read.tzinfo is not None
    assert read.utcoffset() == timedelta(0)
    assert read.tzinfo == UTC


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), engine.begin() as connection:
        connection.execute(
            insert(cursor_table),
            {
                "chain_id": 7,
                "last_block": 1,
                "last_block_hash": "0x" + "00" * 32,
                "updated_at": datetime(2026, 1, 1),
            },
        )
