"""The registrant and registrar flows over REST, on the real chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from registry.chain.client import ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.domain.registration import RegistrarPolicy
from registry.errors import RegistrarNotFoundError
from registry.registration.service import end_of_day_cst
from tests.api.actors import act, acted, event, refused, sign_in
from tests.conftest import admin
from tests.registry.registration.conftest import metadata, travel

CODE = 441
NOTICE = 10 * 86_400


def staff() -> LocalAccount:
    """The registrar account of code 441 (never the operator, which holds no role)."""
    return dev_account(9)


@pytest.fixture
def registrar_api(api: TestClient, registry_context: RegistryContext) -> TestClient:
    """Registrar 441, configured by the admin, with :func:`staff` as its account."""
    service = registry_context.registrations
    service.configure_registrar(
        CODE, RegistrarPolicy(True, True, False, NOTICE), admin(), name="广州数据交易所登记中心"
    )
    service.set_registrar_account(CODE, staff().address, admin())
    for index in range(1, 6):
        registry_context.client.rpc("anvil_setBalance", [dev_account(index).address, hex(10**20)])
    return api


def review(
    api: TestClient, reg_id: int, step: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The registrar's ``step`` signed by :func:`staff` and relayed; the registration after."""
    acted(api, f"/applications/{reg_id}/{step}/prepare", body or {}, staff())
    return dict(api.get(f"/api/v1/applications/{reg_id}", headers=sign_in(api, staff())).json())


def _apply(
    api: TestClient, holder_index: int = 1, fp: int = 0xA1, **changes: Any
) -> dict[str, Any]:
    holder = dev_account(holder_index)
    headers = sign_in(api, holder)
    doc = metadata(holder.address, fp, **changes).model_dump(mode="json", by_alias=True)
    draft = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": holder.address, "metadata": doc},
        headers=headers,
    )
    assert draft.status_code == 200, draft.text
    body = draft.json()
    signature = "0x" + sign_typed_data(body["typed_data"], holder).hex()
    created = api.post(
        "/api/v1/applications",
        json={
            "registrar_code": CODE,
            "applicant": holder.address,
            "metadata": doc,
            "deadline": body["deadline"],
            "signature": signature,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["metadata_hash"] == body["metadata_hash"]
    return dict(created.json())


def test_full_flow_over_rest(registrar_api: TestClient, chain: ChainClient) -> None:
    api = registrar_api
    reg = _apply(api)
    assert reg["status"] == "submitted"
    holder = sign_in(api, dev_account(1))
    number = reg["registration_number"]
    assert api.get(f"/api/v1/registrations/{number}", headers=holder).json()["id"] == reg["id"]
    assert review(api, reg["id"], "accept")["status"] == "accepted"
    assert review(api, reg["id"], "notice")["status"] == "in_notice"
    early = act(api, f"/applications/{reg['id']}/issue/prepare", {}, staff())
    refused(early, 409, "contract_registry_notice_window_open")
    travel(chain, NOTICE + 1)
    issued = review(api, reg["id"], "issue")
    assert issued["status"] == "issued"
    assert len(issued["certificate_number"]) == 17
    versions = api.get(f"/api/v1/applications/{reg['id']}/versions", headers=holder)
    assert versions.json()[0]["version"] == 1
    revoked = review(api, reg["id"], "revoke", {"reason_code": 3, "reason": "来源授权被撤回"})
    assert revoked["status"] == "revoked"


def test_return_and_reject_carry_reasons(registrar_api: TestClient) -> None:
    api = registrar_api
    first = _apply(api, 1, 0xB1)
    returned = review(api, first["id"], "return", {"reason_code": 2, "reason": "缺少来源证明"})
    assert returned["status"] == "returned"
    second = _apply(api, 2, 0xB2)
    rejected = review(api, second["id"], "reject", {"reason_code": 1, "reason": "权属争议"})
    assert rejected["status"] == "rejected"
    again = act(api, f"/applications/{second['id']}/accept/prepare", {}, staff())
    refused(again, 409, "contract_registry_wrong_status")


def test_validation_errors_are_clear(registrar_api: TestClient) -> None:
    api = registrar_api
    holder = dev_account(1)
    doc = metadata(holder.address).model_dump(mode="json", by_alias=True)
    doc["classification"] = "core"
    response = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": holder.address, "metadata": doc},
        headers=sign_in(api, holder),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "core data" in response.json()["error"]["message"]


def test_forged_application_and_wrong_registrar(
    registrar_api: TestClient, registry_context: RegistryContext
) -> None:
    api = registrar_api
    holder, forger = dev_account(1), dev_account(2)
    as_holder = sign_in(api, holder)
    doc = metadata(holder.address).model_dump(mode="json", by_alias=True)
    body = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": holder.address, "metadata": doc},
        headers=as_holder,
    ).json()
    forged = api.post(
        "/api/v1/applications",
        json={
            "registrar_code": CODE,
            "applicant": holder.address,
            "metadata": doc,
            "deadline": body["deadline"],
            "signature": "0x" + sign_typed_data(body["typed_data"], forger).hex(),
        },
        headers=as_holder,
    )
    assert forged.status_code == 422
    assert forged.json()["error"]["code"] == "contract_registry_invalid_signature"
    # an application for another registrar cannot be reviewed by this registrar's staff: the API
    # refuses to prepare it (not staff of the application's registrar) before anyone signs
    service, operator = registry_context.registrations, registry_context.operator
    service.configure_registrar(442, RegistrarPolicy(True, True, False, NOTICE), admin())
    other = service.sign_and_submit(metadata(holder.address, 0xEE), 442, holder, operator)
    denied = act(api, f"/applications/{other.id}/accept/prepare", {}, staff())
    refused(denied, 403, "role_required")
    missing = api.get("/api/v1/applications/9999", headers=as_holder)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "registration_not_found"
    typo = api.get("/api/v1/registrations/2026110000000120", headers=as_holder)
    assert typo.status_code == 422
    assert typo.json()["error"]["code"] == "malformed_number"


def test_list_from_the_mirror_with_filters(
    registrar_api: TestClient, registry_context: RegistryContext, chain: ChainClient
) -> None:
    from registry.indexer.follow import Indexer

    api = registrar_api
    first = _apply(api, 1, 0xD1)
    second = _apply(api, 2, 0xD2)
    review(api, first["id"], "accept")
    Indexer(chain, registry_context.manifest, registry_context.engine).sync_once()
    as_staff = sign_in(api, staff())
    listed = api.get("/api/v1/applications", headers=as_staff).json()
    assert listed["total"] == 2
    assert [i["id"] for i in listed["items"]] == [second["id"], first["id"]]  # newest first
    assert listed["indexed_block"] == chain.head()
    queue = api.get("/api/v1/applications", params={"status": "submitted"}, headers=as_staff)
    queue = queue.json()
    assert [i["id"] for i in queue["items"]] == [second["id"]]
    holder = dev_account(1)
    mine = api.get(
        "/api/v1/applications", params={"holder": holder.address}, headers=sign_in(api, holder)
    ).json()
    assert [i["id"] for i in mine["items"]] == [first["id"]]
    bad = api.get("/api/v1/applications", params={"status": "bogus"}, headers=as_staff)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_request"


def test_a_registrar_is_found_by_its_code_and_only_if_configured(
    registrar_api: TestClient, registry_context: RegistryContext
) -> None:
    api = registrar_api
    found = api.get(f"/api/v1/registrars/{CODE}")
    assert found.status_code == 200
    assert found.json()["name"] == "广州数据交易所登记中心"
    assert found.json()["notice_period_seconds"] == NOTICE
    # retired (inactive) is still a registrar; never configured is not
    service = registry_context.registrations
    service.configure_registrar(CODE, RegistrarPolicy(False, True, False, NOTICE), admin())
    retired = api.get(f"/api/v1/registrars/{CODE}")
    assert retired.status_code == 200
    assert retired.json()["active"] is False
    unknown = api.get("/api/v1/registrars/999")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "registrar_not_found"
    for code in ("0", "1000", "65536", str(2**256), "-1"):
        out_of_range = api.get(f"/api/v1/registrars/{code}")
        assert out_of_range.status_code == 422, code
        assert out_of_range.json()["error"]["code"] == "invalid_request"
    with pytest.raises(RegistrarNotFoundError):
        service.registrar_policy(998)


def test_the_operator_reviews_nothing_and_the_staff_is_recorded_as_the_actor(
    registrar_api: TestClient, registry_context: RegistryContext, chain: ChainClient
) -> None:
    """Before v2 the review endpoints sent every registrar action signed by the operator, bound
    as a registrar account: the chain recorded the operator, not the registrar's staff. Now
    the operator (which holds no role) and anyone else are refused before anyone signs (the API
    asks the chain whether the signed-in caller is staff of the application's registrar), and a
    relayed acceptance, issuance and batch issuance record the staff account."""
    api, operator = registrar_api, registry_context.operator
    reg = _apply(api, 1, 0xC1)
    for signer in (operator, dev_account(2)):
        refused(
            act(api, f"/applications/{reg['id']}/accept/prepare", {}, signer),
            403,
            "role_required",
        )
    accepted = acted(api, f"/applications/{reg['id']}/accept/prepare", {}, staff())
    assert (accepted["signer"], accepted["contract"], accepted["function"]) == (
        staff().address,
        "DataAssetRegistry",
        "accept",
    )
    assert event(accepted, "ApplicationAccepted")["registrar"] == staff().address
    review(api, reg["id"], "notice")
    second = _apply(api, 2, 0xC2)
    review(api, second["id"], "accept")
    review(api, second["id"], "notice")
    travel(chain, NOTICE + 1)
    refused(
        act(api, f"/applications/{reg['id']}/issue/prepare", {}, operator), 403, "role_required"
    )
    issued = acted(api, f"/applications/{reg['id']}/issue/prepare", {}, staff())
    assert issued["signer"] == staff().address
    assert event(issued, "CertificateIssued")["id"] == reg["id"]
    batch = acted(api, "/applications/issue-batch/prepare", {"ids": [second["id"]]}, staff())
    assert batch["function"] == "issueBatch"
    as_staff = sign_in(api, staff())
    assert api.get(f"/api/v1/applications/{second['id']}", headers=as_staff).json()["status"] == (
        "issued"
    )
    # the old operator-signed routes are gone
    for step in ("accept", "notice", "issue", "revoke", "reject", "return", "renew", "standing"):
        assert api.post(f"/api/v1/applications/{reg['id']}/{step}", json={}).status_code in (
            404,
            405,
        ), step
    assert api.post("/api/v1/applications/issue-batch", json={"ids": [1]}).status_code in (
        404,
        405,
    )


def _issued(api: TestClient, chain: ChainClient, holder_index: int, fp: int, **changes: Any) -> Any:
    """An application of ``holder_index`` taken to issuance by :func:`staff`; the registration."""
    reg = _apply(api, holder_index, fp, **changes)
    review(api, reg["id"], "accept")
    review(api, reg["id"], "notice")
    travel(chain, NOTICE + 1)
    issued = review(api, reg["id"], "issue")
    assert issued["status"] == "issued", issued
    return issued


def test_a_frozen_certificate_is_revoked_only_under_a_ruling(
    registrar_api: TestClient, registry_context: RegistryContext, chain: ChainClient
) -> None:
    """``…/revoke/prepare`` takes an optional ``ruling``: a pledged or frozen certificate is
    refused without one (409) and revoked under one with ``revokeEncumbered``, the ruling's hash
    recorded in ``CertificateRevoked`` and its text stored."""
    api, ctx = registrar_api, registry_context
    reg = _issued(api, chain, 1, 0xE1)
    regulator = dev_account(5)
    ctx.registrations.set_regulator(regulator.address, admin())
    ctx.rights.freeze(reg["id"], "(2026)粤01执保7号", regulator)
    path = f"/applications/{reg['id']}/revoke/prepare"
    decision = {"reason_code": 3, "reason": "来源授权被撤回"}
    refused(act(api, path, decision, staff()), 409, "contract_registry_encumbered")
    refused(act(api, path, {**decision, "ruling": ""}, staff()), 422, "invalid_request")
    refused(act(api, path, {**decision, "ruling": "  "}, staff()), 422, "invalid_input")
    ruling = "(2026)粤01民初88号 民事裁定书：准予撤销登记"
    refused(act(api, path, {**decision, "ruling": ruling}, dev_account(2)), 403, "role_required")
    revoked = acted(api, path, {**decision, "ruling": ruling}, staff())
    assert (revoked["signer"], revoked["function"]) == (staff().address, "revokeEncumbered")
    recorded = event(revoked, "CertificateRevoked")
    assert (recorded["registrar"], recorded["reasonCode"]) == (staff().address, 3)
    ruling_hash = recorded["rulingHash"]
    assert ruling_hash == "0x" + ctx.registrations.documents.put_text(ruling).hex()  # stored
    as_staff = sign_in(api, staff())
    assert api.get(f"/api/v1/applications/{reg['id']}", headers=as_staff).json()["status"] == (
        "revoked"
    )
    # an unencumbered certificate is still revoked without a ruling (revoke)
    plain = _issued(api, chain, 2, 0xE2)
    done = acted(api, f"/applications/{plain['id']}/revoke/prepare", decision, staff())
    assert done["function"] == "revoke"
    assert event(done, "CertificateRevoked")["rulingHash"] == "0x" + "00" * 32


def test_anyone_closes_an_expired_certificate_over_rest(
    registrar_api: TestClient, registry_context: RegistryContext, chain: ChainClient
) -> None:
    """``POST /certificates/{number}/expiry-closure/prepare``: anyone signs (here an account with
    no role); refused before the certificate's validity ends (409); afterwards the certificate is
    burned and its dataset free again."""
    api, ctx = registrar_api, registry_context
    reg = _issued(api, chain, 1, 0xE3)
    number, anyone = reg["certificate_number"], dev_account(4)
    path = f"/certificates/{number}/expiry-closure/prepare"
    refused(act(api, path, {}, anyone), 409, "contract_registry_not_expired")
    typo = number[:-1] + str((int(number[-1]) + 1) % 10)
    refused(
        act(api, f"/certificates/{typo}/expiry-closure/prepare", {}, anyone),
        422,
        "malformed_number",
    )
    valid_until = ctx.registrations.get(reg["id"]).valid_until
    assert valid_until is not None
    travel(chain, int(valid_until.timestamp()) - chain.block().timestamp + 1)
    closed = acted(api, path, {}, anyone)
    assert (closed["signer"], closed["contract"], closed["function"]) == (
        anyone.address,
        "DataAssetRegistry",
        "closeExpired",
    )
    assert event(closed, "CertificateExpiryClosed")["by"] == anyone.address
    as_anyone = sign_in(api, anyone)
    assert api.get(f"/api/v1/applications/{reg['id']}", headers=as_anyone).json()["status"] == (
        "expired"
    )
    assert api.get(f"/api/v1/certificates/{number}").json()["chain"]["token_uri"] is None
    assert ctx.registrations.live_registration_of(reg["fingerprint"]) is None
    refused(act(api, path, {}, anyone), 409, "contract_registry_wrong_status")  # closed once


def test_renewal_only_in_its_window_and_without_a_new_end_the_cap_stays(
    registrar_api: TestClient, registry_context: RegistryContext, chain: ChainClient
) -> None:
    """Renewal (defect 10): refused before the renewal window opens (409); inside it, without a
    new source-agreement end the cap stays (so a capped certificate cannot be extended past it),
    and with one it runs to at most now plus the validity period."""
    api, service = registrar_api, registry_context.registrations
    today = datetime.fromtimestamp(chain.block().timestamp, tz=UTC).date()
    cap = today + timedelta(days=2 * 365)
    reg = _issued(api, chain, 1, 0xE4, source_agreement_end=cap.isoformat())
    path = f"/applications/{reg['id']}/renew/prepare"
    refused(act(api, path, {}, staff()), 409, "contract_registry_renewal_window_not_open")
    valid_until = service.get(reg["id"]).valid_until
    assert valid_until is not None
    assert int(valid_until.timestamp()) == end_of_day_cst(cap)  # capped by the agreement
    window = service.renewal_window()
    travel(chain, int(valid_until.timestamp()) - window - chain.block().timestamp + 60)
    refused(act(api, path, {}, staff()), 409, "contract_registry_source_agreement_ended")
    new_end = cap + timedelta(days=5 * 365)
    renewed = acted(api, path, {"source_agreement_end": new_end.isoformat()}, staff())
    recorded = event(renewed, "CertificateRenewed")
    now = chain.block().timestamp
    period = int(chain.call("DataAssetRegistry", service.contract_address, "validityPeriod"))
    assert recorded["validUntil"] == min(now + period, end_of_day_cst(new_end))
    assert recorded["sourceAgreementEnd"] == end_of_day_cst(new_end)
    assert recorded["registrar"] == staff().address
    # the new validity is far from expiry again: the window is closed
    refused(act(api, path, {}, staff()), 409, "contract_registry_renewal_window_not_open")


def test_a_natural_person_applies_over_rest_and_signs_the_public_document(
    registrar_api: TestClient,
) -> None:
    """The applicant gives its resident identity number in full; the typed data it signs and the
    registration's metadata hash are those of the public document (masked identifier and
    commitment, docs/privacy.md), whether it posts its draft or the returned document back."""
    api, person, identifier = registrar_api, dev_account(14), "440106198506120029"
    as_person = sign_in(api, person)
    holder = {
        "name": "张三",
        "identifier_type": "id_card",
        "identifier": identifier,
        "address": person.address,
    }
    for fp, send_back in ((0xE1, "draft"), (0xE2, "public")):
        doc = metadata(person.address, fp, holder=holder, applicant_type=4)
        draft_doc = doc.model_dump(mode="json", by_alias=True)
        draft = api.post(
            "/api/v1/applications/typed-data",
            json={"registrar_code": CODE, "applicant": person.address, "metadata": draft_doc},
            headers=as_person,
        )
        assert draft.status_code == 200, draft.text
        body = draft.json()
        assert identifier not in draft.text
        assert body["metadata"]["holder"]["identifier"] == "440106********0029"
        assert body["typed_data"]["message"]["metadataHash"] == body["metadata_hash"]
        signature = "0x" + sign_typed_data(body["typed_data"], person).hex()
        created = api.post(
            "/api/v1/applications",
            json={
                "registrar_code": CODE,
                "applicant": person.address,
                "metadata": draft_doc if send_back == "draft" else body["metadata"],
                "deadline": body["deadline"],
                "signature": signature,
            },
            headers=as_person,
        )
        assert created.status_code == 201, created.text
        assert created.json()["metadata_hash"] == body["metadata_hash"]
        identity = api.get(
            f"/api/v1/applications/{created.json()['id']}/holder-identity",
            headers=as_person,
        )
        assert identity.status_code == 200, identity.text
        assert identity.json()["identifier"] == identifier
        assert identity.json()["verified"] is True
    forged = {**body["metadata"], "holder": {**body["metadata"]["holder"]}}
    forged["holder"]["identifier_commitment"] = "0x" + "ee" * 32
    refused_draft = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": person.address, "metadata": forged},
        headers=as_person,
    )
    assert refused_draft.status_code == 422, refused_draft.text
    assert refused_draft.json()["error"]["code"] == "invalid_input"
