"""Every database test of the read side runs on SQLite and on PostgreSQL, like the writer's."""

import pytest

from tests.databases import BACKENDS, checked_backend


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    return checked_backend(request.param)
