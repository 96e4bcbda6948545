"""The signed PDF of the demo's certificates over HTTP, checked with tools nobody here wrote.

The demo registry is seeded on a chain of its own, with ``DAREG_PUBLIC_URL`` set to a public
address. For its frozen certificate (the port data, frozen by a court after its sale) and its
pledged one (the vessel calls, pledged to the bank), and for a certificate in force with nothing
against it: pyHanko validates the PDF's signature against the certificate the app publishes
(fetched as PEM and as DER), the attached credential verifies and is the certificate's, the
text PDFium extracts (and poppler's ``pdftotext``, where installed) states the standing and the
block it is as of and never "VALID" for an encumbered certificate, and the QR code (decoded by
ZXing) and every link lead to the public address, never to a loopback one.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from api.main import create_app
from registry.certificates.credential import verify_credential
from registry.chain.client import DEV_ADMIN_INDEX, ChainClient, dev_account
from registry.chain.deploy import deploy_all
from registry.chain.node import AnvilNode, anvil_binary
from registry.context import RegistryContext, current_artifacts_hash, make_client
from registry.db.engine import migrate
from registry.demo import history_start, seed_demo
from registry.settings import Settings
from tests.conftest import free_port

pytestmark = pytest.mark.slow

PUBLIC = "https://registry.example.cn"
REGISTRAR = 440  # the demo's registrar whose staff key the service holds (DEV_CREDENTIAL_INDEX)


@dataclass(frozen=True)
class Demo:
    client: TestClient
    ctx: RegistryContext
    numbers: dict[str, str]  # demo dataset key -> certificate number


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo registry on a chain of its own, its public base URL set, and an API on it."""
    var = tmp_path_factory.mktemp("demo-pdf") / "var"
    base = Settings()
    node = AnvilNode(
        anvil_binary(base.node_modules_dir),
        host="127.0.0.1",
        port=free_port(),
        chain_id=31337,
        state_path=None,
        genesis_timestamp=history_start(),
    )
    node.start()
    try:
        settings = Settings(
            var_dir=var,
            rpc_url=node.url,
            database_url=f"sqlite:///{var}/r.db",
            public_url=PUBLIC,
        )
        client: ChainClient = make_client(settings)
        manifest = deploy_all(
            client,
            dev_account(0),
            dev_account(DEV_ADMIN_INDEX).address,
            current_artifacts_hash(settings),
            settings.token_base_uri,
        )
        manifest.save(settings.manifest_path)
        migrate(settings.effective_database_url)
        ctx = RegistryContext.open(settings, client=client)
        assert seed_demo(ctx, var / "demo") is not None
        seeded = json.loads((var / "demo" / "registrants.json").read_text(encoding="utf-8"))
        numbers = {
            key: r["certificate_number"]
            for key, r in seeded["registrations"].items()
            if r["certificate_number"]
        }
        with TestClient(create_app(ctx)) as api:
            yield Demo(api, ctx, numbers)
        ctx.engine.dispose()
    finally:
        node.stop()


def _published(demo: Demo) -> bytes:
    url = f"/api/v1/registrars/{REGISTRAR}/document-signing-certificate"
    pem = demo.client.get(url)
    assert pem.status_code == 200, pem.text
    assert pem.headers["content-type"] == "application/pem-certificate-chain"
    der = demo.client.get(url, params={"format": "der"})
    assert der.status_code == 200
    assert der.headers["content-type"] == "application/pkix-cert"
    # the two forms are the same certificate
    certificate = x509.load_pem_x509_certificate(pem.content)
    assert certificate.public_bytes(serialization.Encoding.DER) == der.content
    return pem.content


def _pdf(demo: Demo, number: str) -> bytes:
    response = demo.client.get(f"/api/v1/certificates/{number}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def _texts(pdf: bytes, tmp_path: Any) -> list[str]:
    """The PDF's text as PDFium extracts it and, where poppler is installed, as pdftotext
    does: white space removed (line breaks fall where the layout puts them)."""
    document = pypdfium2.PdfDocument(pdf)
    texts = ["".join(page.get_textpage().get_text_range() for page in document)]
    if shutil.which("pdftotext"):
        path = tmp_path / "certificate.pdf"
        path.write_bytes(pdf)
        texts.append(
            subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(path), "-"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
    return ["".join(t.split()) for t in texts]


def _validated(pdf: bytes, trust: bytes) -> Any:
    anchor = next(iter(load_certs_from_pemder_data(trust)))
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[anchor]))


def _credential(pdf: bytes) -> dict[str, Any]:
    names = PdfFileReader(io.BytesIO(pdf)).root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert str(names[0]) == "credential.json"
    data: bytes = names[1].get_object()["/EF"]["/F"].get_object().data
    credential: dict[str, Any] = json.loads(data)
    return credential


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("port", ["已冻结", "frozen"]),
        ("vessels", ["已质押", "pledged"]),
    ],
)
def test_an_encumbered_certificate_is_signed_and_never_called_valid(
    demo: Demo, key: str, words: list[str], tmp_path: Any
) -> None:
    number = demo.numbers[key]
    standing = demo.client.get(f"/api/v1/certificates/{number}").json()["standing"]
    assert standing["lifecycle"] == "in_force"
    pdf = _pdf(demo, number)
    status = _validated(pdf, _published(demo))
    assert status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.docmdp_ok

    credential = _credential(pdf)
    assert credential["credentialSubject"]["certificateNumber"] == number
    ok, reason = verify_credential(credential, demo.ctx.registrations)
    assert ok, reason

    doc = demo.ctx.certificates.document(number)
    assert doc.standing.as_of_block == standing["as_of_block"]  # nothing moved meanwhile
    headline = "".join(doc.standing.headline.split())
    block = standing["as_of_block"]
    for text in _texts(pdf, tmp_path):
        assert headline in text
        for word in words:
            assert word in text
        assert f"截至区块{block}" in text
        assert f"asofblock{block}" in text
        assert "VALID" not in text  # the badge of a clear certificate only
        assert "有效Valid" not in text  # nor the bare lifecycle as its status
        assert "127.0.0.1" not in text
        assert f"{PUBLIC}/verify/{number}" in text


def test_a_clear_certificate_says_valid(demo: Demo, tmp_path: Any) -> None:
    """The control: a certificate in force with nothing against it shows the green badge."""
    number = demo.numbers["arcades"]
    doc = demo.ctx.certificates.document(number)
    assert doc.standing.clear
    pdf = _pdf(demo, number)
    assert _validated(pdf, _published(demo)).bottom_line
    for text in _texts(pdf, tmp_path):
        assert "有效VALID" in text
        assert f"asofblock{doc.standing.as_of_block}" in text


def test_the_qr_code_and_every_link_use_the_public_url(demo: Demo, tmp_path: Any) -> None:
    number = demo.numbers["port"]
    pdf = _pdf(demo, number)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [f"{PUBLIC}/verify/{number}"]
    for text in _texts(pdf, tmp_path):
        origins = re.findall(r"https?://[A-Za-z0-9.:-]+", text)
        assert len(origins) >= 6  # token URI, verification page, metadata, certificate, …
        assert set(origins) == {PUBLIC}, origins
        assert f"{PUBLIC}/api/v1/registrars/{REGISTRAR}/document-signing-certificate" in text
        assert f"{PUBLIC}/docs/verify-offline" in text


def test_the_pdf_of_another_registrars_certificate_needs_its_key(demo: Demo) -> None:
    """The typhoon data was registered (and revoked) at registrar 442, whose key this service
    does not hold: no PDF (it would carry the registrar's credential), and no certificate of
    442 is published."""
    number = demo.numbers["typhoon"]
    refused = demo.client.get(f"/api/v1/certificates/{number}/pdf")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "registrar_key_unavailable"
    missing = demo.client.get("/api/v1/registrars/442/document-signing-certificate")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "document_signing_certificate_not_found"
    for code in ("0", "1000", "x"):
        bad = demo.client.get(f"/api/v1/registrars/{code}/document-signing-certificate")
        assert bad.status_code == 422
    wrong = demo.client.get(
        f"/api/v1/registrars/{REGISTRAR}/document-signing-certificate", params={"format": "p12"}
    )
    assert wrong.status_code == 422
