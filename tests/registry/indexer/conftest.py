"""Every database test here runs on SQLite and on PostgreSQL (see tests/databases.py)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from registry.db.engine import make_engine, migrate
from tests.databases import BACKENDS, NewDatabaseUrl, checked_backend


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    return checked_backend(request.param)


@pytest.fixture
def other_engine(new_database_url: NewDatabaseUrl) -> Iterator[Engine]:
    """A second migrated database of the test's backend."""
    url = new_database_url("other")
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
