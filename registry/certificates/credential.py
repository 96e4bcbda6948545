"""The certificate as a W3C Verifiable Credential (Data Model 2.0), signed with EIP-712.

The construction is EthereumEip712Signature2021 as generic verifiers implement it
(``@veramo/credential-eip712``, ``eth-sig-util``): the registrar's account signs the credential
itself (types derived from it, :mod:`registry.certificates.vc`), so those tools verify it
unmodified and a bank needs nothing written here. This module maps a
:class:`~registry.certificates.document.CertificateDocument` to the credential and checks one
offline (and, given the chain, that its signer is the registrar's account);
:meth:`registry.certificates.service.CertificateService.credential` issues the credential of a
certificate on this registry. docs/credential.md is the reference for verifiers.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from registry.certificates.document import CertificateDocument
from registry.certificates.labels import iso_utc
from registry.certificates.status_list import status_entries
from registry.certificates.urls import (
    DAREG_CREDENTIALS_V1,
    W3C_CREDENTIALS_V2,
    registered_metadata_url,
    verify_guide_url,
)
from registry.certificates.vc import (
    ACCOUNT_FRAGMENT,
    PROOF_PURPOSE,
    PROOF_TYPE,
    CredentialFormatError,
    SignerMismatchError,
    check_vc,
    did_pkh,
    parse_did_pkh,
    registry_domain,
    sign_vc,
)
from registry.domain.registration import public_holder
from registry.errors import DaregError
from registry.registration.service import METADATA_MEDIA_TYPE, RegistrationService

__all__ = [
    "CREDENTIAL_CONTEXTS",
    "CREDENTIAL_TYPE",
    "EIP712_NAME",
    "EIP712_VERSION",
    "PRIMARY_TYPE",
    "PROOF_PURPOSE",
    "PROOF_TYPE",
    "CredentialFormatError",
    "did_pkh",
    "eip712_domain",
    "parse_did_pkh",
    "sign_credential",
    "unsigned_credential",
    "verify_credential",
]

VC_CONTEXT = W3C_CREDENTIALS_V2
CREDENTIAL_CONTEXTS = [W3C_CREDENTIALS_V2, DAREG_CREDENTIALS_V1]
CREDENTIAL_TYPE = "DataAssetCertificate"
EIP712_NAME = "dareg.DataAssetCertificate"
EIP712_VERSION = "2"
PRIMARY_TYPE = "DataAssetCertificateCredential"
CREDENTIAL_NAME = "数据资产登记证书 Data Asset Registration Certificate"


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` without its nulls and empty objects (the credential never carries either)."""
    return {k: v for k, v in value.items() if v is not None and v != {}}


def digest_sri(sha256_hex: str) -> str:
    """Subresource Integrity of a SHA-256 given in hex: ``sha256-<base64 of the 32 bytes>``."""
    return "sha256-" + base64.b64encode(bytes.fromhex(sha256_hex.removeprefix("0x"))).decode()


def eip712_domain(chain_id: int, registry_contract: str) -> dict[str, Any]:
    """The signature's domain: bound to the chain and to the registry contract."""
    return registry_domain(EIP712_NAME, EIP712_VERSION, chain_id, registry_contract)


# --- the unsigned credential ----------------------------------------------------------------


def _subject(doc: CertificateDocument) -> dict[str, Any]:
    chain_id = doc.chain.chain_id
    holder = public_holder(doc.holder)  # a natural person's identifier masked (docs/privacy.md)
    standing = doc.standing
    return _drop_none(
        {
            "id": did_pkh(chain_id, holder.address),
            "holder": _drop_none(
                {
                    "name": holder.name,
                    "identifierType": holder.identifier_type,
                    "identifier": holder.identifier,
                    "identifierCommitment": holder.identifier_commitment,
                    "address": to_checksum_address(holder.address),
                }
            ),
            "certificateNumber": doc.certificate_number,
            "registrationNumber": doc.registration_number,
            "tokenId": doc.token_id,
            "standing": {
                "lifecycle": standing.lifecycle.value,
                "encumbrances": [e.value for e in standing.encumbrances],
                "asOfBlock": standing.as_of_block,
                "asOfTime": iso_utc(standing.as_of_time),
            },
            "assetName": doc.asset_name,
            "assetKind": doc.asset_kind.value,
            "rights": [r.value for r in doc.rights],
            "classification": doc.classification.value,
            "fingerprint": doc.fingerprint,
            "version": doc.version,
            "versions": [
                {
                    "version": v.version,
                    "fingerprint": v.fingerprint,
                    "metadataHash": v.metadata_hash,
                }
                for v in doc.versions
            ],
            "metadataHash": doc.metadata_hash,
            "noticePeriod": _drop_none(
                {
                    "start": iso_utc(doc.notice_period.start) if doc.notice_period.start else None,
                    "end": iso_utc(doc.notice_period.end) if doc.notice_period.end else None,
                }
            ),
            "sourceAgreementEnd": (
                iso_utc(doc.source_agreement_end) if doc.source_agreement_end else None
            ),
            "registry": _drop_none(
                {
                    "chainId": chain_id,
                    "contract": to_checksum_address(doc.chain.contract),
                    "tokenURI": doc.chain.token_uri,
                }
            ),
        }
    )


def unsigned_credential(
    doc: CertificateDocument, issuer_address: str, base_url: str
) -> dict[str, Any]:
    """The credential without ``proof``: the certificate's facts as of ``doc.standing``'s block,
    issued by ``issuer_address``, its links on the public ``base_url``."""
    chain_id = doc.chain.chain_id
    number = doc.certificate_number
    contract = to_checksum_address(doc.chain.contract)
    credential: dict[str, Any] = {
        "@context": list(CREDENTIAL_CONTEXTS),
        "id": f"urn:dareg:certificate:{chain_id}:{contract}:{number}",
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "name": CREDENTIAL_NAME,
        "issuer": _drop_none(
            {
                "id": did_pkh(chain_id, issuer_address),
                "name": doc.registrar.name,
                "registrarCode": doc.registrar.code,
            }
        ),
        "validFrom": iso_utc(doc.issued_at),
        "validUntil": iso_utc(doc.valid_until),
        "credentialSubject": _subject(doc),
        "credentialStatus": status_entries(base_url, doc.registrar.code, doc.token_id),
        # the registered metadata document: its bytes hash (SHA-256) to the on-chain metadataHash
        "relatedResource": [
            {
                "id": registered_metadata_url(base_url, number),
                "mediaType": METADATA_MEDIA_TYPE,
                "digestSRI": digest_sri(doc.metadata_hash),
            }
        ],
        "verificationGuide": verify_guide_url(base_url),
    }
    if doc.evidence is not None:
        anchor = doc.evidence
        credential["evidence"] = [
            _drop_none(
                {
                    "type": ["DataFingerprintAnchor"],
                    "chainId": anchor.chain_id,
                    "contract": to_checksum_address(anchor.contract),
                    "fingerprint": anchor.fingerprint,
                    "anchorer": to_checksum_address(anchor.anchorer),
                    "transaction": anchor.tx_hash,
                    "blockNumber": anchor.block_number,
                    "anchoredAt": iso_utc(anchor.anchored_at),
                }
            )
        ]
    return credential


def sign_credential(
    doc: CertificateDocument, signer: LocalAccount, created: datetime, *, base_url: str
) -> dict[str, Any]:
    """The credential for ``doc`` signed by ``signer`` (who must be a registrar account)."""
    unsigned = unsigned_credential(doc, signer.address, base_url)
    return sign_vc(
        unsigned,
        signer,
        created=created,
        domain=eip712_domain(doc.chain.chain_id, doc.chain.contract),
        primary_type=PRIMARY_TYPE,
        verification_method=unsigned["issuer"]["id"] + ACCOUNT_FRAGMENT,
    )


# --- verifying ------------------------------------------------------------------------------


def _check_certificate_shape(credential: dict[str, Any]) -> tuple[str, int]:
    """What :func:`check_vc` leaves to the credential's kind: the contexts, the type, the
    domain bound to the registry contract the credential names. The issuer and its code."""
    if not isinstance(credential, dict):
        raise CredentialFormatError("the credential is not a JSON object")
    if credential.get("@context") != CREDENTIAL_CONTEXTS:
        raise CredentialFormatError(f"@context must be {CREDENTIAL_CONTEXTS}")
    if credential.get("type") != ["VerifiableCredential", CREDENTIAL_TYPE]:
        raise CredentialFormatError(f"type must be [VerifiableCredential, {CREDENTIAL_TYPE}]")
    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    proof = credential.get("proof")
    if not isinstance(issuer, dict) or not isinstance(subject, dict) or not isinstance(proof, dict):
        raise CredentialFormatError("issuer, credentialSubject and proof must be objects")
    code = issuer.get("registrarCode")
    if not isinstance(code, int) or isinstance(code, bool):
        raise CredentialFormatError("issuer.registrarCode is missing or not an integer")
    registry = subject.get("registry")
    definition = proof.get("eip712")
    if not isinstance(registry, dict) or not isinstance(definition, dict):
        raise CredentialFormatError("credentialSubject.registry and proof.eip712 must be objects")
    chain_id, _ = parse_did_pkh(issuer.get("id"))
    contract = registry.get("contract")
    if not isinstance(contract, str) or definition.get("domain") != eip712_domain(
        chain_id, contract
    ):
        raise CredentialFormatError(
            "proof.eip712.domain is not the dareg credential domain of the registry it names"
        )
    if definition.get("primaryType") != PRIMARY_TYPE:
        raise CredentialFormatError(f"proof.eip712.primaryType must be {PRIMARY_TYPE}")
    return str(issuer["id"]), code


def verify_credential(
    credential: dict[str, Any], registrations: RegistrationService | None = None
) -> tuple[bool, str]:
    """Check ``credential`` offline: its shape, the derived types, a canonical signature by the
    issuer's account (:func:`~registry.certificates.vc.check_vc`).

    With ``registrations`` (a chain connection) it also checks that the signer is, now, an
    account of the registrar code the credential names. Returns ``(ok, reason)``.
    """
    try:
        _, code = _check_certificate_shape(credential)
        signer = check_vc(credential)
    except SignerMismatchError as exc:
        return False, str(exc)
    except (CredentialFormatError, DaregError) as exc:
        return False, f"malformed credential: {exc}"
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        return False, f"the signature cannot be checked: {exc}"
    return signed_by_registrar(signer, code, registrations)


def signed_by_registrar(
    signer: str, code: Any, registrations: RegistrationService | None
) -> tuple[bool, str]:
    """The verdict on a credential whose signature recovered ``signer``, the issuer's account:
    with ``registrations`` (a chain connection), whether ``signer`` is, now, an account of
    registrar ``code`` on chain; without, only that the issuer signed."""
    if registrations is None:
        return True, f"signed by the issuer {signer}"
    on_chain = registrations.registrar_code_of(signer)
    if on_chain != code:
        return False, (
            f"{signer} signed, but on chain it is not an account of registrar {code} "
            f"(registrar code now {on_chain or 'none'})"
        )
    return True, f"signed by {signer}, an account of registrar {code} on chain"
