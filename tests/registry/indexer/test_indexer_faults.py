"""The indexer behind a paused node (issue 15): a sync fails with ``chain_unreachable`` within the
RPC timeout instead of hanging, and the following indexer rides it out and catches up."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.chain.client import dev_account
from registry.db.engine import make_engine, migrate
from registry.domain.chain import ContractCall
from registry.errors import ChainUnreachableError
from registry.indexer.follow import Indexer
from registry.mirror import count_evidence
from registry.settings import Settings
from tests.sick_node import MARGIN, TIMEOUT, SickNode


@pytest.fixture
def sick() -> Iterator[SickNode]:
    node = SickNode(Settings())
    yield node
    node.stop()


def test_a_paused_node_fails_a_sync_within_the_timeout_and_following_resumes(
    sick: SickNode, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    migrate(url)
    engine = make_engine(url)
    client = sick.client()
    indexer = Indexer(client, sick.deployment, engine)
    indexer.sync_once()
    with sick.paused():
        start = time.monotonic()
        with pytest.raises(ChainUnreachableError):
            indexer.sync_once()
        assert time.monotonic() - start < TIMEOUT + MARGIN

    errors: list[Exception] = []
    stop = threading.Event()
    follower = threading.Thread(
        target=indexer.follow, args=(stop, 0.1, errors.append), kwargs={"max_backoff": 0.5}
    )
    try:
        with sick.paused():
            follower.start()
            time.sleep(2 * TIMEOUT)
            assert follower.is_alive()  # rides the outage out
        assert errors
        assert all(isinstance(e, ChainUnreachableError) for e in errors)
        evidence = sick.deployment.address_of("EvidenceRegistry")
        client.send(
            ContractCall("EvidenceRegistry", "anchor", (b"\x0e" * 32,)), evidence, dev_account(2)
        )
        deadline = time.monotonic() + 10
        while count_evidence(engine) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count_evidence(engine) == 1
    finally:
        stop.set()
        follower.join(timeout=10)
        engine.dispose()
    assert not follower.is_alive()
