"""The certificate's Verifiable Credential: signed by the registrar's account with
EthereumEip712Signature2021, checked here in Python and by tools nobody on dareg wrote (Veramo's
verifier and eth-sig-util, tests/js/veramo_verify.mjs)."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from registry.certificates.credential import (
    CREDENTIAL_CONTEXTS,
    EIP712_NAME,
    PRIMARY_TYPE,
    PROOF_TYPE,
    did_pkh,
    sign_credential,
    verify_credential,
)
from registry.certificates.status_list import STATUS_LISTS
from registry.certificates.urls import registered_metadata_url, verify_guide_url
from registry.certificates.vc import high_s_twin
from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.errors import RegistrarKeyUnavailableError
from tests.conftest import admin
from tests.registry.certificates.conftest import REGISTRAR_CODE, registrar
from tests.registry.certificates.standard_tools import leaves, standard_tools, with_leaf

BASE = "https://registry.example.org"


@pytest.fixture
def credential(signing_ctx: RegistryContext, certificate: str) -> dict[str, Any]:
    return signing_ctx.certificates.credential(certificate)


def test_credential_is_a_vc_2_with_an_eip712_proof(
    signing_ctx: RegistryContext, certificate: str, credential: dict[str, Any]
) -> None:
    doc = signing_ctx.certificates.document(certificate)
    base = signing_ctx.certificates.public_base_url
    staff = registrar().address
    issuer = did_pkh(31337, staff)
    assert credential["@context"] == CREDENTIAL_CONTEXTS
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://w3id.org/dareg/credentials/v1",
    ]
    assert credential["type"] == ["VerifiableCredential", "DataAssetCertificate"]
    assert credential["issuer"] == {
        "id": issuer,
        "name": "广东省数据资产登记中心",
        "registrarCode": REGISTRAR_CODE,
    }
    assert credential["validFrom"] == doc.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert credential["validUntil"] == doc.valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert credential["verificationGuide"] == verify_guide_url(base)
    subject = credential["credentialSubject"]
    assert subject["id"] == did_pkh(31337, dev_account(1).address)
    assert subject["certificateNumber"] == certificate
    assert subject["holder"]["name"] == "广州港航物流数据有限公司"
    assert subject["assetName"] == "港口集装箱吞吐量数据集 2025"
    assert "status" not in subject
    assert "metadata" not in subject
    assert subject["standing"] == {
        "lifecycle": "in_force",
        "encumbrances": [],
        "asOfBlock": doc.standing.as_of_block,
        "asOfTime": doc.standing.as_of_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert subject["metadataHash"] == doc.metadata_hash
    assert credential["relatedResource"] == [
        {
            "id": registered_metadata_url(base, certificate),
            "mediaType": "application/json",
            "digestSRI": "sha256-"
            + base64.b64encode(bytes.fromhex(doc.metadata_hash[2:])).decode(),
        }
    ]
    statuses = credential["credentialStatus"]
    assert [s["statusPurpose"] for s in statuses] == [s.purpose for s in STATUS_LISTS.values()]
    assert all(s["type"] == "BitstringStatusListEntry" for s in statuses)
    assert credential["evidence"][0]["fingerprint"] == doc.fingerprint
    assert "null" not in json.dumps(credential)
    proof = credential["proof"]
    assert proof["type"] == PROOF_TYPE
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == issuer + "#blockchainAccountId"
    assert len(proof["proofValue"]) == 132
    assert proof["eip712"]["primaryType"] == PRIMARY_TYPE
    assert proof["eip712"]["domain"] == {
        "name": EIP712_NAME,
        "version": "2",
        "chainId": 31337,
        "verifyingContract": doc.chain.contract,
    }
    assert credential["validFrom"] <= proof["created"]

    assert verify_credential(credential) == (True, f"signed by the issuer {staff}")
    ok, reason = verify_credential(credential, signing_ctx.registrations)
    assert ok, reason
    assert "registrar 440" in reason


def test_standard_tools_recover_the_registrar_account(
    signing_ctx: RegistryContext, credential: dict[str, Any]
) -> None:
    [result] = standard_tools([credential])
    assert result["veramo"] == {"verified": True}, result
    assert result["recovered"].lower() == registrar().address.lower()
    assert result["procedure"], result
    assert signing_ctx.registrations.registrar_code_of(registrar().address) == REGISTRAR_CODE


def test_altering_any_field_breaks_verification(credential: dict[str, Any]) -> None:
    paths = list(leaves(credential))
    wanted = {
        ("validFrom",),
        ("issuer", "name"),
        ("credentialSubject", "holder", "name"),
        ("credentialSubject", "standing", "asOfBlock"),
        ("credentialSubject", "standing", "encumbrances"),  # an empty list
        ("credentialStatus", 3, "statusMessage", 5, "message"),
        ("relatedResource", 0, "digestSRI"),
        ("evidence", 0, "anchoredAt"),
        ("proof", "created"),
        ("proof", "proofValue"),
        ("proof", "eip712", "domain", "chainId"),
    }
    assert wanted <= set(paths)
    assert len(paths) > 100
    forged = [with_leaf(credential, p) for p in paths]
    for path, result in zip(paths, standard_tools(forged), strict=True):
        assert not result["procedure"], (path, result)
        if path != ("proof", "proofValue"):
            assert result["veramo"]["verified"] is False, (path, result)
    for path, changed in zip(paths, forged, strict=True):
        ok, reason = verify_credential(changed)
        assert not ok, (path, reason)


def test_the_high_s_twin_fails_the_procedure(credential: dict[str, Any]) -> None:
    twin = copy.deepcopy(credential)
    raw = bytes.fromhex(twin["proof"]["proofValue"][2:])
    twin["proof"]["proofValue"] = "0x" + high_s_twin(raw).hex()
    good, bad = standard_tools([credential, twin])
    # the same account in both tools (mathematics: neither checks s); the procedure refuses it
    assert bad["veramo"]["verified"] is True
    assert bad["recovered"] == good["recovered"]
    assert not bad["lowS"]
    assert not bad["procedure"]
    assert verify_credential(twin)[0] is False
    assert "lower half" in verify_credential(twin)[1]


def test_added_members_break_verification(credential: dict[str, Any]) -> None:
    added = copy.deepcopy(credential)
    added["credentialSubject"]["extra"] = 1
    extra_top = copy.deepcopy(credential)
    extra_top["termsOfUse"] = [{"type": "Anything"}]
    removed = copy.deepcopy(credential)
    del removed["credentialSubject"]["assetName"]
    results = standard_tools([added, extra_top, removed])
    # undeclared members are not hashed by the bare tools: the derived types catch them
    assert [r["veramo"]["verified"] for r in results] == [True, True, False]
    assert not any(r["typesMatch"] for r in results)
    assert not any(r["procedure"] for r in results)
    assert not any(verify_credential(c)[0] for c in (added, extra_top, removed))


def test_key_order_and_layout_do_not_matter(credential: dict[str, Any]) -> None:
    def reversed_keys(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reversed_keys(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reversed_keys(v) for v in value]
        return value

    shuffled = json.loads(json.dumps(reversed_keys(credential), indent=3))
    assert standard_tools([shuffled])[0]["procedure"]
    assert verify_credential(shuffled)[0]


def test_service_without_a_key_of_the_registrar_refuses(
    ctx: RegistryContext, certificate: str
) -> None:
    # the key the service holds (the development default) is no account of registrar 440, and
    # the operator, which holds no role, never signs a credential
    assert ctx.credential_account is not None
    assert ctx.registrations.registrar_code_of(ctx.credential_account.address) == 0
    with pytest.raises(RegistrarKeyUnavailableError, match="no key of registrar 440") as info:
        ctx.certificates.credential(certificate)
    assert info.value.http_status == 409
    assert info.value.code == "registrar_key_unavailable"
    keyless = replace(ctx.certificates, registrar_account=None)
    with pytest.raises(RegistrarKeyUnavailableError, match="DAREG_CREDENTIAL_KEY"):
        keyless.credential(certificate)


def test_only_the_chain_knows_who_is_a_registrar(
    signing_ctx: RegistryContext, chain: ChainClient, certificate: str, credential: dict[str, Any]
) -> None:
    # a stranger can sign a self-consistent credential: offline it only proves who signed
    doc = signing_ctx.certificates.document(certificate)
    stranger = dev_account(3)
    forged = sign_credential(doc, stranger, doc.issued_at, base_url=BASE)
    assert verify_credential(forged)[0]
    assert standard_tools([forged])[0]["recovered"].lower() == stranger.address.lower()
    ok, reason = verify_credential(forged, signing_ctx.registrations)
    assert not ok
    assert "not an account of registrar 440" in reason
    # and a registrar account that is later disabled no longer vouches
    signing_ctx.registrations.set_registrar_account(
        REGISTRAR_CODE, registrar().address, admin(), enabled=False
    )
    assert not verify_credential(credential, signing_ctx.registrations)[0]


@pytest.mark.parametrize("value", [[], "x", None, {}, {"@context": CREDENTIAL_CONTEXTS}])
def test_anything_but_a_credential_is_malformed(value: Any) -> None:
    ok, reason = verify_credential(value)
    assert not ok
    assert reason.startswith("malformed credential"), reason
