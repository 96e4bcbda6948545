"""The PDF vouches for itself: pyHanko's validator accepts its PAdES signature against the
registrar's published certificate, one altered byte breaks it, and the attached credential
verifies and names the same certificate. The document-signing key and certificate: made once on
a development chain and reused, or configured (PEM, encrypted or not), or missing (409)."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from api.main import create_app
from registry.certificates.credential import did_pkh, verify_credential
from registry.certificates.pades import (
    CREDENTIAL_FILE,
    SIGNATURE_FIELD,
    SIGNATURE_REASON,
)
from registry.certificates.signing_key import (
    DocumentKeys,
    DocumentSigningKey,
    configured_document_key,
    signer_dids,
)
from registry.context import RegistryContext
from registry.errors import (
    ConfigurationError,
    DocumentSigningKeyUnavailableError,
    RegistrarKeyUnavailableError,
)
from registry.settings import Settings
from tests.registry.registration.conftest import REGISTRAR_CODE, registrar


@pytest.fixture
def api(signing_ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(signing_ctx)) as client:
        yield client


def published(api: TestClient, code: int = REGISTRAR_CODE) -> bytes:
    """The registrar's document-signing certificate (PEM) as the app publishes it."""
    response = api.get(f"/api/v1/registrars/{code}/document-signing-certificate")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pem-certificate-chain"
    return response.content


def validate(pdf: bytes, trust_pem: bytes) -> PdfSignatureStatus:
    """pyHanko's verdict on the PDF's one signature, trusting only the first certificate of
    ``trust_pem``."""
    anchor = next(iter(load_certs_from_pemder_data(trust_pem)))
    context = ValidationContext(trust_roots=[anchor])
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 1
    return validate_pdf_signature(signatures[0], context)


def attachments(pdf: bytes) -> dict[str, tuple[bytes, Any]]:
    """Every embedded file of the document's ``/EmbeddedFiles`` name tree: its bytes and file
    specification, read with pyHanko's reader."""
    root = PdfFileReader(io.BytesIO(pdf)).root
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    found = {}
    for i in range(0, len(names), 2):
        spec = names[i + 1].get_object()
        stream = spec["/EF"]["/F"].get_object()
        found[str(names[i])] = (stream.data, spec)
    return found


def test_the_signature_is_valid_against_the_published_certificate_and_covers_everything(
    signing_ctx: RegistryContext, api: TestClient, certificate: str
) -> None:
    doc = signing_ctx.certificates.document(certificate)
    pdf = signing_ctx.certificates.pdf(doc)
    trust = published(api)
    status = validate(pdf, trust)
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.modification_level is not None
    assert status.modification_level.name == "NONE"
    assert status.docmdp_ok
    # the signer is the published certificate, and it names the registrar and its account
    signer = status.signing_cert.dump()
    published_der = x509.load_pem_x509_certificate(trust).public_bytes(serialization.Encoding.DER)
    assert signer == published_der
    cert = x509.load_der_x509_certificate(signer)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "广东省数据资产登记中心"
    )
    assert signer_dids(cert) == [did_pkh(signing_ctx.manifest.chain_id, registrar().address)]
    # PAdES B-B: ETSI.CAdES.detached, with the reason, the location and a signing time
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    assert signature.field_name == SIGNATURE_FIELD
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature.sig_object["/Reason"] == SIGNATURE_REASON
    assert signature.sig_object["/Location"] == "广东省数据资产登记中心"
    assert status.signer_reported_dt is not None
    assert abs(status.signer_reported_dt - datetime.now(tz=UTC)) < timedelta(minutes=5)
    # the fingerprint the PDF prints is the certificate's
    fingerprint = cert.fingerprint(hashes.SHA256()).hex().upper()
    text = _text(pdf)
    assert ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)) in text
    assert f"/api/v1/registrars/{REGISTRAR_CODE}/document-signing-certificate" in text


def _text(pdf: bytes) -> str:
    """The PDF's text as PDFium extracts it, without white space."""
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    return "".join(text.split())


def test_one_altered_byte_inside_the_signed_range_fails(
    signing_ctx: RegistryContext, api: TestClient, certificate: str
) -> None:
    doc = signing_ctx.certificates.document(certificate)
    pdf = signing_ctx.certificates.pdf(doc)
    trust = published(api)
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    start, length, _, _ = signature.byte_range
    assert start == 0
    # a byte of the first page's content stream (the rendered certificate: signed)
    position = pdf.index(b"stream", 0, length) + 40
    assert position < length
    altered = bytearray(pdf)
    altered[position] ^= 0x01
    status = validate(bytes(altered), trust)
    assert not status.intact
    assert not status.bottom_line
    # the same PDF, untouched, is fine: the test can fail only on the altered byte
    assert validate(pdf, trust).bottom_line


def test_a_certificate_that_is_not_the_registrars_is_not_trusted(
    signing_ctx: RegistryContext, certificate: str, tmp_path: Path
) -> None:
    doc = signing_ctx.certificates.document(certificate)
    pdf = signing_ctx.certificates.pdf(doc)
    stranger = DocumentKeys(development_dir=tmp_path).for_registrar(
        REGISTRAR_CODE, name="广东省数据资产登记中心", signer_did="did:example:x", now=_now()
    )
    status = validate(pdf, stranger.pem_chain())
    assert status.intact  # the bytes are untouched…
    assert not status.trusted  # …but nobody vouches for that signer
    assert not status.bottom_line


def test_the_attached_credential_verifies_and_is_the_certificates(
    signing_ctx: RegistryContext, certificate: str
) -> None:
    doc = signing_ctx.certificates.document(certificate)
    pdf = signing_ctx.certificates.pdf(doc)
    files = attachments(pdf)
    assert list(files) == [CREDENTIAL_FILE]
    data, spec = files[CREDENTIAL_FILE]
    assert spec["/AFRelationship"] == "/Data"
    assert spec["/UF"] == CREDENTIAL_FILE
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/vc"
    root = PdfFileReader(io.BytesIO(pdf)).root
    assert [a.get_object()["/UF"] for a in root["/AF"]] == [CREDENTIAL_FILE]
    credential = json.loads(data)
    ok, reason = verify_credential(credential, signing_ctx.registrations)
    assert ok, reason
    assert credential["credentialSubject"]["certificateNumber"] == certificate
    # an altered credential does not verify (the check is not vacuous)
    credential["credentialSubject"]["certificateNumber"] = certificate[:-1] + "0"
    assert not verify_credential(credential, signing_ctx.registrations)[0]


def test_without_a_key_of_the_registrar_there_is_no_pdf(
    ctx: RegistryContext, certificate: str
) -> None:
    """The service's credential account is not registrar 440's: the PDF, which carries the
    registrar's credential, cannot be made (409 registrar_key_unavailable)."""
    doc = ctx.certificates.document(certificate)
    with pytest.raises(RegistrarKeyUnavailableError) as info:
        ctx.certificates.pdf(doc)
    assert info.value.code == "registrar_key_unavailable"


def test_without_a_document_signing_key_there_is_no_pdf(
    signing_ctx: RegistryContext, certificate: str
) -> None:
    """A production service (no development keys) without DAREG_DOCUMENT_SIGNING_KEY."""
    service = replace(signing_ctx.certificates, document_keys=DocumentKeys())
    doc = service.document(certificate)
    with pytest.raises(DocumentSigningKeyUnavailableError, match="DAREG_DOCUMENT_SIGNING_KEY"):
        service.pdf(doc)
    signing_ctx.certificates = service
    with TestClient(create_app(signing_ctx)) as client:
        refused = client.get(f"/api/v1/certificates/{certificate}/pdf")
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "document_signing_key_unavailable"
        missing = client.get(f"/api/v1/registrars/{REGISTRAR_CODE}/document-signing-certificate")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "document_signing_certificate_not_found"


# --- the development key ---------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(tz=UTC)


def test_a_development_key_is_made_once_and_reused(tmp_path: Path) -> None:
    did = "did:pkh:eip155:31337:0x71bE63f3384f5fb98995898A86B02Fb2426c5788"
    first = DocumentKeys(development_dir=tmp_path).for_registrar(
        440, name="广东省数据资产登记中心", signer_did=did, now=_now()
    )
    key_file = tmp_path / "registrar-440.key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "registrar-440.cert.pem",
        "registrar-440.key.pem",
    ]  # no temporary file left behind
    again = DocumentKeys(development_dir=tmp_path).for_registrar(  # another process
        440, name="广东省数据资产登记中心", signer_did=did, now=_now()
    )
    assert again.fingerprint == first.fingerprint
    assert again.der() == first.der()

    cert = first.certificate
    assert isinstance(first.key, ec.EllipticCurvePrivateKey)
    assert first.key.curve.name == "secp256r1"
    assert cert.subject == cert.issuer  # self-signed
    attributes = {a.oid: a.value for a in cert.subject}
    assert attributes == {
        NameOID.COMMON_NAME: "广东省数据资产登记中心",
        NameOID.ORGANIZATION_NAME: "dareg",
        NameOID.ORGANIZATIONAL_UNIT_NAME: "registrar 440",
    }
    assert signer_dids(cert) == [did]
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment  # nonRepudiation
    assert not usage.value.key_cert_sign
    assert cert.not_valid_after_utc - cert.not_valid_before_utc > timedelta(days=3650)

    # the credential account changed: the same key gets a certificate naming the new one
    other = "did:pkh:eip155:31337:0x0000000000000000000000000000000000000001"
    renamed = DocumentKeys(development_dir=tmp_path).for_registrar(
        440, name="广东省数据资产登记中心", signer_did=other, now=_now()
    )
    assert signer_dids(renamed.certificate) == [other]
    assert renamed.key.private_numbers() == first.key.private_numbers()


def test_a_production_service_holds_no_development_key(tmp_path: Path) -> None:
    keys = DocumentKeys()
    assert not keys.available
    with pytest.raises(DocumentSigningKeyUnavailableError) as info:
        keys.for_registrar(440, name=None, signer_did="did:example:x", now=_now())
    assert info.value.code == "document_signing_key_unavailable"
    assert info.value.status == 409


# --- a configured key ------------------------------------------------------------------------


def _issued(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, days: int = 365) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "广东省数据资产登记中心")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, password: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if password is None
        else serialization.BestAvailableEncryption(password)
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def test_a_configured_key_with_its_password_file(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    (tmp_path / "signing.key").write_bytes(_pem(key, b"correct horse battery"))
    (tmp_path / "signing.crt").write_bytes(_issued(key))
    (tmp_path / "signing.pw").write_text("correct horse battery\n")
    settings = Settings(
        document_signing_key=tmp_path / "signing.key",
        document_signing_certificate=tmp_path / "signing.crt",
        document_signing_key_password_file=tmp_path / "signing.pw",
    )
    loaded = configured_document_key(settings)
    assert loaded is not None
    assert loaded.der() == x509.load_pem_x509_certificate(_issued_of(tmp_path)).public_bytes(
        serialization.Encoding.DER
    )
    keys = DocumentKeys(configured=loaded)
    assert keys.for_registrar(440, name=None, signer_did="did:example:x", now=_now()) is loaded


def _issued_of(directory: Path) -> bytes:
    return (directory / "signing.crt").read_bytes()


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("wrong password", "the password does not open it"),
        ("no password", "encrypted and no password"),
        ("another key's certificate", "not the key's"),
        ("expired certificate", "not at"),
        ("no certificate", "needs its certificate"),
        ("certificate only", "DAREG_DOCUMENT_SIGNING_KEY is not"),
        ("two passwords", "not both"),
        ("missing file", "does not exist"),
        ("a weak RSA key", "2048 bits or more"),
        ("an Ethereum curve", "P-256, P-384 or P-521 only"),
    ],
)
def test_a_misconfigured_key_stops_the_service_naming_the_variable(
    tmp_path: Path, problem: str, message: str
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    key_file, cert_file, pw_file = (tmp_path / n for n in ("k.pem", "c.pem", "pw"))
    key_file.write_bytes(_pem(key, b"s3cret-password"))
    cert_file.write_bytes(_issued(key))
    pw_file.write_text("s3cret-password")
    fields: dict[str, Any] = {
        "document_signing_key": key_file,
        "document_signing_certificate": cert_file,
        "document_signing_key_password_file": pw_file,
    }
    if problem == "wrong password":
        pw_file.write_text("not-the-password")
    elif problem == "no password":
        del fields["document_signing_key_password_file"]
    elif problem == "another key's certificate":
        cert_file.write_bytes(_issued(ec.generate_private_key(ec.SECP256R1())))
    elif problem == "expired certificate":
        cert_file.write_bytes(_issued(key, days=-1))
    elif problem == "no certificate":
        del fields["document_signing_certificate"]
    elif problem == "certificate only":
        del fields["document_signing_key"]
        del fields["document_signing_key_password_file"]
    elif problem == "two passwords":
        fields["document_signing_key_password"] = "s3cret-password"
    elif problem == "missing file":
        fields["document_signing_key"] = tmp_path / "absent.pem"
    elif problem in ("a weak RSA key", "an Ethereum curve"):
        other = (
            rsa.generate_private_key(public_exponent=65537, key_size=1024)
            if problem == "a weak RSA key"
            else ec.generate_private_key(ec.SECP256K1())
        )
        key_file.write_bytes(_pem(other, b"s3cret-password"))
        cert_file.write_bytes(_issued(other))
    with pytest.raises(ConfigurationError, match=message) as info:
        configured_document_key(Settings(**fields))
    assert "DAREG_DOCUMENT_SIGNING" in info.value.message
    assert "s3cret" not in info.value.message
    assert "not-the-password" not in info.value.message


def test_an_expired_configured_certificate_signs_nothing_but_stays_published(
    signing_ctx: RegistryContext, certificate: str
) -> None:
    """A configured certificate that expired while the service runs: no PDF is signed with it
    (validators would refuse it), and it is still published for the PDFs signed before."""
    key = ec.generate_private_key(ec.SECP256R1())
    expired = x509.load_pem_x509_certificate(_issued(key, days=-1))
    keys = DocumentKeys(configured=DocumentSigningKey(key=key, chain=(expired,)))
    service = replace(signing_ctx.certificates, document_keys=keys)
    with pytest.raises(DocumentSigningKeyUnavailableError, match="renew it"):
        service.pdf(service.document(certificate))
    assert service.signing_certificate(REGISTRAR_CODE).der() == expired.public_bytes(
        serialization.Encoding.DER
    )
