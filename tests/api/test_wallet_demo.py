"""The wallet metadata and card of the demo's certificates, and one holder in every document.

On the demo registry (its own chain, mirrored; tests/demo_registry.py): the
frozen, pledged, exclusively licensed, cancelled, revoked and expired certificates' ``tokenURI``
attributes and cards say so; and the port's certificate, sold to the factory, is held by the
factory in every document (JSON, credential, wallet metadata, card, verification page, PDF),
none of which shows the seller's name or identifier as its holder.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.main import create_app
from registry.certificates.document import PENDING_HOLDER_NAME
from registry.context import RegistryContext
from tests.api.test_wallet_metadata import erc721_problems, traits
from tests.demo_registry import seeded_demo
from tests.registry.certificates.test_card import check_safe_svg

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Demo:
    client: TestClient
    ctx: RegistryContext
    seeded: dict[str, Any]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with (
        seeded_demo(tmp_path_factory.mktemp("demo") / "var") as seeded,
        TestClient(create_app(seeded.ctx)) as api,
    ):
        yield Demo(api, seeded.ctx, seeded.seeded)


def _number(demo: Demo, key: str) -> str:
    return str(demo.seeded["registrations"][key]["certificate_number"])


def _party(demo: Demo, key: str) -> dict[str, Any]:
    return next(p for p in demo.seeded["registrants"] if p["key"] == key)


@pytest.mark.parametrize(
    ("key", "status", "encumbrances"),
    [
        ("port", "有效 · 已冻结 In force · frozen", ["已冻结 frozen"]),
        ("vessels", "有效 · 已质押 In force · pledged", ["已质押 pledged"]),
        (
            "index",
            "有效 · 已独占许可 In force · exclusively licensed",
            ["已独占许可 exclusively licensed"],
        ),
        ("drugs", "已注销 Cancelled", []),
        ("typhoon", "已撤销 Revoked", []),
        ("weather", "已过期 Expired", []),
        ("arcades", "有效 In force", []),
    ],
)
def test_the_attributes_and_card_say_what_holds_the_certificate(
    demo: Demo,
    key: str,
    status: str,
    encumbrances: list[str],
) -> None:
    number = _number(demo, key)
    doc = demo.ctx.certificates.document(number)
    assert doc.standing.headline == status  # the one computation, shown as it is
    response = demo.client.get(f"/api/v1/metadata/{number}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert erc721_problems(body) == []
    found = traits(body)
    assert found["Status"] == [status]
    assert found.get("Encumbrance", []) == encumbrances
    zh, en = doc.standing.headline_zh, doc.standing.headline_en
    assert f"：{zh}。" in body["description"]
    assert f": {en}." in body["description"]
    card = demo.client.get(f"/api/v1/certificates/{number}/card.svg")
    assert card.status_code == 200
    assert status in "".join(check_safe_svg(card.text).itertext())


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_document_names_the_current_holder_after_the_sale(demo: Demo) -> None:
    number = _number(demo, "port")
    seller, factory = _party(demo, "port"), _party(demo, "factory")
    client = demo.client
    # the chain says the factory holds it; the registered metadata still names the seller
    registered = client.get(f"/api/v1/metadata/{number}/registered").json()
    assert registered["holder"]["name"] == seller["name"]

    certificate = client.get(f"/api/v1/certificates/{number}").json()
    holder = certificate["holder"]
    assert holder["address"] == factory["address"]
    assert holder["name"] == PENDING_HOLDER_NAME
    name, address = holder["name"], holder["address"]

    credential = client.get(f"/api/v1/certificates/{number}/credential")
    assert credential.status_code == 200, credential.text
    subject = credential.json()["credentialSubject"]
    assert subject["holder"]["name"] == name
    assert subject["holder"]["address"] == address

    wallet = client.get(f"/api/v1/metadata/{number}").json()
    assert traits(wallet)["Holder"] == [name]
    assert traits(wallet)["Holder address"] == [address]

    card = client.get(f"/api/v1/certificates/{number}/card.svg").text
    card_text = "".join(check_safe_svg(card).itertext())
    page = client.get(f"/verify/{number}").text
    pdf = client.get(f"/api/v1/certificates/{number}/pdf").content
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for shown, text in (("card", card_text), ("page", page), ("PDF", pdf_text)):
        assert _squeeze(name) in _squeeze(text), shown
        assert address in _squeeze(text), shown

    # nobody shows the seller as the holder: its identifier is nowhere but in the registered
    # metadata (the JSON's copy of it excepted), and its name nowhere but there and in the
    # asset's registered description, which the PDF's annex prints
    description = _squeeze(registered["description"])
    assert seller["name"] in description  # so the PDF below is a real test
    without_metadata = {k: v for k, v in certificate.items() if k != "metadata"}
    subject_without_metadata = {k: v for k, v in subject.items() if k != "metadata"}
    for shown, text in (
        ("JSON", str(without_metadata)),
        ("credential", str(subject_without_metadata)),
        ("wallet", str(wallet)),
        ("card", card),
        ("page", page),
        ("PDF", pdf_text),
    ):
        assert seller["identifier"] not in _squeeze(text), shown
        assert seller["name"] not in _squeeze(text).replace(description, ""), shown
