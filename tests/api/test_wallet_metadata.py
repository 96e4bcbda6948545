"""What a wallet sees of a certificate, over HTTP on the real chain: the ERC-721 metadata at
``tokenURI``, the SVG card it names as ``image``, the public page it names as ``external_url``,
and the registered metadata beside it whose SHA-256 is the on-chain ``metadataHash``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.domain.evidence import parse_fingerprint
from registry.domain.rights import TransferReason
from tests.registry.certificates.conftest import rich_metadata
from tests.registry.certificates.test_card import HOSTILE, check_safe_svg
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, registrar, travel
from tests.registry.rights.test_service import record_domestic

#: ``display_type`` values wallets and marketplaces know.
DISPLAY_TYPES = {"number", "boost_number", "boost_percentage", "date"}


def erc721_problems(body: Any) -> list[str]:
    """What makes ``body`` not ERC-721 metadata a wallet renders: the ERC-721 metadata JSON
    schema (``name``, ``description``, ``image`` strings) and the common extensions
    (``external_url``; ``attributes``: objects with a string ``trait_type`` and a string or
    number ``value``, an optional known ``display_type``, dates in unix seconds). Nulls are
    problems too: wallets render them as "null"."""
    problems: list[str] = []
    if not isinstance(body, dict):
        return ["not a JSON object"]
    for key in ("name", "description", "image"):
        if not isinstance(body.get(key), str) or not body[key]:
            problems.append(f"{key}: a non-empty string is required")
    for key in ("image", "external_url"):
        value = body.get(key)
        if value is not None and (
            not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https")
        ):
            problems.append(f"{key}: not an http(s) URL")
    attributes = body.get("attributes", [])
    if not isinstance(attributes, list):
        problems.append("attributes: not a list")
        attributes = []
    for i, attribute in enumerate(attributes):
        where = f"attributes[{i}]"
        if not isinstance(attribute, dict):
            problems.append(f"{where}: not an object")
            continue
        if set(attribute) - {"trait_type", "value", "display_type", "max_value"}:
            problems.append(f"{where}: unknown keys {sorted(attribute)}")
        if not isinstance(attribute.get("trait_type"), str) or not attribute["trait_type"]:
            problems.append(f"{where}: trait_type must be a non-empty string")
        value = attribute.get("value")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            problems.append(f"{where}: value must be a string or a number")
        display = attribute.get("display_type")
        if display is not None:
            if display not in DISPLAY_TYPES:
                problems.append(f"{where}: unknown display_type {display!r}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                problems.append(f"{where}: a {display} needs a number")
            elif display == "date" and not 0 < value < 2**40:
                problems.append(f"{where}: a date is unix seconds")

    def nulls(value: Any, path: str) -> None:
        if value is None:
            problems.append(f"{path}: null")
        elif isinstance(value, dict):
            for k, v in value.items():
                nulls(v, f"{path}.{k}")
        elif isinstance(value, list):
            for j, v in enumerate(value):
                nulls(v, f"{path}[{j}]")

    nulls(body, "$")
    return problems


def test_the_shape_check_can_fail() -> None:
    good = {"name": "n", "description": "d", "image": "https://x/i.svg", "attributes": []}
    assert erc721_problems(good) == []
    assert erc721_problems({"name": "n", "description": "d"})  # no image
    assert erc721_problems({**good, "image": "javascript:alert(1)"})
    assert erc721_problems({**good, "attributes": [{"value": 1}]})  # no trait_type
    assert erc721_problems({**good, "attributes": [{"trait_type": "t", "value": None}]})
    date = {"trait_type": "t", "value": "2026-01-01", "display_type": "date"}
    assert erc721_problems({**good, "attributes": [date]})  # a date is a number
    assert erc721_problems({**good, "external_url": None})


def traits(body: dict[str, Any]) -> dict[str, list[Any]]:
    """``attributes`` by trait type (a trait may repeat: rights, encumbrances)."""
    out: dict[str, list[Any]] = {}
    for attribute in body["attributes"]:
        out.setdefault(attribute["trait_type"], []).append(attribute["value"])
    return out


def _issue(context: RegistryContext, chain: ChainClient, name: str, fp: int = 0xA5) -> str:
    holder = dev_account(1)
    context.evidence.anchor(parse_fingerprint("0x" + f"{fp:02x}" * 32), holder)
    document = rich_metadata(holder.address, fp, name=name)
    service = context.registrations
    reg = service.sign_and_submit(document, REGISTRAR_CODE, holder, context.operator)
    service.accept(reg.id, registrar())
    service.open_notice(reg.id, registrar())
    travel(chain, NOTICE + 1)
    number = service.issue(reg.id, registrar()).certificate_number
    assert number is not None
    return number


@pytest.fixture
def api(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as client:
        yield client


@pytest.fixture
def hostile(ctx: RegistryContext, chain: ChainClient) -> str:
    """A certificate whose asset name is markup, an ampersand and quotes."""
    return _issue(ctx, chain, HOSTILE)


def _get(api: TestClient, url: str, base: str) -> Any:
    assert url.startswith(base.rstrip("/") + "/"), (url, base)
    return api.get(urlsplit(url).path)


def test_token_uri_answers_erc721_metadata(
    api: TestClient, ctx: RegistryContext, hostile: str
) -> None:
    reg = ctx.registrations.by_certificate_number(hostile)
    token_uri = ctx.client.call(
        "DataAssetRegistry", ctx.registrations.contract_address, "tokenURI", [reg.id]
    )
    base = ctx.certificates.public_base_url
    response = _get(api, token_uri, base)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert erc721_problems(body) == []
    assert body["name"] == f"{HOSTILE} · {hostile}"
    assert "数据资产登记证书" in body["description"]
    assert "Data asset registration certificate" in body["description"]
    doc = ctx.certificates.document(hostile)
    block = doc.standing.as_of_block
    assert f"截至区块 {block}" in body["description"]
    assert "：有效。" in body["description"]
    assert f"As of block {block}" in body["description"]
    assert ": In force." in body["description"]
    assert body["as_of"]["block"] == doc.standing.as_of_block
    assert body["registered_metadata"]["metadataHash"] == reg.metadata_hash
    found = traits(body)
    assert found["Status"] == ["有效 In force"]
    assert "Encumbrance" not in found
    assert found["Asset kind"] == ["数据资源 Data resource"]
    assert found["Right"] == [
        "数据资源持有权 Data resource holding right",
        "数据加工使用权 Data processing and use right",
    ]
    assert found["Classification"] == ["一般数据 General data"]
    assert found["Registrar"] == ["广东省数据资产登记中心"]
    assert found["Registrar code"] == [REGISTRAR_CODE]
    assert found["Holder"] == ["广州港航物流数据有限公司"]
    assert found["Holder address"] == [dev_account(1).address]
    assert found["Valid until"] == [int(doc.valid_until.timestamp())]
    assert found["Issued"] == [int(doc.issued_at.timestamp())]
    assert found["Certificate number"] == [hostile]
    assert found["Version"] == [1]
    dates = [a for a in body["attributes"] if a.get("display_type") == "date"]
    assert {a["trait_type"] for a in dates} == {"Issued", "Valid until"}

    # image: the card, an SVG with the hostile name as mere text
    card = _get(api, body["image"], base)
    assert card.status_code == 200
    assert card.headers["content-type"].startswith("image/svg+xml")
    assert card.headers["cache-control"].startswith("public")
    root = check_safe_svg(card.text)
    assert HOSTILE in "".join(root.itertext())
    # external_url: the public page
    page = _get(api, body["external_url"], base)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert hostile in page.text
    # the registered metadata: the bytes whose SHA-256 is on chain
    registered = _get(api, body["registered_metadata"]["url"], base)
    assert registered.status_code == 200
    assert registered.headers["content-type"].startswith(body["registered_metadata"]["mediaType"])
    assert "0x" + hashlib.sha256(registered.content).hexdigest() == reg.metadata_hash
    assert registered.json()["name"] == HOSTILE


def test_the_wallet_metadata_is_declared_in_openapi(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    wallet = paths["/api/v1/metadata/{number}"]["get"]["responses"]
    assert "application/json" in wallet["200"]["content"]
    assert {"404", "422"} <= set(wallet)
    assert (
        "image/svg+xml"
        in (paths["/api/v1/certificates/{number}/card.svg"]["get"]["responses"]["200"]["content"])
    )
    assert "/api/v1/metadata/{number}/registered" in paths


def test_an_expired_certificate_says_so(
    api: TestClient, ctx: RegistryContext, chain: ChainClient, hostile: str
) -> None:
    doc = ctx.certificates.document(hostile)
    head = chain.block("latest")
    travel(chain, int(doc.valid_until.timestamp()) - head.timestamp + 1)
    body = api.get(f"/api/v1/metadata/{hostile}").json()
    assert erc721_problems(body) == []
    assert traits(body)["Status"] == ["已过期 Expired"]
    assert "：已过期。" in body["description"]
    assert ": Expired." in body["description"]
    card = check_safe_svg(api.get(f"/api/v1/certificates/{hostile}/card.svg").text)
    assert "已过期 Expired" in "".join(card.itertext())


def test_an_ended_certificate_still_answers(
    api: TestClient, ctx: RegistryContext, hostile: str
) -> None:
    """Cancelled, the token is burned (``tokenURI`` reverts on chain), but wallets keep the URL:
    it answers with the ended standing."""
    reg = ctx.registrations.by_certificate_number(hostile)
    ctx.registrations.cancel(reg.id, "不再对外提供", dev_account(1))
    assert api.get(f"/api/v1/certificates/{hostile}").json()["chain"]["token_uri"] is None
    response = api.get(f"/api/v1/metadata/{hostile}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert erc721_problems(body) == []
    assert traits(body)["Status"] == ["已注销 Cancelled"]
    card = api.get(f"/api/v1/certificates/{hostile}/card.svg")
    assert card.status_code == 200
    assert "已注销 Cancelled" in "".join(check_safe_svg(card.text).itertext())
    registered = api.get(f"/api/v1/metadata/{hostile}/registered")
    assert "0x" + hashlib.sha256(registered.content).hexdigest() == reg.metadata_hash


def test_after_a_transfer_the_wallet_names_the_current_holder(
    api: TestClient, ctx: RegistryContext, hostile: str
) -> None:
    reg = ctx.registrations.by_certificate_number(hostile)
    record_domestic(ctx)  # a move needs the recipient's country on record
    buyer = dev_account(2)
    ctx.rights.transfer(reg.id, buyer.address, TransferReason.SALE, "转让协议", dev_account(1))
    doc = ctx.certificates.document(hostile)
    body = api.get(f"/api/v1/metadata/{hostile}").json()
    assert traits(body)["Holder"] == [doc.holder.name]
    assert traits(body)["Holder address"] == [buyer.address]
    assert "广州港航物流数据有限公司" not in str(body)
    card = api.get(f"/api/v1/certificates/{hostile}/card.svg").text
    assert buyer.address in card
    assert "广州港航物流数据有限公司" not in card
    # the registered metadata is the hashed document: it still names the registered holder
    registered = api.get(f"/api/v1/metadata/{hostile}/registered").json()
    assert registered["holder"]["address"] == dev_account(1).address
