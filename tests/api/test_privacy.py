"""A natural person's identifier is never public in full (docs/privacy.md), tested on the demo.

The demo registry is seeded on a chain of its own (its clock starts months back, as ``dareg up
--demo`` does) and mirrored. Then every GET route of the OpenAPI document, and the HTML pages it
leaves out, is called with the demo's natural-person registrant's certificate, registration,
fingerprint and address (and, for lists, filtered to that holder and at their largest page):
no answer, JSON, HTML, CSV, PDF text or spreadsheet, holds the full resident identity number,
and the certificate's JSON, credential, PDF, registered metadata and verification page show its
masked form (the wallet metadata and the SVG card name the holder without an identifier).
Only ``holder-identity`` (for the holder, its registrar's staff and regulators) shows it in full,
with a salt and commitment that verify against the chain by docs/privacy.md alone.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pypdf import PdfReader

from api.main import create_app
from registry.chain.client import dev_account
from registry.context import (
    DEV_CREDENTIAL_INDEX,
    RegistryContext,
)
from tests.api.actors import sign_in
from tests.api.test_read_only import HTML_PAGES
from tests.demo_registry import seeded_demo

pytestmark = pytest.mark.slow

#: The one route that shows the identifier in full: the holder, its registrar's staff and
#: regulators only (its authorisation is attached in api/deps.py).
PRIVATE_ROUTES = frozenset({"/api/v1/applications/{reg_id}/holder-identity"})
#: Routes whose answers show the holder's identifier, masked.
SHOWS_HOLDER = frozenset(
    {
        "/api/v1/certificates/{number}",
        "/api/v1/certificates/{number}/credential",
        "/api/v1/certificates/{number}/pdf",
        "/api/v1/metadata/{number}/registered",
        "/verify/{number}",
    }
)


@dataclass(frozen=True)
class Demo:
    client: TestClient
    ctx: RegistryContext
    seeded: dict[str, Any]
    person: dict[str, Any]
    registration: dict[str, Any]  # the natural person's, as GET /applications lists it


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo registry on a chain of its own, mirrored, and an API client on it."""
    with seeded_demo(tmp_path_factory.mktemp("demo") / "var") as seeded:
        ctx = seeded.ctx
        person = next(p for p in seeded.seeded["registrants"] if p["natural_person"])
        with TestClient(create_app(ctx)) as api:
            listed = api.get(
                "/api/v1/applications",
                params={"holder": person["address"]},
                headers=sign_in(api, dev_account(person["account_index"])),
            ).json()
            issued = [r for r in listed["items"] if r["certificate_number"]]
            assert len(issued) == 1, listed
            yield Demo(api, ctx, seeded.seeded, person, issued[0])


def _texts(response: httpx.Response) -> list[str]:
    """Everything a person could read in ``response``: its text, a PDF's extracted text, the
    sheets of a spreadsheet."""
    media = response.headers.get("content-type", "").split(";")[0]
    if media == "application/pdf":
        reader = PdfReader(io.BytesIO(response.content))
        pages = "\n".join(page.extract_text() for page in reader.pages)
        return [pages, response.content.decode("latin-1")]
    if media.startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            return [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
    if media.startswith("image/png"):
        return [response.content.decode("latin-1")]
    return [response.text]


Requests = list[tuple[str, dict[str, Any]]]


def _calls(demo: Demo, app_paths: dict[str, dict[str, Any]]) -> dict[str, Requests]:
    """For every GET route, the requests about the natural person: path parameters filled in
    from the demo, and the query parameters that filter to that holder or page furthest."""
    reg = demo.registration
    address = demo.person["address"]
    fingerprint = reg["fingerprint"]
    values: dict[str, Any] = {
        "number": reg["certificate_number"],
        "reg_id": reg["id"],
        "fingerprint": fingerprint,
        "address": address,
        "recipient": address,
        "objection_id": demo.seeded["registrations"]["clinic"]["objection_id"],
        "code": 440,
        "registrar_code": 440,
        "list": "encumbrances",
        "page": 0,
        "pledge_id": 1,
        "licence_id": 1,
        "valuation_id": 1,
        "chart": "industry",
        "fmt": "svg",
    }
    filters = {
        "holder": address,
        "anchorer": address,
        "party": address,
        "certificate": reg["certificate_number"],
    }
    calls: dict[str, Requests] = {}
    for path, operations in app_paths.items():
        get = operations.get("get")
        if get is None:
            continue
        parameters = get.get("parameters", [])
        url = path
        for p in parameters:
            if p["in"] == "path":
                assert p["name"] in values, f"{path}: no demo value for {{{p['name']}}}"
                value = values[p["name"]]
                if path == "/api/v1/registrations/{number}":
                    value = reg["registration_number"]
                url = url.replace("{" + p["name"] + "}", str(value))
        query: dict[str, Any] = {}
        formats: list[str] = []
        for p in parameters:
            if p["in"] != "query":
                continue
            schema = p.get("schema", {})
            if p["name"] in filters:
                query[p["name"]] = filters[p["name"]]
            elif p["name"] == "limit" and "maximum" in schema:
                query["limit"] = schema["maximum"]
            elif p["name"] == "format":
                options = schema.get("enum") or next(
                    (s.get("enum") for s in schema.get("anyOf", []) if s.get("enum")), []
                )
                formats = list(options)
        calls[path] = [(url, {}), (url, query)] + [(url, {**query, "format": f}) for f in formats]
    for page in HTML_PAGES:
        calls.setdefault(page, [(page, {})])
    return calls


def test_no_public_route_shows_the_natural_persons_identifier_in_full(demo: Demo) -> None:
    identifier = demo.person["identifier"]
    assert demo.person["identifier_type"] == "id_card"
    masked = identifier[:6] + "*" * 8 + identifier[-4:]  # docs/privacy.md, "The masked form"
    # the identifier, and the parts a mask hides together with a neighbour
    hidden = {identifier, identifier[:14], identifier[4:]}
    app: Any = demo.client.app
    calls = _calls(demo, app.openapi()["paths"])
    assert calls.keys() >= PRIVATE_ROUTES
    assert calls.keys() >= SHOWS_HOLDER
    leaks: dict[str, list[str]] = {}
    shown: set[str] = set()
    answered = 0
    # anonymous, a signed-in outsider (the bank), and a regulator: only holder-identity shows
    # the identifier in full, to those privy to it
    viewers = [
        {},
        _signed_in(demo.client, _account(demo, "bank")),
        _signed_in(demo.client, _account(demo, "regulator")),
    ]
    for route, requests in sorted(calls.items()):
        if route in PRIVATE_ROUTES:
            continue
        for (url, params), viewer in itertools.product(requests, viewers):
            response = demo.client.get(url, params=params, headers=viewer)
            assert response.status_code < 500, (url, params, response.text)
            answered += response.status_code == 200
            for text in _texts(response):
                found = [s for s in hidden if s in text]
                if found:
                    leaks.setdefault(f"{url} {params}", []).extend(found)
                if masked in text and response.status_code == 200:
                    shown.add(route)
    assert leaks == {}, "public answers with the natural person's identifier"
    assert shown >= SHOWS_HOLDER, "answers that should show the masked identifier"
    assert answered > 150


def _signed_in(client: TestClient, account: LocalAccount) -> dict[str, str]:
    """Request headers of ``account`` signed in (Sign-In with Ethereum over REST)."""
    return sign_in(client, account)


def _account(demo: Demo, key: str) -> LocalAccount:
    return dev_account(
        next(p for p in demo.seeded["registrants"] if p["key"] == key)["account_index"]
    )


def test_nobody_else_sees_the_identifier_in_full(demo: Demo) -> None:
    path = f"/api/v1/applications/{demo.registration['id']}/holder-identity"
    assert demo.client.get(path).status_code == 401
    for key in ("bank", "appraiser", "admin"):
        answer = demo.client.get(path, headers=_signed_in(demo.client, _account(demo, key)))
        assert answer.status_code == 403, (key, answer.text)
        assert demo.person["identifier"] not in answer.text


@pytest.mark.parametrize(
    "who",
    [
        "holder",
        "registrar staff",  # registrar 440's staff account (the credential key's)
        "regulator",
    ],
)
def test_the_holder_identity_shows_it_in_full_and_verifies_against_the_chain(
    demo: Demo, who: str
) -> None:
    """The holder, its registrar's staff and regulators, signed in, see the identifier in full;
    anyone given the identifier and salt checks them against the on-chain hash with public data
    and docs/privacy.md alone."""
    reg, identifier = demo.registration, demo.person["identifier"]
    account = {
        "holder": dev_account(demo.person["account_index"]),
        "registrar staff": dev_account(DEV_CREDENTIAL_INDEX),
        "regulator": dev_account(
            next(p for p in demo.seeded["registrants"] if p["key"] == "regulator")["account_index"]
        ),
    }[who]
    answer = demo.client.get(
        f"/api/v1/applications/{reg['id']}/holder-identity",
        headers=_signed_in(demo.client, account),
    )
    assert answer.status_code == 200, answer.text
    identity = answer.json()
    assert identity["identifier"] == identifier
    assert identity["identifier_type"] == "id_card"
    assert identity["verified"] is True
    # step by step, docs/privacy.md "Verifying a disclosed identifier against the chain"
    on_chain = demo.client.get(
        f"/api/v1/applications/{reg['id']}", headers=_signed_in(demo.client, account)
    ).json()["metadata_hash"]
    number = reg["certificate_number"]
    body = demo.client.get(f"/api/v1/metadata/{number}/registered").content
    assert "0x" + hashlib.sha256(body).hexdigest() == on_chain
    holder = json.loads(body)["holder"]
    salt = bytes.fromhex(identity["salt"][2:])
    recomputed = hashlib.sha256(salt + b"id_card" + b"\x00" + identifier.encode()).hexdigest()
    assert holder["identifier_commitment"] == "0x" + recomputed
    assert holder["identifier"] == identifier[:6] + "********" + identifier[-4:]
    # a wrong identifier does not verify
    wrong = identifier[:-1] + ("0" if identifier[-1] != "0" else "1")
    assert hashlib.sha256(salt + b"id_card\x00" + wrong.encode()).hexdigest() != recomputed


def test_the_demo_manifest_lists_the_natural_person(demo: Demo) -> None:
    person = demo.person
    assert person["name"] == "张三"
    assert person["address"] == demo.registration["holder"]
    assert demo.registration["status"] == "issued"
    assert (
        demo.seeded["registrations"]["arcades"]["certificate_number"]
        == (demo.registration["certificate_number"])
    )
