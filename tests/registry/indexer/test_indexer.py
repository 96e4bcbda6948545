"""The chain-to-SQL mirror against the real session anvil."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from sqlalchemy import Engine, func, select, update

from registry.artifacts import load_client_artifacts
from registry.chain.client import ChainClient, dev_account
from registry.chain.ranges import suggested_range
from registry.db.engine import make_engine, migrate
from registry.db.models import (
    MIRROR_TABLES,
    block_table,
    cursor_table,
    evidence_table,
    raw_event_table,
)
from registry.domain.chain import BlockHeader, ChainLog, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.domain.evidence import EvidenceRecord
from registry.errors import ChainUnreachableError, IndexerError, InputError
from registry.indexer.decode import Decoder, to_record
from registry.indexer.fetch import FetchedBatch, LogFetcher
from registry.indexer.follow import Indexer, is_transient
from registry.indexer.store import read_cursor, store_batch
from registry.mirror import (
    anchors_of_fingerprint,
    count_evidence,
    evidence_by_fingerprint,
    indexer_head,
    list_evidence,
)
from registry.settings import Settings
from tests.conftest import free_port

REGISTRY = "EvidenceRegistry"


def fingerprint(n: int) -> bytes:
    return hashlib.sha256(f"dataset-{n}".encode()).digest()


@pytest.fixture
def engine(test_settings: Settings) -> Iterator[Engine]:
    """A freshly migrated per-test database."""
    url = test_settings.effective_database_url
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def anchor(chain: ChainClient, deployment: DeploymentManifest, fp: bytes, account: int) -> Receipt:
    return chain.transact(
        REGISTRY, deployment.address_of(REGISTRY), "anchor", [fp], dev_account(account)
    )


def anchor_for(
    chain: ChainClient, deployment: DeploymentManifest, fp: bytes, signer: int, relayer: int
) -> Receipt:
    """A delegated anchor: ``signer`` signs, ``relayer`` sends."""
    address = deployment.address_of(REGISTRY)
    account = dev_account(signer)
    nonce = chain.call(REGISTRY, address, "anchorNonce", [account.address])
    deadline = chain.block().timestamp + 600
    typed = {
        "domain": {
            "name": "dareg.EvidenceRegistry",
            "version": "1",
            "chainId": chain.chain_id(),
            "verifyingContract": address,
        },
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Anchor": [
                {"name": "fingerprint", "type": "bytes32"},
                {"name": "anchorer", "type": "address"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Anchor",
        "message": {
            "fingerprint": fp,
            "anchorer": account.address,
            "nonce": nonce,
            "deadline": deadline,
        },
    }
    signature = bytes(account.sign_message(encode_typed_data(full_message=typed)).signature)
    return chain.transact(
        REGISTRY,
        address,
        "anchorFor",
        [fp, account.address, deadline, signature],
        dev_account(relayer),
    )


def node_logs(chain: ChainClient, deployment: DeploymentManifest) -> list[ChainLog]:
    return chain.get_logs(
        [c.address for c in deployment.contracts.values()], deployment.deploy_block, chain.head()
    )


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every mirror table, in key order."""
    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in MIRROR_TABLES
        }


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def anchored(chain: ChainClient, deployment: DeploymentManifest) -> list[Receipt]:
    """Six anchors from four accounts, one of them relayed."""
    receipts = [anchor(chain, deployment, fingerprint(i), 1 + i % 3) for i in range(5)]
    receipts.append(anchor_for(chain, deployment, fingerprint(5), signer=4, relayer=0))
    return receipts


# --- the mirror matches the chain --------------------------------------------------------------


def test_sync_mirrors_every_anchor_as_the_chain_reads_it(
    chain: ChainClient,
    deployment: DeploymentManifest,
    engine: Engine,
    anchored: list[Receipt],
) -> None:
    indexer = Indexer(chain, deployment, engine)
    head = chain.head()
    assert indexer.indexed_head() is None
    assert indexer.sync_once() == head
    assert indexer.indexed_head() == head
    assert indexer_head(engine, deployment.chain_id) == head

    address = deployment.address_of(REGISTRY)
    for i, receipt in enumerate(anchored):
        fp = fingerprint(i)
        record = evidence_by_fingerprint(engine, fp)
        assert record is not None
        on_chain = chain.call(REGISTRY, address, "evidenceOf", [fp])
        assert (record.anchorer, int(record.anchored_at.timestamp()), record.block_number) == tuple(
            on_chain
        )
        assert record.anchored_at.utcoffset() is not None
        assert record.fingerprint == fp
        assert record.tx_hash == receipt.tx_hash
        (event,) = receipt.events
        assert record.relayer == event.args["relayer"]
    relayed = evidence_by_fingerprint(engine, fingerprint(5))
    assert relayed is not None
    assert relayed.anchorer == dev_account(4).address
    assert relayed.relayer == dev_account(0).address
    assert evidence_by_fingerprint(engine, fingerprint(99)) is None
    assert count_evidence(engine) == len(anchored)


def test_defect_6a_the_mirror_keeps_one_row_per_fingerprint_and_anchorer(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine
) -> None:
    """Defect 6a (mirror): a fingerprint anchored by a stranger and then by its holder is two
    anchors (the mirror was keyed by the fingerprint alone); the first stays the look-up's
    answer and every anchor is listed."""
    fp = fingerprint(60)
    stranger = anchor(chain, deployment, fp, 5)
    holder = anchor(chain, deployment, fp, 1)
    Indexer(chain, deployment, engine).sync_once()
    first = evidence_by_fingerprint(engine, fp)
    assert first is not None
    assert (first.anchorer, first.tx_hash) == (dev_account(5).address, stranger.tx_hash)
    own = evidence_by_fingerprint(engine, fp, dev_account(1).address.lower())
    assert own is not None
    assert (own.anchorer, own.tx_hash) == (dev_account(1).address, holder.tx_hash)
    assert evidence_by_fingerprint(engine, fp, dev_account(2).address) is None
    assert [a.anchorer for a in anchors_of_fingerprint(engine, fp)] == [
        dev_account(5).address,
        dev_account(1).address,
    ]
    assert [r.fingerprint for r in list_evidence(engine, anchorer=dev_account(1).address)] == [fp]
    # storing the same batch again writes nothing twice
    Indexer(chain, deployment, engine).sync_once()
    assert len(anchors_of_fingerprint(engine, fp)) == 2


def test_raw_events_and_blocks_match_the_node(
    chain: ChainClient,
    deployment: DeploymentManifest,
    engine: Engine,
    anchored: list[Receipt],
) -> None:
    Indexer(chain, deployment, engine).sync_once()
    logs = node_logs(chain, deployment)
    assert count(engine, raw_event_table) == len(logs) >= len(anchored)
    with engine.connect() as connection:
        rows = connection.execute(
            select(raw_event_table).order_by(
                raw_event_table.c.block_number, raw_event_table.c.log_index
            )
        ).all()
        blocks = {row.number: row for row in connection.execute(select(block_table)).all()}
    names_by_address = {c.address: name for name, c in deployment.contracts.items()}
    for row, log in zip(rows, logs, strict=True):
        assert (row.block_number, row.log_index, row.tx_hash, row.block_hash) == (
            log.block_number,
            log.log_index,
            log.tx_hash,
            log.block_hash,
        )
        assert row.topics == list(log.topics)
        assert row.data == log.data
        assert row.topic0 == log.topics[0]
        assert row.address == log.address
        assert row.contract == names_by_address[log.address]
    by_fp = {r.args["fingerprint"]: r for r in rows if r.event == "EvidenceAnchored"}
    assert set(by_fp) == {"0x" + fingerprint(i).hex() for i in range(len(anchored))}
    assert all(isinstance(r.args["anchoredAt"], int) for r in by_fp.values())
    # headers exactly for the blocks that hold logs, and as the node reports them
    assert set(blocks) == {log.block_number for log in logs}
    for number, row in blocks.items():
        header = chain.block(number)
        assert (row.hash, row.parent_hash, row.timestamp) == (
            header.hash,
            header.parent_hash,
            header.timestamp,
        )


def test_cursor_advances_to_the_head_with_its_hash(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    indexer = Indexer(chain, deployment, engine)
    indexer.sync_once()
    with engine.connect() as connection:
        cursor = read_cursor(connection, deployment.chain_id)
    assert cursor is not None
    head = chain.block()
    assert (cursor.last_block, cursor.last_block_hash) == (head.number, head.hash)
    anchor(chain, deployment, fingerprint(50), 2)
    assert indexer.sync_once() == chain.head() == head.number + 1
    assert evidence_by_fingerprint(engine, fingerprint(50)) is not None


def test_finality_depth_keeps_the_mirror_behind_the_head(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    indexer = Indexer(chain, deployment, engine, finality_depth=2)
    head = chain.head()
    assert indexer.sync_once() == head - 2
    assert count_evidence(engine) == len(anchored) - 2
    assert evidence_by_fingerprint(engine, fingerprint(5)) is None
    chain.rpc("anvil_mine", [2])
    assert indexer.sync_once() == head
    assert count_evidence(engine) == len(anchored)


def test_sync_before_anything_to_index_returns_the_block_before_deployment(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine
) -> None:
    depth = chain.head() - deployment.deploy_block + 5
    indexer = Indexer(chain, deployment, engine, finality_depth=depth)
    assert indexer.sync_once() == deployment.deploy_block - 1
    assert indexer.indexed_head() is None
    assert count_evidence(engine) == 0


# --- idempotence -------------------------------------------------------------------------------


def test_a_second_sync_writes_nothing(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    indexer = Indexer(chain, deployment, engine)
    head = indexer.sync_once()
    before = dump(engine)
    assert indexer.sync_once() == head
    assert dump(engine) == before
    # a brand-new indexer over the same database resumes from the cursor, also writing nothing
    assert Indexer(chain, deployment, engine).sync_once() == head
    assert dump(engine) == before


def _whole_batch(
    chain: ChainClient, deployment: DeploymentManifest
) -> tuple[Decoder, FetchedBatch]:
    contracts = {name: c.address for name, c in deployment.contracts.items()}
    fetcher = LogFetcher(
        chain,
        deployment.chain_id,
        list(contracts.values()),
        chain.codec.topics,
        log_range=10_000,
    )
    return Decoder(chain.codec, contracts), fetcher.fetch(deployment.deploy_block, chain.head())


def test_reapplying_a_batch_through_store_does_not_duplicate(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    decoder, fetched = _whole_batch(chain, deployment)
    batch = decoder.decode(fetched)
    first = store_batch(engine, batch)
    assert first.evidence == len(anchored)
    assert first.raw_events == len(fetched.logs)
    assert first.blocks == len({log.block_number for log in fetched.logs})
    assert first.cursor_moved
    before = dump(engine)
    second = store_batch(engine, batch)
    assert second.rows == 0
    assert dump(engine) == before
    # and after the indexer went on, an old batch neither duplicates nor moves the cursor back
    anchor(chain, deployment, fingerprint(60), 1)
    Indexer(chain, deployment, engine).sync_once()
    after_sync = dump(engine)
    assert store_batch(engine, batch).rows == 0
    assert dump(engine) == after_sync
    assert indexer_head(engine, deployment.chain_id) == chain.head()


def test_store_refuses_a_batch_that_would_leave_a_gap(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    decoder, fetched = _whole_batch(chain, deployment)
    store_batch(engine, decoder.decode(fetched))
    chain.rpc("anvil_mine", [3])
    later = chain.block(fetched.to_block + 3)
    gap = replace(
        fetched, from_block=later.number, to_block=later.number, tip=later, logs=(), headers=()
    )
    before = dump(engine)
    with pytest.raises(IndexerError, match="gap"):
        store_batch(engine, decoder.decode(gap))
    assert dump(engine) == before


# --- ranges ------------------------------------------------------------------------------------


def test_a_log_range_of_one_block_still_gets_everything(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    indexer = Indexer(chain, deployment, engine, log_range=1)
    assert indexer.sync_once() == chain.head()
    assert count_evidence(engine) == len(anchored)
    assert count(engine, raw_event_table) == len(node_logs(chain, deployment))


def test_a_node_refusing_wide_ranges_makes_the_fetcher_halve_and_grow_back(
    chain: ChainClient,
    deployment: DeploymentManifest,
    engine: Engine,
    anchored: list[Receipt],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_get_logs = chain.get_logs
    spans: list[tuple[int, bool]] = []

    def capped_get_logs(
        addresses: Sequence[str], from_block: int, to_block: int, topics: Any = None
    ) -> list[ChainLog]:
        span = to_block - from_block + 1
        spans.append((span, span <= 2))
        if span > 2:
            raise ValueError(
                "{'code': -32005, 'message': 'query returned more than 10000 results'}"
            )
        return real_get_logs(addresses, from_block, to_block, topics)

    monkeypatch.setattr(chain, "get_logs", capped_get_logs)
    chain.rpc("anvil_mine", [20])
    indexer = Indexer(chain, deployment, engine, log_range=16)
    assert indexer.sync_once() == chain.head()
    assert count_evidence(engine) == len(anchored)
    monkeypatch.undo()
    assert count(engine, raw_event_table) == len(node_logs(chain, deployment))
    assert spans[0] == (16, False)
    assert all(span <= 2 for span, ok in spans if ok)
    # after a success the range grows again (and is refused again), so it never gets stuck at 1
    assert any(not ok for _, ok in spans[3:])


def test_the_fetcher_takes_the_range_the_node_suggests(
    chain: ChainClient,
    deployment: DeploymentManifest,
    engine: Engine,
    anchored: list[Receipt],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_get_logs = chain.get_logs
    spans: list[int] = []

    def suggesting(
        addresses: Sequence[str], from_block: int, to_block: int, topics: Any = None
    ) -> list[ChainLog]:
        spans.append(to_block - from_block + 1)
        if to_block - from_block + 1 > 3:
            raise ValueError(
                "{'code': -32602, 'message': 'query returned more than 10000 results. Try with "
                f"this block range [{hex(from_block)}, {hex(from_block + 2)}].'}}"
            )
        return real_get_logs(addresses, from_block, to_block, topics)

    monkeypatch.setattr(chain, "get_logs", suggesting)
    assert Indexer(chain, deployment, engine, log_range=64).sync_once() == chain.head()
    monkeypatch.undo()
    assert spans[:2] == [min(64, chain.head() - deployment.deploy_block + 1), 3]
    assert count(engine, raw_event_table) == len(node_logs(chain, deployment))
    assert suggested_range(ValueError("try [0x10, 0x1f]"), 16) == 16
    assert suggested_range(ValueError("try [0x10, 0x1f]"), 15) is None  # not where we start
    assert suggested_range(ValueError("no hint"), 16) is None


def test_a_node_refusing_a_single_block_is_a_chain_error(
    chain: ChainClient,
    deployment: DeploymentManifest,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: Any, **__: Any) -> list[ChainLog]:
        raise ValueError("Log response size exceeded")

    monkeypatch.setattr(chain, "get_logs", refuse)
    with pytest.raises(Exception, match="refuses the registry's logs") as info:
        Indexer(chain, deployment, engine, log_range=4).sync_once()
    assert is_transient(info.value)


# --- decoding ----------------------------------------------------------------------------------


def test_unknown_events_are_kept_only_as_raw_events(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine
) -> None:
    address = deployment.address_of(REGISTRY)
    head = chain.block()
    unknown = ChainLog(
        address=address,
        topics=("0x" + "11" * 32,),
        data="0x",
        block_number=head.number,
        block_hash=head.hash,
        tx_hash="0x" + "22" * 32,
        log_index=0,
    )
    decoder = Decoder(chain.codec, {REGISTRY: address})
    decoded = decoder.decode_log(unknown)
    assert decoded.event is None
    assert decoded.record is None
    batch = FetchedBatch(
        chain_id=deployment.chain_id,
        from_block=deployment.deploy_block,
        to_block=head.number,
        tip=head,
        logs=(unknown,),
        headers=(head,),
    )
    result = store_batch(engine, decoder.decode(batch))
    assert (result.raw_events, result.evidence, result.blocks) == (1, 0, 1)
    with engine.connect() as connection:
        row = connection.execute(select(raw_event_table)).one()
    assert (row.event, row.contract, row.args, row.topic0) == (
        None,
        REGISTRY,
        None,
        unknown.topics[0],
    )


def test_to_record_maps_evidence_anchored(
    chain: ChainClient, deployment: DeploymentManifest
) -> None:
    receipt = anchor(chain, deployment, fingerprint(70), 3)
    (event,) = receipt.events
    record = to_record(event)
    assert isinstance(record, EvidenceRecord)
    assert record.fingerprint == fingerprint(70)
    assert record.anchorer == dev_account(3).address
    assert record.block_number == receipt.block_number
    assert int(record.anchored_at.timestamp()) == chain.block(receipt.block_number).timestamp
    assert to_record(replace(event, name="SomethingElse")) is None


# --- serving -----------------------------------------------------------------------------------


def test_list_evidence_filters_orders_and_pages(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    Indexer(chain, deployment, engine).sync_once()
    everything = list_evidence(engine)
    assert [r.fingerprint for r in everything] == [fingerprint(i) for i in reversed(range(6))]
    by_one = list_evidence(engine, anchorer=dev_account(1).address.lower())
    assert [r.fingerprint for r in by_one] == [fingerprint(3), fingerprint(0)]
    assert count_evidence(engine, anchorer=dev_account(1).address) == 2
    assert list_evidence(engine, anchorer=dev_account(9).address) == []
    page = list_evidence(engine, limit=2, offset=1)
    assert page == everything[1:3]
    with pytest.raises(InputError):
        list_evidence(engine, anchorer="0x1234")
    with pytest.raises(InputError):
        list_evidence(engine, limit=0)
    with pytest.raises(InputError):
        list_evidence(engine, offset=-1)


# --- following ---------------------------------------------------------------------------------


def test_follow_picks_up_a_new_anchor_and_stops_on_the_event(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    indexer = Indexer(chain, deployment, engine)
    stop = threading.Event()
    errors: list[Exception] = []
    thread = threading.Thread(target=indexer.follow, args=(stop, 0.05, errors.append), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: indexer.indexed_head() == chain.head())
        anchor(chain, deployment, fingerprint(80), 2)
        # within a few poll intervals (generous bound for slow CI)
        assert wait_for(lambda: evidence_by_fingerprint(engine, fingerprint(80)) is not None, 5.0)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert errors == []
    assert count_evidence(engine) == len(anchored) + 1


class FlakyHead:
    """Wraps a real ``head()`` to fail ``failures`` times as if the node were down."""

    def __init__(self, head: Callable[[], int], failures: int) -> None:
        self._head = head
        self.failures = failures

    def __call__(self) -> int:
        if self.failures > 0:
            self.failures -= 1
            raise ChainUnreachableError("cannot reach the chain (test)")
        return self._head()


def test_follow_survives_an_unreachable_chain_and_recovers(
    chain: ChainClient,
    deployment: DeploymentManifest,
    engine: Engine,
    anchored: list[Receipt],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chain, "head", FlakyHead(chain.head, failures=3))
    indexer = Indexer(chain, deployment, engine)
    stop = threading.Event()
    errors: list[Exception] = []
    thread = threading.Thread(
        target=indexer.follow,
        args=(stop, 0.01),
        kwargs={"on_error": errors.append, "max_backoff": 0.05},
        daemon=True,
    )
    thread.start()
    try:
        assert wait_for(lambda: count_evidence(engine) == len(anchored))
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(errors) == 3
    assert all(isinstance(e, ChainUnreachableError) for e in errors)


def test_follow_against_a_dead_node_reports_and_keeps_going_until_stopped(
    session_client: ChainClient, deployment: DeploymentManifest, engine: Engine
) -> None:
    artifacts = load_client_artifacts(Settings().artifacts_dir)
    dead = ChainClient(f"http://127.0.0.1:{free_port()}", artifacts, timeout=1)
    indexer = Indexer(dead, deployment, engine)
    stop = threading.Event()
    errors: list[Exception] = []
    thread = threading.Thread(
        target=indexer.follow,
        args=(stop, 0.01),
        kwargs={"on_error": errors.append, "max_backoff": 0.02},
        daemon=True,
    )
    thread.start()
    try:
        assert wait_for(lambda: len(errors) >= 3)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert all(isinstance(e, ChainUnreachableError) for e in errors)


# --- refusing a mirror that does not match the chain -------------------------------------------


def test_a_cursor_of_another_chain_raises_indexer_error(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    Indexer(chain, deployment, engine).sync_once()
    with engine.begin() as connection:
        connection.execute(update(cursor_table).values(chain_id=1))
    before = dump(engine)
    with pytest.raises(IndexerError, match=r"already mirrors chain 1, but the deployment is on"):
        Indexer(chain, deployment, engine).sync_once()
    assert dump(engine) == before


def test_a_manifest_of_another_chain_raises_indexer_error(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine
) -> None:
    other = deployment.model_copy(update={"chain_id": 1})
    with pytest.raises(IndexerError, match="serves chain 31337"):
        Indexer(chain, other, engine).sync_once()


def test_a_changed_block_hash_at_the_cursor_raises_and_deletes_nothing(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    indexer = Indexer(chain, deployment, engine)
    indexer.sync_once()
    with engine.begin() as connection:
        connection.execute(update(cursor_table).values(last_block_hash="0x" + "ee" * 32))
    before = dump(engine)
    with pytest.raises(IndexerError, match="reorganised"):
        indexer.sync_once()
    assert dump(engine) == before


def test_follow_reports_and_raises_an_indexer_error(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine
) -> None:
    other = deployment.model_copy(update={"chain_id": 1})
    errors: list[Exception] = []
    with pytest.raises(IndexerError):
        Indexer(chain, other, engine).follow(threading.Event(), 0.01, errors.append)
    assert len(errors) == 1
    assert isinstance(errors[0], IndexerError)


def test_a_stored_block_with_another_hash_is_refused(
    chain: ChainClient, deployment: DeploymentManifest, engine: Engine, anchored: list[Receipt]
) -> None:
    decoder, fetched = _whole_batch(chain, deployment)
    store_batch(engine, decoder.decode(fetched))
    with engine.begin() as connection:
        connection.execute(update(block_table).values(hash="0x" + "ab" * 32))
    with pytest.raises(IndexerError, match="reorganised"):
        store_batch(engine, decoder.decode(fetched))
    assert count(engine, evidence_table) == len(anchored)


def test_headers_are_fetched_only_for_blocks_with_logs(
    chain: ChainClient,
    deployment: DeploymentManifest,
    engine: Engine,
    anchored: list[Receipt],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain.rpc("anvil_mine", [10])
    real_block = chain.block
    asked: list[int | str] = []

    def counting_block(number: int | str = "latest") -> BlockHeader:
        asked.append(number)
        return real_block(number)

    monkeypatch.setattr(chain, "block", counting_block)
    head = chain.head()
    Indexer(chain, deployment, engine, log_range=10_000).sync_once()
    with_logs = {log.block_number for log in node_logs(chain, deployment)}
    assert {r.block_number for r in anchored} <= with_logs
    assert set(asked) <= with_logs | {head}
    assert count(engine, block_table) == len(
        {log.block_number for log in node_logs(chain, deployment)}
    )
