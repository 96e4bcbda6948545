"""Nothing a refused request carried is kept (issue 15): for each way a request is refused
(validation, authorisation, a signer who is not the caller, a contract refusal at simulation, a
bad signature) the row count of every table but the access log, and the files under ``var/``,
are what they were; the access log records that the request happened, not its body. An
accepted request still stores what it carried. Real chain, real database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from api.main import create_app
from registry.chain.client import dev_account
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.db.models import access_log_table
from registry.documents import DocumentStore
from tests.api.actors import V1, act, done, refused, sign_in
from tests.api.stored import Stored, stored
from tests.api.test_relay import freeze, sale, unfreeze
from tests.api.test_rights import _number, _signed, _terms
from tests.databases import BACKENDS, checked_backend
from tests.registry.registration.conftest import REGISTRAR_CODE, metadata, registrar
from tests.registry.rights.test_service import buyer, grant_regulator, holder, issue

#: A 100,000-character document (300 kB of UTF-8): the most a transfer's document may have.
DOCUMENT = ("数据资产转让合同第一条约定" * 10_000)[:100_000]
#: A natural person's full identifier, which only the private store may keep.
IDENTIFIER = "440106198506120029"


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    """Each test on SQLite and on PostgreSQL."""
    return checked_backend(str(request.param))


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    grant_regulator(ctx)
    with TestClient(create_app(ctx)) as api:
        yield api


def snapshot(ctx: RegistryContext) -> Stored:
    return stored(ctx.engine, ctx.settings.var_dir)


def only_logged(ctx: RegistryContext, before: Stored, requests: int) -> None:
    """Since ``before`` nothing was stored but one access-log row per request, and no row of
    the log carries a request's body."""
    after = snapshot(ctx)
    logged = before.rows["access_log"] + requests
    assert before.changes(after) == {"access_log": (before.rows["access_log"], logged)}
    with ctx.engine.connect() as connection:
        rows = connection.execute(select(access_log_table)).mappings().all()
    text = " ".join(str(value) for row in rows for value in row.values())
    assert DOCUMENT[:20] not in text
    assert IDENTIFIER not in text


def prepare_as(
    client: TestClient, path: str, body: dict[str, Any], caller: LocalAccount, signer: str
) -> Response:
    """``…/prepare`` signed in as ``caller`` for ``signer``."""
    return client.post(V1 + path, json={**body, "signer": signer}, headers=sign_in(client, caller))


def test_refused_transfer_prepares_keep_their_document_nowhere(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    path = f"/certificates/{number}/transfers/prepare"
    freeze(client, number)
    for account in (holder(), buyer()):
        sign_in(client, account)
    before = snapshot(ctx)

    # the caller is not the holder
    refused(act(client, path, sale(holder(), DOCUMENT), buyer()), 403, "role_required")
    # the holder prepares for someone else
    asked = prepare_as(client, path, sale(buyer(), DOCUMENT), holder(), buyer().address)
    refused(asked, 403, "signer_not_caller")
    # the contract refuses at simulation: the certificate is frozen
    refused(act(client, path, sale(buyer(), DOCUMENT), holder()), 409, "contract_agent_frozen")
    # invalid input: a mistyped address, a document over its limit
    refused(act(client, path, sale("0x12", DOCUMENT), holder()), 422, "invalid_input")
    refused(act(client, path, sale(buyer(), DOCUMENT + "。"), holder()), 422, "invalid_request")
    only_logged(ctx, before, requests=5)

    unfreeze(client, number)
    before = snapshot(ctx)
    accepted = prepare_as(client, path, sale(buyer(), DOCUMENT), holder(), holder().address)
    assert accepted.status_code == 200, accepted.text
    changed = before.changes(snapshot(ctx))
    assert changed.pop("document") == (before.rows["document"], before.rows["document"] + 1)
    assert set(changed) == {"access_log"}
    body = DOCUMENT.encode()
    assert DocumentStore(ctx.engine).get(hashlib.sha256(body).digest()) == (
        body,
        "text/plain; charset=utf-8",
    )


def test_refused_registrar_decisions_keep_their_reasons_nowhere(
    client: TestClient, ctx: RegistryContext
) -> None:
    application = ctx.registrations.sign_and_submit(
        metadata(holder().address, 0xC1), REGISTRAR_CODE, holder(), ctx.operator
    )
    base = f"/applications/{application.id}"
    decision = {"reason_code": 3, "reason": DOCUMENT[:4000], "ruling": DOCUMENT[-4000:]}
    for account in (registrar(), buyer()):
        sign_in(client, account)
    before = snapshot(ctx)

    # not staff of the application's registrar
    refused(act(client, f"{base}/reject/prepare", decision, buyer()), 403, "role_required")
    # the contract refuses: a submitted application is not revoked
    refused(
        act(client, f"{base}/revoke/prepare", decision, registrar()),
        409,
        "contract_registry_wrong_status",
    )
    # a reason over its limit
    too_long = {**decision, "reason": DOCUMENT[:4001]}
    refused(act(client, f"{base}/reject/prepare", too_long, registrar()), 422, "invalid_request")
    only_logged(ctx, before, requests=3)

    # the accepted decision keeps its reason, the refused ones' ruling stayed out
    rejected = done(act(client, f"{base}/reject/prepare", decision, registrar()))
    assert rejected["function"] == "reject"
    store = DocumentStore(ctx.engine)
    assert store.get(hashlib.sha256(decision["reason"].encode()).digest()) is not None
    assert store.get(hashlib.sha256(decision["ruling"].encode()).digest()) is None


def test_an_application_whose_signature_fails_keeps_nothing(
    client: TestClient, ctx: RegistryContext
) -> None:
    """A natural person's application: its metadata document and its full identifier are
    stored only when the chain accepts the signed application."""
    person, forger = dev_account(14), dev_account(15)
    as_person = sign_in(client, person)
    holder_ = {
        "name": "张三",
        "identifier_type": "id_card",
        "identifier": IDENTIFIER,
        "address": person.address,
    }
    doc = metadata(
        person.address, 0xD1, holder=holder_, applicant_type=4, description=DOCUMENT[:4000]
    ).model_dump(mode="json", by_alias=True)
    deadline = ctx.client.block().timestamp + 600
    before = snapshot(ctx)

    def submit(signature: bytes) -> Response:
        return client.post(
            f"{V1}/applications",
            json={
                "registrar_code": REGISTRAR_CODE,
                "applicant": person.address,
                "metadata": doc,
                "deadline": deadline,
                "signature": "0x" + signature.hex(),
            },
            headers=as_person,
        )

    # the forger signs a typed data of its own making (any document: the signature is wrong)
    forged = sign_typed_data(
        ctx.registrations.application_typed_data(
            metadata(person.address, 0xD1), REGISTRAR_CODE, person.address, deadline
        ),
        forger,
    )
    refused(submit(forged), 422, "contract_registry_invalid_signature")
    refused(submit(b"\x01" * 65), 422, "contract_registry_invalid_signature")
    only_logged(ctx, before, requests=2)

    # the typed-data request keeps the identifier's commitment (the document the applicant
    # signs hashes it); the accepted application then keeps its metadata document
    draft = client.post(
        f"{V1}/applications/typed-data",
        json={"registrar_code": REGISTRAR_CODE, "applicant": person.address, "metadata": doc},
        headers=as_person,
    )
    assert draft.status_code == 200, draft.text
    deadline = draft.json()["deadline"]
    middle = snapshot(ctx)
    assert middle.rows["private_identifier"] == before.rows["private_identifier"] + 1
    created = submit(sign_typed_data(draft.json()["typed_data"], person))
    assert created.status_code == 201, created.text
    after = snapshot(ctx)
    assert after.rows["document"] == middle.rows["document"] + 1
    assert after.rows["private_identifier"] == middle.rows["private_identifier"]


def test_a_relayed_request_with_a_bad_signature_keeps_nothing(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    prepared = prepare_as(
        client,
        f"/certificates/{number}/transfers/prepare",
        sale(buyer(), "转让合同"),
        holder(),
        holder().address,
    )
    assert prepared.status_code == 200, prepared.text
    request = prepared.json()["request"]
    before = snapshot(ctx)
    signature = "0x" + sign_typed_data(prepared.json()["typed_data"], buyer()).hex()
    relayed = client.post(
        f"{V1}/relay",
        json={"request": request, "signature": signature},
        headers=sign_in(client, holder()),
    )
    refused(relayed, 422, "invalid_signature")
    only_logged(ctx, before, requests=1)


def test_a_pledge_whose_signature_fails_keeps_its_loan_reference_nowhere(
    client: TestClient, ctx: RegistryContext
) -> None:
    number = _number(ctx, issue(ctx))
    reference = "粤农信贷字2026第" + "0" * 480 + "7号"  # 500 characters, the most there is
    body = _signed(client, _terms(ctx, number, loan_reference=reference))
    as_holder = sign_in(client, holder())
    before = snapshot(ctx)
    altered = {**body, "terms": {**body["terms"], "secured_amount": 5_000_000_01}}
    refused(
        client.post(f"{V1}/pledges", json=altered, headers=as_holder),
        422,
        "contract_agent_invalid_signature",
    )
    only_logged(ctx, before, requests=1)
    created = client.post(f"{V1}/pledges", json=body, headers=as_holder)
    assert created.status_code == 201, created.text
    assert DocumentStore(ctx.engine).get(hashlib.sha256(reference.encode()).digest()) is not None
