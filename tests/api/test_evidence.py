from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from registry.chain.client import dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.indexer.follow import Indexer
from tests.api.actors import sign_in

FP = "0x" + "1f" * 32


def signed(api: TestClient, fingerprint: str, anchorer: LocalAccount | None = None) -> Any:
    """The body of ``POST /evidence``: ``fingerprint`` signed by ``anchorer`` (EIP-712), which
    asks for the typed data signed in."""
    anchorer = anchorer or dev_account(5)
    typed = api.post(
        "/api/v1/evidence/typed-data",
        json={"fingerprint": fingerprint, "anchorer": anchorer.address},
        headers=sign_in(api, anchorer),
    ).json()
    return {
        "fingerprint": fingerprint,
        "anchorer": anchorer.address,
        "deadline": typed["message"]["deadline"],
        "signature": "0x" + sign_typed_data(typed, anchorer).hex(),
    }


def as_anchorer(api: TestClient, anchorer: LocalAccount | None = None) -> dict[str, str]:
    """The headers of ``anchorer`` (by default the one of :func:`signed`) signed in."""
    return sign_in(api, anchorer or dev_account(5))


def test_post_anchors_then_returns_the_existing_record(
    api: TestClient, registry_context: RegistryContext
) -> None:
    first = api.post("/api/v1/evidence", json=signed(api, FP), headers=as_anchorer(api))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["created"] is True
    assert body["anchorer"] == dev_account(5).address
    assert body["relayer"] == registry_context.operator.address
    assert body["tx_hash"].startswith("0x")
    again = api.post(
        "/api/v1/evidence",
        json=signed(api, FP.upper().replace("0X", "0x"), dev_account(5)),
        headers=as_anchorer(api, dev_account(5)),
    )
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["tx_hash"] == body["tx_hash"]
    assert again.json()["block_number"] == body["block_number"]


def test_get_reads_the_record_from_the_chain(api: TestClient) -> None:
    created = api.post("/api/v1/evidence", json=signed(api, FP), headers=as_anchorer(api)).json()
    got = api.get(f"/api/v1/evidence/{FP}")
    assert got.status_code == 200
    assert got.json()["anchored_at"] == created["anchored_at"]
    assert got.json()["created"] is None


def test_defect_6a_each_account_anchors_once_and_the_lookup_lists_every_anchor(
    api: TestClient, registry_context: RegistryContext
) -> None:
    """Defect 6a: a fingerprint anchored by one account could not be anchored by another (the
    POST answered the first account's record). Now each account's anchor is its own; GET keeps
    the first anchor's fields and lists every anchor. (Since v2 every anchor is signed by its
    anchorer, so both accounts sign.)"""
    fp = "0x" + "6a" * 32
    first, holder = dev_account(2), dev_account(3)
    first_anchor = api.post(
        "/api/v1/evidence", json=signed(api, fp, first), headers=as_anchorer(api, first)
    )
    assert first_anchor.status_code == 201, first_anchor.text
    assert first_anchor.json()["anchorer"] == first.address
    own = api.post(
        "/api/v1/evidence", json=signed(api, fp, holder), headers=as_anchorer(api, holder)
    )
    assert own.status_code == 201, own.text
    assert own.json()["anchorer"] == holder.address
    assert own.json()["relayer"] == registry_context.operator.address
    assert own.json()["tx_hash"] != first_anchor.json()["tx_hash"]
    again = api.post(
        "/api/v1/evidence", json=signed(api, fp, holder), headers=as_anchorer(api, holder)
    )
    assert again.status_code == 200, again.text
    assert again.json()["tx_hash"] == own.json()["tx_hash"]
    got = api.get(f"/api/v1/evidence/{fp}").json()
    assert got["anchorer"] == first.address
    assert got["tx_hash"] == first_anchor.json()["tx_hash"]
    assert [a["anchorer"] for a in got["anchors"]] == [first.address, holder.address]
    assert got["anchors"][1]["tx_hash"] == own.json()["tx_hash"]


def test_unknown_fingerprint_is_404_with_stable_code(api: TestClient) -> None:
    response = api.get("/api/v1/evidence/0x" + "77" * 32)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "evidence_not_found"


def test_malformed_fingerprints_are_422_with_stable_code(api: TestClient) -> None:
    for bad in ["0x1234", "zz" * 32, "0x" + "00" * 32, "0x" + "ab" * 33]:
        get = api.get(f"/api/v1/evidence/{bad}")
        body = {**signed(api, FP), "fingerprint": bad}
        post = api.post("/api/v1/evidence", json=body, headers=as_anchorer(api))
        for response in (get, post):
            assert response.status_code == 422, (bad, response.text)
            assert response.json()["error"]["code"] == "malformed_fingerprint"


def test_request_shape_errors_are_422_invalid_request(api: TestClient) -> None:
    anchorer = as_anchorer(api, dev_account(2))
    response = api.post(
        "/api/v1/evidence",
        json={"fingerprint": FP, "anchorer": dev_account(2).address},
        headers=anchorer,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    missing = api.post("/api/v1/evidence", json={}, headers=anchorer)
    assert missing.json()["error"]["code"] == "invalid_request"
    assert "fingerprint" in missing.json()["error"]["message"]


def test_the_operator_never_anchors_as_itself(
    api: TestClient, registry_context: RegistryContext
) -> None:
    """Before v2 ``POST /evidence`` without a signature anchored the fingerprint as the
    service's operator, evidence of nobody's possession. Now an anchor is the signed act of its
    anchorer: a request without a signature is refused, whether anonymous (401) or signed in,
    even as the operator (422), and nothing is anchored."""
    anonymous = api.post("/api/v1/evidence", json={"fingerprint": FP})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    unsigned = api.post(
        "/api/v1/evidence",
        json={"fingerprint": FP},
        headers=sign_in(api, registry_context.operator),
    )
    assert unsigned.status_code == 422
    assert unsigned.json()["error"]["code"] == "invalid_request"
    assert "signature" in unsigned.json()["error"]["message"]
    assert api.get(f"/api/v1/evidence/{FP}").status_code == 404
    assert registry_context.evidence.lookup(bytes.fromhex(FP[2:])) is None


def test_delegated_anchor_through_typed_data(
    api: TestClient, registry_context: RegistryContext
) -> None:
    registrant = dev_account(5)
    typed = api.post(
        "/api/v1/evidence/typed-data",
        json={"fingerprint": FP, "anchorer": registrant.address},
        headers=as_anchorer(api, registrant),
    ).json()
    signature = "0x" + sign_typed_data(typed, registrant).hex()
    response = api.post(
        "/api/v1/evidence",
        json={
            "fingerprint": FP,
            "anchorer": registrant.address,
            "deadline": typed["message"]["deadline"],
            "signature": signature,
        },
        headers=as_anchorer(api, registrant),
    )
    assert response.status_code == 201, response.text
    assert response.json()["anchorer"] == registrant.address
    assert response.json()["relayer"] == registry_context.operator.address


def test_forged_delegation_maps_the_custom_error_to_a_stable_code(api: TestClient) -> None:
    registrant, forger = dev_account(5), dev_account(6)
    typed = api.post(
        "/api/v1/evidence/typed-data",
        json={"fingerprint": FP, "anchorer": registrant.address},
        headers=as_anchorer(api, registrant),
    ).json()
    response = api.post(
        "/api/v1/evidence",
        json={
            "fingerprint": FP,
            "anchorer": registrant.address,
            "deadline": typed["message"]["deadline"],
            "signature": "0x" + sign_typed_data(typed, forger).hex(),
        },
        headers=as_anchorer(api, registrant),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "contract_evidence_invalid_signature"
    assert api.get(f"/api/v1/evidence/{FP}").status_code == 404


def test_list_comes_from_the_mirror(api: TestClient, indexer: Indexer) -> None:
    fps = ["0x" + f"{i:02x}" * 32 for i in range(1, 4)]
    for fp in fps:
        anchored = api.post("/api/v1/evidence", json=signed(api, fp), headers=as_anchorer(api))
        assert anchored.status_code == 201
    assert api.get("/api/v1/evidence").json()["total"] == 0  # not mirrored yet
    indexer.sync_once()
    listed = api.get("/api/v1/evidence").json()
    assert listed["total"] == 3
    assert {item["fingerprint"] for item in listed["items"]} == set(fps)
    bad = api.get("/api/v1/evidence", params={"anchorer": "not-an-address"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_input"
