"""The signed PDF of the demo's certificates over HTTP, checked with tools nobody here wrote.

The demo registry (tests/demo_registry.py) is seeded with ``DAREG_PUBLIC_URL`` set to a public
address, and served by two services: one holding registrar 440's keys, one registrar 442's (a
PDF carries its registrar's credential and signature). For the frozen certificate (the port
data, frozen by a court after its sale), the pledged one (the vessel calls), the revoked one
(the typhoon records), the expired one (the weather observations) and, as the control, one in
force with nothing against it: pyHanko validates the PDF's signature against the certificate
the app publishes (fetched as PEM and as DER), the attached credential verifies and is the
certificate's, the text PDFium extracts (and poppler's ``pdftotext``, where installed) states
the standing and the block it is as of (the headline every document shows, never "VALID"),
and the QR code (decoded by ZXing) and every link lead to the public address, never to a
loopback one.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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
from tests.demo_registry import SeededDemo, seeded_demo

pytestmark = pytest.mark.slow

PUBLIC = "https://registry.example.cn"

#: demo dataset -> (registrar, words the PDF must show for its standing)
ENCUMBERED_OR_ENDED: dict[str, tuple[int, list[str]]] = {
    "port": (440, ["有效·已冻结", "INFORCE·FROZEN", "已被监管机构或法院冻结"]),
    "vessels": (440, ["有效·已质押", "INFORCE·PLEDGED", "已设立质押"]),
    "typhoon": (442, ["已撤销", "REVOKED"]),
    "weather": (442, ["已过期", "EXPIRED"]),
}


@dataclass(frozen=True)
class Demo:
    demo: SeededDemo
    by_registrar: dict[int, TestClient]

    def number(self, key: str) -> str:
        return self.demo.number(key)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    var = tmp_path_factory.mktemp("demo-pdf") / "var"
    with seeded_demo(var, public_url=PUBLIC) as seeded:
        ctx442 = seeded.registrar_context(442)
        try:
            with (
                TestClient(create_app(seeded.ctx)) as api440,
                TestClient(create_app(ctx442)) as api442,
            ):
                yield Demo(seeded, {440: api440, 442: api442})
        finally:
            ctx442.engine.dispose()


def _published(api: TestClient, code: int) -> bytes:
    url = f"/api/v1/registrars/{code}/document-signing-certificate"
    pem = api.get(url)
    assert pem.status_code == 200, pem.text
    assert pem.headers["content-type"] == "application/pem-certificate-chain"
    der = api.get(url, params={"format": "der"})
    assert der.status_code == 200
    assert der.headers["content-type"] == "application/pkix-cert"
    # the two forms are the same certificate
    certificate = x509.load_pem_x509_certificate(pem.content)
    assert certificate.public_bytes(serialization.Encoding.DER) == der.content
    return pem.content


def _pdf(api: TestClient, number: str) -> bytes:
    response = api.get(f"/api/v1/certificates/{number}/pdf")
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


@pytest.mark.parametrize("key", list(ENCUMBERED_OR_ENDED))
def test_an_encumbered_or_ended_certificate_is_signed_and_never_called_valid(
    demo: Demo, key: str, tmp_path: Any
) -> None:
    code, words = ENCUMBERED_OR_ENDED[key]
    api = demo.by_registrar[code]
    number = demo.number(key)
    standing = api.get(f"/api/v1/certificates/{number}").json()["standing"]
    pdf = _pdf(api, number)
    status = _validated(pdf, _published(api, code))
    assert status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.docmdp_ok

    credential = _credential(pdf)
    assert credential["credentialSubject"]["certificateNumber"] == number
    ok, reason = verify_credential(credential, demo.demo.ctx.registrations)
    assert ok, reason

    block = standing["as_of_block"]
    for text in _texts(pdf, tmp_path):
        for word in words:
            assert word in text
        assert f"截至区块{block}" in text
        assert f"asofblock{block}" in text
        assert "VALID" not in text
        assert "有效Valid" not in text  # nor the bare lifecycle as its status
        assert "127.0.0.1" not in text
        assert f"{PUBLIC}/verify/{number}" in text


def test_a_clear_certificate_says_in_force(demo: Demo, tmp_path: Any) -> None:
    """The control: a certificate in force with nothing against it shows the green badge."""
    api = demo.by_registrar[440]
    number = demo.number("arcades")
    standing = api.get(f"/api/v1/certificates/{number}").json()["standing"]
    assert (standing["lifecycle"], standing["encumbrances"]) == ("in_force", [])
    pdf = _pdf(api, number)
    assert _validated(pdf, _published(api, 440)).bottom_line
    for text in _texts(pdf, tmp_path):
        assert "有效" in text
        assert "INFORCE" in text
        assert f"asofblock{standing['as_of_block']}" in text


def test_the_qr_code_and_every_link_use_the_public_url(demo: Demo, tmp_path: Any) -> None:
    number = demo.number("port")
    pdf = _pdf(demo.by_registrar[440], number)
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=3).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [f"{PUBLIC}/verify/{number}"]
    for text in _texts(pdf, tmp_path):
        origins = re.findall(r"https?://[A-Za-z0-9.:-]+", text)
        assert len(origins) >= 6  # token URI, verification page, metadata, certificate, …
        assert set(origins) == {PUBLIC}, origins
        assert f"{PUBLIC}/api/v1/registrars/440/document-signing-certificate" in text
        assert f"{PUBLIC}/docs/verify-offline" in text


def test_each_registrar_signs_with_its_own_certificate(demo: Demo) -> None:
    """The two services publish different certificates, each naming its registrar's
    credential account; a PDF of one does not validate against the other's."""
    pem440 = _published(demo.by_registrar[440], 440)
    pem442 = _published(demo.by_registrar[442], 442)
    assert pem440 != pem442
    pdf = _pdf(demo.by_registrar[442], demo.number("typhoon"))
    assert _validated(pdf, pem442).bottom_line
    assert not _validated(pdf, pem440).trusted


def test_the_pdf_of_another_registrars_certificate_needs_its_key(demo: Demo) -> None:
    """The service holding registrar 440's keys makes no PDF of registrar 442's certificate (it
    would carry that registrar's credential) and publishes no certificate of 442."""
    api = demo.by_registrar[440]
    refused = api.get(f"/api/v1/certificates/{demo.number('typhoon')}/pdf")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "registrar_key_unavailable"
    missing = api.get("/api/v1/registrars/442/document-signing-certificate")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "document_signing_certificate_not_found"
    for code in ("0", "1000", "x"):
        bad = api.get(f"/api/v1/registrars/{code}/document-signing-certificate")
        assert bad.status_code == 422
    wrong = api.get("/api/v1/registrars/440/document-signing-certificate", params={"format": "p12"})
    assert wrong.status_code == 422


def test_the_guides_validator_command_accepts_the_pdf_and_refuses_a_stranger(
    demo: Demo, tmp_path: Any
) -> None:
    """docs/verify-offline.md section 3 as written: pyHanko's command line (the pyhanko-cli
    package) validates the downloaded PDF against the downloaded signing certificate, and
    refuses it against another registrar's."""
    pyhanko = shutil.which("pyhanko", path=str(Path(sys.executable).parent))
    assert pyhanko is not None, "pyhanko-cli is a dev dependency"
    api = demo.by_registrar[440]
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(_pdf(api, demo.number("vessels")))
    own = tmp_path / "registrar.pem"
    own.write_bytes(_published(api, 440))
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(_published(demo.by_registrar[442], 442))

    def validate(trust: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pyhanko, "sign", "validate", "--pretty-print", "--trust", str(trust), str(pdf)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    accepted = validate(own)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    for line in (
        "The signer's certificate is trusted.",
        "The signature is cryptographically sound.",
        "The signature covers the entire file.",
        "The signature is judged VALID.",
    ):
        assert line in accepted.stdout, accepted.stdout
    refused = validate(stranger)
    assert refused.returncode != 0, refused.stdout
    assert "The signer's certificate is untrusted." in refused.stdout
