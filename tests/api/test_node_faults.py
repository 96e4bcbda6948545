"""A sick node never hangs the service (issue 15): with the node paused (SIGSTOP), the API answers
within the RPC timeout: ``/health`` and chain reads 503, a write 503 ``chain_unreachable`` and
nothing carried out later without a record; reads served from the mirror go on. A node of the
test's own (never the session's chain), DAREG_RPC_TIMEOUT of one second."""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from api.main import create_app
from registry.auth import standing
from registry.chain.client import ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.db.engine import migrate
from registry.domain.chain import ContractCall
from registry.domain.registration import RegistrarPolicy
from registry.indexer.follow import Indexer
from registry.registration.service import REGULATOR_ROLE
from registry.settings import Settings
from tests.api.actors import sign_in
from tests.conftest import admin
from tests.registry.certificates.conftest import issue_certificate
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, registrar
from tests.sick_node import MARGIN, TIMEOUT, SickNode

V1 = "/api/v1"
ANCHORER = dev_account(5)
REGULATOR = dev_account(9)
#: Seconds the service waits for a sent transaction to be mined.
RECEIPT_TIMEOUT = 2.0


@dataclass
class Service:
    """The API of a registry on a node of its own, with one certificate, mirrored."""

    sick: SickNode
    api: TestClient
    context: RegistryContext
    number: str
    reg_id: int

    @property
    def chain(self) -> ChainClient:
        return self.context.client

    def operator_nonce(self) -> int:
        return int(
            self.chain.rpc("eth_getTransactionCount", [self.context.operator.address, "latest"]), 16
        )


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    sick = SickNode(Settings())
    try:
        var = tmp_path_factory.mktemp("sick-node") / "var"
        where: dict[str, Any] = {
            "var_dir": var,
            "rpc_url": sick.url,
            "database_url": f"sqlite:///{var / 'registry.db'}",
        }
        patient = Settings(**where, rpc_timeout=60)
        sick.deployment.save(patient.manifest_path)
        migrate(patient.effective_database_url)
        setup = RegistryContext.open(patient)
        policy = RegistrarPolicy(
            active=True, objections_open_to_all=True, evidence_required=False, notice_period=NOTICE
        )
        setup.registrations.configure_registrar(REGISTRAR_CODE, policy, admin(), name="广东")
        setup.registrations.set_registrar_account(REGISTRAR_CODE, registrar().address, admin())
        setup.client.send(
            ContractCall("RegistryAuthority", "grantRole", (REGULATOR_ROLE, REGULATOR.address)),
            sick.deployment.address_of("RegistryAuthority"),
            admin(),
        )
        for index in (1, 5, 7, 9):
            setup.client.rpc("anvil_setBalance", [dev_account(index).address, hex(10**20)])
        number = issue_certificate(setup, setup.client)
        reg_id = 1  # the registry's only application
        assert setup.registrations.get(reg_id).issued_at is not None
        Indexer(setup.client, setup.manifest, setup.engine).sync_once()
        # the service under test: the settings' timeout, read through Settings only
        context = RegistryContext.open(
            Settings(
                **where,
                rpc_timeout=TIMEOUT,
                tx_receipt_timeout=RECEIPT_TIMEOUT,
                tx_replacements=0,
            )
        )
        assert context.client.timeout == TIMEOUT
        assert context.client.transactions.receipt_timeout == RECEIPT_TIMEOUT
        with TestClient(create_app(context)) as api:
            yield Service(sick, api, context, number, reg_id)
    finally:
        sick.stop()


def _timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = fn(*args, **kwargs)
    return response, time.monotonic() - start


def _unreachable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "chain_unreachable"
    assert elapsed < TIMEOUT + MARGIN, elapsed


def test_health_says_the_chain_is_unreachable_within_the_timeout(service: Service) -> None:
    awake = service.api.get(f"{V1}/health").json()
    with service.sick.paused():
        response, elapsed = _timed(service.api.get, f"{V1}/health")
    assert response.status_code == 503
    assert elapsed < TIMEOUT + MARGIN
    body = response.json()
    assert body["status"] == "degraded"
    assert body["chain_reachable"] is False
    assert body["chain_head"] is None
    assert body["indexer_head"] == awake["indexer_head"]  # the mirror still answers
    assert service.api.get(f"{V1}/health").status_code == 200


def test_chain_reads_answer_503_within_the_timeout(service: Service) -> None:
    fp = "0x" + "a1" * 32
    paths = (f"{V1}/certificates/{service.number}", f"{V1}/verify/{service.number}")
    for path in (*paths, f"/verify/{service.number}"):  # first calls import and load lazily
        warm = service.api.get(path)
        assert warm.status_code == 200, warm.text
    with service.sick.paused():
        for path in (*paths, f"{V1}/evidence/{fp}"):
            _unreachable(*_timed(service.api.get, path))
        page, elapsed = _timed(service.api.get, f"/verify/{service.number}")
        assert page.status_code == 503
        assert "text/html" in page.headers["content-type"]
        assert elapsed < TIMEOUT + MARGIN
    assert service.api.get(f"{V1}/certificates/{service.number}").status_code == 200


def test_mirror_reads_go_on(service: Service) -> None:
    regulator = sign_in(service.api, REGULATOR)
    # the regulator's roles, read from the chain while it answers, authorise its reads meanwhile
    assert service.api.get(f"{V1}/regulator/statistics", headers=regulator).status_code == 200
    with service.sick.paused():
        for path, headers in (
            (f"{V1}/evidence", {}),
            (f"{V1}/deployment", {}),
            (f"{V1}/regulator/assets/{service.number}/timeline", regulator),
            (f"{V1}/regulator/assets/{service.number}/custody", regulator),
            (f"{V1}/regulator/parties/{dev_account(1).address}/trace", regulator),
            (f"{V1}/regulator/statistics", regulator),
            (f"{V1}/regulator/access-log", regulator),
        ):
            response, elapsed = _timed(service.api.get, path, headers=headers)
            assert response.status_code == 200, (path, response.text)
            assert elapsed < TIMEOUT + MARGIN, (path, elapsed)
        # a write is never authorised by remembered roles: it waits for the chain
        prepared, elapsed = _timed(
            service.api.post,
            f"{V1}/regulator/freezes/prepare",
            json={"number": service.number, "reason": "x"},
            headers=regulator,
        )
        _unreachable(prepared, elapsed)


_SAMPLES = {
    "number": lambda s: s.number,
    "reg_id": lambda s: str(s.reg_id),
    "fingerprint": lambda _: "0x" + "a1" * 32,
    "address": lambda _: dev_account(1).address,
    "recipient": lambda _: dev_account(2).address,
    "code": lambda _: str(REGISTRAR_CODE),
    "chart": lambda _: "registrations-by-month",
    "fmt": lambda _: "svg",
}


def test_every_read_answers_a_declared_status_within_the_timeout(service: Service) -> None:
    """Every GET operation of the OpenAPI document, called as a regulator while the node is
    paused: an answer it declares, never a 500, within the timeout."""
    schema = service.api.get("/openapi.json").json()
    regulator = sign_in(service.api, REGULATOR)
    service.api.get(f"{V1}/auth/session", headers=regulator)
    calls = []
    for template, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        path = re.sub(
            r"\{(\w+)\}", lambda m: _SAMPLES.get(m.group(1), lambda _: "1")(service), template
        )
        calls.append((template, path, set(operation["responses"])))
    assert len(calls) > 30
    for _, path, _ in calls:  # first calls import and load lazily
        service.api.get(path, headers=regulator)
    with service.sick.paused():
        for template, path, declared in calls:
            response, elapsed = _timed(service.api.get, path, headers=regulator)
            assert str(response.status_code) in declared, (template, response.status_code)
            assert response.status_code != 500, template
            assert elapsed < TIMEOUT + MARGIN, (template, elapsed)


def _signed_anchor(api: TestClient, fingerprint: str, anchorer: LocalAccount) -> dict[str, Any]:
    typed = api.post(
        f"{V1}/evidence/typed-data",
        json={"fingerprint": fingerprint, "anchorer": anchorer.address},
        headers=sign_in(api, anchorer),
    )
    assert typed.status_code == 200, typed.text
    return {
        "fingerprint": fingerprint,
        "anchorer": anchorer.address,
        "deadline": typed.json()["message"]["deadline"],
        "signature": "0x" + sign_typed_data(typed.json(), anchorer).hex(),
    }


def test_an_anchor_refused_while_paused_is_not_carried_out_later(service: Service) -> None:
    fp = "0x" + "5e" * 32
    body = _signed_anchor(service.api, fp, ANCHORER)
    nonce, head = service.operator_nonce(), service.chain.head()
    paid = service.context.relay_quota.usage(ANCHORER.address).party
    with service.sick.paused():
        response, elapsed = _timed(
            service.api.post, f"{V1}/evidence", json=body, headers=sign_in(service.api, ANCHORER)
        )
        _unreachable(response, elapsed)
        assert "tx_hash" not in response.json()["error"].get("details", {})
    time.sleep(0.3)  # whatever the node received before it stopped is carried out now
    assert service.operator_nonce() == nonce
    assert service.chain.head() == head
    assert service.api.get(f"{V1}/evidence/{fp}").status_code == 404
    assert service.context.relay_quota.usage(ANCHORER.address).party == paid  # nothing paid
    # and the service works normally again
    again = service.api.post(f"{V1}/evidence", json=body, headers=sign_in(service.api, ANCHORER))
    assert again.status_code == 201, again.text
    assert service.operator_nonce() == nonce + 1


def _access_row(service: Service, request_id: str) -> dict[str, Any]:
    rows = service.api.get(
        f"{V1}/regulator/access-log", params={"limit": 20}, headers=sign_in(service.api, REGULATOR)
    ).json()["items"]
    found = [row for row in rows if row["request_id"] == request_id]
    assert len(found) == 1, rows
    return dict(found[0])


@pytest.mark.parametrize("seed", range(6))
def test_a_pause_at_any_moment_of_an_anchor_leaves_a_record_of_what_went_out(
    service: Service, seed: int
) -> None:
    """The node stops at a random moment of ``POST /evidence``: the answer comes within the
    timeout; once the node continues, the anchor exists only if the answer was 2xx or named
    the transaction (its outcome unknown, also in the access log), and nothing else was sent."""
    moment = random.Random(seed).uniform(0.0, 0.1)
    fp = "0x" + f"{0x70 + seed:02x}" * 32
    body = _signed_anchor(service.api, fp, ANCHORER)
    headers = sign_in(service.api, ANCHORER) | {"X-Request-ID": f"sick-node-{seed}"}
    nonce = service.operator_nonce()
    answers: list[tuple[httpx.Response, float]] = []
    poster = threading.Thread(
        target=lambda: answers.append(
            _timed(service.api.post, f"{V1}/evidence", json=body, headers=headers)
        )
    )
    poster.start()
    time.sleep(moment)
    with service.sick.paused():
        poster.join(timeout=3 * (TIMEOUT + MARGIN))
        assert not poster.is_alive(), "the request hung on the paused node"
    response, elapsed = answers[0]
    assert elapsed < moment + TIMEOUT + MARGIN, elapsed
    time.sleep(0.3)  # whatever the node received before it stopped is carried out now
    after = service.operator_nonce()
    anchored = service.api.get(f"{V1}/evidence/{fp}")
    row = _access_row(service, f"sick-node-{seed}")
    if response.status_code == 201:
        assert after == nonce + 1
        assert anchored.status_code == 200
        assert row["tx_hashes"] == [response.json()["tx_hash"]]
        return
    _unreachable(response, elapsed - moment)
    details = response.json()["error"].get("details", {})
    if "tx_hash" not in details:
        assert after == nonce  # refused before anything went out: never carried out
        assert anchored.status_code == 404
        assert row["tx_hashes"] == []
    else:
        assert details["outcome"] == "unknown"
        assert row["tx_hashes"] == [details["tx_hash"]]  # recorded, whatever happens to it
        assert after in (nonce, nonce + 1)
        assert (anchored.status_code == 200) == (after == nonce + 1)
    assert row["outcome"] == "503 chain_unreachable"
    # the service works normally again
    retried = service.api.post(f"{V1}/evidence", json=body, headers=headers)
    assert retried.status_code in (200, 201), retried.text


def test_a_transaction_not_mined_in_time_is_named_in_the_answer_and_the_access_log(
    service: Service,
) -> None:
    """The node takes the transaction but does not mine it: after DAREG_TX_RECEIPT_TIMEOUT (no
    replacement here) the
    answer names it, its outcome unknown, and so does the access log; it is the transaction
    that runs once the node mines."""
    fp = "0x" + "6b" * 32
    body = _signed_anchor(service.api, fp, ANCHORER)
    headers = sign_in(service.api, ANCHORER) | {"X-Request-ID": "never-mined"}
    service.chain.rpc("evm_setAutomine", [False])
    try:
        response, elapsed = _timed(service.api.post, f"{V1}/evidence", json=body, headers=headers)
    finally:
        service.chain.rpc("evm_setAutomine", [True])
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "transaction_not_mined"
    assert error["details"]["outcome"] == "unknown"
    tx_hash = error["details"]["tx_hash"]
    assert elapsed < RECEIPT_TIMEOUT + MARGIN
    assert _access_row(service, "never-mined")["tx_hashes"] == [tx_hash]
    service.chain.rpc("evm_mine")
    receipt = service.chain.rpc("eth_getTransactionReceipt", [tx_hash])
    assert receipt is not None
    assert service.api.get(f"{V1}/evidence/{fp}").json()["tx_hash"] == tx_hash


def test_roles_read_too_long_ago_authorise_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The roles the chain gave a regulator authorise its mirror reads through an outage only
    for ``STALE_ROLES_SECONDS``: after that, 503 until the chain answers again."""
    regulator = sign_in(service.api, REGULATOR)
    path = f"{V1}/regulator/statistics"
    assert service.api.get(path, headers=regulator).status_code == 200
    monkeypatch.setattr(standing, "STALE_ROLES_SECONDS", 0.0)
    with service.sick.paused():
        _unreachable(*_timed(service.api.get, path, headers=regulator))
    assert service.api.get(path, headers=regulator).status_code == 200
