"""The certificate as a W3C Verifiable Credential (Data Model 2.0), signed with EIP-712.

The registrar's account signs; anyone with an EIP-712 implementation verifies offline. The typed
data is derived from the credential by a fixed mapping (docs/credential.md):

* ``credential``: the RFC 8785 canonical JSON of the whole credential without ``proof``, so every
  field, nested or not, is signed, and adding or removing a field breaks the signature too;
* the key facts as typed EIP-712 fields (certificate number, token id, registrar code, issuer,
  holder, fingerprint, metadata hash, validity), so a wallet or a contract can read them;
* ``proof``: the proof options (type, created, purpose, verification method).

The EIP-712 domain binds the signature to the chain and the registry contract. This module is
the mapping, signing and offline checking; :meth:`registry.certificates.service.
CertificateService.credential` issues the credential of a certificate on this registry.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from registry.certificates.document import CertificateDocument
from registry.certificates.labels import iso_utc
from registry.chain.eip712 import DOMAIN_TYPES, sign_typed_data
from registry.domain.registration import canonical_json, public_holder
from registry.errors import DaregError
from registry.registration.service import RegistrationService

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
EIP712_PROOF_CONTEXT = "https://w3id.org/security/suites/eip712sig-2021/v1"
CREDENTIAL_TYPE = "DataAssetCertificate"
PROOF_TYPE = "EthereumEip712Signature2021"
PROOF_PURPOSE = "assertionMethod"
STATUS_TYPE = "DaregCertificateStatus"
EIP712_NAME = "dareg.DataAssetCertificate"
EIP712_VERSION = "1"
PRIMARY_TYPE = "DataAssetCertificateCredential"
CREDENTIAL_NAME = "数据资产登记证书 Data Asset Registration Certificate"

CREDENTIAL_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": DOMAIN_TYPES,
    PRIMARY_TYPE: [
        {"name": "certificateNumber", "type": "string"},
        {"name": "tokenId", "type": "uint256"},
        {"name": "registrarCode", "type": "uint16"},
        {"name": "issuer", "type": "address"},
        {"name": "holder", "type": "address"},
        {"name": "fingerprint", "type": "bytes32"},
        {"name": "metadataHash", "type": "bytes32"},
        {"name": "validFrom", "type": "string"},
        {"name": "validUntil", "type": "string"},
        {"name": "proof", "type": "ProofOptions"},
        {"name": "credential", "type": "string"},
    ],
    "ProofOptions": [
        {"name": "type", "type": "string"},
        {"name": "created", "type": "string"},
        {"name": "proofPurpose", "type": "string"},
        {"name": "verificationMethod", "type": "string"},
    ],
}

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_PROOF_OPTIONS = [f["name"] for f in CREDENTIAL_TYPES["ProofOptions"]]
_DID_PKH = re.compile(r"^did:pkh:eip155:(?P<chain>[1-9][0-9]*):(?P<address>0x[0-9a-fA-F]{40})$")


class CredentialFormatError(ValueError):
    """The credential does not have the shape this mapping needs."""


def did_pkh(chain_id: int, address: str) -> str:
    """``did:pkh:eip155:<chain id>:<EIP-55 address>`` (CAIP-10 account id as a DID)."""
    return f"did:pkh:eip155:{chain_id}:{to_checksum_address(address)}"


def parse_did_pkh(did: Any) -> tuple[int, str]:
    """Chain id and checksummed address of an eip155 ``did:pkh``."""
    match = _DID_PKH.match(did) if isinstance(did, str) else None
    if match is None or not is_address(match["address"]):
        raise CredentialFormatError(f"{did!r} is not a did:pkh:eip155 account")
    return int(match["chain"]), to_checksum_address(match["address"])


def _drop_none(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None}


# --- the unsigned credential ----------------------------------------------------------------


def unsigned_credential(doc: CertificateDocument, issuer_address: str) -> dict[str, Any]:
    """The credential without ``proof``: the certificate's facts, issued by ``issuer_address``."""
    chain_id = doc.chain.chain_id
    issuer_did = did_pkh(chain_id, issuer_address)
    holder = public_holder(doc.holder)  # a natural person's identifier masked (docs/privacy.md)
    subject: dict[str, Any] = {
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
        "status": doc.status.value,
        "assetName": doc.asset_name,
        "assetKind": doc.asset_kind.value,
        "rights": [r.value for r in doc.rights],
        "classification": doc.classification.value,
        "fingerprint": doc.fingerprint,
        "version": doc.version,
        "versions": [
            {"version": v.version, "fingerprint": v.fingerprint, "metadataHash": v.metadata_hash}
            for v in doc.versions
        ],
        "metadataHash": doc.metadata_hash,
        "noticePeriod": _drop_none(
            {
                "start": iso_utc(doc.notice_period.start) if doc.notice_period.start else None,
                "end": iso_utc(doc.notice_period.end) if doc.notice_period.end else None,
            }
        ),
        "registry": _drop_none(
            {"chainId": chain_id, "contract": doc.chain.contract, "tokenURI": doc.chain.token_uri}
        ),
        # verbatim: its RFC 8785 canonical SHA-256 is metadataHash
        "metadata": doc.metadata.document(),
    }
    if doc.source_agreement_end is not None:
        subject["sourceAgreementEnd"] = iso_utc(doc.source_agreement_end)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, EIP712_PROOF_CONTEXT],
        "id": f"urn:dareg:certificate:{chain_id}:{doc.chain.contract}:{doc.certificate_number}",
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "name": CREDENTIAL_NAME,
        "issuer": _drop_none(
            {"id": issuer_did, "name": doc.registrar.name, "registrarCode": doc.registrar.code}
        ),
        "validFrom": iso_utc(doc.issued_at),
        "validUntil": iso_utc(doc.valid_until),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": doc.verification_url,
            "type": STATUS_TYPE,
            "chainId": chain_id,
            "contract": doc.chain.contract,
            "tokenId": doc.token_id,
            "statusMethod": "statusOf(uint256)",
        },
    }
    if doc.evidence is not None:
        anchor = doc.evidence
        credential["evidence"] = [
            _drop_none(
                {
                    "type": ["DataFingerprintAnchor"],
                    "chainId": anchor.chain_id,
                    "contract": anchor.contract,
                    "fingerprint": anchor.fingerprint,
                    "anchorer": anchor.anchorer,
                    "transaction": anchor.tx_hash,
                    "blockNumber": anchor.block_number,
                    "anchoredAt": iso_utc(anchor.anchored_at),
                }
            )
        ]
    return credential


# --- the EIP-712 mapping --------------------------------------------------------------------


def _field(container: Any, key: str, where: str) -> Any:
    if not isinstance(container, dict) or key not in container:
        raise CredentialFormatError(f"the credential has no {where}{key}")
    return container[key]


def signing_message(credential: dict[str, Any]) -> dict[str, Any]:
    """The EIP-712 message of ``credential`` (with ``proof`` options, ``proofValue`` unused)."""
    subject = _field(credential, "credentialSubject", "")
    issuer = _field(credential, "issuer", "")
    proof = _field(credential, "proof", "")
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    return {
        "certificateNumber": _field(subject, "certificateNumber", "credentialSubject."),
        "tokenId": _field(subject, "tokenId", "credentialSubject."),
        "registrarCode": _field(issuer, "registrarCode", "issuer."),
        "issuer": parse_did_pkh(_field(issuer, "id", "issuer."))[1],
        "holder": parse_did_pkh(_field(subject, "id", "credentialSubject."))[1],
        "fingerprint": _field(subject, "fingerprint", "credentialSubject."),
        "metadataHash": _field(subject, "metadataHash", "credentialSubject."),
        "validFrom": _field(credential, "validFrom", ""),
        "validUntil": _field(credential, "validUntil", ""),
        "proof": {name: _field(proof, name, "proof.") for name in _PROOF_OPTIONS},
        "credential": canonical_json(unsigned).decode("utf-8"),
    }


def eip712_definition(chain_id: int, registry_contract: str) -> dict[str, Any]:
    return {
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(registry_contract),
        },
        "types": CREDENTIAL_TYPES,
        "primaryType": PRIMARY_TYPE,
    }


def typed_data(credential: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 typed data a signer signs for ``credential`` (its ``proof.eip712``)."""
    definition = _field(_field(credential, "proof", ""), "eip712", "proof.")
    return {
        "types": _field(definition, "types", "proof.eip712."),
        "primaryType": _field(definition, "primaryType", "proof.eip712."),
        "domain": _field(definition, "domain", "proof.eip712."),
        "message": signing_message(credential),
    }


# --- signing and verifying ------------------------------------------------------------------


def sign_credential(
    doc: CertificateDocument, signer: LocalAccount, created: datetime
) -> dict[str, Any]:
    """The credential for ``doc`` signed by ``signer`` (who must be a registrar account)."""
    credential = unsigned_credential(doc, signer.address)
    credential["proof"] = {
        "type": PROOF_TYPE,
        "created": iso_utc(created),
        "proofPurpose": PROOF_PURPOSE,
        "verificationMethod": credential["issuer"]["id"] + "#blockchainAccountId",
        "eip712": eip712_definition(doc.chain.chain_id, doc.chain.contract),
    }
    signature = sign_typed_data(typed_data(credential), signer)
    credential["proof"]["proofValue"] = "0x" + signature.hex()
    return credential


def _check_shape(credential: dict[str, Any]) -> None:
    proof = _field(credential, "proof", "")
    if _field(credential, "@context", "")[:1] != [VC_CONTEXT]:
        raise CredentialFormatError(f"@context must start with {VC_CONTEXT}")
    if _field(proof, "type", "proof.") != PROOF_TYPE:
        raise CredentialFormatError(f"proof.type must be {PROOF_TYPE}")
    if _field(proof, "proofPurpose", "proof.") != PROOF_PURPOSE:
        raise CredentialFormatError(f"proof.proofPurpose must be {PROOF_PURPOSE}")
    issuer_did = _field(_field(credential, "issuer", ""), "id", "issuer.")
    if _field(proof, "verificationMethod", "proof.") != f"{issuer_did}#blockchainAccountId":
        raise CredentialFormatError("proof.verificationMethod is not the issuer's account")
    definition = _field(proof, "eip712", "proof.")
    if _field(definition, "types", "proof.eip712.") != CREDENTIAL_TYPES:
        raise CredentialFormatError("proof.eip712.types are not the dareg credential types")
    if _field(definition, "primaryType", "proof.eip712.") != PRIMARY_TYPE:
        raise CredentialFormatError(f"proof.eip712.primaryType must be {PRIMARY_TYPE}")
    domain = _field(definition, "domain", "proof.eip712.")
    if (_field(domain, "name", "domain."), _field(domain, "version", "domain.")) != (
        EIP712_NAME,
        EIP712_VERSION,
    ):
        raise CredentialFormatError("proof.eip712.domain is not the dareg credential domain")
    if _field(domain, "chainId", "domain.") != parse_did_pkh(issuer_did)[0]:
        raise CredentialFormatError("the issuer's chain is not the signature domain's chain")


def recover_signer(credential: dict[str, Any]) -> str:
    """The address that signed ``credential`` (EIP-712), whoever it is."""
    signature = _field(_field(credential, "proof", ""), "proofValue", "proof.")
    if not isinstance(signature, str) or not re.fullmatch(r"0x[0-9a-fA-F]{130}", signature):
        raise CredentialFormatError("proof.proofValue is not a 65-byte 0x signature")
    raw = bytes.fromhex(signature[2:])
    # one encoding per signature (no malleability): v is 27 or 28, s in the lower half (EIP-2)
    if raw[64] not in (27, 28) or int.from_bytes(raw[32:64], "big") > _SECP256K1_N // 2:
        raise CredentialFormatError("proof.proofValue is not a canonical signature")
    full_message = typed_data(credential)
    try:
        message = encode_typed_data(full_message=full_message)
    except Exception as exc:  # eth_abi / eth_utils encoding errors share no public base
        raise CredentialFormatError(f"the typed data cannot be encoded: {exc}") from exc
    try:
        return str(Account.recover_message(message, signature=raw))
    except Exception as exc:  # eth_keys: BadSignature, ValidationError
        raise CredentialFormatError(f"proof.proofValue recovers no account: {exc}") from exc


def verify_credential(
    credential: dict[str, Any], registrations: RegistrationService | None = None
) -> tuple[bool, str]:
    """Check ``credential`` offline: its shape, then that the issuer's account signed it.

    With ``registrations`` (a chain connection) it also checks that the signer is, now, an
    account of the registrar code the credential names. Returns ``(ok, reason)``.
    """
    try:
        _check_shape(credential)
        signer = recover_signer(credential)
        issuer = parse_did_pkh(credential["issuer"]["id"])[1]
        code = credential["issuer"]["registrarCode"]
    except (CredentialFormatError, DaregError) as exc:
        return False, f"malformed credential: {exc}"
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        return False, f"the signature cannot be checked: {exc}"
    if signer != issuer:
        return False, f"signed by {signer}, not by the issuer {issuer}"
    if registrations is not None:
        on_chain = registrations.registrar_code_of(signer)
        if on_chain != code:
            return False, (
                f"{signer} signed, but on chain it is not an account of registrar {code} "
                f"(registrar code now {on_chain or 'none'})"
            )
        return True, f"signed by {signer}, an account of registrar {code} on chain"
    return True, f"signed by the issuer {signer}"
