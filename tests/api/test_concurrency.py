"""Duplicate requests sent at once over REST, on the real chain: one transaction, the others 409
with a stable code, nothing reverted on the operator's account."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from registry.chain.client import ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from tests.api.actors import sign_in
from tests.api.test_applications import (  # noqa: F401 (registrar_api is a fixture)
    CODE,
    NOTICE,
    _apply,
    registrar_api,
    review,
    staff,
)
from tests.registry.registration.conftest import metadata, travel

PARALLEL = 5
#: The stable codes of a duplicate refused: in flight now, or carried out already.
DUPLICATE_CODES = {
    "request_in_progress",
    "stale_relay_request",
    "already_submitted",
    "contract_registry_wrong_status",
}


def at_once(send: Any, bodies: list[Any]) -> list[Response]:
    barrier = Barrier(len(bodies))

    def one(body: Any) -> Response:
        barrier.wait()
        result: Response = send(body)
        return result

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(one, bodies))


def operator_nonce(ctx: RegistryContext) -> int:
    address = ctx.operator.address
    return int(ctx.client.rpc("eth_getTransactionCount", [address, "latest"]), 16)


def application_nonce(ctx: RegistryContext, applicant: str) -> int:
    registry = ctx.registrations.contract_address
    return int(ctx.client.read("DataAssetRegistry", registry, "applicationNonce", [applicant]))


def one_and_conflicts(answers: list[Response]) -> None:
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (len(answers) - 1), [a.text for a in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] in DUPLICATE_CODES, answer.text


def test_five_parallel_issuances_of_one_application(
    registrar_api: TestClient,  # noqa: F811
    registry_context: RegistryContext,
    chain: ChainClient,
) -> None:
    api = registrar_api
    reg = _apply(api, 2, 0xC1)
    review(api, reg["id"], "accept")
    review(api, reg["id"], "notice")
    travel(chain, NOTICE + 1)
    headers = sign_in(api, staff())
    relays = []
    for ttl in range(600, 600 + PARALLEL):  # five separate requests for the same issuance
        prepared = api.post(
            f"/api/v1/applications/{reg['id']}/issue/prepare",
            json={"signer": staff().address, "ttl_seconds": ttl},
            headers=headers,
        )
        assert prepared.status_code == 200, prepared.text
        p = prepared.json()
        signature = "0x" + sign_typed_data(p["typed_data"], staff()).hex()
        relays.append({"request": p["request"], "signature": signature})
    before = operator_nonce(registry_context)
    answers = at_once(lambda body: api.post("/api/v1/relay", json=body, headers=headers), relays)
    one_and_conflicts(answers)
    assert operator_nonce(registry_context) == before + 1
    issued = api.get(f"/api/v1/applications/{reg['id']}", headers=headers).json()
    assert issued["status"] == "issued"


def test_the_same_signed_application_five_times(
    registrar_api: TestClient,  # noqa: F811
    registry_context: RegistryContext,
) -> None:
    api = registrar_api
    holder = dev_account(3)
    headers = sign_in(api, holder)
    doc = metadata(holder.address, 0xC2).model_dump(mode="json", by_alias=True)
    draft = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": holder.address, "metadata": doc},
        headers=headers,
    ).json()
    body = {
        "registrar_code": CODE,
        "applicant": holder.address,
        "metadata": doc,
        "deadline": draft["deadline"],
        "signature": "0x" + sign_typed_data(draft["typed_data"], holder).hex(),
    }
    before = operator_nonce(registry_context)
    applied = application_nonce(registry_context, holder.address)
    answers = at_once(
        lambda b: api.post("/api/v1/applications", json=b, headers=headers), [body] * PARALLEL
    )
    one_and_conflicts(answers)
    assert operator_nonce(registry_context) == before + 1
    # and once more, after the first was carried out: 409 already_submitted, not 422
    late = api.post("/api/v1/applications", json=body, headers=headers)
    assert late.status_code == 409, late.text
    assert late.json()["error"]["code"] == "already_submitted"
    assert application_nonce(registry_context, holder.address) == applied + 1


def test_the_same_forward_request_five_times(
    registrar_api: TestClient,  # noqa: F811
    registry_context: RegistryContext,
    chain: ChainClient,
) -> None:
    api = registrar_api
    reg = _apply(api, 4, 0xC3)
    headers = sign_in(api, staff())
    prepared = api.post(
        f"/api/v1/applications/{reg['id']}/accept/prepare",
        json={"signer": staff().address},
        headers=headers,
    ).json()
    relay = {
        "request": prepared["request"],
        "signature": "0x" + sign_typed_data(prepared["typed_data"], staff()).hex(),
    }
    before = operator_nonce(registry_context)
    answers = at_once(
        lambda body: api.post("/api/v1/relay", json=body, headers=headers), [relay] * PARALLEL
    )
    one_and_conflicts(answers)
    assert operator_nonce(registry_context) == before + 1
