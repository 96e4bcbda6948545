"""Certificate documents over HTTP on the real chain: JSON, credential, PDF, tokenURI metadata
(wallet JSON and the registered metadata beside it) and the public verification page."""

from __future__ import annotations

import hashlib
import io
import re
from urllib.parse import urlsplit

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pypdf import PdfReader

from registry.certificates.credential import verify_credential
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.domain.numbers import certificate_number, parse_certificate_number
from registry.domain.registration import RegistrarPolicy
from tests.conftest import admin
from tests.registry.certificates.conftest import rich_metadata
from tests.registry.registration.conftest import travel

CODE = 442  # the service's credential key (DAREG_CREDENTIAL_KEY) is one of its registrar accounts
OTHER_CODE = 443  # a registrar whose key this service does not hold
NOTICE = 10 * 86_400


def _issue(
    context: RegistryContext, code: int, registrar: LocalAccount, holder_index: int = 1
) -> str:
    holder = dev_account(holder_index)
    service = context.registrations
    reg = service.sign_and_submit(
        rich_metadata(holder.address, 0xA0 + holder_index), code, holder, context.operator
    )
    service.accept(reg.id, registrar)
    service.open_notice(reg.id, registrar)
    travel(context.client, NOTICE + 1)
    number = service.issue(reg.id, registrar).certificate_number
    assert number is not None
    return number


def _staff(context: RegistryContext) -> LocalAccount:
    """The registrar key the service holds (on the development chain: DEV_CREDENTIAL_INDEX)."""
    staff = context.credential_account
    assert staff is not None
    assert staff.address != context.operator.address
    return staff


@pytest.fixture
def number(registry_context: RegistryContext) -> str:
    service, staff = registry_context.registrations, _staff(registry_context)
    for code in (CODE, OTHER_CODE):
        service.configure_registrar(
            code,
            RegistrarPolicy(True, True, False, NOTICE),
            admin(),
            name=f"测试登记中心 {code}",
        )
    service.set_registrar_account(CODE, staff.address, admin())
    service.set_registrar_account(OTHER_CODE, dev_account(7).address, admin())
    for account in (dev_account(1), dev_account(2), dev_account(7), staff):
        registry_context.client.rpc("anvil_setBalance", [account.address, hex(10**20)])
    return _issue(registry_context, CODE, staff)


def _typo(number: str) -> str:
    return number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]


def _ghost(number: str) -> str:
    parsed = parse_certificate_number(number)
    return certificate_number(1_767_225_600, parsed.registrar_code, 9_999)


def test_certificate_json(api: TestClient, registry_context: RegistryContext, number: str) -> None:
    response = api.get(f"/api/v1/certificates/{number}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["schema"] == "dareg.certificate/1"
    assert body["certificate_number"] == number
    assert body["status"] == "issued"
    assert body["valid"] is True
    assert body["holder"]["name"] == "广州港航物流数据有限公司"
    assert body["holder"]["address"] == dev_account(1).address
    assert body["asset_name"] == "港口集装箱吞吐量数据集 2025"
    assert body["rights"] == ["holding", "processing_use"]
    assert body["registrar"] == {"code": CODE, "name": f"测试登记中心 {CODE}"}
    assert body["metadata"]["schema"] == "dareg.asset-metadata/1"
    assert body["metadata"]["data_source"]["kind"] == 2
    assert body["verification_url"].endswith(f"/verify/{number}")
    assert body["chain"]["token_id"] == body["token_id"]
    # spaces and hyphens in the number are ignored
    spaced = f"{number[:4]}-{number[4:9]} {number[9:]}"
    assert api.get(f"/api/v1/certificates/{spaced}").json()["certificate_number"] == number


@pytest.mark.parametrize("suffix", ["", "/credential", "/pdf", "/card.svg"])
def test_mistyped_and_unknown_numbers(api: TestClient, number: str, suffix: str) -> None:
    typo = api.get(f"/api/v1/certificates/{_typo(number)}{suffix}")
    assert typo.status_code == 422
    assert typo.json()["error"]["code"] == "malformed_number"
    assert "mistyped" in typo.json()["error"]["message"]
    ghost = api.get(f"/api/v1/certificates/{_ghost(number)}{suffix}")
    assert ghost.status_code == 404
    assert ghost.json()["error"]["code"] == "certificate_not_found"


def test_credential_is_signed_by_the_registrar(
    api: TestClient, registry_context: RegistryContext, number: str
) -> None:
    response = api.get(f"/api/v1/certificates/{number}/credential")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vc"
    declared = api.get("/openapi.json").json()["paths"]["/api/v1/certificates/{number}/credential"]
    assert list(declared["get"]["responses"]["200"]["content"]) == ["application/vc"]
    credential = response.json()
    assert credential["issuer"]["id"].endswith(_staff(registry_context).address)
    assert credential["issuer"]["registrarCode"] == CODE
    ok, reason = verify_credential(credential, registry_context.registrations)
    assert ok, reason


def test_credential_needs_a_key_of_the_registrar(
    api: TestClient, registry_context: RegistryContext, number: str
) -> None:
    other = _issue(registry_context, OTHER_CODE, dev_account(7), holder_index=2)
    response = api.get(f"/api/v1/certificates/{other}/credential")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "registrar_key_unavailable"
    assert f"no key of registrar {OTHER_CODE}" in error["message"]
    # the other documents need no key
    assert api.get(f"/api/v1/certificates/{other}").status_code == 200


def test_pdf(api: TestClient, number: str) -> None:
    response = api.get(f"/api/v1/certificates/{number}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert number in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert number in text
    assert "广州港航物流数据有限公司" in text


def test_token_uri_serves_wallet_metadata_beside_the_registered_metadata_whose_hash_is_on_chain(
    api: TestClient, registry_context: RegistryContext, number: str
) -> None:
    service = registry_context.registrations
    registration = service.by_certificate_number(number)
    token_uri = registry_context.client.call(
        "DataAssetRegistry", service.contract_address, "tokenURI", [registration.id]
    )
    path = urlsplit(token_uri).path
    assert path == f"/api/v1/metadata/{number}"
    wallet = api.get(path)
    assert wallet.status_code == 200, wallet.text
    assert wallet.headers["content-type"].startswith("application/json")
    assert wallet.json()["name"] == f"港口集装箱吞吐量数据集 2025 · {number}"
    registered = wallet.json()["registered_metadata"]
    assert registered["metadataHash"] == registration.metadata_hash
    response = api.get(urlsplit(registered["url"]).path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(registered["mediaType"])
    assert "0x" + hashlib.sha256(response.content).hexdigest() == registration.metadata_hash
    assert response.json()["name"] == "港口集装箱吞吐量数据集 2025"
    for suffix in ("", "/registered"):
        assert api.get(f"/api/v1/metadata/{_typo(number)}{suffix}").status_code == 422
        assert api.get(f"/api/v1/metadata/{_ghost(number)}{suffix}").status_code == 404


def test_verification_page(api: TestClient, registry_context: RegistryContext, number: str) -> None:
    page = api.get(f"/verify/{number}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for text in (
        "证书真实 · 有效 · Genuine · In force</h2>",
        number,
        "广州港航物流数据有限公司",
        "港口集装箱吞吐量数据集 2025",
        f"测试登记中心 {CODE}",
        "有效期至",
        "Valid until",
        "0x" + "a1" * 32,
        f"/api/v1/certificates/{number}/pdf",
    ):
        assert text in html, text
    assert "<script" not in html

    holder = dev_account(1)
    reg = registry_context.registrations.by_certificate_number(number)
    registry_context.registrations.cancel(reg.id, None, holder)
    cancelled = api.get(f"/verify/{number}").text
    banner = '<section class="banner bad"><h2>证书真实 · 已注销 · Genuine · Cancelled</h2>'
    assert banner in cancelled


def test_verification_page_for_bad_numbers(api: TestClient, number: str) -> None:
    typo = api.get(f"/verify/{_typo(number)}")
    assert typo.status_code == 422
    assert "证书编号有误" in typo.text
    assert "Mistyped number" in typo.text
    ghost = api.get(f"/verify/{_ghost(number)}")
    assert ghost.status_code == 404
    assert "未找到该证书" in ghost.text
    assert "No such certificate" in ghost.text
    hostile = api.get("/verify/<img src=x onerror=alert(1)>")
    assert hostile.status_code == 422
    assert "<img" not in hostile.text
    assert "&lt;img" in hostile.text
    form = api.get("/verify", params={"number": f" {number} "}, follow_redirects=False)
    assert form.status_code == 303
    assert form.headers["location"] == f"/verify/{number}"
    assert re.search(r"<form[^>]+action=\"/verify\"", api.get("/verify").text)
