"""The store of Idempotency-Key answers, on SQLite and on PostgreSQL: one claim per key, the
kept answer replayed, another request 422, a running one 409, expiry and abandoned claims."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
from sqlalchemy import Engine, update

from registry.db.engine import make_engine, migrate
from registry.db.models import idempotency_table
from registry.errors import (
    DaregError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    InvalidIdempotencyKeyError,
)
from registry.idempotency import (
    ABANDONED_AFTER,
    IdempotencyStore,
    KeptAnswer,
    checked_key,
    request_hash,
)
from tests.databases import BACKENDS, checked_backend

SCOPE = "account:0xabc"
SAME = request_hash("POST", "/api/v1/evidence", b"", b'{"a":1}')
OTHER = request_hash("POST", "/api/v1/evidence", b"", b'{"a":2}')


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    return checked_backend(request.param)


@pytest.fixture
def engine(database_url: str) -> Engine:
    migrate(database_url)
    return make_engine(database_url)


def age(engine: Engine, **values: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(update(idempotency_table).values(**values))


def test_a_key_is_claimed_once_and_its_answer_replayed(engine: Engine) -> None:
    store = IdempotencyStore(engine)
    assert store.begin(SCOPE, "k", SAME) is None
    with pytest.raises(IdempotencyKeyInUseError):
        store.begin(SCOPE, "k", SAME)
    with pytest.raises(IdempotencyKeyReusedError):
        store.begin(SCOPE, "k", OTHER)
    answer = KeptAnswer(201, "application/json", b'{"id": 7}')
    store.finish(SCOPE, "k", answer)
    assert store.begin(SCOPE, "k", SAME) == answer
    # a restart: another store on the same database
    assert IdempotencyStore(engine).begin(SCOPE, "k", SAME) == answer
    with pytest.raises(IdempotencyKeyReusedError) as reused:
        store.begin(SCOPE, "k", OTHER)
    assert (reused.value.http_status, reused.value.code) == (422, "idempotency_key_reused")
    # the same key of another caller is another key
    assert store.begin("account:0xdef", "k", OTHER) is None


def test_a_released_key_runs_again(engine: Engine) -> None:
    store = IdempotencyStore(engine)
    assert store.begin(SCOPE, "k", SAME) is None
    store.release(SCOPE, "k")
    assert store.begin(SCOPE, "k", OTHER) is None


def test_expired_keys_and_abandoned_claims_are_new_keys(engine: Engine) -> None:
    store = IdempotencyStore(engine, ttl=60)
    assert store.begin(SCOPE, "done", SAME) is None
    store.finish(SCOPE, "done", KeptAnswer(200, None, b""))
    age(engine, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert store.begin(SCOPE, "done", OTHER) is None
    # a claim whose request never answered (its process died) is taken over after a while
    age(engine, created_at=datetime.now(UTC) - ABANDONED_AFTER - timedelta(seconds=1))
    assert store.begin(SCOPE, "done", OTHER) is None


def test_of_requests_racing_for_a_key_exactly_one_claims_it(engine: Engine) -> None:
    store = IdempotencyStore(engine)
    barrier = Barrier(6)

    def claim(_: int) -> object:
        barrier.wait()
        try:
            return store.begin(SCOPE, "race", SAME)
        except DaregError as exc:
            return exc

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(claim, range(6)))
    assert results.count(None) == 1
    assert all(isinstance(r, IdempotencyKeyInUseError) for r in results if r is not None)


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "a\nb"])
def test_unusable_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKeyError):
        checked_key(key)
    assert checked_key("ok-" + "x" * 252) == "ok-" + "x" * 252
