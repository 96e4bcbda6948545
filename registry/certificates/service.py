"""The certificate service: the certificate document, its credential, its PDF and the data of
its public verification page.

Every answer is made from one block: the head is read once and every chain read that goes into
the answer (the registration, its versions, the evidence anchor, ``tokenURI``, the signer's
registrar code, the encumbrances of the verification page) is pinned to it, so a certificate
never mixes two states of the chain. The stored metadata document comes from the
:class:`~registry.documents.DocumentStore` through the registration service and is checked
against the on-chain hash. Every answer is public: the holder is its public view
(:func:`~registry.domain.registration.public_holder`: a natural person's identifier masked and
committed, never in full; docs/privacy.md).
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.certificates.card import render_card
from registry.certificates.credential import sign_credential
from registry.certificates.document import (
    AnchorRef,
    CertificateDocument,
    ChainRef,
    NoticePeriod,
    RegistrarRef,
    VersionRef,
    current_holder,
)
from registry.certificates.pdf import fonts_in, render_certificate_pdf
from registry.certificates.urls import verification_url
from registry.certificates.wallet import WalletMetadata, wallet_metadata
from registry.chain.client import ChainClient
from registry.domain.evidence import parse_fingerprint
from registry.domain.numbers import parse_certificate_number
from registry.domain.registration import (
    AssetMetadata,
    Registration,
    Right,
    Status,
    public_metadata,
    sha256_hex,
)
from registry.errors import (
    CertificateNotFoundError,
    ContractRevertError,
    NotFoundError,
    RegistrarKeyUnavailableError,
    VerificationFailedError,
)
from registry.evidence.service import EvidenceService
from registry.registration.service import CONTRACT, RegistrationService
from registry.verification.service import Verification, VerificationService


@dataclass(frozen=True)
class VerifyPage:
    """What the public verification page shows: the certificate and the financier's answer,
    both as of one block (``verification.as_of_block``)."""

    document: CertificateDocument
    verification: Verification


@dataclass(frozen=True, slots=True, eq=False)
class CertificateService:
    """Makes certificate documents, credentials, PDFs and verify pages from the chain."""

    client: ChainClient
    chain_id: int
    registrations: RegistrationService
    evidence: EvidenceService
    verification: VerificationService
    _: KW_ONLY
    public_base_url: str
    node_modules_dir: Path
    registrar_account: LocalAccount | None
    """The registrar staff key this service signs credentials with (``DAREG_CREDENTIAL_KEY``);
    never the operator, which holds no role."""

    # --- the document ---------------------------------------------------------------------

    def document(self, number: str, *, block: int | None = None) -> CertificateDocument:
        """The certificate with ``number`` as of ``block`` (default: the head, read once).

        Raises :class:`~registry.errors.MalformedNumberError` for a mistyped number (check
        digit) and :class:`~registry.errors.CertificateNotFoundError` for a number this registry
        never issued.
        """
        parse_certificate_number(number)  # a mistyped number never reaches the chain
        at = self.client.head() if block is None else block
        return self.document_of(self.registrations.by_certificate_number(number, at), at)

    def document_of(self, registration: Registration, block: int) -> CertificateDocument:
        """The certificate document of an issued registration read at ``block``."""
        number = registration.certificate_number
        if number is None or registration.issued_at is None or registration.valid_until is None:
            raise CertificateNotFoundError(
                f"registration {registration.id} has no certificate (status {registration.status})",
                id=registration.id,
            )
        service = self.registrations
        try:
            body = service.metadata_document(registration)
        except NotFoundError as exc:
            raise NotFoundError(
                f"certificate {number}: {exc.message}; the certificate document cannot be made",
                number=number,
                metadata_hash=registration.metadata_hash,
            ) from exc
        if sha256_hex(body) != registration.metadata_hash:
            raise VerificationFailedError(
                f"certificate {number}: the stored metadata does not hash to the on-chain "
                f"metadataHash {registration.metadata_hash}",
                number=number,
                metadata_hash=registration.metadata_hash,
            )
        metadata = public_metadata(AssetMetadata.model_validate_json(body))
        token_uri = self._token_uri(registration.id, block)
        return CertificateDocument(
            certificate_number=number,
            registration_number=registration.registration_number,
            token_id=registration.id,
            status=registration.status,
            valid=registration.status is Status.ISSUED,
            standing=self.verification.standing_of(registration, block),
            holder=current_holder(metadata, registration.holder),
            asset_name=metadata.name,
            asset_kind=registration.asset_kind,
            rights=sorted(registration.rights, key=list(Right).index),
            classification=registration.classification,
            metadata=metadata,
            fingerprint=registration.fingerprint,
            version=registration.version,
            versions=[
                VersionRef(
                    version=v.version, fingerprint=v.fingerprint, metadata_hash=v.metadata_hash
                )
                for v in service.versions(registration.id, block)
            ],
            evidence=self._anchor(registration.fingerprint, block),
            registrar=RegistrarRef(
                code=registration.registrar_code,
                name=service.registrars.name(registration.registrar_code),
            ),
            issued_at=registration.issued_at,
            notice_period=NoticePeriod(
                start=registration.notice_start, end=registration.notice_end
            ),
            valid_until=registration.valid_until,
            source_agreement_end=registration.source_agreement_end,
            chain=ChainRef(
                chain_id=self.chain_id,
                contract=service.contract_address,
                token_id=registration.id,
                token_uri=token_uri,
            ),
            verification_url=verification_url(self.public_base_url, number),
            metadata_hash=registration.metadata_hash,
        )

    def _token_uri(self, token_id: int, block: int) -> str | None:
        """``tokenURI`` at ``block``; ``None`` once the certificate has ended (a cancelled,
        revoked or closed expired certificate is burned, so the contract answers
        ``ERC721NonexistentToken``)."""
        address = self.registrations.contract_address
        try:
            return str(self.client.call(CONTRACT, address, "tokenURI", [token_id], block))
        except ContractRevertError as exc:
            if exc.error_name == "ERC721NonexistentToken":
                return None
            raise

    def _anchor(self, fingerprint: str, block: int) -> AnchorRef | None:
        record = self.evidence.lookup(parse_fingerprint(fingerprint), block)
        if record is None:
            return None
        return AnchorRef(
            chain_id=self.chain_id,
            contract=self.evidence.contract_address,
            fingerprint=record.fingerprint_hex,
            anchorer=record.anchorer,
            tx_hash=record.tx_hash,
            block_number=record.block_number,
            anchored_at=record.anchored_at,
        )

    # --- the credential -------------------------------------------------------------------

    def registrar_signer(self, registrar_code: int, block: int | str = "latest") -> LocalAccount:
        """The key this service signs with for ``registrar_code``: its registrar staff key
        (``DAREG_CREDENTIAL_KEY``), if that is an account of the registrar on chain (as of
        ``block``)."""
        account = self.registrar_account
        if (
            account is None
            or self.registrations.registrar_code_of(account.address, block) != registrar_code
        ):
            held = (
                "no registrar key (DAREG_CREDENTIAL_KEYSTORE or DAREG_CREDENTIAL_KEY)"
                if account is None
                else f"its credential account {account.address} is not one of its registrar "
                "accounts"
            )
            raise RegistrarKeyUnavailableError(
                f"this service holds no key of registrar {registrar_code} ({held}), so it "
                "cannot sign the certificate's credential",
                registrar_code=registrar_code,
            )
        return account

    def credential(self, number: str, *, created: datetime | None = None) -> dict[str, Any]:
        """The signed credential of certificate ``number``, every fact read at the head.

        ``created`` defaults to the registry's clock: the later of this machine's clock and the
        head's timestamp (certificate dates come from the chain, whose clock may run ahead on a
        development node).
        """
        parse_certificate_number(number)  # a mistyped number never reaches the chain
        head = self.client.block("latest")
        doc = self.document(number, block=head.number)
        signer = self.registrar_signer(doc.registrar.code, head.number)
        if created is None:
            created = max(datetime.now(tz=UTC), datetime.fromtimestamp(head.timestamp, tz=UTC))
        return sign_credential(doc, signer, created, base_url=self.public_base_url)

    # --- the wallet metadata and the card -------------------------------------------------

    def wallet_metadata(self, number: str) -> WalletMetadata:
        """The ERC-721 metadata served at ``tokenURI``, read at the head; an ended certificate
        (its token burned) still answers, with its ended standing."""
        return wallet_metadata(self.document(number), self.public_base_url)

    def card(self, number: str) -> str:
        """The certificate's SVG card (the wallet metadata's ``image``), read at the head."""
        return render_card(self.document(number))

    # --- the PDF and the verify page ------------------------------------------------------

    def pdf(self, doc: CertificateDocument) -> bytes:
        """``doc`` as a PDF (fonts looked up now: a missing font fails this call only)."""
        return render_certificate_pdf(doc, fonts_in(self.node_modules_dir))

    def verify_page(self, number: str) -> VerifyPage:
        """The certificate and the financier's answer for ``/verify/{number}``, both read at the
        same block."""
        parse_certificate_number(number)  # a mistyped number never reaches the chain
        at = self.client.head()
        doc = self.document(number, block=at)
        answer = self.verification.verify(doc.certificate_number, block=at)
        return VerifyPage(document=doc, verification=answer)
