"""The transaction manager against the real session anvil: duplicates make one transaction, the
nonces of a sender shared by several clients (processes) are never skipped or reused, a nonce
taken behind the manager's back is recovered from, stuck transactions are replaced."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from eth_account.signers.local import LocalAccount

from registry.artifacts import load_client_artifacts
from registry.chain.client import ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.chain.transactions import SignedTransaction
from registry.context import RegistryContext
from registry.domain.chain import ContractCall
from registry.domain.registration import Registration, Status
from registry.errors import (
    AlreadySubmittedError,
    ConflictError,
    ContractRevertError,
    DaregError,
    TransactionNotMinedError,
)
from registry.settings import Settings
from tests.registry.registration.conftest import (
    NOTICE,
    REGISTRAR_CODE,
    metadata,
    registrar,
    travel,
)

T = TypeVar("T")
PARALLEL = 5


def at_once(action: Callable[[], T], times: int = PARALLEL) -> list[T | DaregError]:
    """``action`` run ``times`` times in parallel threads released together: each result, or
    the project's error it raised."""
    barrier = threading.Barrier(times)

    def one() -> T | DaregError:
        barrier.wait()
        try:
            return action()
        except DaregError as exc:
            return exc

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(lambda _: one(), range(times)))


def split(results: list[T | DaregError]) -> tuple[list[T], list[DaregError]]:
    done = [r for r in results if not isinstance(r, DaregError)]
    return done, [r for r in results if isinstance(r, DaregError)]


def conflicts(errors: list[DaregError]) -> bool:
    """Every error is a 409 (a conflict of ours or the contract's)."""
    return all(e.http_status == 409 for e in errors) and all(
        isinstance(e, ConflictError | ContractRevertError) for e in errors
    )


def issuable(ctx: RegistryContext, fp: int = 0xB1) -> Registration:
    """An application past its notice window: the registrar may issue it now."""
    applicant = dev_account(3)
    reg = ctx.registrations.sign_and_submit(
        metadata(applicant.address, fp), REGISTRAR_CODE, applicant, ctx.operator
    )
    ctx.registrations.accept(reg.id, registrar())
    ctx.registrations.open_notice(reg.id, registrar())
    travel(ctx.client, NOTICE + 1)
    return reg


def nonce(ctx: RegistryContext, account: LocalAccount) -> int:
    return int(ctx.client.rpc("eth_getTransactionCount", [account.address, "latest"]), 16)


def application_nonce(ctx: RegistryContext, applicant: LocalAccount) -> int:
    address = ctx.registrations.contract_address
    return int(
        ctx.client.read("DataAssetRegistry", address, "applicationNonce", [applicant.address])
    )


def test_five_parallel_relayed_issuances_make_one_transaction(ctx: RegistryContext) -> None:
    reg = issuable(ctx)
    staff = registrar()
    # five requests prepared separately (different deadlines), all for the signer's next nonce
    requests = [
        ctx.relay.prepare(ctx.registrations.issue_call(reg.id), staff.address, ttl=600 + i)
        for i in range(PARALLEL)
    ]
    assert len({r.nonce for r in requests}) == 1
    signed = [(r, ctx.relay.sign(r, staff)) for r in requests]
    before = nonce(ctx, ctx.operator)
    turn = iter(signed)
    lock = threading.Lock()

    def submit() -> Any:
        with lock:
            request, signature = next(turn)
        return ctx.relay.submit(request, signature, ctx.operator)

    done, errors = split(at_once(submit))
    assert len(done) == 1, errors
    assert conflicts(errors), errors
    assert nonce(ctx, ctx.operator) == before + 1  # one transaction, none reverted
    assert ctx.registrations.get(reg.id).status is Status.ISSUED


def test_five_parallel_issuances_by_two_processes_make_one_transaction(
    ctx: RegistryContext, test_settings: Settings, tmp_path: Path
) -> None:
    """Two clients sharing a nonce directory (as the API and a CLI command share var/): the
    duplicates are simulated under the sender's lock, after the first was sent, so they are
    refused before they are signed rather than sent and reverted."""
    reg = issuable(ctx, 0xB2)
    staff = registrar()
    artifacts = load_client_artifacts(test_settings.artifacts_dir)
    url = str(test_settings.rpc_url)
    clients = [ChainClient(url, artifacts, nonce_dir=tmp_path / "nonces") for _ in range(2)]
    address = ctx.registrations.contract_address
    call = ctx.registrations.issue_call(reg.id)
    before = nonce(ctx, staff)
    turn = iter(range(PARALLEL))
    lock = threading.Lock()

    def issue() -> Any:
        with lock:
            client = clients[next(turn) % 2]
        return client.send(call, address, staff)

    done, errors = split(at_once(issue))
    assert len(done) == 1, errors
    assert all(
        isinstance(e, ContractRevertError) and e.error_name == "RegistryWrongStatus" for e in errors
    ), errors
    assert conflicts(errors)
    assert nonce(ctx, staff) == before + 1
    assert ctx.registrations.get(reg.id).status is Status.ISSUED


def test_the_same_signed_application_five_times_makes_one_application(
    ctx: RegistryContext,
) -> None:
    applicant = dev_account(4)
    document = metadata(applicant.address, 0xB3)
    deadline = ctx.client.block().timestamp + 600
    typed = ctx.registrations.application_typed_data(
        document, REGISTRAR_CODE, applicant.address, deadline
    )
    signature = sign_typed_data(typed, applicant)
    before = nonce(ctx, ctx.operator)
    applications = application_nonce(ctx, applicant)

    def submit() -> Registration:
        return ctx.registrations.submit_signed(
            document, REGISTRAR_CODE, applicant.address, deadline, signature, ctx.operator
        )

    done, errors = split(at_once(submit))
    assert len(done) == 1, errors
    assert conflicts(errors), errors
    assert nonce(ctx, ctx.operator) == before + 1
    assert application_nonce(ctx, applicant) == applications + 1
    # sent again later: a conflict that says so, not an invalid signature
    with pytest.raises(AlreadySubmittedError) as replay:
        submit()
    assert replay.value.http_status == 409
    assert replay.value.code == "already_submitted"
    assert nonce(ctx, ctx.operator) == before + 1


def test_the_same_forward_request_five_times_makes_one_transaction(
    ctx: RegistryContext,
) -> None:
    reg = issuable(ctx, 0xB4)
    staff = registrar()
    request = ctx.relay.prepare(ctx.registrations.issue_call(reg.id), staff.address)
    signature = ctx.relay.sign(request, staff)
    before = nonce(ctx, ctx.operator)
    done, errors = split(at_once(lambda: ctx.relay.submit(request, signature, ctx.operator)))
    assert len(done) == 1, errors
    assert conflicts(errors), errors
    assert nonce(ctx, ctx.operator) == before + 1
    assert ctx.registrations.get(reg.id).status is Status.ISSUED


def test_clients_sharing_a_sender_never_skip_or_reuse_a_nonce(
    ctx: RegistryContext, test_settings: Settings, tmp_path: Path
) -> None:
    artifacts = load_client_artifacts(test_settings.artifacts_dir)
    url = str(test_settings.rpc_url)
    clients = [ChainClient(url, artifacts, nonce_dir=tmp_path / "nonces") for _ in range(3)]
    sender = dev_account(6)
    evidence = ctx.manifest.address_of("EvidenceRegistry")
    before = nonce(ctx, sender)
    count = 12
    turn = iter(range(count))
    lock = threading.Lock()

    def anchor() -> Any:
        with lock:
            n = next(turn)
        fp = bytes([0xC0, n]) + bytes(30)
        return clients[n % 3].send(
            ContractCall("EvidenceRegistry", "anchor", (fp,)), evidence, sender
        )

    done, errors = split(at_once(anchor, count))
    assert not errors
    nonces = sorted(
        int(ctx.client.rpc("eth_getTransactionByHash", [r.tx_hash])["nonce"], 16) for r in done
    )
    assert nonces == list(range(before, before + count))


def test_a_nonce_taken_behind_the_managers_back_is_recovered_from(
    ctx: RegistryContext, test_settings: Settings
) -> None:
    """Another sender (not sharing the lock) uses the key between the manager's nonce read and
    its send: the node answers ``nonce too low``; the manager reads again and signs again."""
    artifacts = load_client_artifacts(test_settings.artifacts_dir)
    url = str(test_settings.rpc_url)
    client = ChainClient(url, artifacts)
    outsider = ChainClient(url, artifacts)
    sender = dev_account(6)
    evidence = ctx.manifest.address_of("EvidenceRegistry")
    seen: list[SignedTransaction] = []

    def meddle(signed: SignedTransaction) -> None:
        seen.append(signed)
        if len(seen) == 1:  # the outsider takes the nonce just signed
            outsider.transact("EvidenceRegistry", evidence, "anchor", [b"\xd1" * 32], sender)

    client.transactions.on_signed(meddle)
    before = nonce(ctx, sender)
    receipt = client.send(
        ContractCall("EvidenceRegistry", "anchor", (b"\xd2" * 32,)), evidence, sender
    )
    assert [s.nonce for s in seen] == [before, before + 1]
    assert receipt.tx_hash == seen[-1].tx_hash
    assert nonce(ctx, sender) == before + 2


@pytest.fixture
def manual_mining(ctx: RegistryContext) -> Iterator[ChainClient]:
    """The session anvil without automine for the test (its pending transactions dropped
    after)."""
    ctx.client.rpc("evm_setAutomine", [False])
    try:
        yield ctx.client
    finally:
        ctx.client.rpc("anvil_dropAllTransactions")
        ctx.client.rpc("evm_setAutomine", [True])


def test_a_stuck_transaction_is_replaced_with_a_higher_gas_price(
    ctx: RegistryContext, test_settings: Settings, manual_mining: ChainClient
) -> None:
    artifacts = load_client_artifacts(test_settings.artifacts_dir)
    client = ChainClient(str(test_settings.rpc_url), artifacts, receipt_timeout=0.4, replacements=3)
    seen: list[SignedTransaction] = []
    client.transactions.on_signed(seen.append)
    mined = threading.Timer(1.0, lambda: manual_mining.rpc("evm_mine"))
    mined.start()
    sender = dev_account(6)
    evidence = ctx.manifest.address_of("EvidenceRegistry")
    try:
        receipt = client.send(
            ContractCall("EvidenceRegistry", "anchor", (b"\xe1" * 32,)), evidence, sender
        )
    finally:
        mined.cancel()
    assert len(seen) >= 2  # replaced at least once
    assert len({s.nonce for s in seen}) == 1  # always the same nonce
    assert receipt.tx_hash in {s.tx_hash for s in seen[1:]}  # a replacement was mined


def test_a_transaction_never_mined_is_a_503_naming_its_hashes(
    ctx: RegistryContext, test_settings: Settings, manual_mining: ChainClient
) -> None:
    artifacts = load_client_artifacts(test_settings.artifacts_dir)
    client = ChainClient(str(test_settings.rpc_url), artifacts, receipt_timeout=0.2, replacements=1)
    evidence = ctx.manifest.address_of("EvidenceRegistry")
    with pytest.raises(TransactionNotMinedError) as stuck:
        client.send(
            ContractCall("EvidenceRegistry", "anchor", (b"\xe2" * 32,)), evidence, dev_account(6)
        )
    assert stuck.value.http_status == 503
    assert stuck.value.code == "transaction_not_mined"
    assert len(stuck.value.details["tx_hashes"]) == 2
    assert stuck.value.details["tx_hash"] in str(stuck.value)
