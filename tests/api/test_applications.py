"""The registrant and registrar flows over REST, on the real chain."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.chain.client import ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.domain.registration import RegistrarPolicy
from registry.errors import RegistrarNotFoundError
from tests.registry.registration.conftest import metadata, travel

CODE = 441
NOTICE = 10 * 86_400


@pytest.fixture
def registrar_api(api: TestClient, registry_context: RegistryContext) -> TestClient:
    """The service's operator is the registrar account of code 441."""
    service, operator = registry_context.registrations, registry_context.operator
    service.configure_registrar(
        CODE, RegistrarPolicy(True, True, False, NOTICE), operator, name="广州数据交易所登记中心"
    )
    service.set_registrar_account(CODE, operator.address, operator)
    for index in range(1, 6):
        registry_context.client.rpc("anvil_setBalance", [dev_account(index).address, hex(10**20)])
    return api


def _apply(api: TestClient, holder_index: int = 1, fp: int = 0xA1) -> dict[str, Any]:
    holder = dev_account(holder_index)
    doc = metadata(holder.address, fp).model_dump(mode="json", by_alias=True)
    draft = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": holder.address, "metadata": doc},
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
    )
    assert created.status_code == 201, created.text
    assert created.json()["metadata_hash"] == body["metadata_hash"]
    return dict(created.json())


def test_full_flow_over_rest(registrar_api: TestClient, chain: ChainClient) -> None:
    api = registrar_api
    reg = _apply(api)
    assert reg["status"] == "submitted"
    assert api.get(f"/api/v1/registrations/{reg['registration_number']}").json()["id"] == reg["id"]
    assert api.post(f"/api/v1/applications/{reg['id']}/accept").json()["status"] == "accepted"
    noticed = api.post(f"/api/v1/applications/{reg['id']}/notice").json()
    assert noticed["status"] == "in_notice"
    early = api.post(f"/api/v1/applications/{reg['id']}/issue")
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "contract_registry_notice_window_open"
    travel(chain, NOTICE + 1)
    issued = api.post(f"/api/v1/applications/{reg['id']}/issue").json()
    assert issued["status"] == "issued"
    assert len(issued["certificate_number"]) == 17
    assert api.get(f"/api/v1/applications/{reg['id']}/versions").json()[0]["version"] == 1
    revoked = api.post(
        f"/api/v1/applications/{reg['id']}/revoke",
        json={"reason_code": 3, "reason": "来源授权被撤回"},
    )
    assert revoked.json()["status"] == "revoked"


def test_return_and_reject_carry_reasons(registrar_api: TestClient) -> None:
    api = registrar_api
    first = _apply(api, 1, 0xB1)
    returned = api.post(
        f"/api/v1/applications/{first['id']}/return",
        json={"reason_code": 2, "reason": "缺少来源证明"},
    )
    assert returned.json()["status"] == "returned"
    second = _apply(api, 2, 0xB2)
    rejected = api.post(
        f"/api/v1/applications/{second['id']}/reject", json={"reason_code": 1, "reason": "权属争议"}
    )
    assert rejected.json()["status"] == "rejected"
    again = api.post(f"/api/v1/applications/{second['id']}/accept")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "contract_registry_wrong_status"


def test_validation_errors_are_clear(registrar_api: TestClient) -> None:
    api = registrar_api
    holder = dev_account(1)
    doc = metadata(holder.address).model_dump(mode="json", by_alias=True)
    doc["classification"] = "core"
    response = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": holder.address, "metadata": doc},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert "core data" in response.json()["error"]["message"]


def test_forged_application_and_wrong_registrar(
    registrar_api: TestClient, registry_context: RegistryContext
) -> None:
    api = registrar_api
    holder, forger = dev_account(1), dev_account(2)
    doc = metadata(holder.address).model_dump(mode="json", by_alias=True)
    body = api.post(
        "/api/v1/applications/typed-data",
        json={"registrar_code": CODE, "applicant": holder.address, "metadata": doc},
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
    )
    assert forged.status_code == 422
    assert forged.json()["error"]["code"] == "contract_registry_invalid_signature"
    # an application for another registrar cannot be reviewed by this service's registrar
    service, operator = registry_context.registrations, registry_context.operator
    service.configure_registrar(442, RegistrarPolicy(True, True, False, NOTICE), operator)
    other = service.sign_and_submit(metadata(holder.address, 0xEE), 442, holder, operator)
    denied = api.post(f"/api/v1/applications/{other.id}/accept")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "contract_registry_not_registrar_of"
    missing = api.get("/api/v1/applications/9999")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "registration_not_found"
    typo = api.get("/api/v1/registrations/2026110000000120")
    assert typo.status_code == 422
    assert typo.json()["error"]["code"] == "malformed_number"


def test_list_from_the_mirror_with_filters(
    registrar_api: TestClient, registry_context: RegistryContext, chain: ChainClient
) -> None:
    from registry.indexer.follow import Indexer

    api = registrar_api
    first = _apply(api, 1, 0xD1)
    second = _apply(api, 2, 0xD2)
    api.post(f"/api/v1/applications/{first['id']}/accept")
    Indexer(chain, registry_context.manifest, registry_context.engine).sync_once()
    listed = api.get("/api/v1/applications").json()
    assert listed["total"] == 2
    assert [i["id"] for i in listed["items"]] == [second["id"], first["id"]]  # newest first
    assert listed["indexed_block"] == chain.head()
    queue = api.get("/api/v1/applications", params={"status": "submitted"}).json()
    assert [i["id"] for i in queue["items"]] == [second["id"]]
    mine = api.get("/api/v1/applications", params={"holder": dev_account(1).address}).json()
    assert [i["id"] for i in mine["items"]] == [first["id"]]
    bad = api.get("/api/v1/applications", params={"status": "bogus"})
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
    service, operator = registry_context.registrations, registry_context.operator
    service.configure_registrar(CODE, RegistrarPolicy(False, True, False, NOTICE), operator)
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
