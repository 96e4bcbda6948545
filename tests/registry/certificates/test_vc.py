"""The generic EthereumEip712Signature2021 signer and checker (registry/certificates/vc.py), on
credentials of its own: the type rule, the refusals, and the standard tools' verdicts."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_account import Account

from registry.certificates.vc import (
    SECP256K1_N,
    CredentialFormatError,
    SignerMismatchError,
    check_vc,
    did_pkh,
    eip712_types,
    high_s_twin,
    low_s,
    sign_vc,
)
from tests.registry.certificates.standard_tools import standard_tools

SIGNER = Account.from_key("0x" + "42" * 32)
OTHER = Account.from_key("0x" + "43" * 32)
ISSUER = did_pkh(31337, SIGNER.address)
DOMAIN = {"name": "dareg.Test", "version": "1", "chainId": 31337}
CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth):
        value = {"inner": value}
    return value


def unsigned(**subject: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "TestCredential"],
        "issuer": {"id": ISSUER, "name": "测试 Test"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "urn:test:1", **subject},
    }


def signed(document: dict[str, Any], signer: Any = SIGNER) -> dict[str, Any]:
    return sign_vc(
        document,
        signer,
        created=CREATED,
        domain=DOMAIN,
        primary_type="VerifiableCredential",
        verification_method=document["issuer"]["id"] + "#blockchainAccountId",
    )


def test_the_type_rule() -> None:
    document = unsigned(
        count=3,
        delta=-2,
        flag=False,
        tags=["a", "b"],
        none=[],
        items=[{"b": "1", "a": 1}, {"a": 2, "b": "2"}],
        nested={"holder": {"name": "x"}},
        holder={"name": "y", "address": "0xabc"},
    )
    types = eip712_types(document, "VerifiableCredential", domain=DOMAIN)
    assert list(types) == [
        "EIP712Domain",
        "VerifiableCredential",
        "CredentialSubject",
        "Holder",
        "Holder2",
        "Issuer",
        "Items",
        "Nested",
    ]
    assert types["EIP712Domain"] == [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
    ]
    assert [f["name"] for f in types["VerifiableCredential"]] == [
        "@context",
        "credentialSubject",
        "issuer",
        "type",
        "validFrom",
    ]
    subject = {f["name"]: f["type"] for f in types["CredentialSubject"]}
    assert subject == {
        "count": "uint256",
        "delta": "int256",
        "flag": "bool",
        "holder": "Holder",
        "id": "string",
        "items": "Items[]",
        "nested": "Nested",
        "none": "string[]",
        "tags": "string[]",
    }
    # the second shape met under the name Holder (keys sorted: holder before nested.holder)
    assert types["Holder2"] == [{"name": "name", "type": "string"}]
    assert [f["name"] for f in types["Nested"]] == ["holder"]
    assert types["Nested"][0]["type"] == "Holder2"
    assert types["Items"] == [{"name": "a", "type": "uint256"}, {"name": "b", "type": "string"}]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "float"),
        (None, "null"),
        ({}, "empty object"),
        ([[1]], "list of other"),
        ([1, 2], "list of other"),
        (["a", {"b": 1}], "list of other"),
        ([{"a": 1}, {"b": 1}], "other keys"),
        ([{"a": 1}, {"a": "1"}], "differ in their types"),
        (2**53, r"beyond 2\^53"),
        ({"a b": 1}, "cannot name"),
        (_nested(40), "nested deeper than 16"),
    ],
)
def test_what_the_rule_refuses(value: Any, message: str) -> None:
    with pytest.raises(CredentialFormatError, match=message):
        eip712_types(unsigned(value=value), "VerifiableCredential")


def test_sign_and_check() -> None:
    credential = signed(unsigned(count=1, items=[{"a": "x"}]))
    proof = credential["proof"]
    assert proof["type"] == "EthereumEip712Signature2021"
    assert proof["created"] == "2026-01-02T03:04:05Z"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["eip712"]["primaryType"] == "VerifiableCredential"
    assert proof["eip712"]["domain"] == DOMAIN
    assert check_vc(credential) == SIGNER.address
    raw = bytes.fromhex(proof["proofValue"][2:])
    assert raw[64] in (27, 28)
    assert int.from_bytes(raw[32:64], "big") <= SECP256K1_N // 2
    with pytest.raises(CredentialFormatError, match="already has a proof"):
        signed(credential)


def test_low_s_normalises_and_the_twin_is_refused() -> None:
    credential = signed(unsigned(n=1))
    raw = bytes.fromhex(credential["proof"]["proofValue"][2:])
    twin = high_s_twin(raw)
    assert low_s(twin) == raw
    forged = copy.deepcopy(credential)
    forged["proof"]["proofValue"] = "0x" + twin.hex()
    with pytest.raises(CredentialFormatError, match="lower half"):
        check_vc(forged)
    eip155 = copy.deepcopy(credential)
    eip155["proof"]["proofValue"] = "0x" + (raw[:64] + bytes([raw[64] + 8])).hex()
    with pytest.raises(CredentialFormatError, match="v is not 27 or 28"):
        check_vc(eip155)


def test_refusals() -> None:
    credential = signed(unsigned(n=1, tags=["a"]))

    def changed(edit: Any) -> dict[str, Any]:
        copy_ = copy.deepcopy(credential)
        edit(copy_)
        return copy_

    cases = {
        "proof.type": changed(lambda c: c["proof"].update(type="Ed25519Signature2020")),
        "proof.proofPurpose": changed(lambda c: c["proof"].update(proofPurpose="authentication")),
        "verificationMethod": changed(
            lambda c: c["proof"].update(verificationMethod=ISSUER + "#other")
        ),
        # a member the published types do not declare: eth-sig-util would not hash it
        "not the types derived": changed(lambda c: c["credentialSubject"].update(extra="x")),
        "issuer's chain": changed(lambda c: c["proof"]["eip712"]["domain"].update(chainId=1)),
        "eip712Domain": changed(lambda c: c["proof"].update(eip712Domain={"domain": DOMAIN})),
        "exactly domain": changed(lambda c: c["proof"]["eip712"].update(extra=1)),
        "proofValue": changed(lambda c: c["proof"].update(proofValue="0x00")),
        "did:pkh": changed(lambda c: c["issuer"].update(id="did:web:example.org")),
    }
    for message, forged in cases.items():
        with pytest.raises(CredentialFormatError, match=message):
            check_vc(forged)
    typed_up = changed(lambda c: c["credentialSubject"].update(n="1"))
    with pytest.raises(CredentialFormatError, match="not the types derived"):
        check_vc(typed_up)


def test_a_signature_by_someone_else_is_refused() -> None:
    document = unsigned(n=1)
    by_other = sign_vc(
        document,
        OTHER,
        created=CREATED,
        domain=DOMAIN,
        primary_type="VerifiableCredential",
        verification_method=ISSUER + "#blockchainAccountId",
    )
    with pytest.raises(SignerMismatchError, match=f"signed by {OTHER.address}"):
        check_vc(by_other)


def test_standard_tools_verify_and_what_they_miss() -> None:
    credential = signed(unsigned(n=1, items=[{"a": "x"}, {"a": "y"}], none=[]))
    raw = bytes.fromhex(credential["proof"]["proofValue"][2:])
    twin = copy.deepcopy(credential)
    twin["proof"]["proofValue"] = "0x" + high_s_twin(raw).hex()
    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["items"][1]["a"] = "z"
    undeclared = copy.deepcopy(credential)
    undeclared["credentialSubject"]["unsigned"] = "not hashed by bare EIP-712 tools"
    good, twin_r, altered_r, undeclared_r = standard_tools([credential, twin, altered, undeclared])
    assert good["veramo"] == {"verified": True}
    assert good["recovered"].lower() == SIGNER.address.lower()
    assert good["lowS"]
    assert good["typesMatch"]
    assert good["procedure"]
    # the bare tools accept the high-s twin (they do not check s): the procedure refuses it
    assert twin_r["veramo"]["verified"] is True
    assert twin_r["recovered"] == good["recovered"]
    assert not twin_r["lowS"]
    assert not twin_r["procedure"]
    assert altered_r["veramo"]["verified"] is False
    assert altered_r["recovered"].lower() != SIGNER.address.lower()
    assert not altered_r["procedure"]
    # a member the types do not declare is ignored by the tools: the types check refuses it
    assert undeclared_r["veramo"]["verified"] is True
    assert not undeclared_r["typesMatch"]
    assert not undeclared_r["procedure"]
