"""Issue 16's acceptance for the credential, on the demo registry (a chain of its own):

* the credential of every demo certificate verifies with ``@veramo/credential-eip712`` and with
  ``eth-sig-util`` (tests/js/veramo_verify.mjs, packages from package-lock.json); both refuse a
  credential with any leaf altered; the high-s twin of a signature fails the documented
  procedure (the bare tools accept it: neither checks ``s``, which the procedure adds);
* JSON-LD expansion with pyld, offline, through a document loader made from the contexts the app
  serves (``GET /contexts``), keeps every claim under a full IRI.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyld import jsonld

from api.main import create_app
from registry.certificates.credential import verify_credential
from registry.certificates.vc import VC_MEDIA_TYPE, high_s_twin
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.demo.scenario import REGISTRARS
from registry.domain.numbers import parse_certificate_number
from tests.demo_registry import seeded_demo
from tests.registry.certificates.standard_tools import (
    LeafPath,
    leaves,
    standard_tools,
    with_leaf,
)

pytestmark = pytest.mark.slow

VOCAB = "https://w3id.org/dareg/vocab#"
#: IRIs the expanded claims may live under: dareg's vocabulary and the W3C / security terms.
KNOWN_IRIS = (
    VOCAB,
    "https://www.w3.org/2018/credentials#",
    "https://www.w3.org/ns/credentials/status#",
    "https://w3id.org/security#",
    "https://schema.org/",
    "http://purl.org/dc/terms/",
)


@dataclass(frozen=True)
class Demo:
    ctx: RegistryContext
    api: TestClient
    certificates: dict[str, str]  # demo key -> certificate number


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo registry on a chain of its own (tests/demo_registry.py), and an API client."""
    with seeded_demo(tmp_path_factory.mktemp("demo") / "var") as seeded:
        numbers = {
            key: r["certificate_number"]
            for key, r in seeded.seeded["registrations"].items()
            if r["certificate_number"]
        }
        with TestClient(create_app(seeded.ctx)) as api:
            yield Demo(seeded.ctx, api, numbers)


@pytest.fixture(scope="module")
def credentials(demo: Demo) -> dict[str, dict[str, Any]]:
    """The credential of every demo certificate, each signed by its registrar's staff key."""
    signed = {}
    for key, number in demo.certificates.items():
        code = parse_certificate_number(number).registrar_code
        service = replace(demo.ctx.certificates, registrar_account=dev_account(REGISTRARS[code][2]))
        signed[key] = service.credential(number)
    return signed


def test_every_demo_certificate_verifies_with_the_standard_tools(
    demo: Demo, credentials: dict[str, dict[str, Any]]
) -> None:
    keys = list(credentials)
    assert len(keys) >= 7
    results = standard_tools([credentials[k] for k in keys])
    for key, result in zip(keys, results, strict=True):
        credential = credentials[key]
        assert result["veramo"] == {"verified": True}, (key, result)
        assert result["ethSigUtil"]["recovered"].lower() == result["issuer"].lower(), key
        assert result["lowS"], key
        assert result["typesMatch"], key
        assert result["procedure"], key
        ok, reason = verify_credential(credential, demo.ctx.registrations)
        assert ok, (key, reason)
        doc = demo.ctx.certificates.document(credential["credentialSubject"]["certificateNumber"])
        standing = credential["credentialSubject"]["standing"]
        assert standing["lifecycle"] == doc.standing.lifecycle.value, key
        assert standing["encumbrances"] == [e.value for e in doc.standing.encumbrances], key
    # the demo has certificates in each standing the issue names, and the credential says so
    said = {
        (c["credentialSubject"]["standing"]["lifecycle"], e)
        for c in credentials.values()
        for e in c["credentialSubject"]["standing"]["encumbrances"] or [""]
    }
    assert {("in_force", "frozen"), ("in_force", "pledged")} <= said, said
    assert {"revoked", "cancelled"} <= {lifecycle for lifecycle, _ in said}, said


def _sample(credential: dict[str, Any]) -> list[LeafPath]:
    """One leaf under every top-level member and every credentialSubject key, and every leaf
    of the subject's standing, holder and the proof."""
    paths = list(leaves(credential))
    chosen: dict[LeafPath, LeafPath] = {}
    for path in paths:
        group = path[:2] if path[0] == "credentialSubject" else path[:1]
        chosen.setdefault(group, path)
        if path[:2] in (("credentialSubject", "standing"), ("credentialSubject", "holder")):
            chosen[path] = path
        if path[0] == "proof" and path[:2] != ("proof", "eip712"):
            chosen[path] = path
    return list(dict.fromkeys(chosen.values()))


def test_any_altered_leaf_fails_both_tools(credentials: dict[str, dict[str, Any]]) -> None:
    cases: list[tuple[str, LeafPath, dict[str, Any]]] = []
    for key, credential in credentials.items():
        # every leaf of the frozen and of the pledged certificate, a sample of the others
        full = key in ("port", "vessels")
        for path in list(leaves(credential)) if full else _sample(credential):
            cases.append((key, path, with_leaf(credential, path)))
    covered = {path[:1] for _, path, _ in cases} | {
        path[:2] for _, path, _ in cases if path[0] == "credentialSubject"
    }
    for credential in credentials.values():
        assert {(k,) for k in credential} <= covered
        assert {("credentialSubject", k) for k in credential["credentialSubject"]} <= covered
    results = standard_tools([forged for _, _, forged in cases])
    for (key, path, forged), result in zip(cases, results, strict=True):
        assert not result["procedure"], (key, path, result)
        if path == ("proof", "proofValue"):
            # v 28 -> 29 and the like: eth-sig-util reads some v values as another encoding of
            # the same signature; the procedure's canonical-signature check refuses them
            assert not result["lowS"] or result["recovered"] != result["issuer"], (key, result)
        else:
            assert result["veramo"]["verified"] is False, (key, path, result)
            assert (result["recovered"] or "").lower() != result["issuer"].lower(), (key, path)
        assert not verify_credential(forged)[0], (key, path)


def test_the_high_s_twin_fails_the_procedure(credentials: dict[str, dict[str, Any]]) -> None:
    twins = []
    for credential in credentials.values():
        raw = bytes.fromhex(credential["proof"]["proofValue"][2:])
        twin = json.loads(json.dumps(credential))
        twin["proof"]["proofValue"] = "0x" + high_s_twin(raw).hex()
        twins.append(twin)
    results = standard_tools(twins)
    # what the bare tools say of the twin (recorded): they recover the issuer all the same
    print(json.dumps(results[0], indent=2))
    for twin, result in zip(twins, results, strict=True):
        assert result["veramo"]["verified"] is True
        assert result["recovered"].lower() == result["issuer"].lower()
        assert not result["lowS"]
        assert not result["procedure"]
        ok, reason = verify_credential(twin)
        assert not ok
        assert "lower half" in reason


def _cast_verify(node_modules: Path, credential: dict[str, Any], tmp: Path) -> bool:
    """Foundry's ``cast wallet verify --data``: the typed data built as Veramo builds it (the
    credential without proofValue and eip712, types/domain/primaryType from proof.eip712)."""
    proof = dict(credential["proof"])
    definition, signature = proof.pop("eip712"), proof.pop("proofValue")
    message = {**{k: v for k, v in credential.items() if k != "proof"}, "proof": proof}
    typed = tmp / "typed.json"
    typed.write_text(json.dumps({**definition, "message": message}, ensure_ascii=False))
    issuer = credential["issuer"]["id"].rsplit(":", 1)[1]
    command = [str(node_modules / ".bin" / "cast"), "wallet", "verify", "--data", "--from-file"]
    completed = subprocess.run(
        [*command, "--address", issuer, str(typed), signature],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return completed.returncode == 0 and "Validation succeeded" in completed.stdout


def test_cast_verifies_the_typed_data(
    demo: Demo, credentials: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    node_modules = demo.ctx.settings.node_modules_dir
    for key in ("port", "vessels"):
        credential = credentials[key]
        assert _cast_verify(node_modules, credential, tmp_path), key
        altered = with_leaf(credential, ("credentialSubject", "standing", "asOfBlock"))
        assert not _cast_verify(node_modules, altered, tmp_path), key
    # the trust step with cast: the signer is, on chain, an account of the registrar it names
    credential = credentials["port"]
    registry = credential["credentialSubject"]["registry"]["contract"]
    signer = credential["issuer"]["id"].rsplit(":", 1)[1]
    rpc = demo.ctx.settings.rpc_url or ""

    def cast_call(*args: str) -> str:
        command = [str(node_modules / ".bin" / "cast"), "call", *args, "--rpc-url", rpc]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=60, check=True
        ).stdout.strip()

    authority = cast_call(registry, "authority()(address)")
    code = cast_call(authority, "registrarCodeOf(address)(uint16)", signer)
    assert code == str(credential["issuer"]["registrarCode"])


# --- JSON-LD ------------------------------------------------------------------------------


def _offline_loader(api: TestClient, fetched: list[str]) -> Any:
    """A pyld document loader with the contexts the app serves, and nothing else."""
    index = api.get("/contexts")
    assert index.status_code == 200
    documents = {}
    for url, path in index.json().items():
        served = api.get(path)
        assert served.status_code == 200
        assert served.headers["content-type"] == "application/ld+json"
        documents[url] = json.loads(served.content)

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        fetched.append(url)
        if url not in documents:
            raise jsonld.JsonLdError(f"not served by the app: {url}", "loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    return load


def _compact_leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(key, value) of every scalar of the credential; ``proof.eip712`` is one JSON literal."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                continue
            if key == "eip712":
                yield key, json.dumps(item, sort_keys=True)
            else:
                yield from _compact_leaves(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _compact_leaves(item, path)
    else:
        yield (path[-1] if path else ""), value


def _expanded_leaves(value: Any, prop: str = "") -> Iterator[tuple[str, Any]]:
    """(property IRI or keyword, value) of every value of the expanded document; every
    property must be a full IRI."""
    if isinstance(value, list):
        for item in value:
            yield from _expanded_leaves(item, prop)
    elif isinstance(value, dict):
        if "@value" in value:
            literal = value["@value"]
            if value.get("@type") == "@json":
                literal = json.dumps(literal, sort_keys=True)
            yield prop, literal
            return
        for key, item in value.items():
            if key == "@id":
                yield prop if prop else "@id", item
            elif key == "@type":
                for iri in item:
                    assert iri.startswith(("https://", "http://")), iri
                    yield "@type", iri
            elif key in ("@list", "@graph"):
                yield from _expanded_leaves(item, prop)
            else:
                assert key.startswith(KNOWN_IRIS), f"{key} is not a full IRI of a known vocabulary"
                yield from _expanded_leaves(item, key)


def _properties(value: Any) -> Iterator[str]:
    """Every property (non-keyword key) of an expanded document, at any depth."""
    if isinstance(value, list):
        for item in value:
            yield from _properties(item)
    elif isinstance(value, dict) and "@value" not in value:
        for key, item in value.items():
            if not key.startswith("@"):
                yield key
            yield from _properties(item)


def test_expansion_through_the_served_contexts_keeps_every_claim(
    demo: Demo, credentials: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(url: str, options: dict[str, Any] | None = None) -> Any:
        raise AssertionError(f"pyld tried to fetch {url}")

    monkeypatch.setattr(jsonld, "_default_document_loader", no_network)
    fetched: list[str] = []
    loader = _offline_loader(demo.api, fetched)
    # the credential as the app serves it, and every other demo credential
    served = demo.api.get(f"/api/v1/certificates/{demo.certificates['port']}/credential")
    assert served.status_code == 200, served.text
    assert served.headers["content-type"] == VC_MEDIA_TYPE
    for credential in [served.json(), *credentials.values()]:
        expanded = jsonld.expand(credential, {"documentLoader": loader})
        assert len(expanded) == 1
        compact = list(_compact_leaves(credential))
        found = list(_expanded_leaves(expanded))
        # nothing dropped: as many values, and every value of the credential is among them
        # (type names become IRIs: compared apart)
        assert len(found) == len(compact)
        types = {v for k, v in compact if k in ("type", "proofPurpose")}
        values = Counter(str(v) for k, v in compact if k not in ("type", "proofPurpose"))
        expanded_values = Counter(str(v) for k, v in found if k != "@type")
        assert not values - expanded_values, values - expanded_values
        iris = {v for _, v in found if isinstance(v, str) and v.startswith("http")}
        for name in types:
            assert any(iri.endswith(("#" + name, "/" + name)) for iri in iris), name
        # every dareg claim of the subject is under dareg's vocabulary, nothing under an
        # issuer-dependent or relative IRI
        properties = set(_properties(expanded))
        for key in credential["credentialSubject"]:
            assert key == "id" or VOCAB + key in properties, key
        assert f"{VOCAB}encumbrances" in json.dumps(expanded)
        assert f"{VOCAB}verificationGuide" in properties
        assert f"{VOCAB}registrarCode" in properties
        assert not any("issuer-dependent" in p for p in properties)
    assert set(fetched) == set(demo.api.get("/contexts").json())
