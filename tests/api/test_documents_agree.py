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

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.certificates.standing import Encumbrance, Lifecycle
from tests.contracts.test_cast_reads import cast_call
from tests.demo_registry import SeededDemo, seeded_demo

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
