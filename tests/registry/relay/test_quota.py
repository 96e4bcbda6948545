"""The relay quotas on the real chain and database: per party and for everyone, per rolling
hour; over them nothing is sent, and a request the chain refuses counts for nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from sqlalchemy import update

from registry.chain.eip712 import sign_typed_data
from registry.context import RegistryContext
from registry.db.models import relay_usage_table
from registry.errors import ContractRevertError, RelayQuotaExceededError
from registry.relay.quota import QUOTA_WINDOW, RelayQuota
from registry.settings import Settings
from tests.registry.rights.test_service import bank, buyer, holder, issue, pledge_terms


def stranger(label: str) -> LocalAccount:
    """A brand-new key that has never held any ether."""
    account: LocalAccount = Account.from_key(keccak(text=f"dareg quota {label}"))
    return account


def limited(
    ctx: RegistryContext, *, per_address: int = 120, global_limit: int = 5000
) -> RegistryContext:
    """The same registry (chain, deployment, database) with other quotas."""
    settings = ctx.settings.model_copy(
        update={"relay_quota_per_address": per_address, "relay_quota_global": global_limit}
    )
    return RegistryContext.connect(settings, ctx.client, ctx.manifest)


def fingerprint(n: int) -> bytes:
    return bytes([0xF0, n]) * 16


class Operator:
    """The operator's balance and nonce, to show a refusal cost it nothing."""

    def __init__(self, ctx: RegistryContext) -> None:
        self.ctx = ctx
        self.before = self.now()

    def now(self) -> tuple[int, int]:
        address = self.ctx.operator.address
        nonce = int(self.ctx.client.rpc("eth_getTransactionCount", [address, "latest"]), 16)
        return self.ctx.client.balance(address), nonce

    def unchanged(self) -> bool:
        return self.now() == self.before


def age(ctx: RegistryContext, party: str, by: timedelta) -> None:
    """Move ``party``'s counted transactions ``by`` into the past."""
    with ctx.engine.begin() as connection:
        connection.execute(
            update(relay_usage_table)
            .where(relay_usage_table.c.party == party)
            .values(spent_at=datetime.now(tz=UTC) - by)
        )


def test_the_settings_set_the_quotas(ctx: RegistryContext, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (ctx.relay_quota.per_address, ctx.relay_quota.global_limit) == (120, 5000)
    monkeypatch.setenv("DAREG_RELAY_QUOTA_PER_ADDRESS", "7")
    monkeypatch.setenv("DAREG_RELAY_QUOTA_GLOBAL", "70")
    assert (Settings().relay_quota_per_address, Settings().relay_quota_global) == (7, 70)
    small = limited(ctx, per_address=3, global_limit=7)
    assert (small.relay_quota.per_address, small.relay_quota.global_limit) == (3, 7)
    with pytest.raises(ValueError, match="at least one"):
        RelayQuota(ctx.engine, per_address=0, global_limit=1)


def test_a_party_over_its_hourly_quota_is_refused_and_nothing_is_sent(
    ctx: RegistryContext,
) -> None:
    small = limited(ctx, per_address=2)
    poor = stranger("per address")
    for n in (1, 2):
        assert small.evidence.sign_and_relay(fingerprint(n), poor, small.operator).created
    assert small.relay_quota.usage(poor.address).party == 2
    operator = Operator(small)
    with pytest.raises(RelayQuotaExceededError) as refusal:
        small.evidence.sign_and_relay(fingerprint(3), poor, small.operator)
    error = refusal.value
    assert (error.code, error.http_status) == ("relay_quota_exceeded", 429)
    assert error.details["scope"] == "address"
    assert error.details["limit"] == 2
    assert 0 < error.details["retry_after"] <= 3600
    assert operator.unchanged()
    assert small.evidence.lookup_by(fingerprint(3), poor.address) is None
    assert small.relay_quota.usage(poor.address).party == 2  # the refusal is not counted
    assert small.client.balance(poor.address) == 0
    # another party is not held back by this one's quota
    assert small.evidence.sign_and_relay(fingerprint(3), buyer(), small.operator).created


def test_the_window_is_one_rolling_hour(ctx: RegistryContext) -> None:
    small = limited(ctx, per_address=1)
    poor = stranger("window")
    small.evidence.sign_and_relay(fingerprint(1), poor, small.operator)
    age(small, poor.address, QUOTA_WINDOW - timedelta(minutes=1))  # 59 minutes ago: counts
    with pytest.raises(RelayQuotaExceededError) as refusal:
        small.evidence.sign_and_relay(fingerprint(2), poor, small.operator)
    assert refusal.value.details["retry_after"] <= 60
    age(small, poor.address, QUOTA_WINDOW + timedelta(seconds=1))  # over an hour: it does not
    assert small.relay_quota.usage(poor.address).party == 0
    assert small.evidence.sign_and_relay(fingerprint(2), poor, small.operator).created
    assert small.relay_quota.usage(poor.address).party == 1


def test_the_global_quota_holds_back_everyone(ctx: RegistryContext) -> None:
    first, second, third = stranger("g1"), stranger("g2"), stranger("g3")
    small = limited(ctx, global_limit=ctx.relay_quota.usage(first.address).total + 2)
    small.evidence.sign_and_relay(fingerprint(1), first, small.operator)
    small.evidence.sign_and_relay(fingerprint(2), second, small.operator)
    operator = Operator(small)
    with pytest.raises(RelayQuotaExceededError) as refusal:
        small.evidence.sign_and_relay(fingerprint(3), third, small.operator)
    assert refusal.value.details["scope"] == "global"
    assert "all parties" in refusal.value.message
    assert operator.unchanged()
    assert small.relay_quota.usage(third.address).party == 0


def test_a_request_the_chain_refuses_costs_nothing_and_counts_for_nothing(
    ctx: RegistryContext,
) -> None:
    small = limited(ctx, per_address=1)
    poor = stranger("refused")
    deadline = small.client.block().timestamp + 600
    typed = small.evidence.typed_data(fingerprint(1), poor.address, deadline)
    forged = sign_typed_data(typed, buyer())  # not the anchorer's signature
    operator = Operator(small)
    with pytest.raises(ContractRevertError):
        small.evidence.relay(fingerprint(1), poor.address, deadline, forged, small.operator)
    assert operator.unchanged()
    assert small.relay_quota.usage(poor.address).party == 0
    # the quota is still whole: the genuine anchor goes through
    assert small.evidence.sign_and_relay(fingerprint(1), poor, small.operator).created


def test_every_operator_paid_path_counts_for_its_party(ctx: RegistryContext) -> None:
    """The relay (for the signer), applications (the applicant), anchors (the anchorer) and
    pledges (the pledgor) all go through the one quota; the party's own transactions do not."""
    token = issue(ctx)  # the application was relayed for the holder
    quota = ctx.relay_quota
    assert quota.usage(holder().address).party == 1
    ctx.evidence.sign_and_relay(fingerprint(9), holder(), ctx.operator)
    assert quota.usage(holder().address).party == 2
    call = ctx.rights.transfer_call(token, buyer().address, "sale", None)
    ctx.relay.relay(call, holder(), ctx.operator)
    assert quota.usage(holder().address).party == 3
    ctx.evidence.anchor(fingerprint(10), buyer())  # the buyer's own transaction
    assert quota.usage(buyer().address).party == 0
    small = limited(ctx, per_address=1)
    small.evidence.sign_and_relay(fingerprint(11), buyer(), small.operator)
    back = small.rights.transfer_call(token, holder().address, "sale", None)
    operator = Operator(small)
    with pytest.raises(RelayQuotaExceededError):
        small.relay.relay(back, buyer(), small.operator)
    assert operator.unchanged()
    assert small.rights.holder_of(token) == buyer().address
    ctx.rights.sign_and_register(pledge_terms(ctx, token), buyer(), bank(), ctx.operator)
    assert quota.usage(buyer().address).party == 2  # the anchor and the pledge, for the pledgor
    assert quota.usage(bank().address).party == 0
