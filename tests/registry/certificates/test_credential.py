"""The Verifiable Credential: signed by the registrar's account with EIP-712, checked here in
Python and by an independent EIP-712 implementation (ethers v6, tests/js/verify_vc.mjs)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from registry.certificates.credential import (
    PROOF_TYPE,
    VC_CONTEXT,
    did_pkh,
    sign_credential,
    verify_credential,
)
from registry.chain.client import ChainClient, dev_account
from registry.context import RegistryContext
from registry.errors import RegistrarKeyUnavailableError
from tests.conftest import admin
from tests.registry.certificates.conftest import REGISTRAR_CODE, registrar

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tests" / "js" / "verify_vc.mjs"
NODE = shutil.which("node")

Path_ = tuple[str | int, ...]


def ethers_verify(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the ethers verifier on many credentials at once."""
    if NODE is None:
        pytest.skip("node is not installed")
    completed = subprocess.run(
        [NODE, str(SCRIPT)],
        input=json.dumps(credentials, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == "", completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    assert len(results) == len(credentials)
    return results


def leaves(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    """Paths of every leaf: scalars, nulls, and empty lists or objects."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


def altered(value: Any) -> Any:
    """A different value of the same kind where possible (dates stay dates, hex stays hex)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        for i in range(len(value) - 1, -1, -1):
            if value[i].isdigit():
                return value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :]
        return value + "x"
    if value is None:
        return "altered"
    if value == []:
        return [1]
    if value == {}:
        return {"altered": True}
    raise AssertionError(f"unexpected leaf {value!r}")


def with_leaf(credential: dict[str, Any], path: Path_) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    node: Any = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = altered(node[path[-1]])
    return changed


@pytest.fixture
def credential(signing_ctx: RegistryContext, certificate: str) -> dict[str, Any]:
    return signing_ctx.certificates.credential(certificate)


def test_credential_is_a_vc_2_with_an_eip712_proof(
    signing_ctx: RegistryContext, certificate: str, credential: dict[str, Any]
) -> None:
    doc = signing_ctx.certificates.document(certificate)
    staff = registrar().address
    issuer = did_pkh(31337, staff)
    assert credential["@context"][0] == VC_CONTEXT
    assert credential["type"] == ["VerifiableCredential", "DataAssetCertificate"]
    assert credential["issuer"] == {
        "id": issuer,
        "name": "广东省数据资产登记中心",
        "registrarCode": REGISTRAR_CODE,
    }
    assert credential["validFrom"] == doc.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert credential["validUntil"] == doc.valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")
    subject = credential["credentialSubject"]
    assert subject["id"] == did_pkh(31337, dev_account(1).address)
    assert subject["certificateNumber"] == certificate
    assert subject["holder"]["name"] == "广州港航物流数据有限公司"
    assert subject["assetName"] == "港口集装箱吞吐量数据集 2025"
    assert subject["metadata"] == doc.metadata.document()
    assert subject["metadataHash"] == doc.metadata_hash
    assert credential["credentialStatus"]["id"] == doc.verification_url
    assert credential["evidence"][0]["fingerprint"] == doc.fingerprint
    proof = credential["proof"]
    assert proof["type"] == PROOF_TYPE
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == issuer + "#blockchainAccountId"
    assert proof["proofValue"].startswith("0x")
    assert len(proof["proofValue"]) == 132
    assert proof["eip712"]["domain"]["verifyingContract"] == doc.chain.contract
    assert credential["validFrom"] <= proof["created"]

    assert verify_credential(credential) == (True, f"signed by the issuer {staff}")
    ok, reason = verify_credential(credential, signing_ctx.registrations)
    assert ok, reason
    assert "registrar 440" in reason


def test_ethers_recovers_the_registrar_account(
    signing_ctx: RegistryContext, credential: dict[str, Any]
) -> None:
    [result] = ethers_verify([credential])
    assert result["ok"], result
    assert result["recovered"] == registrar().address
    assert signing_ctx.registrations.registrar_code_of(result["recovered"]) == REGISTRAR_CODE


def test_altering_any_field_breaks_verification(
    signing_ctx: RegistryContext, credential: dict[str, Any]
) -> None:
    paths = list(leaves(credential))
    wanted = {
        ("validFrom",),
        ("validUntil",),
        ("issuer", "name"),
        ("credentialSubject", "holder", "name"),
        ("credentialSubject", "metadata", "scale", "records"),
        ("credentialSubject", "metadata", "evidence"),  # a null
        ("credentialSubject", "metadata", "parents"),  # an empty list
        ("credentialSubject", "noticePeriod", "start"),
        ("evidence", 0, "anchoredAt"),
        ("proof", "created"),
        ("proof", "proofValue"),
        ("proof", "eip712", "domain", "chainId"),
        ("proof", "eip712", "types", "ProofOptions", 1, "type"),
    }
    assert wanted <= set(paths)
    assert len(paths) > 100
    forged = [with_leaf(credential, p) for p in paths]
    staff = registrar().address
    for path, result in zip(paths, ethers_verify(forged), strict=True):
        assert not result["ok"], (path, result)
        if result["recovered"] == staff:
            # ethers still recovers the registrar only where it derives a member instead of
            # reading it (the domain's type list, the primary type) or accepts another encoding
            # of the same signature (v = 43 is EIP-155 for 27): the script refuses those
            allowed = {
                ("proof", "eip712", "primaryType"): "primaryType",
                ("proof", "proofValue"): "canonical",
            }
            keyword = allowed.get(path, "EIP712Domain" if "EIP712Domain" in path else None)
            assert keyword is not None, (path, result)
            assert keyword in result["reason"], (path, result)
    for path, changed in zip(paths, forged, strict=True):
        ok, reason = verify_credential(changed)
        assert not ok, (path, reason)


def test_a_different_signature_recovers_someone_else(credential: dict[str, Any]) -> None:
    forged = copy.deepcopy(credential)
    value = forged["proof"]["proofValue"]
    forged["proof"]["proofValue"] = value[:10] + ("0" if value[10] != "0" else "1") + value[11:]
    [result] = ethers_verify([forged])
    assert not result["ok"]
    assert result["recovered"] != result["issuer"]
    assert not verify_credential(forged)[0]


def test_added_or_removed_fields_break_verification(credential: dict[str, Any]) -> None:
    added = copy.deepcopy(credential)
    added["credentialSubject"]["metadata"]["scale"]["extra"] = 1
    removed = copy.deepcopy(credential)
    del removed["credentialSubject"]["metadata"]["category"]
    extra_top = copy.deepcopy(credential)
    extra_top["termsOfUse"] = [{"type": "Anything"}]
    forged = [added, removed, extra_top]
    assert not any(r["ok"] for r in ethers_verify(forged))
    assert not any(verify_credential(c)[0] for c in forged)


def test_key_order_and_layout_do_not_matter(credential: dict[str, Any]) -> None:
    def reversed_keys(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reversed_keys(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reversed_keys(v) for v in value]
        return value

    shuffled = json.loads(json.dumps(reversed_keys(credential), indent=3))
    assert ethers_verify([shuffled])[0]["ok"]
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
    forged = sign_credential(doc, stranger, doc.issued_at)
    assert verify_credential(forged)[0]
    assert ethers_verify([forged])[0]["recovered"] == stranger.address
    ok, reason = verify_credential(forged, signing_ctx.registrations)
    assert not ok
    assert "not an account of registrar 440" in reason
    # and a registrar account that is later disabled no longer vouches
    signing_ctx.registrations.set_registrar_account(
        REGISTRAR_CODE, registrar().address, admin(), enabled=False
    )
    assert not verify_credential(credential, signing_ctx.registrations)[0]
