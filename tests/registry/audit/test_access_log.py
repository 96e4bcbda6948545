"""The access log's writes outside the API (CLI commands, the demo's seeding) and its reads,
on SQLite and PostgreSQL: one row per transaction sent or refused, naming the account that
signed the action (not the operator that relayed it)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from registry.audit.access_log import collecting_transactions, recording_as
from registry.context import RegistryContext
from registry.domain.access import AccessEntry, AccessFilter, Channel, OutcomeClass
from registry.errors import ContractRevertError, InputError
from tests.databases import BACKENDS, checked_backend
from tests.registry.rights.test_service import buyer, grant_regulator, holder, regulator


@pytest.fixture(params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    return checked_backend(request.param)


def all_entries(ctx: RegistryContext, **criteria: object) -> list[AccessEntry]:
    entries, total = ctx.access_log.entries(AccessFilter(**criteria), limit=500)  # type: ignore[arg-type]
    assert total == len(entries)
    return entries


def test_each_transaction_is_recorded_with_its_signer(ctx: RegistryContext) -> None:
    before = {e.id for e in all_entries(ctx)}
    grant_regulator(ctx)
    # relayed: the regulator signs the forward request, the operator sends it
    call = ctx.rights.party_country_call(buyer().address, "CN")
    relayed = ctx.relay.relay(call, regulator(), ctx.operator)
    # an EIP-712 message the operator relays: the anchorer acts
    anchored = ctx.evidence.sign_and_relay(bytes([0x3C]) * 32, holder(), ctx.operator)
    # refused by the contract: no transaction, the refusal's code
    with pytest.raises(ContractRevertError):
        ctx.rights.set_party_country(buyer().address, "DE", holder())

    new = [e for e in reversed(all_entries(ctx)) if e.id not in before]
    assert [(e.action, e.caller, e.outcome) for e in new] == [
        ("RegistryAuthority.grantRole", new[0].sender, "sent"),
        ("TransferAgent.setPartyCountry", regulator().address, "sent"),
        ("EvidenceRegistry.anchorFor", holder().address, "sent"),
        (
            "TransferAgent.setPartyCountry",
            holder().address,
            "reverted contract_agent_not_regulator",
        ),
    ]
    assert all(e.channel == "cli" and e.client == "local" and e.role is None for e in new)
    assert new[1].sender == new[2].sender == ctx.operator.address
    assert new[3].sender == holder().address
    assert new[1].tx_hashes == (relayed.tx_hash.lower(),)
    assert new[2].tx_hashes == (str(anchored.record.tx_hash).lower(),)
    assert new[3].tx_hashes == ()
    # one command, one request id
    assert len({e.request_id for e in new}) == 1


def test_a_channel_names_its_writes_and_a_request_collects_them(ctx: RegistryContext) -> None:
    grant_regulator(ctx)
    call = ctx.rights.party_country_call(buyer().address, "CN")
    with recording_as(Channel.DEMO) as run:
        receipt = ctx.relay.relay(call, regulator(), ctx.operator)
    (entry,) = all_entries(ctx, tx_hash=receipt.tx_hash)
    assert (entry.channel, entry.request_id, entry.caller) == ("demo", run, regulator().address)

    count = len(all_entries(ctx))
    with collecting_transactions() as hashes:  # what the API's middleware does
        again = ctx.relay.relay(
            ctx.rights.party_country_call(buyer().address, None), regulator(), ctx.operator
        )
    assert hashes == [again.tx_hash.lower()]
    assert len(all_entries(ctx)) == count  # the request's own row records it


def test_filters(ctx: RegistryContext) -> None:
    grant_regulator(ctx)
    with pytest.raises(ContractRevertError):
        ctx.rights.set_party_country(buyer().address, "DE", holder())
    everything = all_entries(ctx)
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    assert [e.caller for e in all_entries(ctx, outcome=OutcomeClass.REVERTED)] == [holder().address]
    assert len(all_entries(ctx, outcome=OutcomeClass.SENT)) == len(everything) - 1
    assert all_entries(ctx, outcome=OutcomeClass.SUCCESS) == []
    assert len(all_entries(ctx, action="RegistryAuthority.grantRole")) == 1
    assert all_entries(ctx, caller=holder().address.lower()) == all_entries(
        ctx, outcome=OutcomeClass.REVERTED
    )
    newest = everything[0].recorded_at
    assert all_entries(ctx, since=newest)[0].id == everything[0].id
    assert all_entries(ctx, until=everything[-1].recorded_at) == []
    assert all_entries(ctx, since=newest + timedelta(seconds=1)) == []
    page, total = ctx.access_log.entries(AccessFilter(), limit=1, offset=1)
    assert total == len(everything)
    assert [e.id for e in page] == [everything[1].id]
    with pytest.raises(InputError):
        ctx.access_log.entries(AccessFilter(tx_hash="0x1234"))
