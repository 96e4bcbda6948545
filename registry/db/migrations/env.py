"""Alembic environment of the chain mirror.

The database URL comes from ``config.attributes["url"]`` (set by
:func:`registry.db.engine.migrate`); when Alembic runs from the command line
(``alembic upgrade head`` with the repository's ``alembic.ini``) it falls back to
:attr:`registry.settings.Settings.effective_database_url`, so ``DAREG_DATABASE_URL`` and
``DAREG_VAR_DIR`` apply as everywhere else. A caller may also hand over an open connection in
``config.attributes["connection"]``.

SQLite gets batch mode (table rebuilds for ALTERs it lacks) with foreign keys switched off while
the migration runs, so rebuilding a referenced table never cascades.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

from registry.db import models
from registry.db.engine import make_engine
from registry.settings import Settings

config = context.config
target_metadata = SQLModel.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.attributes.get("url")
    if isinstance(url, str) and url:
        return url
    return Settings().effective_database_url


def _render_item(kind: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    """Render the models' UTC datetime type as a plain timezone-aware ``DateTime``."""
    if kind == "type" and isinstance(obj, models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        **kwargs,
    )


def _run(connection: Connection, *, own: bool) -> None:
    """Migrate over ``connection``; commit only when this module opened it (``own``)."""
    sqlite = own and connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        if own and connection.in_transaction():
            connection.commit()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def run_migrations_offline() -> None:
    """Emit the SQL to stdout instead of running it (``alembic upgrade head --sql``)."""
    url = _url()
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations against the live database."""
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection, own=False)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as own_connection:
            _run(own_connection, own=True)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
