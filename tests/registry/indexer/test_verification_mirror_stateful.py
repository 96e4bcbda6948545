"""The mirror's answer for verification equals a direct chain read, whatever happened before.

A Hypothesis state machine drives random sequences of licences, sublicences, terminations,
sales (with the pledgee's consent when pledged), pledges, releases, enforcements, freezes,
court orders and time travel over two issued certificates on the real chain. After every
step the indexer catches up and, for every certificate, the SQL mirror must state the same
holder, live pledge, freeze and live licences as direct chain reads at the indexed block, and
:class:`VerificationService` (which reads only the chain) must agree with both.

Refused actions (``ContractRevertError``) are part of the game: the invariant is the point.
Each example runs between ``evm_snapshot`` and ``evm_revert``, on its own database (a copy of
the one the certificates were issued with, before any indexing), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ClassVar

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from registry import mirror
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.db.engine import make_engine
from registry.domain.registration import Right
from registry.domain.rights import ConsentAction
from registry.errors import ContractRevertError
from registry.indexer.follow import Indexer
from tests.databases import NewDatabaseUrl
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
    regulator,
    sublicensee,
)

pytestmark = pytest.mark.slow

DAY = 86_400
LEDGER = "DataAssetRegistry"
AGENT = "TransferAgent"
OUTSIDER = dev_account(12)
PARTIES = [holder(), buyer(), bank(), licensee(), sublicensee()]
ACCOUNTS: dict[str, LocalAccount] = {a.address.lower(): a for a in [*PARTIES, OUTSIDER]}


def account(address: str) -> LocalAccount:
    return ACCOUNTS[address.lower()]


def same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


class VerificationMirrorMachine(RuleBasedStateMachine):
    base: ClassVar[RegistryContext | None] = None
    new_database_url: ClassVar[NewDatabaseUrl | None] = None
    tokens: ClassVar[list[int]] = []
    counter: ClassVar[itertools.count[int]] = itertools.count()

    def __init__(self) -> None:
        super().__init__()
        base, new_database_url = self.base, type(self).new_database_url
        assert base is not None
        assert new_database_url is not None
        self.chain = base.client
        self.snapshot = self.chain.rpc("evm_snapshot")
        url = new_database_url(
            f"example-{next(self.counter)}", copy_of=base.settings.effective_database_url
        )
        self.ctx = dataclasses.replace(base, engine=make_engine(url))
        self.rights = self.ctx.rights
        self.verification = self.ctx.verification
        self.indexer = Indexer(self.ctx.client, self.ctx.manifest, self.ctx.engine)
        self.numbers = {t: self.rights.certificate_number(t) for t in self.tokens}
        self.addresses = {
            LEDGER: self.ctx.registrations.contract_address,
            AGENT: self.rights.agent_address,
        }
        self.pledges: list[int] = []
        self.licences: list[int] = []

    def teardown(self) -> None:
        self.ctx.engine.dispose()
        self.chain.rpc("evm_revert", [self.snapshot])
        self.chain.reset_nonces()

    def _try(self, action: Callable[[], object]) -> None:
        """Run ``action``; a refusal by the contracts is fine."""
        with contextlib.suppress(ContractRevertError):
            action()

    def _pick(self, ids: list[int], pick: int) -> int:
        """Mostly the newest (the likeliest to be live), sometimes any."""
        return ids[-1] if pick % 3 else ids[pick % len(ids)]

    def _holder(self, token: int) -> LocalAccount:
        return account(self.rights.holder_of(token))

    # --- licences ------------------------------------------------------------------------------

    @rule(
        token=st.sampled_from([0, 1]),
        to=st.sampled_from(PARTIES),
        exclusive=st.booleans(),
        right=st.sampled_from([Right.PROCESSING_USE, Right.PRODUCT_OPERATION]),
        days=st.sampled_from([3, 30, 365]),
        as_holder=st.sampled_from([True, True, True, False]),
        consent=st.booleans(),
    )
    def grant_licence(
        self,
        token: int,
        to: LocalAccount,
        exclusive: bool,
        right: Right,
        days: int,
        as_holder: bool,
        consent: bool,
    ) -> None:
        token_id = self.tokens[token]
        grantor = self._holder(token_id) if as_holder else OUTSIDER
        live = self.rights.live_pledge_of(token_id)
        if exclusive and consent and live is not None:
            pledgee = account(live.pledgee)
            self._try(
                lambda: self.rights.grant_consent(
                    live.id, ConsentAction.EXCLUSIVE_LICENCE, to.address, self._soon(), pledgee
                )
            )
        terms = licence_terms(self.ctx, to, days=days, exclusive=exclusive, right=right)

        def grant() -> None:
            self.licences.append(self.rights.grant_licence(token_id, terms, grantor).id)

        self._try(grant)

    @precondition(lambda self: self.licences)
    @rule(pick=st.integers(0, 30), to=st.sampled_from(PARTIES), days=st.sampled_from([1, 20]))
    def grant_sublicence(self, pick: int, to: LocalAccount, days: int) -> None:
        parent = self.rights.licence(self._pick(self.licences, pick))
        terms = licence_terms(
            self.ctx,
            to,
            days=days,
            right=parent.right,
            purposes=["research"],
            territories=["hong_kong"],
            sublicensable=False,
            fee_terms=None,
        )

        def grant() -> None:
            sub = self.rights.grant_sublicence(parent.id, terms, account(parent.licensee))
            self.licences.append(sub.id)

        self._try(grant)

    @precondition(lambda self: self.licences)
    @rule(pick=st.integers(0, 30), as_licensor=st.booleans())
    def terminate(self, pick: int, as_licensor: bool) -> None:
        licence = self.rights.licence(self._pick(self.licences, pick))
        party = account(licence.licensor if as_licensor else licence.licensee)
        self._try(lambda: self.rights.terminate(licence.id, "合同到期前解除", party))

    # --- transfers -----------------------------------------------------------------------------

    def _soon(self) -> datetime:
        """A consent's deadline (contracts v2): a day from the chain's now."""
        return chain_now(self.chain) + timedelta(days=1)

    @rule(
        token=st.sampled_from([0, 1]),
        to=st.sampled_from(PARTIES),
        consent=st.sampled_from([True, True, True, False]),
    )
    def transfer(self, token: int, to: LocalAccount, consent: bool) -> None:
        token_id = self.tokens[token]
        seller = self._holder(token_id)
        live = self.rights.live_pledge_of(token_id)
        if consent and live is not None:
            pledgee = account(live.pledgee)
            self._try(
                lambda: self.rights.grant_consent(
                    live.id, ConsentAction.TRANSFER, to.address, self._soon(), pledgee
                )
            )
        self._try(lambda: self.rights.transfer(token_id, to.address, "sale", "转让合同", seller))

    @rule(token=st.sampled_from([0, 1]), to=st.sampled_from(PARTIES))
    def court_order(self, token: int, to: LocalAccount) -> None:
        token_id = self.tokens[token]
        self._try(
            lambda: self.rights.court_order_transfer(
                token_id, to.address, "(2026)粤01执9号", regulator()
            )
        )

    # --- pledges -------------------------------------------------------------------------------

    @rule(
        token=st.sampled_from([0, 1]),
        lender=st.sampled_from([bank(), buyer()]),
        days=st.sampled_from([5, 30, 90]),
    )
    def register_pledge(self, token: int, lender: LocalAccount, days: int) -> None:
        token_id = self.tokens[token]
        pledgor = self._holder(token_id)
        terms = pledge_terms(self.ctx, token_id, days=days, pledgee=lender.address)

        def register() -> None:
            pledge = self.rights.sign_and_register(terms, pledgor, lender, self.ctx.operator)
            self.pledges.append(pledge.id)

        self._try(register)

    @precondition(lambda self: self.pledges)
    @rule(pick=st.integers(0, 30))
    def release(self, pick: int) -> None:
        pledge = self.rights.pledge(self._pick(self.pledges, pick))
        self._try(lambda: self.rights.release(pledge.id, account(pledge.pledgee)))

    @precondition(lambda self: self.pledges)
    @rule(pick=st.integers(0, 30), to=st.sampled_from(PARTIES))
    def enforce(self, pick: int, to: LocalAccount) -> None:
        pledge = self.rights.pledge(self._pick(self.pledges, pick))
        if chain_now(self.chain) <= pledge.maturity:
            travel(self.chain, int((pledge.maturity - chain_now(self.chain)).total_seconds()) + 60)
        self._try(lambda: self.rights.enforce(pledge.id, to.address, account(pledge.pledgee)))

    # --- freezes -------------------------------------------------------------------------------

    @rule(token=st.sampled_from([0, 1]), on=st.sampled_from([True, False, False]))
    def freeze_or_unfreeze(self, token: int, on: bool) -> None:
        token_id = self.tokens[token]
        if on:
            self._try(lambda: self.rights.freeze(token_id, "(2026)粤01执保9号", regulator()))
        else:
            self._try(lambda: self.rights.unfreeze(token_id, "(2026)粤01执保9号之一", regulator()))

    # --- time ----------------------------------------------------------------------------------

    @rule(days=st.sampled_from([1, 4, 31, 120]))
    def time_travel(self, days: int) -> None:
        travel(self.chain, days * DAY)

    # --- the invariant -------------------------------------------------------------------------

    @invariant()
    def mirror_equals_chain(self) -> None:
        """Per certificate, at the indexed head: the mirror, direct contract reads and the
        verification answer (itself ``RightsService`` reads at that block) state one truth."""
        head = self.indexer.sync_once()
        engine = self.ctx.engine
        for token in self.tokens:
            verified = self.verification.verify(self.numbers[token], block=head)
            assert verified.genuine
            assert verified.registration is not None
            assert verified.as_of_block == head
            now = verified.as_of_time  # the indexed head's block time
            owner, live_pledge, freeze = (
                self.chain.call(contract, self.addresses[contract], function, [token], head)
                for contract, function in (
                    (LEDGER, "ownerOf"),
                    (AGENT, "livePledgeOf"),
                    (AGENT, "freezeOf"),
                )
            )

            # holder
            row = mirror.registration_row(engine, token, now=now)
            assert row is not None
            assert same(row.holder, str(owner)), f"token {token}: holder {row.holder} != {owner}"
            assert same(verified.registration.holder, str(owner))

            # live pledge
            mirrored_pledges = mirror.pledges_of_token(engine, token, live_only=True)
            direct = [int(live_pledge)] if int(live_pledge) else []
            assert [p.id for p in mirrored_pledges] == direct, f"token {token}: live pledge"
            assert [p.id for p in verified.pledges] == direct
            for mirrored, read in zip(mirrored_pledges, verified.pledges, strict=True):
                assert same(mirrored.pledgor, read.pledgor)
                assert same(mirrored.pledgee, read.pledgee)

            # freeze
            mirrored_freeze = mirror.freeze_of(engine, token)
            assert mirrored_freeze.frozen == bool(freeze[0]), f"token {token}: freeze"
            assert (verified.freeze is not None) == bool(freeze[0])
            if verified.freeze is not None:
                assert same(mirrored_freeze.by, verified.freeze.by)
                assert same(mirrored_freeze.case_ref, verified.freeze.case_ref)

            # live licences, judged at the indexed head's time
            mirrored_ids = [
                lic.id for lic in mirror.licences_of_token(engine, token, live_only=True, now=now)
            ]
            direct_ids = [lic.id for lic in verified.licences]
            assert mirrored_ids == direct_ids, (
                f"token {token}: live licences {mirrored_ids} != {direct_ids}"
            )
            assert all(lic.live for lic in verified.licences)


def test_verification_answer_equals_the_mirror_after_every_step(
    ctx: RegistryContext, new_database_url: NewDatabaseUrl
) -> None:
    for party in [*PARTIES, OUTSIDER]:
        ctx.client.rpc("anvil_setBalance", [party.address, hex(10**20)])
    grant_regulator(ctx)
    tokens = [issue(ctx, holder(), 0xD1), issue(ctx, buyer(), 0xD2)]
    valid_until = [ctx.registrations.get(t).valid_until for t in tokens]
    assert all(
        v is not None and v > chain_now(ctx.client) + timedelta(days=365) for v in valid_until
    )
    ctx.engine.dispose()  # a database is copied only while no one is connected to it

    VerificationMirrorMachine.base = ctx
    VerificationMirrorMachine.new_database_url = new_database_url
    VerificationMirrorMachine.tokens = tokens
    try:
        run_state_machine_as_test(
            VerificationMirrorMachine,
            settings=settings(
                max_examples=10,
                stateful_step_count=15,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        VerificationMirrorMachine.base = None
        VerificationMirrorMachine.new_database_url = None
        VerificationMirrorMachine.tokens = []
