"""Verifiable Credentials signed with EthereumEip712Signature2021, for any JSON credential.

The construction is the one generic EIP-712 credential verifiers implement (Veramo's
``@veramo/credential-eip712``, MetaMask's ``eth-sig-util`` ``recoverTypedSignature`` V4):

* the signed **message** is the credential itself, without ``proof``, plus ``proof`` holding the
  proof options only (every member of ``proof`` but ``proofValue`` and ``eip712``);
* the **types** are derived from that message by the fixed rule of :func:`eip712_types` and
  published in ``proof.eip712.types`` with the ``domain`` and the ``primaryType``;
* ``proof.proofValue`` is the 65-byte signature ``0x<r><s><v>``, ``v`` 27 or 28, ``s`` in the
  lower half of the curve order (one encoding per signature).

A bare EIP-712 library hashes only the message keys its ``types`` declare and ignores the others,
and it does not refuse the high-s twin of a signature. :func:`check_vc` therefore re-derives the
types from the document and requires them to equal the published ones (so every member of the
credential is signed) and requires a canonical signature. docs/credential.md states the rule for
verifiers who use other tools.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_address, to_checksum_address

from registry.certificates.labels import iso_utc

#: The media type of a Verifiable Credential 2.0 secured by an embedded proof.
VC_MEDIA_TYPE = "application/vc"
PROOF_TYPE = "EthereumEip712Signature2021"
PROOF_PURPOSE = "assertionMethod"
#: The fragment of the issuer's did:pkh naming its account (the did:pkh DID document's method).
ACCOUNT_FRAGMENT = "#blockchainAccountId"
#: Members of ``proof`` that are not signed: the signature and the typed-data definition.
UNSIGNED_PROOF_MEMBERS = ("proofValue", "eip712")

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
#: Objects nested deeper than this are refused (the credentials signed here nest four levels).
MAX_DEPTH = 16
#: JSON numbers beyond this lose precision in JavaScript verifiers (IEEE 754 doubles).
MAX_SAFE_INTEGER = 2**53 - 1

#: EIP-712's domain members in the order the standard lists them, with their types.
DOMAIN_MEMBERS: dict[str, str] = {
    "name": "string",
    "version": "string",
    "chainId": "uint256",
    "verifyingContract": "address",
    "salt": "bytes32",
}

Types = dict[str, list[dict[str, str]]]


def registry_domain(
    name: str, version: str, chain_id: int, registry_contract: str
) -> dict[str, Any]:
    """An EIP-712 domain ``name`` / ``version`` bound to the chain and the registry contract:
    a signature made for one registry never verifies for another, nor on another chain."""
    return {
        "name": name,
        "version": version,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(registry_contract),
    }


_DID_PKH = re.compile(r"^did:pkh:eip155:(?P<chain>[1-9][0-9]*):(?P<address>0x[0-9a-fA-F]{40})$")
_SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
_FORBIDDEN_IN_NAMES = re.compile(r"[\s,()\[\]]")


class CredentialFormatError(ValueError):
    """The credential, or its proof, is not what this construction signs and checks."""


class SignerMismatchError(CredentialFormatError):
    """The signature is valid but recovers an account other than the issuer's."""

    def __init__(self, signer: str, issuer: str) -> None:
        super().__init__(f"signed by {signer}, not by the issuer {issuer}")
        self.signer = signer
        self.issuer = issuer


# --- did:pkh ------------------------------------------------------------------------------------


def did_pkh(chain_id: int, address: str) -> str:
    """``did:pkh:eip155:<chain id>:<EIP-55 address>`` (a CAIP-10 account id as a DID)."""
    return f"did:pkh:eip155:{chain_id}:{to_checksum_address(address)}"


def parse_did_pkh(did: Any) -> tuple[int, str]:
    """Chain id and checksummed address of an eip155 ``did:pkh``."""
    match = _DID_PKH.match(did) if isinstance(did, str) else None
    if match is None or not is_address(match["address"]):
        raise CredentialFormatError(f"{did!r} is not a did:pkh:eip155 account")
    return int(match["chain"]), to_checksum_address(match["address"])


def issuer_id(credential: dict[str, Any]) -> str:
    """The issuer's id: ``issuer`` itself when a string, else ``issuer.id`` (VC 2.0)."""
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    if not isinstance(issuer, str):
        raise CredentialFormatError("the credential names no issuer id")
    return issuer


# --- the types ------------------------------------------------------------------------------


def signing_message(credential: dict[str, Any]) -> dict[str, Any]:
    """What is signed: ``credential`` with ``proof`` reduced to its options (no ``proofValue``,
    no ``eip712``), exactly the message Veramo's verifier rebuilds."""
    message = {key: value for key, value in credential.items() if key != "proof"}
    if "proof" in credential:
        proof = credential["proof"]
        if not isinstance(proof, dict):
            raise CredentialFormatError("proof is not an object")
        message["proof"] = {k: v for k, v in proof.items() if k not in UNSIGNED_PROOF_MEMBERS}
    return message


def type_name(key: str) -> str:
    """The struct type name a key gives: PascalCase of its alphanumeric runs
    (``credentialSubject`` → ``CredentialSubject``, ``@context`` → ``Context``)."""
    parts = [part for part in re.split(r"[^0-9A-Za-z]+", key) if part]
    name = "".join(part[:1].upper() + part[1:] for part in parts)
    if not name or name[0].isdigit():
        name = "T" + name
    return name


def domain_types(domain: dict[str, Any]) -> list[dict[str, str]]:
    """The ``EIP712Domain`` type of ``domain``: its members, in EIP-712's order."""
    unknown = sorted(set(domain) - set(DOMAIN_MEMBERS))
    if unknown:
        raise CredentialFormatError(f"the EIP-712 domain has unknown members {unknown}")
    return [{"name": name, "type": kind} for name, kind in DOMAIN_MEMBERS.items() if name in domain]


class _TypeDeriver:
    """One derivation: struct types named from their keys, a suffix 2, 3, … for a different
    shape under a name already taken (in the order the depth-first walk meets them)."""

    def __init__(self, primary_type: str) -> None:
        self.primary_type = primary_type
        self.types: Types = {}
        self.depth = 0

    def struct(self, value: dict[str, Any], where: str) -> list[dict[str, str]]:
        if self.depth >= MAX_DEPTH:
            raise CredentialFormatError(f"{where} is nested deeper than {MAX_DEPTH} objects")
        if not value:
            raise CredentialFormatError(f"{where} is an empty object (EIP-712 has no empty struct)")
        self.depth += 1
        try:
            fields = []
            for key in sorted(value):
                if not isinstance(key, str) or not key or _FORBIDDEN_IN_NAMES.search(key):
                    raise CredentialFormatError(f"{where} has a key {key!r} EIP-712 cannot name")
                member = self.member(key, value[key], f"{where}.{key}")
                fields.append({"name": key, "type": member})
            return fields
        finally:
            self.depth -= 1

    def register(self, key: str, fields: list[dict[str, str]]) -> str:
        base = type_name(key)
        candidate, suffix = base, 1
        reserved = (self.primary_type, "EIP712Domain")
        while candidate in reserved or (
            candidate in self.types and self.types[candidate] != fields
        ):
            suffix += 1
            candidate = f"{base}{suffix}"
        self.types[candidate] = fields
        return candidate

    def member(self, key: str, value: Any, where: str) -> str:
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            if abs(value) > MAX_SAFE_INTEGER:
                raise CredentialFormatError(
                    f"{where} = {value} is beyond 2^53 - 1 (JavaScript verifiers lose it)"
                )
            return "uint256" if value >= 0 else "int256"
        if isinstance(value, str):
            return "string"
        if isinstance(value, dict):
            return self.register(key, self.struct(value, where))
        if isinstance(value, list):
            return self.array(key, value, where)
        kind = "null" if value is None else type(value).__name__
        raise CredentialFormatError(f"{where} is a {kind}, which this construction does not sign")

    def array(self, key: str, items: list[Any], where: str) -> str:
        if not items or all(isinstance(item, str) for item in items):
            return "string[]"
        if all(isinstance(item, dict) for item in items):
            keys = set(items[0])
            shapes = []
            for index, item in enumerate(items):
                if set(item) != keys:
                    raise CredentialFormatError(
                        f"{where}[{index}] has other keys than {where}[0] "
                        "(the objects of a list must share one shape)"
                    )
                shapes.append(self.struct(item, f"{where}[{index}]"))
            if any(shape != shapes[0] for shape in shapes):
                raise CredentialFormatError(f"the objects of {where} differ in their types")
            return self.register(key, shapes[0]) + "[]"
        raise CredentialFormatError(
            f"{where} is a list of other than strings or objects (mixed, nested or numbers)"
        )


def eip712_types(
    document: dict[str, Any], primary_type: str, domain: dict[str, Any] | None = None
) -> Types:
    """The EIP-712 types of ``document`` (its ``proof.proofValue`` and ``proof.eip712`` left out).

    The rule: the document is the struct ``primary_type``; every object member becomes a struct
    type named after its key in PascalCase (a different shape under a name already taken gets
    the suffix 2, 3, … in depth-first order, keys sorted); a struct's fields are its keys in
    sorted order (Unicode code points); a string is ``string`` (addresses and hashes too, so
    every character is signed), a boolean ``bool``, a non-negative integer ``uint256``, a
    negative one ``int256`` (both within ±(2^53 - 1)), a list of strings or an empty list
    ``string[]``, a list of objects sharing one shape ``T[]``. Floats, nulls, empty objects,
    nested lists, lists of numbers, mixed lists and objects nested deeper than
    :data:`MAX_DEPTH` are refused. With ``domain``, the types
    include its ``EIP712Domain``.
    """
    if not isinstance(document, dict):
        raise CredentialFormatError("the credential is not a JSON object")
    if type_name(primary_type) != primary_type:
        raise CredentialFormatError(f"{primary_type!r} is not a type name")
    deriver = _TypeDeriver(primary_type)
    fields = deriver.struct(signing_message(document), "credential")
    types: Types = {}
    if domain is not None:
        types["EIP712Domain"] = domain_types(domain)
    types[primary_type] = fields
    types.update(sorted(deriver.types.items()))
    return types


# --- signing ---------------------------------------------------------------------------------


def low_s(signature: bytes) -> bytes:
    """The canonical encoding of a 65-byte signature: ``s`` in the lower half, ``v`` 27 or 28."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    if v < 27:
        v += 27
    if s > SECP256K1_N // 2:
        s, v = SECP256K1_N - s, 55 - v  # the twin: same r, n - s, the other parity
    return r + s.to_bytes(32, "big") + bytes([v])


def high_s_twin(signature: bytes) -> bytes:
    """The other valid encoding of the same signature (``n - s``, ``v`` flipped): what a
    verifier must refuse to keep one encoding per signature (tests, docs)."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def sign_vc(
    unsigned: dict[str, Any],
    signer: LocalAccount,
    *,
    created: datetime,
    domain: dict[str, Any],
    primary_type: str,
    verification_method: str,
) -> dict[str, Any]:
    """``unsigned`` with an EthereumEip712Signature2021 ``proof`` by ``signer``."""
    if "proof" in unsigned:
        raise CredentialFormatError("the credential already has a proof")
    credential = copy.deepcopy(unsigned)
    credential["proof"] = {
        "type": PROOF_TYPE,
        "created": iso_utc(created),
        "proofPurpose": PROOF_PURPOSE,
        "verificationMethod": verification_method,
    }
    types = eip712_types(credential, primary_type, domain=domain)
    typed = {
        "types": types,
        "domain": domain,
        "primaryType": primary_type,
        "message": signing_message(credential),
    }
    signature = bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)
    credential["proof"]["proofValue"] = "0x" + low_s(signature).hex()
    credential["proof"]["eip712"] = {
        "domain": domain,
        "types": types,
        "primaryType": primary_type,
    }
    return credential


# --- checking --------------------------------------------------------------------------------


def _member(container: dict[str, Any], key: str, where: str, kind: type) -> Any:
    value = container.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise CredentialFormatError(f"{where}{key} is missing or not a {kind.__name__}")
    return value


def canonical_signature(proof_value: Any) -> bytes:
    """The 65 bytes of ``proofValue``, refused unless canonical (``v`` 27/28, low ``s``)."""
    if not isinstance(proof_value, str) or not _SIGNATURE.match(proof_value):
        raise CredentialFormatError("proof.proofValue is not a 65-byte 0x signature")
    raw = bytes.fromhex(proof_value[2:])
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    if raw[64] not in (27, 28):
        raise CredentialFormatError("proof.proofValue is not canonical: v is not 27 or 28")
    if not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        raise CredentialFormatError("proof.proofValue is not canonical: s is not in the lower half")
    return raw


def check_vc(vc: dict[str, Any]) -> str:
    """Check ``vc`` offline and return the issuer's account that signed it.

    Refused (:class:`CredentialFormatError`): a proof other than EthereumEip712Signature2021
    for assertionMethod by the issuer's account (``<issuer did:pkh>#blockchainAccountId``);
    ``proof.eip712.types`` other than the types derived from the document (a member outside the
    types would not be signed); a domain on another chain than the issuer's; a non-canonical
    signature; typed data that cannot be encoded; a signature by anyone but the issuer
    (:class:`SignerMismatchError`). Who the issuer is on chain is the caller's question.
    """
    if not isinstance(vc, dict):
        raise CredentialFormatError("the credential is not a JSON object")
    proof = _member(vc, "proof", "", dict)
    if proof.get("type") != PROOF_TYPE:
        raise CredentialFormatError(f"proof.type must be {PROOF_TYPE}")
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        raise CredentialFormatError(f"proof.proofPurpose must be {PROOF_PURPOSE}")
    _member(proof, "created", "proof.", str)
    if "eip712Domain" in proof:
        raise CredentialFormatError("proof.eip712Domain is not signed; the domain is in eip712")
    issuer = issuer_id(vc)
    chain_id, issuer_address = parse_did_pkh(issuer)
    if proof.get("verificationMethod") != issuer + ACCOUNT_FRAGMENT:
        raise CredentialFormatError("proof.verificationMethod is not the issuer's account")
    definition = _member(proof, "eip712", "proof.", dict)
    if set(definition) != {"domain", "types", "primaryType"}:
        raise CredentialFormatError("proof.eip712 must hold exactly domain, types, primaryType")
    domain = _member(definition, "domain", "proof.eip712.", dict)
    primary_type = _member(definition, "primaryType", "proof.eip712.", str)
    if domain.get("chainId") != chain_id:
        raise CredentialFormatError("the signature's domain is not on the issuer's chain")
    if definition["types"] != eip712_types(vc, primary_type, domain=domain):
        raise CredentialFormatError(
            "proof.eip712.types are not the types derived from the credential"
        )
    signature = canonical_signature(proof.get("proofValue"))
    typed = {
        "types": definition["types"],
        "domain": domain,
        "primaryType": primary_type,
        "message": signing_message(vc),
    }
    try:
        message = encode_typed_data(full_message=typed)
    except Exception as exc:  # eth_abi / eth_utils encoding errors share no public base
        raise CredentialFormatError(f"the typed data cannot be encoded: {exc}") from exc
    try:
        signer = str(Account.recover_message(message, signature=signature))
    except Exception as exc:  # eth_keys: BadSignature, ValidationError
        raise CredentialFormatError(f"proof.proofValue recovers no account: {exc}") from exc
    if signer != issuer_address:
        raise SignerMismatchError(signer, issuer_address)
    return signer
