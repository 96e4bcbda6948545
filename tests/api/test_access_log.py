"""The access log over REST: every state-changing request recorded once, after its answer, with
its request id, idempotency key, route template, outcome and the transactions it caused; GETs
are not recorded; regulators read it, filtered and paged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import Depends, Request
from fastapi.testclient import TestClient

from api.main import create_app
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from tests.api.actors import V1, sign_in
from tests.conftest import admin
from tests.registry.rights.test_service import buyer, grant_regulator, holder, regulator

LOG = f"{V1}/regulator/access-log"
FP = "0x" + "2e" * 32


@pytest.fixture
def api(ctx: RegistryContext) -> Iterator[TestClient]:
    grant_regulator(ctx)  # the admin's own transaction, sent outside the API: channel "cli"
    with TestClient(create_app(ctx)) as client:
        yield client


def entries(api: TestClient, **params: Any) -> list[dict[str, Any]]:
    """The log as the regulator reads it (signed in: two more writes the first time)."""
    response = api.get(LOG, params=params, headers=sign_in(api, regulator()))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def anchor(api: TestClient, request_id: str) -> Any:
    """The signed-in holder anchors ``FP`` (its EIP-712 message, relayed by the operator)."""
    session = sign_in(api, holder())
    body = {"fingerprint": FP, "anchorer": holder().address}
    typed = api.post(f"{V1}/evidence/typed-data", json=body, headers=session).json()
    signature = "0x" + sign_typed_data(typed, holder()).hex()
    body |= {"deadline": typed["message"]["deadline"], "signature": signature}
    return api.post(f"{V1}/evidence", json=body, headers={**session, "X-Request-ID": request_id})


def by_request(api: TestClient, request_id: str) -> dict[str, Any]:
    found = [e for e in entries(api, limit=500) if e["request_id"] == request_id]
    assert len(found) == 1, found
    return found[0]


def test_each_write_is_recorded_once_with_its_transactions(api: TestClient) -> None:
    # a relayed action of the signed-in regulator: prepare (no transaction), relay (one)
    session = sign_in(api, regulator())
    body = {"party": buyer().address, "country": "CN", "signer": regulator().address}
    prepared = api.post(
        f"{V1}/regulator/party-countries/prepare",
        json=body,
        headers={**session, "X-Request-ID": "prep-1"},
    )
    assert prepared.status_code == 200, prepared.text
    assert prepared.headers["X-Request-ID"] == "prep-1"
    p = prepared.json()
    signature = "0x" + sign_typed_data(p["typed_data"], regulator()).hex()
    relayed = api.post(
        f"{V1}/relay",
        json={"request": p["request"], "signature": signature},
        headers={**session, "X-Request-ID": "relay-1", "Idempotency-Key": "idem-relay-1"},
    )
    assert relayed.status_code == 201, relayed.text
    assert relayed.headers["X-Request-ID"] == "relay-1"
    # an operator-paid anchor of the signed-in holder
    anchored = anchor(api, "anc-1")
    assert anchored.status_code == 201, anchored.text
    # a refusal: no transaction, the error's code
    refused = api.post(
        f"{V1}/evidence",
        json={"fingerprint": "nope"},
        headers={**sign_in(api, holder()), "Idempotency-Key": "idem-bad"},
    )
    assert refused.status_code == 422
    # reads are not recorded; an insane request id is replaced, not echoed
    listed = api.get(f"{V1}/evidence", headers={"X-Request-ID": "bad id with spaces"})
    assert listed.status_code == 200
    assert listed.headers["X-Request-ID"] != "bad id with spaces"

    prep = by_request(api, "prep-1")
    assert prep["channel"] == "api"
    assert prep["action"] == "POST /api/v1/regulator/party-countries/prepare"
    assert prep["outcome"] == "200"
    assert prep["tx_hashes"] == []
    assert prep["client"] == "testclient"
    assert prep["idempotency_key"] is None
    assert prep["caller"] == regulator().address
    assert prep["via"] == "session"
    assert prep["role"] == "regulator"

    relay = by_request(api, "relay-1")
    assert relay["action"] == "POST /api/v1/relay"
    assert relay["outcome"] == "201"
    assert relay["idempotency_key"] == "idem-relay-1"
    assert relay["tx_hashes"] == [relayed.json()["tx_hash"].lower()]
    # the authenticated caller, as the authentication left it in request.state
    assert relay["caller"] == regulator().address
    assert relay["via"] == "session"
    assert relay["role"] is not None

    anchored_row = by_request(api, "anc-1")
    assert anchored_row["action"] == "POST /api/v1/evidence"
    assert anchored_row["outcome"] == "201"
    assert anchored_row["tx_hashes"] == [anchored.json()["tx_hash"].lower()]
    assert anchored_row["caller"] == holder().address

    bad = [e for e in entries(api, limit=500) if e["idempotency_key"] == "idem-bad"]
    assert len(bad) == 1
    assert bad[0]["outcome"] == "422 invalid_request"
    assert bad[0]["tx_hashes"] == []
    assert len(bad[0]["request_id"]) == 32  # generated

    api_rows = [e for e in entries(api, limit=500) if e["channel"] == "api"]
    assert [e["action"] for e in reversed(api_rows)] == [
        "POST /api/v1/auth/challenge",
        "POST /api/v1/auth/sign-in",
        "POST /api/v1/regulator/party-countries/prepare",
        "POST /api/v1/relay",
        "POST /api/v1/auth/challenge",
        "POST /api/v1/auth/sign-in",
        "POST /api/v1/evidence/typed-data",
        "POST /api/v1/evidence",
        "POST /api/v1/evidence",
    ]  # and no GET


def test_the_regulator_filters_and_pages(api: TestClient) -> None:
    first = anchor(api, "a-1")
    assert first.status_code == 201
    for n in range(3):
        headers = {**sign_in(api, holder()), "X-Request-ID": f"r-{n}"}
        assert api.post(f"{V1}/evidence", json={}, headers=headers).status_code == 422
    tx = first.json()["tx_hash"]

    everything = entries(api, limit=500)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    # the admin's own transactions sent outside the API (the registrar's set-up, the grant of
    # the regulator role): one row each, the admin as caller and sender, oldest last
    governed = entries(api, caller=admin().address)
    assert len(governed) == 3, governed
    assert all(
        e["channel"] == "cli"
        and e["sender"] == admin().address
        and e["client"] == "local"
        and e["outcome"] == "sent"
        and len(e["tx_hashes"]) == 1
        for e in governed
    )
    assert governed[0]["action"] == "RegistryAuthority.grantRole"

    named = entries(api, tx_hash=tx.upper().replace("0X", "0x"))
    assert [e["request_id"] for e in named] == ["a-1"]
    refused = entries(api, outcome="4xx")
    assert [e["request_id"] for e in refused] == ["r-2", "r-1", "r-0"]
    assert entries(api, outcome="5xx") == []
    assert {e["request_id"] for e in entries(api, action="POST /api/v1/evidence")} == {
        "a-1",
        "r-0",
        "r-1",
        "r-2",
    }
    paging = {"outcome": "4xx", "limit": 2, "offset": 1}
    page = api.get(LOG, params=paging, headers=sign_in(api, regulator())).json()
    assert page["total"] == 3
    assert page["limit"] == 2
    assert page["offset"] == 1
    assert [e["request_id"] for e in page["items"]] == ["r-1", "r-0"]

    last_refusal = next(e["recorded_at"] for e in everything if e["request_id"] == "r-2")
    assert [e["request_id"] for e in entries(api, since=last_refusal, outcome="4xx")] == ["r-2"]
    assert entries(api, until=everything[-1]["recorded_at"]) == []

    for params in ({"tx_hash": "0x12"}, {"caller": "nobody"}, {"outcome": "3xx"}):
        response = api.get(LOG, params=params, headers=sign_in(api, regulator()))
        assert response.status_code == 422, (params, response.text)
    # reading the log writes nothing to it
    assert entries(api, limit=500) == entries(api, limit=500)


@dataclass(frozen=True)
class _Caller:
    """What authentication leaves in ``request.state.caller`` (the contract with api/deps.py)."""

    address: str
    via: str


def test_the_authenticated_caller_and_role_are_recorded(ctx: RegistryContext) -> None:
    grant_regulator(ctx)
    app = create_app(ctx)

    def authenticated(request: Request) -> None:  # as the authorisation dependency will do
        request.state.caller = _Caller(regulator().address, "api-key")
        request.state.role = "regulator"

    @app.post("/api/v1/test/authenticated/{thing}", dependencies=[Depends(authenticated)])
    def act_authenticated(thing: int) -> dict[str, int]:
        return {"thing": thing}

    with TestClient(app) as client:
        done = client.post("/api/v1/test/authenticated/7", headers={"X-Request-ID": "auth-1"})
        assert done.status_code == 200, done.text
        entry = by_request(client, "auth-1")
    assert entry["action"] == "POST /api/v1/test/authenticated/{thing}"
    assert entry["caller"] == regulator().address
    assert entry["role"] == "regulator"
    assert entry["via"] == "api-key"
