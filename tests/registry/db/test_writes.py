"""Staged writes (registry/db/writes.py): inside a scope a document is only staged, visible to
the stores, written by ``flush`` and dropped with the scope otherwise; outside a scope it is
written at once. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from registry.db.engine import make_engine, migrate
from registry.db.models import document_table
from registry.db.writes import staging
from registry.documents import DocumentStore, sha256


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _documents(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(document_table)).scalar())


def test_outside_a_scope_a_document_is_written_at_once(engine: Engine) -> None:
    DocumentStore(engine).put_text("原因")
    assert _documents(engine) == 1


def test_a_staged_document_is_seen_and_written_only_when_flushed(engine: Engine) -> None:
    store = DocumentStore(engine)
    with staging() as staged:
        digest = store.put_text("登记机构的决定理由")
        assert _documents(engine) == 0
        assert store.get(digest) == ("登记机构的决定理由".encode(), "text/plain; charset=utf-8")
        staged.flush()
        assert _documents(engine) == 1
        assert len(staged) == 0
    assert store.get(digest) is not None


def test_a_scope_that_ends_without_a_flush_keeps_nothing(engine: Engine) -> None:
    store = DocumentStore(engine)

    def refused() -> None:
        with staging():
            store.put_text("refused")
            raise RuntimeError("the request was refused")

    with pytest.raises(RuntimeError):
        refused()
    digest = sha256(b"refused")
    with staging():
        store.put_text("never flushed")
    assert _documents(engine) == 0
    assert store.get(digest) is None
    assert store.get(sha256(b"never flushed")) is None


def test_a_thread_does_not_share_another_contexts_scope(engine: Engine) -> None:
    """A scope is the context's: a thread started elsewhere (the indexer, another request)
    writes at once; the stores of the scope's own context see its rows."""
    store = DocumentStore(engine)
    with staging() as staged:
        store.put_text("staged")
        other = threading.Thread(target=lambda: store.put_text("elsewhere"))
        other.start()
        other.join()
        assert _documents(engine) == 1  # the other thread's, written at once
        assert store.get(sha256(b"staged")) is not None
        staged.discard()
    assert store.get(sha256(b"staged")) is None
