"""Every document of a certificate states the same standing, as of the block it names.

On the demo registry: the port data (sold, then frozen by a court), the vessel calls (pledged
for a loan), the typhoon records (revoked) and the weather observations (expired when the data's
source agreement ended) each say so in the JSON, the financier's answer, the public page's
headline, the credential, what its status pointer leads to, the PDF's text and the wallet
metadata's attributes; none of them is called plainly valid.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.certificates.credential import verify_credential
from registry.certificates.standing import (
    ENCUMBRANCE_LABELS,
    LIFECYCLE_LABELS,
    Encumbrance,
    Lifecycle,
)
from registry.certificates.status_list import STATUS_LISTS
from registry.certificates.status_lists import verify_status_list
from tests.api.test_certificate_pdf import _credential, _texts
from tests.contracts.test_cast_reads import cast_call
from tests.demo_registry import SeededDemo, seeded_demo
from tests.registry.certificates.test_status_list import decode, entry

pytestmark = pytest.mark.slow

#: demo dataset -> (registrar, lifecycle, encumbrances) its certificate has at the demo's end
EXPECTED: dict[str, tuple[int, Lifecycle, list[Encumbrance]]] = {
    "port": (440, Lifecycle.IN_FORCE, [Encumbrance.FROZEN]),
    "vessels": (440, Lifecycle.IN_FORCE, [Encumbrance.PLEDGED]),
    "typhoon": (442, Lifecycle.REVOKED, []),
    "weather": (442, Lifecycle.EXPIRED, []),
    "index": (440, Lifecycle.IN_FORCE, [Encumbrance.EXCLUSIVELY_LICENSED]),
    "arcades": (440, Lifecycle.IN_FORCE, []),
}


@dataclass(frozen=True)
class Apps:
    demo: SeededDemo
    by_registrar: dict[int, TestClient]


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apps]:
    with seeded_demo(tmp_path_factory.mktemp("demo") / "var") as demo:
        ctx442 = demo.registrar_context(442)
        try:
            with (
                TestClient(create_app(demo.ctx)) as api440,
                TestClient(create_app(ctx442)) as api442,
            ):
                yield Apps(demo, {440: api440, 442: api442})
        finally:
            ctx442.engine.dispose()


@pytest.mark.parametrize("key", list(EXPECTED))
def test_the_json_answer_and_page_agree(apps: Apps, key: str) -> None:
    code, lifecycle, encumbrances = EXPECTED[key]
    api = apps.by_registrar[code]
    number = apps.demo.number(key)
    doc = api.get(f"/api/v1/certificates/{number}").json()
    standing = doc["standing"]
    assert (standing["lifecycle"], standing["encumbrances"]) == (lifecycle, encumbrances)
    answer = api.get(f"/api/v1/verify/{number}").json()
    assert answer["standing"]["lifecycle"] == lifecycle
    assert answer["standing"]["encumbrances"] == encumbrances
    page = api.get(f"/verify/{number}").text
    headline = page.split("<h2>", 1)[1].split("</h2>", 1)[0]
    for e in encumbrances:
        assert e.value.replace("_", " ") in headline
    assert {"in_force": "In force", "expired": "Expired", "revoked": "Revoked"}[
        lifecycle
    ] in headline
    if lifecycle is not Lifecycle.IN_FORCE or encumbrances:
        assert "banner good" not in page


#: statusOf's enum values (IDataAssetRegistry.Status) for the lifecycles, as the guide lists them
_STATUS_OF = {
    Lifecycle.IN_FORCE: 6,
    Lifecycle.CANCELLED: 7,
    Lifecycle.REVOKED: 8,
    Lifecycle.EXPIRED: 9,
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_cast_reads_the_same_standing_as_the_guide_says(apps: Apps, key: str) -> None:
    """docs/verify-offline.md section 1, with Foundry's cast: the chain says what the documents
    say."""
    _, lifecycle, encumbrances = EXPECTED[key]
    ctx = apps.demo.ctx
    url = ctx.client.rpc_url
    registry = ctx.manifest.address_of("DataAssetRegistry")
    agent = ctx.manifest.address_of("TransferAgent")
    number = apps.demo.number(key)
    token = cast_call(url, registry, "idOfCertificateNumber(uint64)(uint256)", number)
    status = cast_call(url, registry, "statusOf(uint256)(uint8)", token)
    assert int(status) == _STATUS_OF[lifecycle]
    pledge, frozen = cast_call(url, agent, "encumbrance(uint256)(uint256,bool)", token).split()
    assert (int(pledge) != 0) == (Encumbrance.PLEDGED in encumbrances)
    assert (frozen == "true") == (Encumbrance.FROZEN in encumbrances)


def _words(lifecycle: Lifecycle, encumbrances: list[Encumbrance]) -> list[str]:
    """The words the headline uses for this standing, Chinese and English."""
    return [*LIFECYCLE_LABELS[lifecycle], *(w for e in encumbrances for w in ENCUMBRANCE_LABELS[e])]


@pytest.mark.parametrize("key", list(EXPECTED))
def test_every_document_states_the_same_standing(apps: Apps, key: str, tmp_path: Any) -> None:
    """The credential, what its status pointer leads to, the PDF's text and the wallet
    metadata's attributes say what the JSON says."""
    code, lifecycle, encumbrances = EXPECTED[key]
    api = apps.by_registrar[code]
    number = apps.demo.number(key)
    headline = api.get(f"/api/v1/certificates/{number}").json()["standing"]
    words = _words(lifecycle, encumbrances)

    # the credential, signed, states it in its subject
    credential = api.get(f"/api/v1/certificates/{number}/credential").json()
    ok, reason = verify_credential(credential, apps.demo.ctx.registrations)
    assert ok, reason
    standing = credential["credentialSubject"]["standing"]
    assert standing["lifecycle"] == lifecycle
    assert standing.get("encumbrances", []) == encumbrances

    # its status pointer: each entry's list, signed by the same registrar, holds the value
    for entry_of in credential["credentialStatus"]:
        url = entry_of["statusListCredential"]
        listed = api.get(urlsplit(url).path).json()
        verify_status_list(listed, apps.demo.ctx.manifest.address_of("DataAssetRegistry"))
        assert listed["issuer"]["id"] == credential["issuer"]["id"]
        bits = decode(listed["credentialSubject"]["encodedList"])
        value = entry(bits, int(entry_of["statusListIndex"]), entry_of["statusSize"])
        message = entry_of["statusMessage"][value]["message"]
        name = url.rsplit("/", 2)[1]
        if name == "lifecycle":
            assert message == " ".join(LIFECYCLE_LABELS[lifecycle])
        elif name == "encumbrances":
            for e in Encumbrance:
                assert (ENCUMBRANCE_LABELS[e][1] in message) == (e in encumbrances), message
        elif name == "suspension":
            assert value == (Encumbrance.FROZEN in encumbrances)
        else:
            assert value == (lifecycle in (Lifecycle.CANCELLED, Lifecycle.REVOKED))
    assert {
        e["statusListCredential"].rsplit("/", 2)[1] for e in credential["credentialStatus"]
    } == set(STATUS_LISTS)

    # the PDF: its text states the standing as of its block, and it carries the same credential
    pdf = api.get(f"/api/v1/certificates/{number}/pdf").content
    for text in _texts(pdf, tmp_path):
        for word in words:
            assert "".join(word.split()) in text, word
        assert str(headline["as_of_block"]) in text
        if lifecycle is not Lifecycle.IN_FORCE or encumbrances:
            assert "有效VALID" not in text
    attached = _credential(pdf)
    assert attached["credentialSubject"]["standing"]["lifecycle"] == lifecycle

    # the wallet metadata at tokenURI: its attributes
    wallet = api.get(f"/api/v1/metadata/{number}").json()
    attributes = {
        a["trait_type"]: a["value"]
        for a in wallet["attributes"]
        if a["trait_type"] != "Encumbrance"
    }
    listed_encumbrances = [
        a["value"] for a in wallet["attributes"] if a["trait_type"] == "Encumbrance"
    ]
    for word in words:
        assert word in attributes["Status"]
    assert len(listed_encumbrances) == len(encumbrances)
