"""Values that SQLite and PostgreSQL could treat differently are stored and refused alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, select

from registry.db.engine import make_engine, migrate
from registry.db.models import REGISTRAR_NAME_LENGTH, block_table, raw_event_table
from registry.documents import DocumentStore, RegistrarDirectory
from registry.errors import InputError

HASH = "0x" + "ab" * 32


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    migrate(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_json_keeps_integers_beyond_64_bits_and_unicode(engine: Engine) -> None:
    args = {"value": 2**256 - 1, "negative": -(2**200), "uri": "https://例子.cn/报告", "ok": True}
    with engine.begin() as connection:
        connection.execute(
            insert(block_table),
            {"chain_id": 1, "number": 2**40, "hash": HASH, "parent_hash": HASH, "timestamp": 1},
        )
        connection.execute(
            insert(raw_event_table),
            {
                "chain_id": 1,
                "block_number": 2**40,
                "log_index": 0,
                "block_hash": HASH,
                "tx_hash": HASH,
                "address": "0x" + "00" * 20,
                "topics": [HASH],
                "data": "0x",
                "args": args,
            },
        )
    with engine.connect() as connection:
        row = connection.execute(select(raw_event_table)).one()
    assert row.args == args
    assert row.topics == [HASH]
    assert row.block_number == 2**40


def test_registrar_names_are_limited_in_characters_on_every_backend(engine: Engine) -> None:
    directory = RegistrarDirectory(engine)
    longest = "数" * REGISTRAR_NAME_LENGTH  # characters, not bytes: 600 bytes of UTF-8
    directory.set(440, longest, "440000")
    assert directory.name(440) == longest
    with pytest.raises(InputError, match="1 to 200 characters"):
        directory.set(441, longest + "据")
    with pytest.raises(InputError, match="6-digit"):
        directory.set(441, "广东", "4400001")
    assert directory.name(441) is None


def test_documents_are_stored_once_and_read_back_as_bytes(engine: Engine) -> None:
    store = DocumentStore(engine)
    body = bytes(range(256))
    digest = store.put(body, "application/octet-stream")
    assert store.put(body, "application/octet-stream") == digest
    assert store.get(digest) == (body, "application/octet-stream")
