"""Every GET only reads: the API over a read-only database answers as it does over a writable one.

The seeded market of the report tests (certificates, a sale, a pledge, a licence and a
sublicence, a freeze, valuations, an expiry, a cancellation) is mirrored the normal way; then a
second app is built over the same registry whose engine the database keeps read-only
(:func:`registry.db.engine.make_engine` with ``read_only=True``). Every GET route of the
OpenAPI document (and the HTML pages it leaves out, :data:`HTML_PAGES`) is called, every call
on the read-only app first (so a GET that writes what is not there yet is caught), then on the
writable one: the same status, the same body where it is deterministic, never a 500. A GET
route of the document without an entry in :func:`_calls` fails the test, so a new route is
covered as soon as it exists.

A route that needs a caller is called signed in as the market's regulator, who may read every
one (its session is opened on the writable app: signing in writes the nonce and the session,
and a session is then only read); a public route is called anonymously, as anyone would.

No GET may write: the derived tables a report reads (asset facts, the statistics cache) are
kept up to date by the indexer (:mod:`registry.indexer.derived`), never by the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError

from api.main import create_app
from registry import mirror
from registry.context import RegistryContext
from registry.db.engine import make_engine
from tests.api.actors import sign_in
from tests.databases import BACKENDS, checked_backend
from tests.registry.registration.conftest import REGISTRAR_CODE
from tests.registry.reports.scenario import Market, build
from tests.registry.rights.test_service import buyer, holder, regulator

#: Routes whose answers differ between two calls, compared by status and media type only:
#: ``audit`` states when it was checked; PDFs, charts and the statistics page (charts inline)
#: carry creation times or are drawn again; a status list credential is valid from now.
NOT_DETERMINISTIC = frozenset(
    {
        "/api/v1/audit",
        "/api/v1/certificates/{number}/pdf",
        "/api/v1/regulator/statistics/charts/{chart}.{fmt}",
        "/api/v1/status-lists/{registrar_code}/{list}/{page}",
        "/regulator/statistics",
    }
)

#: GET routes the OpenAPI document leaves out (HTML pages), called as well.
HTML_PAGES = frozenset({"/", "/verify", "/regulator/statistics"})

#: The HTML pages' requirement (the OpenAPI document gives every other route's ``x-dareg-role``).
HTML_PAGE_ROLES = {"/": "public", "/verify": "public", "/regulator/statistics": "regulator"}

#: What a read-only database says when it is asked to write (SQLite, PostgreSQL).
READ_ONLY_REFUSALS = ("attempt to write a readonly database", "read-only transaction")


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    return checked_backend(str(request.param))


@dataclass(frozen=True)
class Call:
    """One request of a route: the path with its parameters filled in, and the query."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What the app answered, or the database error it failed with."""

    status: int | None
    media_type: str | None = None
    body: Any = None
    refused: DBAPIError | None = None


def _calls(ctx: RegistryContext, market: Market) -> dict[str, list[Call]]:
    """For every GET route (by its OpenAPI path), the requests that exercise it on ``market``."""
    engine = ctx.engine
    a, b = (mirror.registration_row(engine, token) for token in (market.a, market.b))
    assert a is not None
    assert b is not None
    certificate_a, certificate_b = a.certificate_number, b.certificate_number
    assert certificate_a
    assert certificate_b
    pledge = mirror.pledges_of_token(engine, market.a)[0]
    licence = mirror.licences_of_token(engine, market.b)[-1]  # the sublicence
    valuation = mirror.valuations_of_token(engine, market.b)[-1]
    evidence = mirror.list_evidence(engine, limit=1)[0]
    v1 = "/api/v1"
    regulator = f"{v1}/regulator"
    return {
        f"{v1}/health": [Call(f"{v1}/health")],
        f"{v1}/deployment": [Call(f"{v1}/deployment")],
        f"{v1}/auth/session": [Call(f"{v1}/auth/session")],
        f"{v1}/api-keys": [Call(f"{v1}/api-keys")],
        f"{v1}/evidence": [
            Call(f"{v1}/evidence"),
            Call(f"{v1}/evidence", {"anchorer": holder().address, "limit": 2}),
        ],
        f"{v1}/evidence/{{fingerprint}}": [Call(f"{v1}/evidence/{evidence.fingerprint_hex}")],
        f"{v1}/applications": [
            Call(f"{v1}/applications"),
            Call(f"{v1}/applications", {"status": "expired"}),
            Call(f"{v1}/applications", {"holder": holder().address, "kind": "product"}),
        ],
        f"{v1}/applications/{{reg_id}}": [Call(f"{v1}/applications/{market.a}")],
        f"{v1}/registrations/{{number}}": [Call(f"{v1}/registrations/{a.registration_number}")],
        f"{v1}/applications/{{reg_id}}/versions": [Call(f"{v1}/applications/{market.a}/versions")],
        f"{v1}/applications/{{reg_id}}/holder-identity": [
            Call(f"{v1}/applications/{market.a}/holder-identity")
        ],
        # The market files no objection: both apps answer 404 alike.
        f"{v1}/objections/{{objection_id}}": [Call(f"{v1}/objections/1")],
        f"{v1}/registrars/{{code}}": [Call(f"{v1}/registrars/{REGISTRAR_CODE}")],
        # The service's credential account is not the market registrar's: 404 in both apps.
        f"{v1}/registrars/{{code}}/document-signing-certificate": [
            Call(f"{v1}/registrars/{REGISTRAR_CODE}/document-signing-certificate")
        ],
        f"{v1}/certificates/{{number}}": [Call(f"{v1}/certificates/{certificate_b}")],
        f"{v1}/certificates/{{number}}/credential": [
            Call(f"{v1}/certificates/{certificate_b}/credential")
        ],
        f"{v1}/certificates/{{number}}/pdf": [Call(f"{v1}/certificates/{certificate_b}/pdf")],
        f"{v1}/certificates/{{number}}/card.svg": [
            Call(f"{v1}/certificates/{certificate_b}/card.svg")
        ],
        f"{v1}/metadata/{{number}}": [Call(f"{v1}/metadata/{certificate_b}")],
        f"{v1}/status-lists/{{registrar_code}}/{{list}}/{{page}}": [
            Call(f"{v1}/status-lists/{REGISTRAR_CODE}/encumbrances/0")
        ],
        f"{v1}/metadata/{{number}}/registered": [Call(f"{v1}/metadata/{certificate_b}/registered")],
        f"{v1}/verify/{{number}}": [
            Call(f"{v1}/verify/{certificate_a}"),
            Call(f"{v1}/verify/{certificate_b}", {"block": market.valued}),
        ],
        f"{v1}/pledges": [
            Call(f"{v1}/pledges", {"holder": buyer().address}),
            Call(f"{v1}/pledges", {"certificate": certificate_a, "live": True}),
        ],
        f"{v1}/pledges/{{pledge_id}}": [Call(f"{v1}/pledges/{pledge.id}")],
        f"{v1}/licences": [Call(f"{v1}/licences")],
        f"{v1}/licences/{{licence_id}}": [Call(f"{v1}/licences/{licence.id}")],
        f"{v1}/licences/{{licence_id}}/policy": [Call(f"{v1}/licences/{licence.id}/policy")],
        f"{v1}/certificates/{{number}}/licences": [
            Call(f"{v1}/certificates/{certificate_b}/licences", {"live": True})
        ],
        f"{v1}/certificates/{{number}}/transfers": [
            Call(f"{v1}/certificates/{certificate_a}/transfers")
        ],
        f"{v1}/certificates/{{number}}/valuations": [
            Call(f"{v1}/certificates/{certificate_b}/valuations")
        ],
        f"{v1}/valuations/{{valuation_id}}": [Call(f"{v1}/valuations/{valuation.id}")],
        f"{v1}/certificates/{{number}}/freeze": [Call(f"{v1}/certificates/{certificate_a}/freeze")],
        f"{v1}/certificates/{{number}}/cross-border-records/{{recipient}}": [
            Call(f"{v1}/certificates/{certificate_a}/cross-border-records/{buyer().address}")
        ],
        f"{v1}/parties/{{address}}/country": [Call(f"{v1}/parties/{buyer().address}/country")],
        f"{v1}/appraisers/{{address}}": [Call(f"{v1}/appraisers/{valuation.appraiser}")],
        f"{v1}/audit": [Call(f"{v1}/audit")],
        f"{regulator}/assets/{{number}}/timeline": [
            Call(f"{regulator}/assets/{certificate_a}/timeline"),
            Call(f"{regulator}/assets/{certificate_a}/timeline", {"format": "csv"}),
        ],
        f"{regulator}/assets/{{number}}/lineage": [
            Call(f"{regulator}/assets/{certificate_a}/lineage", {"as_of_block": market.sold})
        ],
        f"{regulator}/assets/{{number}}/custody": [
            Call(f"{regulator}/assets/{certificate_a}/custody")
        ],
        f"{regulator}/parties/{{address}}/trace": [
            Call(f"{regulator}/parties/{holder().address}/trace")
        ],
        f"{regulator}/access-log": [
            Call(f"{regulator}/access-log"),
            Call(f"{regulator}/access-log", {"outcome": "sent", "limit": 2, "offset": 1}),
        ],
        f"{regulator}/statistics": [
            Call(f"{regulator}/statistics"),
            Call(f"{regulator}/statistics", {"format": "csv", "table": "months"}),
        ],
        f"{regulator}/statistics/charts/{{chart}}.{{fmt}}": [
            Call(f"{regulator}/statistics/charts/industry.svg")
        ],
        "/verify/{number}": [Call(f"/verify/{certificate_a}")],
        "/contexts": [Call("/contexts")],
        "/contexts/credentials/v2": [Call("/contexts/credentials/v2")],
        "/contexts/dareg/v1": [Call("/contexts/dareg/v1")],
        # HTML pages the OpenAPI document leaves out.
        "/": [Call("/")],
        "/verify": [Call("/verify")],
        "/regulator/statistics": [Call("/regulator/statistics")],
    }


def _get_routes(client: TestClient) -> dict[str, str]:
    """Every GET route of the OpenAPI document, with its requirement (``x-dareg-role``)."""
    app: Any = client.app
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {
        path: operations["get"]["x-dareg-role"]
        for path, operations in paths.items()
        if "get" in operations
    }


def _answer(
    get: Callable[..., httpx.Response], call: Call, route: str, headers: dict[str, str]
) -> Answer:
    try:
        response = get(call.url, params=call.params, headers=headers)
    except DBAPIError as exc:
        return Answer(status=None, refused=exc)
    media_type = response.headers.get("content-type", "").split(";")[0]
    if route in NOT_DETERMINISTIC:
        body = None
    elif media_type == "application/json":
        body = response.json()
    else:
        body = response.content
    return Answer(response.status_code, media_type, body)


@pytest.fixture
def read_only_context(ctx: RegistryContext) -> Iterator[RegistryContext]:
    engine = make_engine(ctx.settings.effective_database_url, read_only=True)
    try:
        reader = RegistryContext(
            settings=ctx.settings,
            client=ctx.client,
            manifest=ctx.manifest,
            engine=engine,
            operator_account=ctx.operator_account,
            credential_account=ctx.credential_account,
        )
        # the writable context records what the client sends (the reader took the client's
        # access-log listener over when it was built, and could not write a row)
        ctx.access_log.listen()
        yield reader
    finally:
        engine.dispose()


def test_every_get_route_answers_alike_over_a_read_only_database(
    ctx: RegistryContext, read_only_context: RegistryContext
) -> None:
    market = build(ctx)
    calls = _calls(ctx, market)
    with (
        TestClient(create_app(read_only_context)) as reader,
        TestClient(create_app(ctx)) as writer,
    ):
        roles = {**_get_routes(writer), **HTML_PAGE_ROLES}
        documented = roles.keys() - HTML_PAGES
        assert documented - calls.keys() == set(), "GET routes this test does not call yet"
        routes = documented | HTML_PAGES
        assert calls.keys() - routes == set(), "routes in this test that are gone"
        as_regulator = sign_in(writer, regulator())  # the market granted it the role
        headers = {
            route: {} if roles[route] == "public" else as_regulator for route in sorted(routes)
        }
        every = [(route, call) for route in sorted(routes) for call in calls[route]]
        # Every read-only call before any writable one, which may fill what a GET would write.
        read_only = [_answer(reader.get, call, route, headers[route]) for route, call in every]
        writable = [_answer(writer.get, call, route, headers[route]) for route, call in every]
        differ: dict[str, tuple[Answer, Answer]] = {}
        refused: dict[str, list[str]] = {}
        for (route, call), mine, theirs in zip(every, read_only, writable, strict=True):
            assert theirs.status is not None, (route, theirs)
            assert theirs.status < 500, (route, theirs)
            assert theirs.status not in (401, 403), (route, theirs)
            if mine.refused is not None:
                refused.setdefault(route, []).append(str(mine.refused.orig))
            elif mine != theirs:
                differ[f"{call.url} {call.params}"] = (mine, theirs)
    assert differ == {}, "GETs that answer differently over a read-only database"
    assert refused == {}, "GETs that write"


def test_a_read_only_engine_refuses_writes_and_serves_reads(ctx: RegistryContext) -> None:
    """The mechanism itself, on both backends: a read works, a write is the database's error."""
    engine = make_engine(ctx.settings.effective_database_url, read_only=True)
    try:
        assert mirror.indexer_head(engine, ctx.manifest.chain_id) is None
        with pytest.raises(DBAPIError) as refusal, engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE never_made (x INTEGER)")
        assert any(words in str(refusal.value.orig) for words in READ_ONLY_REFUSALS)
    finally:
        engine.dispose()
