"""The registrar's document-signing key and its X.509 certificate: what signs the PDF (PAdES).

A PDF validator (pyHanko, Adobe Reader, a court's own tool) checks an X.509 signature, not an
Ethereum one, so the registrar holds a second key for its documents, beside the staff account
that signs credentials (``DAREG_CREDENTIAL_KEY``). It comes from one of two places:

* **configured** (production): ``DAREG_DOCUMENT_SIGNING_KEY`` (a PEM private key, encrypted or
  not; its password in ``DAREG_DOCUMENT_SIGNING_KEY_PASSWORD`` or ``…_PASSWORD_FILE``) and
  ``DAREG_DOCUMENT_SIGNING_CERTIFICATE`` (PEM, the signer's certificate first, then its chain),
  loaded once when the service starts (:func:`configured_document_key`);
* **development** (a development chain, nothing configured): a self-signed P-256 key and
  certificate per registrar, made the first time they are needed and reused after, under
  ``var/document-signing/`` (:class:`DocumentKeys`). The certificate names the registrar (CN its
  name, O ``dareg``, OU its code) and carries, as a subjectAltName URI, the ``did:pkh`` of the
  account that signs the registrar's credentials, so the PDF's signer and the credential's
  issuer are bound to each other.

The service publishes the certificate (``GET /api/v1/registrars/{code}/document-signing-
certificate``) and prints its SHA-256 fingerprint in the PDF. See docs/keys.md.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from registry.errors import ConfigurationError, DocumentSigningKeyUnavailableError, InputError
from registry.files import write_atomically
from registry.keys import read_secret_file, warn_if_exposed
from registry.settings import Settings

log = logging.getLogger(__name__)

#: The keys a PAdES signature here may be made with.
SigningPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

#: The curves PAdES validators accept for ECDSA (NIST P-256, P-384, P-521).
_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})

#: How long a development certificate is valid: longer than any certificate it vouches for.
DEVELOPMENT_VALIDITY = timedelta(days=3653)

#: Media types of the published certificate.
PEM_CHAIN_MEDIA_TYPE = "application/pem-certificate-chain"
DER_MEDIA_TYPE = "application/pkix-cert"


@dataclass(frozen=True, eq=False)
class DocumentSigningKey:
    """A private key and its certificate chain (the signer's certificate first)."""

    key: SigningPrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...]

    def __post_init__(self) -> None:
        if not self.chain:
            raise ValueError("a document-signing key needs its certificate")

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]

    def pem_chain(self) -> bytes:
        """The certificate chain as PEM (RFC 7468), the signer's certificate first."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def der(self) -> bytes:
        """The signer's certificate, DER-encoded."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the signer's certificate (DER) as ``openssl x509 -fingerprint -sha256``
        prints it: upper-case hex pairs joined by colons."""
        digest = hashlib.sha256(self.der()).hexdigest().upper()
        return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))

    @property
    def subject(self) -> str:
        """The signer's name as written: ``CN=…, O=…, OU=…``."""
        return ", ".join(
            f"{attribute.rfc4514_attribute_name}={attribute.value!s}"
            for attribute in self.certificate.subject
        )

    def valid_at(self, moment: datetime) -> bool:
        cert = self.certificate
        return bool(cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc)

    def check_valid_at(self, moment: datetime) -> None:
        """Raise :class:`DocumentSigningKeyUnavailableError` unless the certificate is valid at
        ``moment`` (a PDF signed outside its validity would fail every validator)."""
        cert = self.certificate
        if not self.valid_at(moment):
            raise DocumentSigningKeyUnavailableError(
                f"the document-signing certificate ({self.subject}) is valid from "
                f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}, "
                f"not at {moment:%Y-%m-%d %H:%M} UTC: renew it (DAREG_DOCUMENT_SIGNING_CERTIFICATE)"
            )


def _same_public_key(key: SigningPrivateKey, cert: x509.Certificate) -> bool:
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(key.public_key().public_bytes(*spki) == cert.public_key().public_bytes(*spki))


def load_document_key(
    key_pem: bytes, certificates_pem: bytes, password: bytes | None, *, name: str
) -> DocumentSigningKey:
    """The key and certificate chain in PEM form; :class:`ValueError` with one sentence (never
    the key or the password) when they cannot be used. ``name`` names them in messages."""
    try:
        key = serialization.load_pem_private_key(key_pem, password)
    except TypeError:
        raise ValueError(
            f"{name}: the key is encrypted and no password was given"
            if password is None
            else f"{name}: a password was given but the key is not encrypted"
        ) from None
    except ValueError:
        raise ValueError(
            f"{name}: not a PEM private key, or the password does not open it"
        ) from None
    except Exception:  # an unsupported algorithm (cryptography's own errors)
        raise ValueError(f"{name}: the private key is of an unsupported kind") from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ValueError(f"{name}: an RSA key needs 2048 bits or more ({key.key_size})")
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in _CURVES:
            raise ValueError(f"{name}: ECDSA keys on P-256, P-384 or P-521 only")
    else:
        raise ValueError(f"{name}: the key must be an ECDSA or RSA key")
    try:
        chain = tuple(x509.load_pem_x509_certificates(certificates_pem))
    except ValueError:
        raise ValueError(f"{name}: the certificate file holds no PEM certificate") from None
    if not _same_public_key(key, chain[0]):
        raise ValueError(f"{name}: the first certificate is not the key's (its public key differs)")
    return DocumentSigningKey(key=key, chain=chain)


def configured_document_key(settings: Settings) -> DocumentSigningKey | None:
    """The document-signing key ``settings`` configures, ``None`` where it configures none.

    ``DAREG_DOCUMENT_SIGNING_KEY`` and ``DAREG_DOCUMENT_SIGNING_CERTIFICATE`` go together; the
    key's password, if it is encrypted, in exactly one of ``…_KEY_PASSWORD`` and
    ``…_KEY_PASSWORD_FILE``. Anything else, an unreadable file, a wrong password, a certificate
    that is not the key's or has expired: a :class:`ConfigurationError` naming the variable and
    the file, never the key or the password."""
    env = "DAREG_DOCUMENT_SIGNING"
    key_path, cert_path = settings.document_signing_key, settings.document_signing_certificate
    password_value = settings.document_signing_key_password
    password_file = settings.document_signing_key_password_file
    if key_path is None:
        if cert_path is not None:
            raise ConfigurationError(
                f"{env}_CERTIFICATE is set but {env}_KEY is not: name the certificate's key"
            )
        if password_value is not None or password_file is not None:
            raise ConfigurationError(
                f"a document-signing key password is set but {env}_KEY is not: name the key file"
            )
        return None
    if cert_path is None:
        raise ConfigurationError(
            f"{env}_KEY {key_path} needs its certificate: set {env}_CERTIFICATE"
        )
    if password_value is not None and password_file is not None:
        raise ConfigurationError(
            f"{env}_KEY {key_path}: give its password in one of {env}_KEY_PASSWORD and "
            f"{env}_KEY_PASSWORD_FILE, not both"
        )
    try:
        password: SecretStr | None = password_value
        if password_file is not None:
            warn_if_exposed(password_file, f"{env}_KEY_PASSWORD_FILE")
            password = SecretStr(read_secret_file(password_file, "password file"))
        warn_if_exposed(key_path, f"{env}_KEY")
        key_pem = _read(key_path, f"{env}_KEY")
        cert_pem = _read(cert_path, f"{env}_CERTIFICATE")
        loaded = load_document_key(
            key_pem,
            cert_pem,
            None if password is None else password.get_secret_value().encode(),
            name=f"{env}_KEY {key_path} / {env}_CERTIFICATE {cert_path}",
        )
        loaded.check_valid_at(datetime.now(tz=UTC))
    except (InputError, ValueError, DocumentSigningKeyUnavailableError) as exc:
        raise ConfigurationError(str(exc)) from None
    return loaded


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{variable} {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot read {variable} {path}: {exc.strerror}") from None


# --- development keys ------------------------------------------------------------------------


def development_certificate(
    key: SigningPrivateKey,
    *,
    registrar_code: int,
    registrar_name: str | None,
    signer_did: str,
    now: datetime,
) -> x509.Certificate:
    """A self-signed certificate of ``key`` for registrar ``registrar_code``: CN its name, O
    dareg, OU its code; subjectAltName the ``did:pkh`` of the account that signs its
    credentials; key usage digitalSignature and nonRepudiation; valid for ten years."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, registrar_name or f"登记机构 {registrar_code}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dareg"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"registrar {registrar_code}"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(secrets.randbits(127) | 1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + DEVELOPMENT_VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(signer_did)]),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def signer_dids(cert: x509.Certificate) -> list[str]:
    """The URIs of ``cert``'s subjectAltName (a development certificate: the did:pkh of the
    registrar's credential account)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(uri) for uri in san.get_values_for_type(x509.UniformResourceIdentifier)]


class DocumentKeys:
    """The document-signing keys this service holds: the configured one, or on a development
    chain one self-signed key per registrar under ``development_dir``, made once and reused.

    Which registrar a key may sign for is not decided here: the service signs a registrar's
    documents only while its credential account is one of that registrar's accounts on chain
    (:meth:`registry.certificates.service.CertificateService.registrar_signer`)."""

    def __init__(
        self,
        configured: DocumentSigningKey | None = None,
        development_dir: Path | None = None,
    ) -> None:
        self.configured = configured
        self.development_dir = development_dir
        self._lock = threading.Lock()
        self._made: dict[int, DocumentSigningKey] = {}

    def __repr__(self) -> str:
        return f"DocumentKeys(configured={self.configured is not None}, dir={self.development_dir})"

    @property
    def available(self) -> bool:
        return self.configured is not None or self.development_dir is not None

    def for_registrar(
        self, code: int, *, name: str | None, signer_did: str, now: datetime
    ) -> DocumentSigningKey:
        """The key that signs registrar ``code``'s documents; on a development chain made (and
        written) the first time, or given a new certificate when its own does not name
        ``signer_did`` or is not valid at ``now``. :class:`DocumentSigningKeyUnavailableError`
        when there is none. A configured certificate is returned even once expired (it is still
        published, for older PDFs); the signer checks :meth:`DocumentSigningKey.check_valid_at`.
        """
        if self.configured is not None:
            return self.configured
        if self.development_dir is None:
            raise DocumentSigningKeyUnavailableError(
                f"this service holds no document-signing key for registrar {code} "
                "(DAREG_DOCUMENT_SIGNING_KEY and DAREG_DOCUMENT_SIGNING_CERTIFICATE), so it "
                "cannot sign the certificate's PDF",
                registrar_code=code,
            )
        with self._lock:
            made = self._made.get(code)
            if (
                made is None
                or signer_did not in signer_dids(made.certificate)
                or not made.valid_at(now)
            ):
                made = self._development_key(code, name, signer_did, now)
                self._made[code] = made
        return made

    def _development_key(
        self, code: int, name: str | None, signer_did: str, now: datetime
    ) -> DocumentSigningKey:
        assert self.development_dir is not None
        key_path = self.development_dir / f"registrar-{code}.key.pem"
        cert_path = self.development_dir / f"registrar-{code}.cert.pem"
        if not key_path.exists():
            fresh = ec.generate_private_key(ec.SECP256R1())
            pem = fresh.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            if write_atomically(key_path, pem, mode=0o600, exclusive=True):
                log.info("made a development document-signing key for registrar %d", code)
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), None)
        if not isinstance(loaded, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ConfigurationError(f"{key_path} is not an ECDSA or RSA key")
        if cert_path.exists():
            chain = tuple(x509.load_pem_x509_certificates(cert_path.read_bytes()))
            current = chain[0]
            if (
                _same_public_key(loaded, current)
                and signer_did in signer_dids(current)
                and current.not_valid_before_utc <= now <= current.not_valid_after_utc
            ):
                return DocumentSigningKey(key=loaded, chain=chain)
        cert = development_certificate(
            loaded, registrar_code=code, registrar_name=name, signer_did=signer_did, now=now
        )
        pem = cert.public_bytes(serialization.Encoding.PEM)
        if cert_path.exists():
            write_atomically(
                cert_path, pem, mode=0o644
            )  # another credential account, or an expired one
        elif not write_atomically(
            cert_path, pem, mode=0o644, exclusive=True
        ):  # another process made it meanwhile
            return self._development_key(code, name, signer_did, now)
        return DocumentSigningKey(key=loaded, chain=(cert,))


def document_keys(settings: Settings, development: bool) -> DocumentKeys:
    """The document-signing keys of the service ``settings`` configure; on a ``development``
    chain without a configured key, self-signed ones under ``var/document-signing/``."""
    configured = configured_document_key(settings)
    if configured is not None or not development:
        return DocumentKeys(configured=configured)
    return DocumentKeys(development_dir=settings.document_signing_dir)
