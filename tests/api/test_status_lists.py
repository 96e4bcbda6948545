"""``GET /api/v1/status-lists/{registrar_code}/{list}/{page}`` on the demo registry: signed
Bitstring Status List credentials, made from the mirror, that the indexer keeps current.

A verifier follows a certificate credential's ``credentialStatus`` (the lead's
:func:`~registry.certificates.status_list.status_entries`) to these lists, checks the signature
with tools nobody on dareg wrote (Veramo, eth-sig-util) and reads the entry with a reader
written from the specification (tests/registry/certificates/test_status_list.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pyld import jsonld

from api.main import create_app
from registry import mirror
from registry.certificates.status_list import STATUS_LIST_ENTRIES, STATUS_LISTS, entry_value
from registry.certificates.status_lists import verify_status_list
from registry.certificates.vc import CredentialFormatError, check_vc, did_pkh
from registry.chain.client import dev_account
from registry.demo.scenario import REGISTRARS
from registry.indexer.follow import Indexer
from tests.demo_registry import SeededDemo, seeded_demo
from tests.registry.certificates.standard_tools import standard_tools
from tests.registry.certificates.test_status_list import decode, entry, token

pytestmark = pytest.mark.slow

V1 = "/api/v1/status-lists"
W3C_STATUS = "https://www.w3.org/ns/credentials/status#"
DAREG_VOCAB = "https://w3id.org/dareg/vocab#"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededDemo]:
    with seeded_demo(tmp_path_factory.mktemp("status-lists-api") / "var") as seeded:
        yield seeded


def staff_of(code: int) -> LocalAccount:
    """The demo's staff account of registrar ``code``."""
    return dev_account(REGISTRARS[code][2])


def party(demo: SeededDemo, key: str) -> LocalAccount:
    """The account of the demo's party ``key`` (regulator, bank ...)."""
    found = next(p for p in demo.seeded["registrants"] if p["key"] == key)
    return dev_account(int(found["account_index"]))


@pytest.fixture(scope="module")
def client(demo: SeededDemo) -> Iterator[TestClient]:
    with TestClient(create_app(demo.ctx)) as api:
        yield api


def served(client: TestClient, code: int, name: str, page: int = 0) -> dict[str, Any]:
    response = client.get(f"{V1}/{code}/{name}/{page}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "application/vc"
    body: dict[str, Any] = response.json()
    return body


def value_of(credential: dict[str, Any], token: int) -> int:
    """The entry of ``token`` in a served list, read from its ``encodedList``."""
    subject = credential["credentialSubject"]
    purpose = subject["statusPurpose"]
    size = next(s.size for s in STATUS_LISTS.values() if credential["id"].endswith(f"/{s.name}/0"))
    assert purpose in ("revocation", "suspension", "message")
    return entry(decode(subject["encodedList"]), token % STATUS_LIST_ENTRIES, size)


def test_a_served_list_is_a_signed_status_list_credential_as_of_the_indexed_head(
    demo: SeededDemo, client: TestClient
) -> None:
    ctx = demo.ctx
    response = client.get(f"{V1}/440/suspension/0")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == f"public, max-age={ctx.settings.status_list_ttl}"
    credential = response.json()
    head = mirror.indexer_head(ctx.engine, ctx.manifest.chain_id)
    assert head is not None
    base = ctx.certificates.public_base_url.rstrip("/")
    url = f"{base}{V1}/440/suspension/0"
    assert credential["id"] == url
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    staff = staff_of(440)
    assert credential["issuer"]["id"] == did_pkh(ctx.manifest.chain_id, staff.address)
    assert credential["issuer"]["registrarCode"] == 440
    subject = credential["credentialSubject"]
    assert subject["id"] == f"{url}#list"
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "suspension"
    assert subject["ttl"] == ctx.settings.status_list_ttl * 1000  # milliseconds
    assert subject["asOfBlock"] == head
    head_time = datetime.fromtimestamp(ctx.client.block(head).timestamp, tz=UTC)
    assert subject["asOfTime"] == credential["validFrom"] == f"{head_time:%Y-%m-%dT%H:%M:%SZ}"
    valid_until = datetime.fromisoformat(credential["validUntil"])
    assert valid_until > datetime.now(tz=UTC)
    assert credential["verificationGuide"].endswith("/docs/verify-offline")
    # signed by the registrar's account, an account of registrar 440 on chain
    assert check_vc(credential) == staff.address
    contract = ctx.registrations.contract_address
    ok, reason = verify_status_list(credential, contract, ctx.registrations)
    assert ok, reason
    assert "an account of registrar 440 on chain" in reason
    # the court's freeze of the port data
    assert value_of(credential, token(demo, "port")) == 1
    assert value_of(credential, token(demo, "arcades")) == 0


def test_standard_tools_verify_every_list_and_refuse_a_tampered_one(
    demo: SeededDemo, client: TestClient
) -> None:
    lists = [served(client, 440, name) for name in STATUS_LISTS]
    tampered = copy.deepcopy(lists[1])
    subject = tampered["credentialSubject"]
    subject["encodedList"] = served(client, 440, "revocation")["credentialSubject"]["encodedList"]
    assert subject["encodedList"] != lists[1]["credentialSubject"]["encodedList"]
    later = copy.deepcopy(lists[0])
    later["credentialSubject"]["asOfBlock"] += 1
    results = standard_tools([*lists, tampered, later])
    staff = staff_of(440).address
    for result in results[: len(lists)]:
        assert result["veramo"]["verified"] is True, result
        assert result["recovered"].lower() == staff.lower()
        assert result["procedure"] is True, result
    for result in results[len(lists) :]:
        assert result["veramo"]["verified"] is not True, result
        assert result["procedure"] is False, result
    contract = demo.ctx.registrations.contract_address
    for forged in (tampered, later):
        with pytest.raises(CredentialFormatError):
            check_vc(forged)
        assert verify_status_list(forged, contract)[0] is False
    # a certificate credential is not a status list, though signed by the same account
    number = demo.number("port")
    certificate = demo.ctx.certificates.credential(number)
    ok, reason = verify_status_list(certificate, contract)
    assert not ok
    assert "@context" in reason or "type" in reason


def test_a_credential_status_entry_leads_to_the_certificates_standing(
    demo: SeededDemo, client: TestClient
) -> None:
    """What a verifier does with a certificate credential: follow each of its
    ``credentialStatus`` entries to the list and read the entry; it agrees with the
    certificate's standing, as of the same block."""
    ctx = demo.ctx
    base = ctx.certificates.public_base_url.rstrip("/")
    for key in ("port", "vessels", "index", "arcades"):
        number = demo.number(key)
        response = client.get(f"/api/v1/certificates/{number}/credential")
        assert response.status_code == 200, response.text
        credential = response.json()
        doc = ctx.certificates.document(number)
        entries = credential["credentialStatus"]
        assert len(entries) == len(STATUS_LISTS)
        for status_entry in entries:
            url = status_entry["statusListCredential"]
            assert url.startswith(base)
            listed = client.get(url.removeprefix(base)).json()
            assert listed["credentialSubject"]["statusPurpose"] == status_entry["statusPurpose"]
            assert listed["credentialSubject"]["asOfBlock"] == doc.standing.as_of_block
            bits = decode(listed["credentialSubject"]["encodedList"])
            found = entry(bits, int(status_entry["statusListIndex"]), status_entry["statusSize"])
            name = url.rsplit("/", 2)[1]
            assert found == entry_value(doc.standing, name), (key, name)
            assert status_entry["statusMessage"][found]["status"] == hex(found)


def test_json_ld_expansion_through_the_served_contexts_keeps_every_claim(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(url: str, options: dict[str, Any] | None = None) -> Any:
        raise AssertionError(f"pyld tried to fetch {url}")

    monkeypatch.setattr(jsonld, "_default_document_loader", no_network)
    contexts = {url: client.get(path) for url, path in client.get("/contexts").json().items()}
    fetched: list[str] = []

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        fetched.append(url)
        return {"contextUrl": None, "documentUrl": url, "document": contexts[url].json()}

    for name in STATUS_LISTS:
        served_list = served(client, 440, name)
        (expanded,) = jsonld.expand(served_list, {"documentLoader": load})
        subject = expanded["https://www.w3.org/2018/credentials#credentialSubject"][0]
        claims = {iri: values[0] for iri, values in subject.items() if not iri.startswith("@")}
        assert set(claims) == {
            f"{W3C_STATUS}statusPurpose",
            f"{W3C_STATUS}encodedList",
            f"{W3C_STATUS}ttl",
            f"{DAREG_VOCAB}asOfBlock",
            f"{DAREG_VOCAB}asOfTime",
        }, claims
        listed = served_list["credentialSubject"]
        for key in ("statusPurpose", "encodedList", "ttl", "asOfBlock", "asOfTime"):
            iri = next(i for i in claims if i.endswith(key))
            assert claims[iri]["@value"] == listed[key], key
        assert subject["@type"] == [f"{W3C_STATUS}BitstringStatusList"]
        assert expanded["@type"] == [
            "https://www.w3.org/2018/credentials#VerifiableCredential",
            f"{W3C_STATUS}BitstringStatusListCredential",
        ]
        issuer = expanded["https://www.w3.org/2018/credentials#issuer"][0]
        assert f"{DAREG_VOCAB}registrarCode" in issuer
        assert f"{DAREG_VOCAB}verificationGuide" in expanded
    assert set(fetched) <= set(contexts)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("440/frozen/0", 404, "status_list_not_found"),
        ("440/" + "x" * 200 + "/0", 404, "status_list_not_found"),
        ("999/revocation/0", 404, "status_list_not_found"),
        ("0/revocation/0", 404, "status_list_not_found"),
        ("440/revocation/1", 404, "status_list_not_found"),
        (f"440/revocation/{2**63 - 1}", 404, "status_list_not_found"),
        ("440/revocation/-1", 422, "invalid_request"),
        (f"440/revocation/{2**63}", 422, "invalid_request"),
        ("65536/revocation/0", 422, "invalid_request"),
        ("x/revocation/0", 422, "invalid_request"),
        # a list of registrar 441, whose key this service does not hold
        ("441/revocation/0", 409, "registrar_key_unavailable"),
    ],
)
def test_refusals(client: TestClient, path: str, status: int, code: str) -> None:
    response = client.get(f"{V1}/{path}")
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_the_openapi_document_declares_the_route(client: TestClient) -> None:
    app: Any = client.app
    operation = app.openapi()["paths"][V1 + "/{registrar_code}/{list}/{page}"]["get"]
    assert operation["x-dareg-role"] == "public"
    assert "application/vc" in operation["responses"]["200"]["content"]
    for status, code in (("404", "status_list_not_found"), ("409", "registrar_key_unavailable")):
        assert code in operation["responses"][status]["description"]
    assert {"422", "429", "503"} <= set(operation["responses"])


def test_a_list_of_another_registrar_is_signed_with_its_own_key(demo: SeededDemo) -> None:
    """A service holding registrar 442's key (one instance per registrar key) signs its lists;
    this one, holding 440's, refuses them (409, above)."""
    other = demo.registrar_context(442)
    try:
        credential = other.status_lists.credential(442, "lifecycle", 0)
        registrations = other.registrations
        ok, reason = verify_status_list(credential, registrations.contract_address, registrations)
        assert ok, reason
        assert check_vc(credential) == staff_of(442).address
        # typhoon revoked (3), weather expired (1)
        assert value_of(credential, token(demo, "typhoon")) == 3
        assert value_of(credential, token(demo, "weather")) == 1
        assert standard_tools([credential])[0]["procedure"] is True
    finally:
        other.engine.dispose()


def test_the_indexer_keeps_the_served_lists_current(demo: SeededDemo, client: TestClient) -> None:
    """Last in this module: it changes the demo's chain."""
    ctx = demo.ctx
    port, arcades, vessels = (token(demo, k) for k in ("port", "arcades", "vessels"))
    before = served(client, 440, "suspension")
    assert value_of(before, port) == 1
    assert value_of(before, arcades) == 0
    assert value_of(served(client, 440, "encumbrances"), vessels) == 2  # pledged
    regulator = party(demo, "regulator")
    ctx.rights.unfreeze(port, "（2026）粤0115民初3456号 解除保全", regulator)
    ctx.rights.freeze(arcades, "（2026）粤0402民初0815号 财产保全", regulator)
    (pledge,) = mirror.pledges_of_token(ctx.engine, vessels, live_only=True)
    ctx.rights.release(pledge.id, party(demo, "bank"))
    # not yet indexed: the lists still say what the mirror holds, as of its head
    unchanged = served(client, 440, "suspension")
    assert unchanged["credentialSubject"]["asOfBlock"] == before["credentialSubject"]["asOfBlock"]
    assert (
        unchanged["credentialSubject"]["encodedList"] == before["credentialSubject"]["encodedList"]
    )
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    after = served(client, 440, "suspension")
    head = mirror.indexer_head(ctx.engine, ctx.manifest.chain_id)
    assert after["credentialSubject"]["asOfBlock"] == head == ctx.client.head()
    assert head > before["credentialSubject"]["asOfBlock"]
    assert value_of(after, port) == 0
    assert value_of(after, arcades) == 1
    encumbrances = served(client, 440, "encumbrances")
    assert value_of(encumbrances, vessels) == 0
    assert value_of(encumbrances, arcades) == 1  # frozen
    assert check_vc(after) == staff_of(440).address


def test_a_node_behind_its_mirror_is_a_503_not_the_callers_fault(
    demo: SeededDemo, client: TestClient
) -> None:
    """Last: it rewinds the demo's chain below what the mirror indexed (a node reset)."""
    ctx = demo.ctx
    snapshot = ctx.client.rpc("evm_snapshot")
    ctx.client.rpc("evm_mine")
    ctx.client.rpc("evm_mine")
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    ctx.client.rpc("evm_revert", [snapshot])
    assert ctx.client.head() < (mirror.indexer_head(ctx.engine, ctx.manifest.chain_id) or 0)
    response = client.get(f"{V1}/440/suspension/0")
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "chain_error"
