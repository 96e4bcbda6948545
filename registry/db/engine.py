"""Database engines and schema migrations of the chain mirror.

The schema is owned by Alembic: :func:`migrate` runs ``upgrade head`` programmatically, and
nothing calls ``create_all`` at run time. :func:`make_engine` builds an engine for any
SQLAlchemy URL; for SQLite it tunes every new connection for a single-writer, many-reader
service (WAL journal, foreign keys enforced, a busy timeout instead of immediate
``database is locked`` errors, ``synchronous=NORMAL``, a 64 MiB page cache and checkpoints
every 64 MiB of WAL instead of every 4 MiB). ``synchronous=NORMAL`` in WAL mode keeps the
database consistent through any crash; a power loss may forget the last commits, which the
mirror replays (its rows and cursor commit together, and it can always be rebuilt).
PostgreSQL is reached through psycopg 3 (``postgresql+psycopg://user@host:port/db``; a bare
``postgresql://`` gets that driver too) with a pool that checks connections before use and
renews them hourly; it needs no pragmas (foreign keys are always enforced, concurrent writers
wait on row locks).

An engine made with ``read_only=True`` can read and never write, enforced by the database
itself on every connection: SQLite runs ``PRAGMA query_only = ON`` after its other pragmas,
PostgreSQL starts every session with ``default_transaction_read_only = on`` (a connect option).
A write through it fails with the database's own error. The API's tests use one to prove that
every GET only reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from registry.errors import ConfigurationError

#: Directory of the Alembic environment (``env.py``, ``versions/``), shipped inside the package.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Milliseconds a SQLite connection waits for a competing writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000

#: Seconds after which a pooled PostgreSQL connection is replaced by a new one.
POSTGRESQL_POOL_RECYCLE_S = 3600

#: Page cache of each SQLite connection, in KiB (SQLite's default is 2 MiB). The indexer's
#: batches insert thousands of fingerprints at random places in the evidence key; with the
#: default cache those index pages are evicted and read again within one batch.
SQLITE_CACHE_KIB = 64 * 1024

#: WAL pages after which a commit checkpoints (SQLite's default is 1,000, 4 MiB): one indexer
#: batch writes more than that, so each batch would pay a checkpoint and its two fsyncs.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 16_384

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}",
    f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES}",
)


def _sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or ``None`` for in-memory or non-SQLite URLs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if parsed.query.get("mode") == "memory":
        return None
    return Path(database)


#: What a read-only SQLite connection runs after :data:`_SQLITE_PRAGMAS`.
_SQLITE_READ_ONLY = "PRAGMA query_only=ON"

#: The libpq option that makes every transaction of a PostgreSQL session read-only.
_POSTGRESQL_READ_ONLY = "-c default_transaction_read_only=on"


def _sqlite_pragmas(read_only: bool) -> Callable[[Any, Any], None]:
    """The ``connect`` listener that runs the pragmas (and ``query_only``, if ``read_only``)."""
    pragmas = (*_SQLITE_PRAGMAS, _SQLITE_READ_ONLY) if read_only else _SQLITE_PRAGMAS

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return on_connect


def _with_driver(url: URL) -> URL:
    """``url`` with psycopg 3 as the driver of a PostgreSQL URL that names none.

    SQLAlchemy's default PostgreSQL driver is psycopg2, which dareg does not install.
    """
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def shown_url(url: str) -> str:
    """``url`` as it may be printed or logged: the password, if any, masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url`` (SQLite, PostgreSQL or any other SQLAlchemy URL).

    For a SQLite file the parent directory is created first. With ``read_only`` the database
    refuses every write on the engine's connections (SQLite and PostgreSQL; another backend is
    a :class:`ConfigurationError`). Extra keyword arguments go to
    :func:`sqlalchemy.create_engine`.
    """
    try:
        parsed = _with_driver(make_url(url))
    except ArgumentError as exc:
        raise ConfigurationError(f"the database URL {url!r} is not a valid SQLAlchemy URL") from exc
    backend = parsed.get_backend_name()
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_recycle", POSTGRESQL_POOL_RECYCLE_S)
        if read_only:
            connect_args = dict(kwargs.get("connect_args", {}))
            options = connect_args.get("options")
            connect_args["options"] = " ".join(filter(None, (options, _POSTGRESQL_READ_ONLY)))
            kwargs["connect_args"] = connect_args
    elif read_only and backend != "sqlite":
        raise ConfigurationError(f"a read-only engine needs SQLite or PostgreSQL, not {backend}")
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigurationError(
            f"the database URL {parsed.render_as_string(hide_password=True)} names a "
            f"driver that is not installed ({exc})"
        ) from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(read_only))
    return engine


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` that needs no ``alembic.ini`` on disk.

    ``env.py`` reads the URL from ``config.attributes["url"]``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (``alembic upgrade head``).

    Safe to run on every start: an up-to-date database is left untouched.
    """
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def current_revision(url: str) -> str | None:
    """The Alembic revision the database at ``url`` is at, or ``None`` if it was never migrated.

    A SQLite file that does not exist yet is reported as ``None`` without being created.
    """
    path = _sqlite_file(url)
    if path is not None and not path.exists():
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
