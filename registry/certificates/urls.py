"""The public URLs of a certificate's documents, all built on the registry's public base URL
(``DAREG_PUBLIC_URL``; the API's own URL when unset), so a QR code, a link in a PDF or a
credential, and a wallet's ``tokenURI`` lead where outsiders can reach them."""

from __future__ import annotations

#: The JSON-LD contexts a credential names, by URL; the app serves each at the path given.
W3C_CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
DAREG_CREDENTIALS_V1 = "https://w3id.org/dareg/credentials/v1"
CONTEXT_PATHS: dict[str, str] = {
    W3C_CREDENTIALS_V2: "/contexts/credentials/v2",
    DAREG_CREDENTIALS_V1: "/contexts/dareg/v1",
}
#: Where the app serves the index of :data:`CONTEXT_PATHS` (context URL -> path), as JSON.
CONTEXTS_INDEX_PATH = "/contexts"


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def verification_url(base_url: str, number: str) -> str:
    """The public verification page of certificate ``number`` (its QR code's target)."""
    return f"{_base(base_url)}/verify/{number}"


def token_metadata_url(base_url: str, number: str) -> str:
    """The ``tokenURI`` target: the ERC-721 metadata JSON wallets render."""
    return f"{_base(base_url)}/api/v1/metadata/{number}"


def registered_metadata_url(base_url: str, number: str) -> str:
    """The registered metadata document, exactly the bytes whose SHA-256 is on chain."""
    return f"{_base(base_url)}/api/v1/metadata/{number}/registered"


def certificate_url(base_url: str, number: str) -> str:
    """The certificate as JSON."""
    return f"{_base(base_url)}/api/v1/certificates/{number}"


def card_url(base_url: str, number: str) -> str:
    """The certificate card (SVG) wallets show as the token's image."""
    return f"{certificate_url(base_url, number)}/card.svg"


def credential_url(base_url: str, number: str) -> str:
    """The certificate as a signed Verifiable Credential."""
    return f"{certificate_url(base_url, number)}/credential"


def pdf_url(base_url: str, number: str) -> str:
    """The certificate as a signed PDF."""
    return f"{certificate_url(base_url, number)}/pdf"


def status_list_url(base_url: str, registrar_code: int, list_name: str, page: int) -> str:
    """A status list credential of registrar ``registrar_code``."""
    return f"{_base(base_url)}/api/v1/status-lists/{registrar_code}/{list_name}/{page}"


def context_served_url(base_url: str, context: str) -> str:
    """Where this app serves the JSON-LD context named ``context``."""
    return f"{_base(base_url)}{CONTEXT_PATHS[context]}"


def verify_guide_url(base_url: str) -> str:
    """How a bank or a court checks each document with tools of its own."""
    return f"{_base(base_url)}/docs/verify-offline"


def document_signing_certificate_url(base_url: str, registrar_code: int) -> str:
    """The registrar's published X.509 certificate that signs its PDFs."""
    return f"{_base(base_url)}/api/v1/registrars/{registrar_code}/document-signing-certificate"
