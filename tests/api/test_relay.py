"""Every rule of transfers, pledges, cancellations and licences through the REST API: the acting
party signs a forward request, the operator relays it, the real contracts decide."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from httpx import Response

from api.main import create_app
from api.schemas.relay import ForwardRequestPublic
from registry.chain.client import dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.domain.chain import ForwardRequest
from registry.domain.rights import TransferReason
from registry.errors import ContractRevertError
from registry.registration.service import DEFAULT_ADMIN_ROLE, REGULATOR_ROLE
from tests.api.actors import V1, act, done, event, refused, sign_in
from tests.api.test_rights import _number, _signed, _sync, _terms
from tests.conftest import admin
from tests.registry.registration.conftest import REGISTRAR_CODE, travel
from tests.registry.rights.test_service import (
    DAY,
    bank,
    buyer,
    chain_now,
    foreigner,
    grant_regulator,
    holder,
    issue,
    licensee,
    regulator,
    sublicensee,
)

REPO = Path(__file__).resolve().parents[2]
CASE = "(2026)粤01执保77号"


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    grant_regulator(ctx)  # the regulator signs its own actions; the operator holds no role
    with TestClient(create_app(ctx)) as api:
        yield api


def sale(to: LocalAccount | str, document: str | None = "数据资产转让合同") -> dict[str, Any]:
    address = to if isinstance(to, str) else to.address
    return {"to": address, "reason": "sale", "document": document}


def licence(ctx: RegistryContext, to: LocalAccount, days: int = 365, **changes: Any) -> Any:
    now = chain_now(ctx.client)
    terms: dict[str, Any] = {
        "licensee": to.address,
        "right": "processing_use",
        "purposes": ["internal_analysis", "research"],
        "territories": ["mainland_china"],
        "start": now.isoformat(),
        "end": (now + timedelta(days=days)).isoformat(),
        "sublicensable": True,
    }
    terms.update(changes)
    return {"terms": terms}


def freeze(client: TestClient, number: str) -> None:
    body = {"certificate_number": number, "case_reference": CASE}
    done(act(client, "/regulator/freezes/prepare", body, regulator()))


def unfreeze(client: TestClient, number: str) -> None:
    body = {"case_reference": CASE + "之一"}
    done(act(client, f"/regulator/freezes/{number}/release/prepare", body, regulator()))


# --- transfers -----------------------------------------------------------------------------------


def test_the_holder_transfers_and_a_freeze_stops_it(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    path = f"/certificates/{number}/transfers/prepare"
    refused(act(client, path, sale(holder()), buyer()), 403, "role_required")  # not the holder
    court = {**sale(buyer()), "reason": "court_order"}
    refused(act(client, path, court, holder()), 422, "invalid_input")
    refused(act(client, path, sale("0x12"), holder()), 422, "invalid_input")

    freeze(client, number)
    refused(act(client, path, sale(buyer()), holder()), 409, "contract_agent_frozen")
    unfreeze(client, number)

    result = done(act(client, path, sale(buyer()), holder()))
    assert (result["contract"], result["function"], result["signer"]) == (
        "TransferAgent",
        "transfer",
        holder().address,
    )
    moved = event(result, "CertificateTransferred")
    assert (moved["from"], moved["to"], moved["reason"]) == (holder().address, buyer().address, 1)
    assert ctx.rights.holder_of(ctx.rights.token_id_of(number)) == buyer().address
    _sync(ctx)
    as_buyer = sign_in(client, buyer())
    history = client.get(f"{V1}/certificates/{number}/transfers", headers=as_buyer).json()["items"]
    assert [(t["from_address"], t["to"], t["reason"]) for t in history] == [
        (holder().address, buyer().address, "sale")
    ]
    assert history[0]["document_hash"] is not None


def test_cancelled_and_expired_certificates_do_not_move(
    client: TestClient, ctx: RegistryContext
) -> None:
    cancelled = _number(ctx, issue(ctx))
    cancel = f"/certificates/{cancelled}/cancellation/prepare"
    refused(act(client, cancel, {"reason": "业务终止"}, buyer()), 403, "role_required")
    done(act(client, cancel, {"reason": "业务终止"}, holder()))
    path = f"/certificates/{cancelled}/transfers/prepare"
    refused(act(client, path, sale(buyer()), holder()), 409, "contract_agent_not_issued")

    expiring = _number(ctx, issue(ctx, fp=0xA2))
    valid_until = ctx.registrations.by_certificate_number(expiring).valid_until
    assert valid_until is not None
    travel(ctx.client, int(valid_until.timestamp()) - ctx.client.block().timestamp + DAY)
    path = f"/certificates/{expiring}/transfers/prepare"
    refused(act(client, path, sale(buyer()), holder()), 409, "contract_agent_not_issued")
    licences = f"/certificates/{expiring}/licences/prepare"
    refused(
        act(client, licences, licence(ctx, licensee()), holder()),
        409,
        "contract_licence_certificate_not_issued",
    )


def test_important_data_moves_only_with_the_regulators_approval(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx, classification="important"))
    path = f"/certificates/{number}/transfers/prepare"
    refused(act(client, path, sale(buyer()), holder()), 409, "contract_agent_approval_required")
    expiry = (chain_now(ctx.client) + timedelta(days=30)).isoformat()
    approval = {"certificate_number": number, "to": buyer().address, "expiry": expiry}
    done(act(client, "/regulator/transfer-approvals/prepare", approval, regulator()))
    # the approval names one recipient
    refused(act(client, path, sale(bank()), holder()), 409, "contract_agent_approval_required")
    done(act(client, path, sale(buyer()), holder()))


def test_a_recipient_abroad_needs_a_valid_cross_border_record(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    country = {"party": foreigner().address, "country": "SG"}
    done(act(client, "/regulator/party-countries/prepare", country, regulator()))
    path = f"/certificates/{number}/transfers/prepare"
    refused(
        act(client, path, sale(foreigner()), holder()),
        409,
        "contract_agent_cross_border_record_required",
    )
    record = {
        "certificate_number": number,
        "recipient": foreigner().address,
        "mechanism": "standard_contract",
        "approval_number": "粤网信备〔2026〕出境字第88号",
        "expiry": (chain_now(ctx.client) + timedelta(days=10)).isoformat(),
        "country": "SG",
    }
    done(act(client, "/regulator/cross-border-records/prepare", record, regulator()))
    # a record for another country does not count; an expired one neither
    travel(ctx.client, 11 * DAY)
    refused(
        act(client, path, sale(foreigner()), holder()),
        409,
        "contract_agent_cross_border_record_required",
    )
    record["expiry"] = (chain_now(ctx.client) + timedelta(days=10)).isoformat()
    done(act(client, "/regulator/cross-border-records/prepare", record, regulator()))
    done(act(client, path, sale(foreigner()), holder()))
    assert ctx.rights.holder_of(ctx.rights.token_id_of(number)) == foreigner().address


# --- pledges -------------------------------------------------------------------------------------


def _pledge(client: TestClient, ctx: RegistryContext, number: str, days: int = 180) -> int:
    body = _signed(client, _terms(ctx, number, days=days))
    created = client.post(f"{V1}/pledges", json=body, headers=sign_in(client, holder()))
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_a_pledged_certificate_is_not_moved_cancelled_or_exclusively_licensed_without_consent(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    pledge = _pledge(client, ctx, number)
    transfer = f"/certificates/{number}/transfers/prepare"
    cancel = f"/certificates/{number}/cancellation/prepare"
    licences = f"/certificates/{number}/licences/prepare"
    consents = f"/pledges/{pledge}/consents/prepare"
    until = (chain_now(ctx.client) + timedelta(days=7)).isoformat()  # a consent's deadline
    exclusive = licence(ctx, licensee(), exclusive=True)
    refused(act(client, transfer, sale(buyer()), holder()), 409, "contract_agent_pledged")
    refused(act(client, cancel, {}, holder()), 409, "contract_agent_pledged")
    refused(act(client, licences, exclusive, holder()), 409, "contract_agent_pledged")
    # a non-exclusive licence needs no consent
    done(act(client, licences, licence(ctx, bank(), right="product_operation"), holder()))

    # only the pledgee consents, and a consent unlocks one act with one counterparty
    to_buyer = {"action": "transfer", "counterparty": buyer().address, "deadline": until}
    refused(act(client, consents, to_buyer, holder()), 403, "role_required")  # not the pledgee
    done(
        act(
            client,
            consents,
            {"action": "exclusive_licence", "counterparty": licensee().address, "deadline": until},
            bank(),
        )
    )
    refused(
        act(client, licences, licence(ctx, sublicensee(), exclusive=True), holder()),
        409,
        "contract_agent_pledged",
    )
    done(act(client, licences, exclusive, holder()))
    refused(act(client, licences, exclusive, holder()), 409, "contract_licence_exclusive_conflict")

    # a consent the pledgee withdraws unlocks nothing
    withdrawal = f"/pledges/{pledge}/consents/withdrawal/prepare"
    done(act(client, consents, to_buyer, bank()))
    withdrawn = {"action": "transfer", "counterparty": buyer().address}
    done(act(client, withdrawal, withdrawn, bank()))
    refused(act(client, transfer, sale(buyer()), holder()), 409, "contract_agent_pledged")
    done(act(client, consents, to_buyer, bank()))
    refused(act(client, transfer, sale(licensee()), holder()), 409, "contract_agent_pledged")
    moved = done(act(client, transfer, sale(buyer()), holder()))
    assert event(moved, "PledgorChanged")["pledgor"] == buyer().address
    shown = client.get(f"{V1}/pledges/{pledge}", headers=sign_in(client, bank())).json()
    assert (shown["pledgor"], shown["status"]) == (buyer().address, "live")

    # the new holder cancels only with a consent naming it
    refused(act(client, cancel, {}, buyer()), 409, "contract_agent_pledged")
    to_cancel = {"action": "cancel", "counterparty": buyer().address, "deadline": until}
    done(act(client, consents, to_cancel, bank()))
    done(act(client, cancel, {"reason": "资产处置完毕"}, buyer()))
    assert ctx.registrations.by_certificate_number(number).status.value == "cancelled"


def test_only_the_pledgee_releases_and_enforces_after_maturity(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    pledge = _pledge(client, ctx, number, days=30)
    release = f"/pledges/{pledge}/release/prepare"
    enforce = f"/pledges/{pledge}/enforcement/prepare"
    refused(act(client, release, {}, holder()), 403, "role_required")  # not the pledgee
    refused(
        act(client, enforce, {"to": buyer().address}, bank()),
        409,
        "contract_agent_pledge_not_matured",
    )
    travel(ctx.client, 31 * DAY)
    refused(act(client, enforce, {"to": buyer().address}, holder()), 403, "role_required")
    # a freeze stops enforcement as well
    freeze(client, number)
    refused(act(client, enforce, {"to": buyer().address}, bank()), 409, "contract_agent_frozen")
    unfreeze(client, number)
    result = done(act(client, enforce, {"to": buyer().address}, bank()))
    assert event(result, "PledgeEnforced")["to"] == buyer().address
    assert event(result, "CertificateTransferred")["reason"] == 5  # pledge enforcement
    as_pledgee = sign_in(client, bank())
    assert client.get(f"{V1}/pledges/{pledge}", headers=as_pledgee).json()["status"] == "enforced"
    refused(act(client, release, {}, bank()), 409, "contract_agent_pledge_not_live")
    _sync(ctx)
    history = client.get(f"{V1}/certificates/{number}/transfers", headers=as_pledgee)
    history = history.json()["items"]
    assert [(t["to"], t["reason"]) for t in history] == [(buyer().address, "pledge_enforcement")]

    # a second certificate: released by its pledgee
    other = _number(ctx, issue(ctx, fp=0xA2))
    second = _pledge(client, ctx, other)
    done(act(client, f"/pledges/{second}/release/prepare", {}, bank()))
    assert client.get(f"{V1}/pledges/{second}", headers=as_pledgee).json()["status"] == "released"
    done(act(client, f"/certificates/{other}/transfers/prepare", sale(buyer()), holder()))
    missing = act(client, "/pledges/999/release/prepare", {}, bank())
    refused(missing, 404, "pledge_not_found")


# --- licences ------------------------------------------------------------------------------------


def test_licences_sublicences_and_termination(client: TestClient, ctx: RegistryContext) -> None:
    number = _number(ctx, issue(ctx))
    licences = f"/certificates/{number}/licences/prepare"
    refused(act(client, licences, licence(ctx, buyer()), licensee()), 403, "role_required")
    granted = done(act(client, licences, licence(ctx, licensee(), days=200), holder()))
    parent = int(event(granted, "LicenceGranted")["licenceId"])
    shown = client.get(f"{V1}/licences/{parent}").json()
    assert (shown["licensor"], shown["licensee"]) == (holder().address, licensee().address)
    # an exclusive licence conflicts with any live licence of the same right
    exclusive = licence(ctx, bank(), exclusive=True)
    refused(act(client, licences, exclusive, holder()), 409, "contract_licence_exclusive_conflict")
    other_right = licence(ctx, bank(), exclusive=True, right="product_operation")
    done(act(client, licences, other_right, holder()))

    subs = f"/licences/{parent}/sublicences/prepare"
    refused(act(client, subs, licence(ctx, sublicensee()), holder()), 403, "role_required")
    wider = licence(ctx, sublicensee(), days=100, purposes=["model_training"])
    refused(act(client, subs, wider, licensee()), 422, "contract_licence_exceeds_parent")
    longer = licence(ctx, sublicensee(), days=201)
    refused(act(client, subs, longer, licensee()), 422, "contract_licence_exceeds_parent")
    abroad = licence(ctx, sublicensee(), days=100, territories=["hong_kong"])
    refused(act(client, subs, abroad, licensee()), 422, "contract_licence_exceeds_parent")
    sub = done(
        act(client, subs, licence(ctx, sublicensee(), days=100, sublicensable=False), licensee())
    )
    sub_id = int(event(sub, "LicenceGranted")["licenceId"])
    assert client.get(f"{V1}/licences/{sub_id}").json()["parent_id"] == parent
    refused(
        act(
            client,
            f"/licences/{sub_id}/sublicences/prepare",
            licence(ctx, buyer(), days=50),
            sublicensee(),
        ),
        409,
        "contract_licence_not_sublicensable",
    )

    freeze(client, number)
    refused(act(client, licences, licence(ctx, buyer()), holder()), 409, "contract_agent_frozen")
    refused(
        act(client, subs, licence(ctx, buyer(), days=50), licensee()), 409, "contract_agent_frozen"
    )
    unfreeze(client, number)

    terminate = f"/licences/{parent}/termination/prepare"
    refused(act(client, terminate, {}, buyer()), 403, "role_required")  # no party to it
    done(act(client, terminate, {"reason": "被许可方违约"}, licensee()))
    assert client.get(f"{V1}/licences/{parent}").json()["status"] == "terminated"
    refused(act(client, terminate, {}, holder()), 409, "contract_licence_not_active")
    # the sublicence falls with its parent
    assert client.get(f"{V1}/licences/{sub_id}").json()["live"] is False
    refused(
        act(client, "/licences/999/termination/prepare", {}, holder()), 404, "licence_not_found"
    )


# --- the relay itself ----------------------------------------------------------------------------


def test_forged_altered_replayed_and_expired_requests_are_refused(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    path = f"{V1}/certificates/{number}/transfers/prepare"
    as_holder, as_buyer = sign_in(client, holder()), sign_in(client, buyer())
    # the holder prepares for itself only
    for_another = client.post(
        path, json={**sale(buyer()), "signer": buyer().address}, headers=as_holder
    )
    refused(for_another, 403, "signer_not_caller")
    prepared = client.post(
        path, json={**sale(buyer()), "signer": holder().address}, headers=as_holder
    )
    assert prepared.status_code == 200, prepared.text
    p = prepared.json()
    assert p["request"]["from"] == holder().address
    assert p["typed_data"]["domain"]["verifyingContract"] == ctx.relay.forwarder_address
    assert (p["contract"], p["function"]) == ("TransferAgent", "transfer")
    good = "0x" + sign_typed_data(p["typed_data"], holder()).hex()
    forged = "0x" + sign_typed_data(p["typed_data"], buyer()).hex()

    def send(
        request: dict[str, Any], signature: str, headers: dict[str, str] = as_holder
    ) -> Response:
        body = {"request": request, "signature": signature}
        return client.post(f"{V1}/relay", json=body, headers=headers)

    # only the signer of a forward request relays it
    refused(send(p["request"], good, as_buyer), 403, "signer_not_caller")

    refused(send(p["request"], forged), 422, "invalid_signature")
    refused(send(p["request"], "0x12"), 422, "invalid_input")
    refused(send({**p["request"], "gas": p["request"]["gas"] + 1}, good), 422, "invalid_signature")
    refused(
        send({**p["request"], "to": ctx.relay.forwarder_address}, good),
        422,
        "invalid_relay_request",
    )
    refused(send({**p["request"], "value": 1}, good), 422, "invalid_relay_request")
    missing = client.post(f"{V1}/relay", json={"signature": good}, headers=as_holder)
    assert missing.status_code == 422
    done(send(p["request"], good))
    refused(send(p["request"], good), 409, "stale_relay_request")

    # the buyer holds the certificate now
    late = client.post(
        f"/api/v1/certificates/{number}/transfers/prepare",
        json={**sale(holder()), "signer": buyer().address, "ttl_seconds": 60},
        headers=as_buyer,
    ).json()
    travel(ctx.client, 61)
    refused(
        send(late["request"], "0x" + sign_typed_data(late["typed_data"], buyer()).hex(), as_buyer),
        409,
        "relay_request_expired",
    )
    # a signer that is not even an address is not the signed-in caller either
    bad_signer = client.post(path, json={**sale(holder()), "signer": "0x12"}, headers=as_buyer)
    refused(bad_signer, 403, "signer_not_caller")
    too_long = client.post(
        path,
        json={**sale(holder()), "signer": buyer().address, "ttl_seconds": 10**9},
        headers=as_buyer,
    )
    assert too_long.status_code == 422


def test_a_request_signed_with_ethers_is_relayed(client: TestClient, ctx: RegistryContext) -> None:
    """An independent EIP-712 implementation (ethers v6, tests/js/sign_forward_request.mjs)
    signs what the API prepared; the forwarder accepts it and the holder is the actor."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    number = _number(ctx, issue(ctx))
    path = f"{V1}/certificates/{number}/transfers/prepare"
    as_holder = sign_in(client, holder())
    p = client.post(
        path, json={**sale(buyer()), "signer": holder().address}, headers=as_holder
    ).json()
    completed = subprocess.run(
        [node, str(REPO / "tests" / "js" / "sign_forward_request.mjs")],
        input=json.dumps(
            {
                "key": "0x" + bytes(holder().key).hex(),
                "domain": p["typed_data"]["domain"],
                "request": p["request"],
            }
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stderr
    signed = json.loads(completed.stdout)
    assert signed["address"] == holder().address
    relayed = client.post(
        f"{V1}/relay",
        json={"request": p["request"], "signature": signed["signature"]},
        headers=as_holder,
    )
    assert event(done(relayed), "CertificateTransferred")["from"] == holder().address


def test_the_admin_governs_through_the_relay_and_the_operator_cannot(
    client: TestClient, ctx: RegistryContext
) -> None:
    """The relay takes requests to the RegistryAuthority: the admin signs a role grant and a
    staff binding, the operator relays them, and the authority records the admin as the
    actor. The same requests signed by the operator (which holds no role) are refused by the
    authority before anyone signs, and relaying a request signed by another account fails (the
    API relays a forward request for its signer only)."""
    registrations, governor = ctx.registrations, admin()
    grant = registrations.regulator_call(dev_account(9).address, enabled=True)
    with pytest.raises(ContractRevertError, match="AccessControlUnauthorizedAccount"):
        ctx.relay.prepare(grant, ctx.operator.address)
    request = ctx.relay.prepare(grant, governor.address)
    assert ForwardRequestPublic.of(request).to == registrations.authority_address
    signature = "0x" + ctx.relay.sign(request, governor).hex()
    body = {
        "request": ForwardRequestPublic.of(request).model_dump(by_alias=True),
        "signature": signature,
    }
    by_operator = client.post(f"{V1}/relay", json=body, headers=sign_in(client, ctx.operator))
    refused(by_operator, 403, "signer_not_caller")
    relayed = done(client.post(f"{V1}/relay", json=body, headers=sign_in(client, governor)))
    assert (relayed["contract"], relayed["function"], relayed["signer"]) == (
        "RegistryAuthority",
        "grantRole",
        governor.address,
    )
    granted = event(relayed, "RoleGranted")
    assert (granted["account"], granted["sender"]) == (dev_account(9).address, governor.address)
    assert registrations.has_role(REGULATOR_ROLE, dev_account(9).address)
    assert not registrations.has_role(REGULATOR_ROLE, ctx.operator.address)

    bind = registrations.registrar_account_call(
        REGISTRAR_CODE, dev_account(9).address, enabled=True
    )
    with pytest.raises(ContractRevertError, match="AccessControlUnauthorizedAccount"):
        ctx.relay.prepare(bind, ctx.operator.address)
    result = ctx.relay.relay(bind, governor, ctx.operator)
    assert any(e.name == "RegistrarAccountSet" for e in result.events)
    assert registrations.registrar_code_of(dev_account(9).address) == REGISTRAR_CODE
    assert registrations.registrar_code_of(ctx.operator.address) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/applications/{reg_id}/accept/prepare",
        "/api/v1/applications/{reg_id}/notice/prepare",
        "/api/v1/applications/{reg_id}/issue/prepare",
        "/api/v1/certificates/{number}/expiry-closure/prepare",
        "/api/v1/pledges/{pledge_id}/release/prepare",
    ],
)
def test_an_action_signed_by_whoever_signs_declares_the_signer_body(
    client: TestClient, path: str
) -> None:
    """Endpoints whose only input is the signer take the RelayPrepare body from @prepare."""
    operation = client.get("/openapi.json").json()["paths"][path]["post"]
    body = operation["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/RelayPrepare")
    # the path parameter stays the endpoint's own (besides every POST's Idempotency-Key)
    assert [p["in"] for p in operation["parameters"]] == ["path", "header"]
    assert operation["parameters"][1]["name"] == "Idempotency-Key"


# --- the relay policy and quotas: what a stranger can make the operator pay for ---------------


def unfunded(label: str) -> LocalAccount:
    """A brand-new key that has never held any ether."""
    account: LocalAccount = Account.from_key(keccak(text=f"dareg relay api {label}"))
    return account


def operator_state(ctx: RegistryContext) -> tuple[int, int]:
    """The operator's balance and nonce (``eth_getBalance``, ``eth_getTransactionCount``)."""
    address = ctx.operator.address
    nonce = int(ctx.client.rpc("eth_getTransactionCount", [address, "latest"]), 16)
    return int(ctx.client.rpc("eth_getBalance", [address, "latest"]), 16), nonce


def forward(
    ctx: RegistryContext, signer: LocalAccount, contract: str, function: str, *args: Any
) -> dict[str, Any]:
    """A forward request ``signer`` signs by itself (no ``…/prepare``) for any function, as the
    body of ``POST /relay``."""
    to = ctx.manifest.address_of(contract)
    request = ForwardRequest(
        signer=signer.address,
        to=to,
        gas=500_000,
        nonce=ctx.relay.nonce_of(signer.address),
        deadline=ctx.client.block().timestamp + 600,
        data=ctx.client.encode_call(contract, to, function, args),
    )
    signature = "0x" + ctx.relay.sign(request, signer).hex()
    return {"request": request.message(), "signature": signature}


def test_an_unfunded_stranger_cannot_make_the_operator_send_outside_its_standing(
    client: TestClient, ctx: RegistryContext
) -> None:
    """The acceptance of the relay policy: a brand-new key signs calls of the relayed contracts
    and posts them to ``POST /relay``; the ones the service does not document are refused by
    the policy (403 ``relay_action_not_allowed``), the documented ones without standing by the
    contract as the signer (403 with its error); nothing is sent, the operator pays nothing."""
    token = issue(ctx)
    stranger = unfunded("stranger")
    headers = sign_in(client, stranger)  # signing in costs nothing and needs no ether
    before = operator_state(ctx)
    outside: list[tuple[Any, ...]] = [
        ("DataAssetRegistry", "setApprovalForAll", stranger.address, True),
        ("RegistryAuthority", "renounceRole", REGULATOR_ROLE, stranger.address),
        ("DataAssetRegistry", "transferFrom", holder().address, stranger.address, token),
        ("DataAssetRegistry", "approve", stranger.address, token),
        ("DataAssetRegistry", "upgradeToAndCall", stranger.address, b""),
        ("RegistryAuthority", "upgradeToAndCall", stranger.address, b""),
        ("RegistryAuthority", "beginDefaultAdminTransfer", stranger.address),
        ("RegistryAuthority", "grantRole", DEFAULT_ADMIN_ROLE, stranger.address),
        ("EvidenceRegistry", "anchorFor", bytes(32), stranger.address, 0, b""),
    ]
    for contract, function, *args in outside:
        body = forward(ctx, stranger, contract, function, *args)
        answer = client.post(f"{V1}/relay", json=body, headers=headers)
        refused(answer, 403, "relay_action_not_allowed")
        assert answer.json()["error"]["details"] == {"contract": contract, "function": function}
    within_policy_without_standing: list[tuple[Any, ...]] = [
        ("RegistryAuthority", "grantRole", REGULATOR_ROLE, stranger.address),
        ("TransferAgent", "freeze", token, b"\x01" * 32),
        ("DataAssetRegistry", "revoke", token, 1, bytes(32)),
        (
            "TransferAgent",
            "transfer",
            token,
            stranger.address,
            TransferReason.SALE.chain,
            bytes(32),
        ),
    ]
    for contract, function, *args in within_policy_without_standing:
        body = forward(ctx, stranger, contract, function, *args)
        answer = client.post(f"{V1}/relay", json=body, headers=headers)
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["code"].startswith("contract_"), answer.text
    assert operator_state(ctx) == before
    assert ctx.client.balance(stranger.address) == 0
    assert ctx.relay.nonce_of(stranger.address) == 0  # the forwarder never ran a request of it
    assert ctx.relay_quota.usage(stranger.address).party == 0
    assert ctx.rights.holder_of(token) == holder().address


def test_refused_requests_cost_the_operator_nothing(
    client: TestClient, ctx: RegistryContext
) -> None:
    """Bad signature, altered, expired, replayed, not simulating: refused, the operator's balance
    and nonce unchanged each time."""
    number = _number(ctx, issue(ctx))
    path = f"{V1}/certificates/{number}/transfers/prepare"
    body = {**sale(buyer()), "signer": holder().address, "ttl_seconds": 60}
    p = client.post(path, json=body, headers=sign_in(client, holder()))
    assert p.status_code == 200, p.text
    prepared = p.json()
    good = "0x" + sign_typed_data(prepared["typed_data"], holder()).hex()
    forged = "0x" + sign_typed_data(prepared["typed_data"], buyer()).hex()

    def relay(
        request: dict[str, Any],
        signature: str,
        status: int,
        code: str,
        caller: LocalAccount | None = None,
    ) -> None:
        """Post as ``caller`` (default: the holder, whose request it is)."""
        headers = sign_in(client, caller or holder())
        before = operator_state(ctx)
        body = {"request": request, "signature": signature}
        refused(client.post(f"{V1}/relay", json=body, headers=headers), status, code)
        assert operator_state(ctx) == before

    relay(prepared["request"], forged, 422, "invalid_signature")
    relay({**prepared["request"], "gas": 10**6}, good, 422, "invalid_signature")
    relay({**prepared["request"], "nonce": 7}, good, 422, "invalid_signature")
    # signed by the buyer, who is not the holder: the contract refuses it as the buyer
    stolen = forward(
        ctx,
        buyer(),
        "TransferAgent",
        "transfer",
        ctx.rights.token_id_of(number),
        buyer().address,
        TransferReason.SALE.chain,
        bytes(32),
    )
    relay(stolen["request"], stolen["signature"], 403, "contract_agent_not_holder", buyer())
    travel(ctx.client, 61)
    relay(prepared["request"], good, 409, "relay_request_expired")


def limited_client(ctx: RegistryContext, **quotas: int) -> TestClient:
    """An API on the same registry whose relay quotas are ``quotas`` (settings names)."""
    settings = ctx.settings.model_copy(update=quotas)
    return TestClient(create_app(RegistryContext.connect(settings, ctx.client, ctx.manifest)))


def test_a_signer_over_its_hourly_quota_gets_429_and_nothing_is_sent(ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    used = ctx.relay_quota.usage(holder().address).party  # its application was relayed
    grant_regulator(ctx)
    with limited_client(ctx, relay_quota_per_address=used + 2) as api:
        for _ in range(2):
            done(
                act(
                    api,
                    f"/certificates/{number}/licences/prepare",
                    licence(ctx, licensee()),
                    holder(),
                )
            )
        before = operator_state(ctx)
        over = act(
            api, f"/certificates/{number}/licences/prepare", licence(ctx, licensee()), holder()
        )
        refused(over, 429, "relay_quota_exceeded")
        details = over.json()["error"]["details"]
        assert (details["scope"], details["limit"]) == ("address", used + 2)
        assert over.headers["Retry-After"] == str(details["retry_after"])
        assert 0 < details["retry_after"] <= 3600
        assert operator_state(ctx) == before
        # the holder's quota is not the regulator's
        freeze = {"certificate_number": number, "case_reference": CASE}
        done(act(api, "/regulator/freezes/prepare", freeze, regulator()))


def test_the_global_quota_refuses_everyone_with_429(ctx: RegistryContext) -> None:
    first, second = unfunded("global 1"), unfunded("global 2")
    total = ctx.relay_quota.usage(first.address).total
    with limited_client(ctx, relay_quota_global=total + 1) as api:

        def anchor(anchorer: LocalAccount, fp: bytes) -> Response:
            deadline = ctx.client.block().timestamp + 600
            typed = ctx.evidence.typed_data(fp, anchorer.address, deadline)
            body = {
                "fingerprint": "0x" + fp.hex(),
                "anchorer": anchorer.address,
                "deadline": deadline,
                "signature": "0x" + sign_typed_data(typed, anchorer).hex(),
            }
            answer: Response = api.post(f"{V1}/evidence", json=body, headers=sign_in(api, anchorer))
            return answer

        assert anchor(first, b"\x51" * 32).status_code == 201
        before = operator_state(ctx)
        over = anchor(second, b"\x52" * 32)
        refused(over, 429, "relay_quota_exceeded")
        assert over.json()["error"]["details"]["scope"] == "global"
        assert operator_state(ctx) == before
        assert ctx.evidence.lookup(b"\x52" * 32) is None


def test_the_operator_paid_operations_declare_429(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/relay", "/evidence", "/applications", "/pledges"):
        assert "429" in paths[f"{V1}{path}"]["post"]["responses"], path
