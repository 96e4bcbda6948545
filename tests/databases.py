"""The mirror's database in tests (a plugin of tests/conftest.py): SQLite by default, SQLite and
PostgreSQL where a package asks.

Every test that touches a database gets it from ``new_database_url`` (``database_url`` is the
first; ``test_settings`` puts it in :attr:`Settings.database_url`, so ``ctx`` and everything built
on it follow). A package whose tests must hold on both backends overrides ``database_backend`` in
its ``conftest.py`` with ``params=BACKENDS`` and :func:`checked_backend`: its database tests then
run once on SQLite and once on PostgreSQL (``[sqlite]``, ``[postgresql]``).

The PostgreSQL variant needs ``DAREG_TEST_POSTGRES_URL`` (``scripts/postgres`` prints one; its
role must be allowed to create databases). Each test gets databases of its own, created on that
server and dropped afterwards, so tests stay independent, also under pytest-xdist. Without the
variable the PostgreSQL variants are skipped, except where PostgreSQL is required (``CI`` set,
or ``DAREG_REQUIRE_POSTGRES=1``, as ``scripts/test`` sets it): there they fail.
"""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from registry.db.engine import make_engine

POSTGRES_URL_VARIABLE = "DAREG_TEST_POSTGRES_URL"


class NewDatabaseUrl(Protocol):
    def __call__(self, name: str, *, copy_of: str | None = None) -> str:
        """The URL of a new database of the test's backend: empty, or a copy of ``copy_of``
        (whose connections must be closed). ``name`` tells a test's databases apart."""
        ...


def postgres_required() -> bool:
    """Whether a missing PostgreSQL fails the PostgreSQL variants instead of skipping them."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci or os.environ.get("DAREG_REQUIRE_POSTGRES") == "1"


#: The backends a package that runs its tests on both parametrises ``database_backend`` with.
BACKENDS = ("sqlite", "postgresql")


def checked_backend(backend: str) -> str:
    """``backend``, if it can be used here; else skip the test, or fail it where PostgreSQL is
    required."""
    if backend == "postgresql" and not os.environ.get(POSTGRES_URL_VARIABLE):
        reason = f"{POSTGRES_URL_VARIABLE} is not set (scripts/postgres starts a server, prints it)"
        if postgres_required():
            pytest.fail(
                f"PostgreSQL is required here (CI or DAREG_REQUIRE_POSTGRES=1), but {reason}",
                pytrace=False,
            )
        pytest.skip(f"PostgreSQL variant: {reason}")
    return backend


@pytest.fixture
def database_backend() -> str:
    """The test's database backend: SQLite, unless its package overrides this fixture."""
    return "sqlite"


class PostgresServer:
    """Creates and drops the tests' databases on the server of ``DAREG_TEST_POSTGRES_URL``."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._admin: Engine = make_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def create(self, hint: str = "db", copy_of: str | None = None) -> str:
        """A new database (a copy of the one at ``copy_of``); ``hint`` goes into its name."""
        name = f"dareg_{re.sub(r'[^a-z0-9]+', '_', hint.lower())[:24]}_{uuid.uuid4().hex[:16]}"
        template = "" if copy_of is None else f' TEMPLATE "{make_url(copy_of).database}"'
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{template}'))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop the database, closing connections a test left open. An autovacuum worker on it
        can be ended only with ``pg_signal_backend`` (``scripts/postgres`` grants it), so
        without that the drop is retried until the worker is done."""
        statement = text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        for attempt in itertools.count(1):
            try:
                with self._admin.connect() as connection:
                    connection.execute(statement)
                return
            except DBAPIError:
                if attempt == 20:
                    raise
                time.sleep(0.25)

    def close(self) -> None:
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.fail(f"{POSTGRES_URL_VARIABLE} is not set", pytrace=False)
    server = PostgresServer(url)
    try:
        server.drop(server.create())
    except Exception as exc:
        pytest.fail(
            f"{POSTGRES_URL_VARIABLE}={make_url(url).render_as_string(hide_password=True)} cannot "
            f"create databases: {exc}",
            pytrace=False,
        )
    yield server
    server.close()


def _sqlite_copy(source: str, target: Path) -> None:
    origin, copy = sqlite3.connect(make_url(source).database or ""), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()


@pytest.fixture
def new_database_url(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[NewDatabaseUrl]:
    """Makes databases of the test's backend: SQLite files in ``tmp_path``, or PostgreSQL
    databases that are dropped when the test ends."""
    if database_backend == "sqlite":

        def sqlite_url(name: str, *, copy_of: str | None = None) -> str:
            path = tmp_path / f"{name}.db"
            if copy_of is not None:
                _sqlite_copy(copy_of, path)
            return f"sqlite:///{path}"

        yield sqlite_url
        return

    server: PostgresServer = request.getfixturevalue("postgres_server")
    created: list[str] = []

    def postgres_url(name: str, *, copy_of: str | None = None) -> str:
        url = server.create(name, copy_of)
        created.append(url)
        return url

    yield postgres_url
    for url in reversed(created):
        server.drop(url)


@pytest.fixture
def database_url(new_database_url: NewDatabaseUrl) -> str:
    """A new, empty (not migrated) database of the test's backend."""
    return new_database_url("registry")
