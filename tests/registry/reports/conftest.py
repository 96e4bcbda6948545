"""The report tests run on SQLite and on PostgreSQL (see tests/databases.py)."""

import pytest

from tests.databases import BACKENDS, checked_backend


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    return checked_backend(request.param)
