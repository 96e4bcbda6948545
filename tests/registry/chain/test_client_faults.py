"""A sick node never hangs the chain client (issue 15): every call to a paused or dead node is
raised as ``chain_unreachable`` within the RPC timeout, nothing is sent again, and a
transaction handed to the node before it stopped answering is named in the error."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from registry.chain.client import ChainClient, SentCall, dev_account, one_chance_at_the_chain
from registry.domain.chain import ContractCall, Receipt
from registry.errors import ChainError, ChainUnreachableError, DaregError
from registry.settings import Settings
from tests.conftest import free_port
from tests.sick_node import MARGIN, TIMEOUT, SickNode

EVIDENCE = "EvidenceRegistry"


@pytest.fixture(scope="module")
def sick() -> Iterator[SickNode]:
    node = SickNode(Settings())
    yield node
    node.stop()


def _anchor(n: int) -> ContractCall:
    return ContractCall(EVIDENCE, "anchor", (n.to_bytes(32, "big"),))


def _timed(fn: Callable[[], Any]) -> tuple[float, BaseException | None]:
    start = time.monotonic()
    try:
        fn()
    except BaseException as exc:  # the test inspects it
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


def test_every_kind_of_call_to_a_paused_node_fails_within_the_timeout(sick: SickNode) -> None:
    client = sick.client()
    evidence = sick.deployment.address_of(EVIDENCE)
    operator = dev_account(0).address
    head = client.head()
    calls: dict[str, Callable[[], Any]] = {
        "head": client.head,
        "block": lambda: client.block(head),
        "rpc": lambda: client.rpc("eth_chainId"),
        "read": lambda: client.read(EVIDENCE, evidence, "anchorCountOf", [b"\x01" * 32]),
        "simulate": lambda: client.simulate(
            evidence, client.encode_call(EVIDENCE, evidence, "anchor", [b"\x01" * 32]), operator
        ),
        "logs": lambda: client.get_logs([evidence], 0, head),
        "balance": lambda: client.balance(operator),
        "next_nonce": lambda: client.next_nonce(operator),
        "code_hash": lambda: client.code_hash(evidence),
        "send": lambda: client.send(_anchor(1), evidence, dev_account(3)),
    }
    with sick.paused():
        for name, call in calls.items():
            elapsed, error = _timed(call)
            assert isinstance(error, ChainUnreachableError), (name, error)
            assert error.code == "chain_unreachable"
            assert error.status == 503
            assert error.details["reason"] == "timeout", name
            assert "tx_hash" not in error.details, name  # nothing reached the node
            # one attempt, not web3's five retries with backoff
            assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + MARGIN, (name, elapsed)
    assert client.head() == head  # the refused send was not carried out when the node woke
    assert client.next_nonce(dev_account(3).address) == 0


def test_a_dead_node_is_unreachable_at_once() -> None:
    client = ChainClient(f"http://127.0.0.1:{free_port()}", [], timeout=30)
    elapsed, error = _timed(client.head)
    assert isinstance(error, ChainUnreachableError)
    assert error.details["reason"] == "unreachable"
    assert elapsed < MARGIN


def test_writers_queued_behind_a_hung_one_give_up_with_it(sick: SickNode) -> None:
    """A sender's lock is held while a writer talks to the node: the writers of the same
    sender waiting for it stop when the holder's call times out, not one timeout later each."""
    client = sick.client()
    head = client.head()
    outcomes: dict[int, tuple[float, BaseException | None]] = {}

    def nonce_of(index: int) -> None:
        # the nonce is read from the node under the sender's lock, as a send reads it (the
        # threads are numbered; the sender is one)
        outcomes[index] = _timed(lambda: client.next_nonce(dev_account(10).address))

    with sick.paused():
        holder = threading.Thread(target=nonce_of, args=(10,))
        holder.start()
        time.sleep(0.2)  # the holder has the lock and waits for the node
        waiters = [threading.Thread(target=nonce_of, args=(n,)) for n in (11, 12, 13)]
        for thread in waiters:
            thread.start()
        for thread in (holder, *waiters):
            thread.join(timeout=4 * (TIMEOUT + MARGIN))
        assert not any(t.is_alive() for t in (holder, *waiters))
    assert sorted(outcomes) == [10, 11, 12, 13]
    for index, (elapsed, error) in outcomes.items():
        assert isinstance(error, ChainUnreachableError), (index, error)
        assert elapsed < TIMEOUT + MARGIN, (index, elapsed)
        if index != 10:  # the waiters never asked the paused node themselves
            assert "another" in error.message, error.message
    assert client.head() == head
    assert client.next_nonce(dev_account(11).address) == 0  # and the lock is free again


@pytest.mark.parametrize("seed", range(8))
def test_a_pause_at_any_moment_of_a_send_leaves_a_record_of_what_went_out(
    sick: SickNode, seed: int
) -> None:
    """The node stops at a random moment of a send: the send ends within the timeout; after
    the node continues, a transaction was carried out only if the send succeeded or its error
    named it (outcome unknown), and it is that transaction; nothing else was sent."""
    moment = random.Random(seed).uniform(0.0, 0.08)
    client = sick.client()
    heard: list[SentCall] = []
    client.add_send_listener("test", heard.append)
    evidence = sick.deployment.address_of(EVIDENCE)
    signer = dev_account(6)
    nonce = client.next_nonce(signer.address)
    head = client.head()
    result: list[Receipt | DaregError] = []
    elapsed: list[float] = []

    def send() -> None:
        start = time.monotonic()
        try:
            result.append(client.send(_anchor(1000 + seed), evidence, signer))
        except DaregError as exc:
            result.append(exc)
        elapsed.append(time.monotonic() - start)

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(moment)
    with sick.paused():
        sender.join(timeout=3 * (TIMEOUT + MARGIN))
        assert not sender.is_alive()
    assert elapsed[0] < moment + 3 * TIMEOUT + MARGIN  # estimate, nonce, send: each bounded
    outcome = result[0]
    time.sleep(0.2)  # whatever the node had received when it stopped is carried out now
    after = client.rpc("eth_getTransactionCount", [signer.address, "latest"])
    assert len(heard) == 1
    if isinstance(outcome, Receipt):
        assert int(after, 16) == nonce + 1
        assert heard[0].tx_hash == outcome.tx_hash
        return
    assert isinstance(outcome, ChainUnreachableError), outcome
    if "tx_hash" not in outcome.details:
        # refused before the transaction went out: it is never carried out
        assert int(after, 16) == nonce
        assert client.head() == head
        assert heard[0].tx_hash is None
        return
    # handed to the node when it stopped: the answer named it, and only it can have run
    tx_hash = outcome.details["tx_hash"]
    assert outcome.details["outcome"] == "unknown"
    assert heard[0].tx_hash == tx_hash
    assert int(after, 16) in (nonce, nonce + 1)
    if int(after, 16) == nonce + 1:
        receipt = client.rpc("eth_getTransactionReceipt", [tx_hash])
        assert receipt is not None
        assert int(receipt["status"], 16) == 1
    client.reset_nonces()


def test_a_transaction_never_mined_is_named_after_the_receipt_timeout(sick: SickNode) -> None:
    client = sick.client(receipt_timeout=1.0)
    evidence = sick.deployment.address_of(EVIDENCE)
    client.rpc("evm_setAutomine", [False])
    try:
        elapsed, error = _timed(lambda: client.send(_anchor(7), evidence, dev_account(7)))
    finally:
        client.rpc("evm_setAutomine", [True])
    assert isinstance(error, ChainError), error
    assert error.details["outcome"] == "unknown"
    assert str(error.details["tx_hash"]).startswith("0x")
    assert elapsed < 1.0 + MARGIN
    client.rpc("evm_mine")
    mined = client.rpc("eth_getTransactionReceipt", [error.details["tx_hash"]])
    assert mined is not None  # the named transaction is the one that ran


def test_within_one_operation_the_first_unreachable_call_ends_the_later_ones(
    sick: SickNode,
) -> None:
    """In :func:`one_chance_at_the_chain` (each API request), once a call timed out the next
    ones fail at once without asking the node: one timeout per request, and nothing is sent
    after the request failed, even once the node answers again."""
    client = sick.client()
    evidence = sick.deployment.address_of(EVIDENCE)
    head = client.head()
    with one_chance_at_the_chain():
        with sick.paused():
            first, error = _timed(client.head)
            assert isinstance(error, ChainUnreachableError)
            assert first >= TIMEOUT * 0.9
            again, later = _timed(
                lambda: client.read(EVIDENCE, evidence, "anchorCountOf", [b"\x02" * 32])
            )
            assert isinstance(later, ChainUnreachableError)
            assert later.message == error.message
            assert again < 0.5
        # the node answers again, but this operation has failed: it sends nothing
        sent, refused = _timed(lambda: client.send(_anchor(9), evidence, dev_account(8)))
        assert isinstance(refused, ChainUnreachableError)
        assert "tx_hash" not in refused.details
        assert sent < 0.5
    assert client.head() == head
    assert client.next_nonce(dev_account(8).address) == 0
    assert client.send(_anchor(9), evidence, dev_account(8)).tx_hash  # a new operation may
