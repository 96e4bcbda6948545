"""Pledges, licences, transfers, freezes and the regulator over REST, on the real chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.main import create_app
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.errors import ContractRevertError
from registry.indexer.follow import Indexer
from tests.api.actors import act, acted, event, refused, sign_in
from tests.registry.registration.conftest import travel
from tests.registry.rights.test_service import (
    DAY,
    bank,
    buyer,
    chain_now,
    foreigner,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    licensee,
    regulator,
)

V1 = "/api/v1"


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


def _number(ctx: RegistryContext, token: int) -> str:
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    return number


def _typo(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def _terms(ctx: RegistryContext, number: str, days: int = 180, **changes: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "certificate_number": number,
        "pledgee": bank().address,
        "secured_amount": 5_000_000_00,
        "currency": "CNY",
        "loan_reference": "粤农信贷字2026第0042号",
        "maturity": (chain_now(ctx.client) + timedelta(days=days)).isoformat(),
    }
    terms.update(changes)
    return terms


def _as_holder(client: TestClient) -> dict[str, str]:
    """The headers of the holder (the pledgor of these tests) signed in."""
    return sign_in(client, holder())


def _signed(client: TestClient, terms: dict[str, Any], pledgee: Any = None) -> dict[str, Any]:
    """Ask for the typed data (signed in as the holder), sign it as the holder and the pledgee;
    the POST body."""
    answer = client.post(
        f"{V1}/pledges/typed-data", json={"terms": terms}, headers=_as_holder(client)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    typed = body["typed_data"]
    return {
        "terms": body["terms"],
        "pledgor_signature": "0x" + sign_typed_data(typed, holder()).hex(),
        "pledgee_signature": "0x" + sign_typed_data(typed, pledgee or bank()).hex(),
    }


def _code(response: Response) -> str:
    return str(response.json()["error"]["code"])


def _sync(ctx: RegistryContext) -> int:
    return Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()


def test_a_pledge_signed_by_both_parties_is_relayed(
    client: TestClient, ctx: RegistryContext
) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    as_holder = _as_holder(client)
    answer = client.post(
        f"{V1}/pledges/typed-data", json={"terms": _terms(ctx, number)}, headers=as_holder
    )
    assert answer.status_code == 200, answer.text
    draft = answer.json()
    assert draft["pledgor"] == holder().address
    assert draft["nonce"] == 0
    assert draft["terms"]["deadline"] is not None  # filled in, to be sent back as signed
    assert draft["typed_data"]["domain"]["verifyingContract"] == ctx.rights.agent_address
    body = _signed(client, _terms(ctx, number))

    # altered after signing: the signatures no longer match
    altered = {**body, "terms": {**body["terms"], "secured_amount": 5_000_000_01}}
    forged = client.post(f"{V1}/pledges", json=altered, headers=as_holder)
    assert forged.status_code == 422
    assert _code(forged) == "contract_agent_invalid_signature"
    swapped = {
        **body,
        "pledgor_signature": body["pledgee_signature"],
        "pledgee_signature": body["pledgor_signature"],
    }
    swapped_answer = client.post(f"{V1}/pledges", json=swapped, headers=as_holder)
    assert _code(swapped_answer) == "contract_agent_invalid_signature"
    bad_signature = client.post(
        f"{V1}/pledges", json={**body, "pledgor_signature": "0x12"}, headers=as_holder
    )
    assert bad_signature.status_code == 422
    assert _code(bad_signature) == "invalid_input"

    # a pledge is registered by one of its parties, not by a third account
    stranger = client.post(f"{V1}/pledges", json=body, headers=sign_in(client, licensee()))
    assert (stranger.status_code, _code(stranger)) == (403, "signer_not_caller")

    created = client.post(f"{V1}/pledges", json=body, headers=as_holder)
    assert created.status_code == 201, created.text
    pledge = created.json()
    assert (pledge["token_id"], pledge["certificate_number"]) == (token, number)
    assert (pledge["pledgor"], pledge["pledgee"]) == (holder().address, bank().address)
    assert (pledge["secured_amount"], pledge["amount"], pledge["currency"]) == (
        5_000_000_00,
        "5000000.00",
        "CNY",
    )
    assert (pledge["status"], pledge["live"]) == ("live", True)
    as_pledgee = sign_in(client, bank())
    shown = client.get(f"{V1}/pledges/{pledge['id']}", headers=as_pledgee)
    assert shown.status_code == 200
    assert shown.json() == pledge
    missing = client.get(f"{V1}/pledges/999", headers=as_pledgee)
    assert (missing.status_code, _code(missing)) == (404, "pledge_not_found")

    # first to file: no second live pledge
    second = client.post(
        f"{V1}/pledges",
        json=_signed(client, _terms(ctx, number, pledgee=buyer().address), buyer()),
        headers=as_holder,
    )
    assert second.status_code == 409
    assert _code(second) == "contract_agent_pledge_already_live"

    # replaying the spent consents after the release: the nonce has moved on
    ctx.rights.release(pledge["id"], bank())
    released = client.get(f"{V1}/pledges/{pledge['id']}", headers=as_pledgee)
    assert released.json()["status"] == "released"
    replay = client.post(f"{V1}/pledges", json=body, headers=as_holder)
    assert (replay.status_code, _code(replay)) == (422, "contract_agent_invalid_signature")
    stale = client.post(f"{V1}/pledges", json={**body, "nonce": 0}, headers=as_holder)
    assert (stale.status_code, _code(stale)) == (409, "contract_agent_bad_nonce")


def test_pledges_the_contract_refuses(client: TestClient, ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    valid_until = ctx.registrations.get(token).valid_until
    assert valid_until is not None
    beyond = _terms(ctx, number, maturity=(valid_until + timedelta(days=1)).isoformat())
    as_holder = _as_holder(client)
    outlasting = client.post(f"{V1}/pledges", json=_signed(client, beyond), headers=as_holder)
    assert outlasting.status_code == 409
    assert _code(outlasting) == "contract_agent_pledge_outlasts_certificate"

    case = {"certificate_number": number, "case_reference": "(2026)粤01执保123号"}
    acted(client, "/regulator/freezes/prepare", case, grant_regulator(ctx))
    blocked = client.post(
        f"{V1}/pledges", json=_signed(client, _terms(ctx, number)), headers=as_holder
    )
    assert (blocked.status_code, _code(blocked)) == (409, "contract_agent_frozen")

    # input checked before any chain call
    bad_currency = client.post(
        f"{V1}/pledges/typed-data",
        json={"terms": _terms(ctx, number, currency="RMB")},
        headers=as_holder,
    )
    assert bad_currency.status_code == 422
    assert "ISO 4217" in bad_currency.json()["error"]["message"]
    typo = client.post(
        f"{V1}/pledges/typed-data", json={"terms": _terms(ctx, _typo(number))}, headers=as_holder
    )
    assert (typo.status_code, _code(typo)) == (422, "malformed_number")


def test_lien_search_by_holder_and_certificate(client: TestClient, ctx: RegistryContext) -> None:
    first = issue(ctx)
    second = issue(ctx, fp=0xA2)
    other = issue(ctx, owner=buyer(), fp=0xA3)
    a, b = _number(ctx, first), _number(ctx, second)
    as_holder = _as_holder(client)
    one = client.post(f"{V1}/pledges", json=_signed(client, _terms(ctx, a)), headers=as_holder)
    two = client.post(f"{V1}/pledges", json=_signed(client, _terms(ctx, b)), headers=as_holder)
    one, two = one.json(), two.json()
    ctx.rights.release(one["id"], bank())
    head = _sync(ctx)

    lender = sign_in(client, buyer())  # a lien search: a would-be lender looks the holder up
    by_holder = client.get(
        f"{V1}/pledges", params={"holder": holder().address.lower()}, headers=lender
    )
    assert by_holder.status_code == 200, by_holder.text
    found = by_holder.json()
    assert found["indexer_head"] == head
    assert [(p["id"], p["status"]) for p in found["items"]] == [
        (one["id"], "released"),
        (two["id"], "live"),
    ]
    assert found["items"][0]["closed_at"] is not None
    assert found["items"][1]["certificate_number"] == b
    live = client.get(
        f"{V1}/pledges", params={"holder": holder().address, "live": True}, headers=lender
    ).json()
    assert [p["id"] for p in live["items"]] == [two["id"]]
    by_certificate = client.get(f"{V1}/pledges", params={"certificate": a}, headers=lender).json()
    assert [p["id"] for p in by_certificate["items"]] == [one["id"]]
    assert (
        client.get(f"{V1}/pledges", params={"certificate": a, "live": True}, headers=lender).json()[
            "items"
        ]
        == []
    )
    both = client.get(
        f"{V1}/pledges", params={"certificate": b, "holder": buyer().address}, headers=lender
    )
    assert both.json()["items"] == []
    clean = client.get(
        f"{V1}/pledges", params={"certificate": _number(ctx, other)}, headers=lender
    ).json()
    assert clean["items"] == []

    neither = client.get(f"{V1}/pledges", headers=lender)
    assert (neither.status_code, _code(neither)) == (422, "invalid_input")
    typo = client.get(f"{V1}/pledges", params={"certificate": _typo(a)}, headers=lender)
    assert (typo.status_code, _code(typo)) == (422, "malformed_number")
    bad_holder = client.get(f"{V1}/pledges", params={"holder": "0x12"}, headers=lender)
    assert bad_holder.status_code == 422


def test_the_regulator_freezes_orders_and_releases(
    client: TestClient, ctx: RegistryContext
) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    case = {"certificate_number": number, "case_reference": "(2026)粤01执保123号"}
    order = {"certificate_number": number, "to": buyer().address, "case_reference": "执123号"}

    # the operator holds no role and the regulator is not one yet: both are refused before
    # anyone signs (the chain gives neither the regulator role)
    for signer in (ctx.operator, regulator()):
        refused(act(client, "/regulator/freezes/prepare", case, signer), 403, "role_required")
        refused(act(client, "/regulator/court-orders/prepare", order, signer), 403, "role_required")
    assert not ctx.rights.freeze_of(token).frozen

    grant_regulator(ctx)
    frozen = acted(client, "/regulator/freezes/prepare", case, regulator())
    assert (frozen["signer"], frozen["contract"], frozen["function"]) == (
        regulator().address,
        "TransferAgent",
        "freeze",
    )
    as_regulator = sign_in(client, regulator())
    state = client.get(f"{V1}/certificates/{number}/freeze", headers=as_regulator).json()
    assert (state["certificate_number"], state["frozen"], state["by"]) == (
        number,
        True,
        regulator().address,
    )
    assert state["case_ref"].startswith("0x")
    refused(
        act(client, "/regulator/freezes/prepare", case, regulator()), 409, "contract_agent_frozen"
    )
    with pytest.raises(ContractRevertError, match="AgentFrozen"):
        ctx.rights.transfer(token, buyer().address, "sale", None, holder())

    ordered = acted(client, "/regulator/court-orders/prepare", order, regulator())
    moved = event(ordered, "CertificateTransferred")
    assert (moved["from"], moved["to"]) == (holder().address, buyer().address)
    assert ctx.rights.holder_of(token) == buyer().address

    release = {"case_reference": "执保123号之一"}
    acted(client, f"/regulator/freezes/{number}/release/prepare", release, regulator())
    state = client.get(f"{V1}/certificates/{number}/freeze", headers=as_regulator).json()
    assert (state["frozen"], state["by"]) == (False, None)
    refused(
        act(
            client,
            f"/regulator/freezes/{number}/release/prepare",
            {"case_reference": "x"},
            regulator(),
        ),
        409,
        "contract_agent_not_frozen",
    )
    ctx.rights.transfer(token, holder().address, "sale", "合同 No. 8", buyer())

    head = _sync(ctx)
    history = client.get(f"{V1}/certificates/{number}/transfers", headers=as_regulator).json()
    assert history["indexer_head"] == head
    assert [(t["reason"], t["to"]) for t in history["items"]][-2:] == [
        ("court_order", buyer().address),
        ("sale", holder().address),
    ]
    assert history["items"][-1]["document_hash"] is not None


def test_approvals_cross_border_records_and_party_countries(
    client: TestClient, ctx: RegistryContext
) -> None:
    token = issue(ctx, classification="important")
    number = _number(ctx, token)
    expiry = (chain_now(ctx.client) + timedelta(days=30)).isoformat()
    approval = {"certificate_number": number, "to": buyer().address, "expiry": expiry}
    path = "/regulator/transfer-approvals/prepare"
    refused(act(client, path, approval, ctx.operator), 403, "role_required")
    acted(client, path, approval, grant_regulator(ctx))
    assert ctx.rights.transfer_approval_expiry(token, buyer().address) is not None

    country = {"party": foreigner().address, "country": "us"}
    acted(client, "/regulator/party-countries/prepare", country, regulator())
    as_regulator = sign_in(client, regulator())
    shown = client.get(f"{V1}/parties/{foreigner().address}/country", headers=as_regulator)
    assert shown.json() == {"party": foreigner().address, "country": "US"}
    record = {
        "certificate_number": number,
        "recipient": foreigner().address,
        "mechanism": "security_assessment",
        "approval_number": "国网信出境安评〔2026〕17号",
        "expiry": expiry,
        "country": "US",
    }
    acted(client, "/regulator/cross-border-records/prepare", record, regulator())
    recorded = client.get(
        f"{V1}/certificates/{number}/cross-border-records/{foreigner().address}",
        headers=as_regulator,
    ).json()
    assert (recorded["mechanism"], recorded["country"]) == ("security_assessment", "US")
    wrong = act(
        client,
        "/regulator/cross-border-records/prepare",
        {**record, "mechanism": "none"},
        regulator(),
    )
    refused(wrong, 422, "invalid_input")
    naive = act(client, path, {**approval, "expiry": "2027-01-01T00:00:00"}, regulator())
    assert naive.status_code == 422
    assert "timezone" in naive.json()["error"]["message"]


def test_licences_are_publicly_listed(client: TestClient, ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = _number(ctx, token)
    terms = licence_terms(ctx)
    first = ctx.rights.grant_licence(token, terms, holder())
    second = ctx.rights.grant_licence(token, licence_terms(ctx, buyer(), days=30), holder())
    head = _sync(ctx)

    listed = client.get(f"{V1}/licences")
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["total"], page["indexer_head"]) == (2, head)
    assert [x["id"] for x in page["items"]] == [second.id, first.id]  # newest first
    assert page["items"][1]["voucher_number"] == first.voucher_number
    assert page["items"][1]["certificate_number"] == number
    assert page["items"][1]["licensee"] == licensee().address
    assert page["items"][1]["live"] is True
    paged = client.get(f"{V1}/licences", params={"limit": 1, "offset": 1}).json()
    assert [x["id"] for x in paged["items"]] == [first.id]
    assert client.get(f"{V1}/licences", params={"limit": 0}).status_code == 422

    shown = client.get(f"{V1}/licences/{first.id}").json()
    assert (shown["voucher_number"], shown["live"], shown["right"]) == (
        first.voucher_number,
        True,
        "processing_use",
    )
    assert shown["purposes"] == [p.value for p in terms.purposes]
    policy = client.get(f"{V1}/licences/{first.id}/policy")
    assert policy.status_code == 200
    assert policy.json() == ctx.rights.policy_document(first)
    missing = client.get(f"{V1}/licences/999")
    assert (missing.status_code, _code(missing)) == (404, "licence_not_found")

    of_certificate = client.get(f"{V1}/certificates/{number}/licences").json()
    assert [x["id"] for x in of_certificate["items"]] == [first.id, second.id]
    travel(ctx.client, 31 * DAY)
    _sync(ctx)
    assert client.get(f"{V1}/licences/{second.id}").json()["live"] is False
    live = client.get(f"{V1}/certificates/{number}/licences", params={"live": True}).json()
    assert [x["id"] for x in live["items"]] == [first.id]


def test_mistyped_and_unknown_numbers(client: TestClient, ctx: RegistryContext) -> None:
    number = _number(ctx, issue(ctx))
    typo = _typo(number)
    as_regulator = sign_in(client, grant_regulator(ctx))
    for response in (
        client.get(f"{V1}/certificates/{typo}/licences"),  # public
        client.get(f"{V1}/certificates/{typo}/transfers", headers=as_regulator),
        client.get(f"{V1}/certificates/{typo}/freeze", headers=as_regulator),
        act(
            client,
            "/regulator/freezes/prepare",
            {"certificate_number": typo, "case_reference": "x"},
            regulator(),
        ),
        act(
            client,
            f"/regulator/freezes/{typo}/release/prepare",
            {"case_reference": "x"},
            regulator(),
        ),
    ):
        assert response.status_code == 422, response.text
        assert _code(response) == "malformed_number"
    from registry.domain.numbers import certificate_number

    ghost = certificate_number(ctx.client.block().timestamp, 440, 9_999)
    unknown = client.get(f"{V1}/certificates/{ghost}/transfers", headers=as_regulator)
    assert (unknown.status_code, _code(unknown)) == (404, "certificate_not_found")
    # the existing certificate routes are untouched
    assert client.get(f"{V1}/certificates/{number}").status_code == 200
