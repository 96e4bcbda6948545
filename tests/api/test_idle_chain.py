"""Signed requests on an idle development chain (issue 15): the embedded chain mines only when
it is sent a transaction, so after it has been idle for longer than a request's lifetime the
head block's time is far behind. Deadlines follow the wall clock (never earlier than the head
block's time), so a request prepared then still goes through.

The chain is idled by moving the clocks, not the chain: the node's clock with
``evm_increaseTime`` (which mines nothing) and the service's injected wall clock by as much."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from registry.chain.client import ChainClient
from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from tests.api.actors import V1, act, done, refused, sign_in
from tests.registry.registration.conftest import REGISTRAR_CODE, metadata, registrar
from tests.registry.rights.test_service import holder

#: The lifetime of the application's signature the API gives by default (ApplicationDraft).
TTL = 600
IDLE = TTL + 300


class MovableClock:
    """A wall clock that runs like the real one from ``start`` and is moved by :meth:`move`."""

    def __init__(self, start: float) -> None:
        self._start = start
        self._began = time.monotonic()
        self._moved = 0.0

    def __call__(self) -> float:
        return self._start + (time.monotonic() - self._began) + self._moved

    def move(self, seconds: float) -> None:
        self._moved += seconds


@pytest.fixture
def clock(chain: ChainClient) -> MovableClock:
    """The service's wall clock, where the node's is now (the session chain's clock may run
    ahead of the real one: earlier tests moved it)."""
    chain.rpc("evm_mine")
    return MovableClock(chain.block().timestamp)


@pytest.fixture
def client(ctx: RegistryContext, clock: MovableClock) -> Iterator[TestClient]:
    """The API of a context on the same chain and database as ``ctx``, on ``clock``."""
    clocked = RegistryContext.open(ctx.settings, client=ctx.client, wall_clock=clock)
    with TestClient(create_app(clocked)) as api:
        yield api


def idle(chain: ChainClient, clock: MovableClock, seconds: int) -> None:
    """The chain idles ``seconds``: both clocks move, no block is mined."""
    head = chain.head()
    chain.rpc("evm_increaseTime", [seconds])
    clock.move(seconds)
    assert chain.head() == head


def test_a_signed_application_goes_through_after_the_chain_idled_past_its_lifetime(
    client: TestClient, ctx: RegistryContext, clock: MovableClock
) -> None:
    applicant = holder()
    headers = sign_in(client, applicant)
    doc = metadata(applicant.address, 0xF1).model_dump(mode="json", by_alias=True)
    idle(ctx.client, clock, IDLE)

    # the old computation, the head block's time plus the lifetime, has expired already
    stale = ctx.client.block().timestamp + TTL
    assert stale < clock()
    typed = ctx.registrations.application_typed_data(
        metadata(applicant.address, 0xF1), REGISTRAR_CODE, applicant.address, stale
    )
    body = {"registrar_code": REGISTRAR_CODE, "applicant": applicant.address, "metadata": doc}
    expired = client.post(
        f"{V1}/applications",
        json={
            **body,
            "deadline": stale,
            "signature": "0x" + sign_typed_data(typed, applicant).hex(),
        },
        headers=headers,
    )
    refused(expired, 422, "contract_registry_expired_signature")

    idle(ctx.client, clock, IDLE)  # and once more, after that refusal's block
    draft = client.post(f"{V1}/applications/typed-data", json=body, headers=headers)
    assert draft.status_code == 200, draft.text
    deadline = draft.json()["deadline"]
    created = client.post(
        f"{V1}/applications",
        json={
            **body,
            "deadline": deadline,
            "signature": "0x" + sign_typed_data(draft.json()["typed_data"], applicant).hex(),
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert deadline > ctx.client.block().timestamp  # the block that took it
    reg_id = created.json()["id"]

    # a forward request prepared after the chain idled again is relayed too
    idle(ctx.client, clock, IDLE)
    accepted = done(act(client, f"/applications/{reg_id}/accept/prepare", {}, registrar()))
    assert accepted["function"] == "accept"
