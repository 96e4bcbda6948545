"""Relayed calls through the registry's ERC-2771 forwarder, against the real contracts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.domain.chain import ContractCall
from registry.errors import (
    ContractRevertError,
    InvalidRelayRequestError,
    RelayRequestExpiredError,
    RelaySignatureError,
    StaleRelayRequestError,
)
from registry.relay.service import MAX_TTL
from tests.registry.registration.conftest import travel
from tests.registry.rights.test_service import (
    bank,
    buyer,
    chain_now,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    licensee,
    pledge_terms,
    refused,
)


def test_a_holder_transfers_without_gas_and_the_contract_sees_the_holder(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx)
    poor = holder()
    before = ctx.client.balance(poor.address)
    call = ctx.rights.transfer_call(token, buyer().address, "sale", "买卖合同 No. 9")
    request = ctx.relay.prepare(call, poor.address)
    assert request.nonce == ctx.relay.nonce_of(poor.address)
    receipt = ctx.relay.submit(request, ctx.relay.sign(request, poor), ctx.operator)
    moved = ctx.rights.transfer_of(receipt)
    assert (moved.from_, moved.to) == (poor.address, buyer().address)
    assert ctx.rights.holder_of(token) == buyer().address
    assert ctx.client.balance(poor.address) == before  # the operator paid
    executed = [e for e in receipt.events if e.name == "ExecutedForwardRequest"]
    assert executed
    assert executed[0].args["signer"] == poor.address
    assert executed[0].args["success"] is True
    assert ctx.relay.nonce_of(poor.address) == request.nonce + 1


def test_a_refusal_comes_back_before_anyone_signs(ctx: RegistryContext) -> None:
    token = issue(ctx)
    call = ctx.rights.transfer_call(token, buyer().address, "sale", None)
    with refused("AgentNotHolder", 403) as refusal:
        ctx.relay.prepare(call, buyer().address)  # not the holder
    assert refusal.error.args_by_name["account"] == buyer().address
    ctx.rights.freeze(token, "（2026）粤01执保12号", grant_regulator(ctx))
    with refused("AgentFrozen", 409):
        ctx.relay.prepare(call, holder().address)


def test_the_relay_refuses_forged_altered_replayed_and_expired_requests(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx)
    call = ctx.rights.licence_call(token, licence_terms(ctx), holder().address)
    request = ctx.relay.prepare(call, holder().address)
    good = ctx.relay.sign(request, holder())
    with pytest.raises(RelaySignatureError, match="signed by"):
        ctx.relay.submit(request, ctx.relay.sign(request, licensee()), ctx.operator)
    with pytest.raises(RelaySignatureError, match="cannot be recovered"):
        ctx.relay.submit(request, bytes(64) + b"\x1b", ctx.operator)
    # signed data cannot be swapped for other data (another licensee, more gas)
    other = ctx.rights.licence_call(token, licence_terms(ctx, to=bank()), holder().address)
    swapped = replace(request, data=ctx.relay.prepare(other, holder().address).data)
    with pytest.raises(RelaySignatureError):
        ctx.relay.submit(swapped, good, ctx.operator)
    with pytest.raises(RelaySignatureError):
        ctx.relay.submit(replace(request, gas=request.gas * 2), good, ctx.operator)
    # a request goes only to this registry's relayed contracts, never with value
    to_forwarder = replace(request, to=ctx.relay.forwarder_address)
    with pytest.raises(InvalidRelayRequestError, match="not one of this registry"):
        ctx.relay.submit(to_forwarder, good, ctx.operator)
    with pytest.raises(InvalidRelayRequestError, match="no value"):
        ctx.relay.submit(replace(request, value=1), good, ctx.operator)
    with pytest.raises(InvalidRelayRequestError, match="not a call"):
        ctx.relay.submit(replace(request, data="0xdeadbeef"), good, ctx.operator)
    with pytest.raises(InvalidRelayRequestError, match="not relayed"):
        ctx.relay.prepare(ContractCall("RegistryForwarder", "execute", ()), holder().address)
    with pytest.raises(InvalidRelayRequestError, match="valid between"):
        ctx.relay.prepare(call, holder().address, ttl=MAX_TTL + 1)
    # the genuine one goes through once
    receipt = ctx.relay.submit(request, good, ctx.operator)
    assert ctx.rights.licence_of(receipt).licensor == holder().address
    with pytest.raises(StaleRelayRequestError, match="sent already"):
        ctx.relay.submit(request, good, ctx.operator)
    # a deadline passes
    late = ctx.relay.prepare(
        ctx.rights.termination_call(ctx.rights.licence_of(receipt).id, "到期前终止"),
        holder().address,
        ttl=60,
    )
    travel(ctx.client, 61)
    with pytest.raises(RelayRequestExpiredError):
        ctx.relay.submit(late, ctx.relay.sign(late, holder()), ctx.operator)


def test_the_forwarder_itself_refuses_a_forged_request(ctx: RegistryContext) -> None:
    """The on-chain check, without the service's own: the forwarder reverts."""
    token = issue(ctx)
    request = ctx.relay.prepare(
        ctx.rights.transfer_call(token, buyer().address, "sale", None), holder().address
    )
    forged = ctx.relay.sign(request, buyer())
    struct = (
        request.signer,
        request.to,
        0,
        request.gas,
        request.deadline,
        bytes.fromhex(request.data[2:]),
        forged,
    )
    with pytest.raises(ContractRevertError) as info:
        ctx.client.transact(
            "RegistryForwarder", ctx.relay.forwarder_address, "execute", [struct], ctx.operator
        )
    assert info.value.error_name == "ERC2771ForwarderInvalidSigner"
    assert ctx.rights.holder_of(token) == holder().address


def test_pledgee_actions_and_cancellation_relay_for_their_signers(ctx: RegistryContext) -> None:
    token = issue(ctx)
    pledge = ctx.rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    cancel = ctx.registrations.cancellation_call(token, "业务终止")
    with refused("AgentPledged", 409):
        ctx.relay.prepare(cancel, holder().address)
    deadline = chain_now(ctx.client) + timedelta(days=7)
    ctx.relay.relay(
        ctx.rights.consent_call(pledge.id, "cancel", holder().address, deadline),
        bank(),
        ctx.operator,
    )
    with refused("AgentNotPledgee", 403):
        ctx.relay.prepare(ctx.rights.release_call(pledge.id), holder().address)
    ctx.relay.relay(cancel, holder(), ctx.operator)
    assert ctx.registrations.get(token).status.value == "cancelled"
    # contracts v2: the cancellation settled the pledge; nothing is left to release
    assert ctx.rights.pledge(pledge.id).status.value == "settled"
    with refused("AgentPledgeNotLive"):
        ctx.relay.prepare(ctx.rights.release_call(pledge.id), bank().address)
    # the pledgee's release of a live pledge relays for the pledgee
    other = issue(ctx, fp=0xA2)
    second = ctx.rights.sign_and_register(pledge_terms(ctx, other), holder(), bank(), ctx.operator)
    ctx.relay.relay(ctx.rights.release_call(second.id), bank(), ctx.operator)
    assert ctx.rights.pledge(second.id).status.value == "released"


def test_unknown_signers_start_at_nonce_zero(ctx: RegistryContext) -> None:
    assert ctx.relay.nonce_of(dev_account(19).address) == 0
