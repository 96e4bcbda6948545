"""The embedded node's durability against a real anvil: atomic checkpoints, and the journal
replayed after SIGKILL with every transaction at its block number, block time and block hash."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.artifacts import load_client_artifacts
from registry.chain.client import ChainClient, dev_account
from registry.chain.journal import Journal
from registry.chain.node import AnvilNode, anvil_binary, node_rpc
from registry.settings import Settings
from tests.conftest import free_port

FORWARDER = "RegistryForwarder"  # a contract without constructor arguments: one transaction


class Embedded:
    """An anvil with its checkpoint and journal under ``var``, killable and restartable."""

    def __init__(self, var: Path) -> None:
        self.var = var
        self.port = free_port()
        self.lines: list[str] = []
        self.node: AnvilNode | None = None
        self.artifacts = load_client_artifacts(Settings().artifacts_dir)

    def start(self) -> AnvilNode:
        self.node = AnvilNode(
            anvil_binary(Settings().node_modules_dir),
            host="127.0.0.1",
            port=self.port,
            chain_id=31337,
            state_path=self.var / "chain" / "state.json",
            log_path=self.var / "anvil.log",
            journal=Journal(self.var / "chain" / "journal.jsonl"),
            report=self.lines.append,
        )
        self.node.start()
        return self.node

    def client(self) -> ChainClient:
        assert self.node is not None
        journal = Journal(self.var / "chain" / "journal.jsonl")
        return ChainClient(self.node.url, self.artifacts, journal=journal)

    def kill(self) -> None:
        assert self.node is not None
        assert self.node.pid is not None
        os.kill(self.node.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.node.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.node.running

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        assert self.node is not None
        return node_rpc(self.node.url, method, params)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Embedded]:
    chain = Embedded(tmp_path / "var")
    yield chain
    if chain.node is not None:
        chain.node.stop()


def _block(chain: Embedded, number: int) -> tuple[str, int]:
    block = chain.rpc("eth_getBlockByNumber", [hex(number), False])
    return str(block["hash"]), int(block["timestamp"], 16)


def test_a_killed_node_comes_back_with_every_acknowledged_transaction(
    embedded: Embedded,
) -> None:
    embedded.start()
    client = embedded.client()
    operator = dev_account(0)
    before = [client.deploy(FORWARDER, operator) for _ in range(2)]
    assert embedded.node is not None
    assert embedded.node.checkpoint()
    # after the checkpoint: a jump in time with an empty block (no transaction), then more
    embedded.rpc("evm_increaseTime", [5 * 86_400])
    embedded.rpc("evm_mine")
    after = [client.deploy(FORWARDER, operator) for _ in range(3)]
    head = after[-1].block_number
    blocks = {n: _block(embedded, n) for n in range(1, head + 1)}
    embedded.kill()

    embedded.start()
    assert embedded.lines == [
        f"replayed 3 journaled transaction(s) onto the checkpoint; chain head {head}"
    ]
    for receipt in before + after:  # same block, same block hash: the same chain
        found = embedded.rpc("eth_getTransactionReceipt", [receipt.tx_hash])
        assert int(found["blockNumber"], 16) == receipt.block_number
        assert found["contractAddress"].lower() == str(receipt.contract_address).lower()
    assert {n: _block(embedded, n) for n in range(1, head + 1)} == blocks
    # states of past blocks survive the checkpoint: the first contract had no code before it
    first = str(before[0].contract_address)
    assert embedded.rpc("eth_getCode", [first, hex(before[0].block_number - 1)]) == "0x"
    assert embedded.rpc("eth_getCode", [first, hex(before[0].block_number)]) != "0x"
    # the restart checkpointed the replayed chain: the journal holds nothing any more
    assert Journal(embedded.var / "chain" / "journal.jsonl").entries() == []
    assert client.deploy(FORWARDER, operator).block_number == head + 1  # nonces go on


def test_a_transaction_that_no_longer_applies_is_reported_and_kept(embedded: Embedded) -> None:
    embedded.start()
    client = embedded.client()
    operator = dev_account(0)
    sent = client.deploy(FORWARDER, operator)
    embedded.kill()
    # a second transaction with the same nonce, journaled (e.g. by another process) but
    # never mined: after the first is replayed it cannot apply
    journal = Journal(embedded.var / "chain" / "journal.jsonl")
    (entry,) = journal.entries()
    tx = {"to": operator.address, "value": 1, "gas": 21_000, "gasPrice": 10**10}
    signed = operator.sign_transaction(tx | {"nonce": entry.nonce, "chainId": 31337})
    with journal.sending(signed.raw_transaction, signed.hash, operator.address, entry.nonce):
        pass

    embedded.start()
    found = embedded.rpc("eth_getTransactionReceipt", [sent.tx_hash])
    assert int(found["blockNumber"], 16) == sent.block_number
    (line,) = [line for line in embedded.lines if "no longer applies" in line]
    assert "0x" + bytes(signed.hash).hex() in line
    assert "nonce too low" in line
    assert "rejected.jsonl" in line
    assert (embedded.var / "chain" / "rejected.jsonl").read_text().count("\n") == 1
    assert journal.entries() == []
    assert embedded.node is not None
    embedded.node.stop()
    embedded.lines.clear()
    embedded.start()  # not replayed, not reported again
    assert embedded.lines == []


def test_the_checkpoint_is_what_a_stopped_node_starts_from(embedded: Embedded) -> None:
    node = embedded.start()
    state = embedded.var / "chain" / "state.json"
    assert state.exists()  # the genesis is checkpointed at once
    receipt = embedded.client().deploy(FORWARDER, dev_account(0))
    node.stop()  # a last checkpoint: the journal is empty, the state holds the contract
    assert Journal(embedded.var / "chain" / "journal.jsonl").entries() == []
    embedded.start()
    assert embedded.lines == []
    code = embedded.rpc("eth_getCode", [str(receipt.contract_address), "latest"])
    assert code != "0x"


def test_a_chain_killed_before_its_first_checkpoint_is_rebuilt_block_for_block(
    embedded: Embedded,
) -> None:
    embedded.start()  # only the genesis is checkpointed
    client = embedded.client()
    receipts = [client.deploy(FORWARDER, dev_account(0)) for _ in range(2)]
    blocks = {n: _block(embedded, n) for n in range(3)}
    embedded.kill()
    embedded.start()
    assert {n: _block(embedded, n) for n in range(3)} == blocks  # the first block's base fee too
    assert [r.block_number for r in receipts] == [1, 2]


def test_a_chain_ahead_of_the_wall_clock_keeps_its_time_after_a_restart(
    embedded: Embedded,
) -> None:
    node = embedded.start()
    embedded.rpc("evm_increaseTime", [30 * 86_400])  # e.g. past a public-notice window
    embedded.rpc("evm_mine")
    assert node.checkpoint()
    ahead = _block(embedded, 1)[1]
    embedded.kill()
    embedded.start()
    receipt = embedded.client().deploy(FORWARDER, dev_account(0))
    assert _block(embedded, receipt.block_number)[1] >= ahead > time.time() + 29 * 86_400
