"""Transfers, pledges, freezes, approvals and licences mirrored into SQL, checked against the
real TransferAgent and LicenceRegistry on anvil."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from registry.context import RegistryContext
from registry.db.models import (
    cursor_table,
    licence_table,
    pledge_event_table,
    raw_event_table,
    registration_table,
    transfer_table,
)
from registry.domain.registration import Status
from registry.domain.rights import (
    ConsentAction,
    CrossBorderMechanism,
    LicenceStatus,
    PledgeStatus,
    TransferReason,
)
from registry.errors import ContractRevertError, IndexerError, InputError, MalformedNumberError
from registry.indexer.decode import Decoder
from registry.indexer.fetch import LogFetcher
from registry.indexer.follow import Indexer
from registry.indexer.store import store_batch
from registry.mirror import (
    count_licences,
    cross_border_records,
    freeze_of,
    licence_by_voucher_number,
    licences_of_token,
    party_country,
    pledges_of_holder,
    pledges_of_token,
    public_licences,
    registration_row,
    resolve_as_of,
    transfer_approvals,
    transfers_of_token,
)
from registry.provenance import timeline, trace_party
from tests.conftest import admin
from tests.registry.indexer.mirror import dump, sync
from tests.registry.registration.conftest import registrar, travel
from tests.registry.rights.test_service import (
    bank,
    buyer,
    chain_now,
    foreigner,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    licensee,
    pledge_terms,
    regulator,
    sublicensee,
)

DAY = 86_400
YEAR = 365 * DAY


def soon(ctx: RegistryContext) -> datetime:
    """A consent's deadline: a week from the chain's now."""
    return chain_now(ctx.client) + timedelta(days=7)


def as_ledger(ctx: RegistryContext, function: str, args: list[object]) -> None:
    """Call ``TransferAgent.function(args)`` as the ledger (impersonated on anvil): a hook
    DataAssetRegistry calls, e.g. ``settleCertificateEnd`` when a certificate ends."""
    ledger = ctx.registrations.contract_address
    agent = ctx.rights.agent_address
    data = ctx.client.encode_call("TransferAgent", agent, function, args)
    ctx.client.rpc("anvil_setBalance", [ledger, hex(10**20)])
    ctx.client.rpc("anvil_impersonateAccount", [ledger])
    try:
        tx = ctx.client.rpc("eth_sendTransaction", [{"from": ledger, "to": agent, "data": data}])
    finally:
        ctx.client.rpc("anvil_stopImpersonatingAccount", [ledger])
    receipt = None
    for _ in range(100):  # mined at once on anvil, but the node may answer before it is stored
        receipt = ctx.client.rpc("eth_getTransactionReceipt", [tx])
        if receipt is not None:
            break
        time.sleep(0.05)
    assert receipt is not None
    assert int(receipt["status"], 16) == 1


@dataclass
class Scenario:
    """Token ids by name, pledge and licence ids in the order made."""

    tokens: dict[str, int] = field(default_factory=dict)
    pledges: list[int] = field(default_factory=list)
    licences: list[int] = field(default_factory=list)


def run_scenario(ctx: RegistryContext, after: Callable[[], object] = lambda: None) -> Scenario:
    """Every event of TransferAgent and LicenceRegistry; ``after`` called between steps."""
    rights = ctx.rights
    s = Scenario()
    reg = grant_regulator(ctx)
    s.tokens["A"] = issue(ctx, holder(), 0xA1)
    s.tokens["B"] = issue(ctx, buyer(), 0xB1, classification="important")
    s.tokens["C"] = issue(ctx, holder(), 0xC1)
    a, b, c = s.tokens["A"], s.tokens["B"], s.tokens["C"]
    after()

    # A is pledged, and sold with the pledgee's consent: the pledge follows it
    first = rights.sign_and_register(pledge_terms(ctx, a), holder(), bank(), ctx.operator)
    s.pledges.append(first.id)
    rights.grant_consent(first.id, ConsentAction.TRANSFER, licensee().address, soon(ctx), bank())
    rights.withdraw_consent(first.id, ConsentAction.TRANSFER, licensee().address, bank())
    rights.grant_consent(first.id, ConsentAction.TRANSFER, buyer().address, soon(ctx), bank())
    after()
    rights.transfer(a, buyer().address, "sale", "转让合同 2026-01", holder())
    after()

    # licences of A: a sublicensable one, a sublicence, an exclusive one by consent
    parent = rights.grant_licence(a, licence_terms(ctx, licensee(), days=400), buyer())
    sub = rights.grant_sublicence(
        parent.id,
        licence_terms(
            ctx,
            sublicensee(),
            days=200,
            purposes=["research"],
            territories=["hong_kong"],
            sublicensable=False,
            fee_terms=None,
        ),
        licensee(),
    )
    rights.grant_consent(
        first.id, ConsentAction.EXCLUSIVE_LICENCE, licensee().address, soon(ctx), bank()
    )
    exclusive = rights.grant_licence(
        a,
        licence_terms(
            ctx,
            licensee(),
            days=100,
            right="product_operation",
            exclusive=True,
            purposes=["resale", "marketing"],
            territories=["mainland_china", "asean"],
        ),
        buyer(),
    )
    s.licences += [parent.id, sub.id, exclusive.id]
    after()
    rights.terminate(sub.id, "次级被许可方退出", sublicensee())
    rights.release(first.id, bank())
    after()

    # C: frozen, moved by court order while frozen, unfrozen
    rights.freeze(c, "(2026)粤01执保7号", reg)
    rights.court_order_transfer(c, buyer().address, "(2026)粤01执7号", reg)
    after()
    rights.unfreeze(c, "(2026)粤01执保7号之一", reg)

    # B is important data: moved with the regulator's approval
    rights.approve_transfer(b, holder().address, chain_now(ctx.client) + timedelta(days=10), reg)
    rights.transfer(b, holder().address, "merger", None, buyer())
    after()

    # C goes abroad on a cross-border record, is pledged there and enforced after maturity
    rights.set_party_country(foreigner().address, "US", reg)
    rights.record_cross_border(
        c,
        foreigner().address,
        CrossBorderMechanism.STANDARD_CONTRACT,
        "粤网信备〔2026〕88号",
        chain_now(ctx.client) + timedelta(days=365),
        "US",
        reg,
    )
    rights.transfer(c, foreigner().address, "sale", None, buyer())
    second = rights.sign_and_register(
        pledge_terms(ctx, c, days=30, currency="USD", secured_amount=250_000_00),
        foreigner(),
        bank(),
        ctx.operator,
    )
    s.pledges.append(second.id)
    after()
    travel(ctx.client, 31 * DAY)
    rights.enforce(second.id, bank().address, bank())
    after()

    # A is pledged again and cancelled with the pledgee's consent; its licences die with it
    third = rights.sign_and_register(pledge_terms(ctx, a), buyer(), bank(), ctx.operator)
    s.pledges.append(third.id)
    rights.grant_consent(third.id, "cancel", buyer().address, soon(ctx), bank())
    ctx.registrations.cancel(a, "业务终止", buyer())
    # the ledger settles the pledge of an ended certificate (a no-op once it already has)
    as_ledger(ctx, "settleCertificateEnd", [a, list(Status).index(Status.CANCELLED)])
    rights.set_party_country(foreigner().address, None, reg)
    rights.set_important_data_approval_required(False, admin())
    after()
    return s


@pytest.fixture
def scenario(ctx: RegistryContext) -> Scenario:
    return run_scenario(ctx)


def assert_mirrors_chain(ctx: RegistryContext, engine: Engine, s: Scenario) -> None:
    """Every pledge, licence, freeze, record and holder of the mirror equals a chain read."""
    rights = ctx.rights
    now = chain_now(ctx.client)
    for name, token in s.tokens.items():
        row = registration_row(engine, token, now=now)
        assert row is not None
        assert row.holder == ctx.registrations.get(token).holder, name
        live = rights.live_pledge_of(token)
        assert [p.id for p in pledges_of_token(engine, token, live_only=True)] == (
            [live.id] if live else []
        ), name
        on_chain = rights.freeze_of(token)
        mirrored = freeze_of(engine, token)
        assert (mirrored.frozen, mirrored.since, mirrored.by, mirrored.case_ref) == (
            on_chain.frozen,
            on_chain.since,
            on_chain.by,
            on_chain.case_ref,
        ), name
        chain_licences = rights.licences_of(token)
        assert [
            (
                m.id,
                m.voucher_number,
                m.token_id,
                m.parent_id,
                m.licensor,
                m.licensee,
                m.right,
                m.exclusive,
                m.sublicensable,
                m.purposes,
                m.territories,
                m.granted_at,
                m.start,
                m.end,
                m.status,
                m.live,
                m.terms_hash,
                m.fee_terms_hash,
            )
            for m in licences_of_token(engine, token, now=now)
        ] == [
            (
                c.id,
                c.voucher_number,
                c.token_id,
                c.parent_id,
                c.licensor,
                c.licensee,
                c.right,
                c.exclusive,
                c.sublicensable,
                c.purposes,
                c.territories,
                c.granted_at,
                c.start,
                c.end,
                c.status,
                c.live,
                c.terms_hash,
                c.fee_terms_hash,
            )
            for c in chain_licences
        ], name
        assert [m.id for m in licences_of_token(engine, token, live_only=True, now=now)] == [
            c.id for c in chain_licences if c.live
        ], name
        for record in cross_border_records(engine, token):
            expected = rights.cross_border_record(token, record.recipient)
            assert (
                record.mechanism,
                record.expiry,
                record.country,
                record.approval_number_hash,
                record.exporter,
            ) == (
                expected.mechanism,
                expected.expiry,
                expected.country,
                expected.approval_number_hash,
                expected.exporter,
            )
        for approval in transfer_approvals(engine, token):
            # a spent approval is gone from the chain; the mirror keeps who spent it
            unused = None if approval.used_at is not None else approval.expiry
            assert unused == rights.transfer_approval_expiry(token, approval.recipient)
    mirrored_pledges = {
        p.id: p for token in s.tokens.values() for p in pledges_of_token(engine, token)
    }
    assert sorted(mirrored_pledges) == sorted(s.pledges)
    for pledge_id, m in mirrored_pledges.items():
        c = rights.pledge(pledge_id)
        assert (
            m.token_id,
            m.pledgor,
            m.pledgee,
            m.secured_amount,
            m.currency,
            m.loan_ref,
            m.registered_at,
            m.maturity,
            m.status,
        ) == (
            c.token_id,
            c.pledgor,
            c.pledgee,
            c.secured_amount,
            c.currency,
            c.loan_ref,
            c.registered_at,
            c.maturity,
            c.status,
        )
    for account in (holder(), buyer(), bank(), foreigner(), sublicensee()):
        assert party_country(engine, account.address) == rights.party_country(account.address)
    # every movement the chain logged, in order
    logs = ctx.client.decode(
        ctx.client.get_logs([rights.agent_address], ctx.manifest.deploy_block, ctx.client.head())
    )
    for token in s.tokens.values():
        moves = [
            (e.args["from"], e.args["to"], TransferReason.of_chain(e.args["reason"]))
            for e in logs
            if e.name == "CertificateTransferred" and e.args["tokenId"] == token
        ]
        assert [(t.from_, t.to, t.reason) for t in transfers_of_token(engine, token)] == moves


# --- the mirror equals the chain ---------------------------------------------------------------


def test_every_pledge_licence_freeze_and_transfer_matches_the_chain(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    assert sync(ctx) == ctx.client.head()
    assert_mirrors_chain(ctx, ctx.engine, scenario)
    a, b, c = (scenario.tokens[k] for k in "ABC")
    first, second, third = scenario.pledges
    parent, sub, exclusive = scenario.licences

    assert [(t.reason, t.to) for t in transfers_of_token(ctx.engine, c)] == [
        (TransferReason.COURT_ORDER, buyer().address),
        (TransferReason.SALE, foreigner().address),
        (TransferReason.PLEDGE_ENFORCEMENT, bank().address),
    ]
    enforcement = transfers_of_token(ctx.engine, c)[-1]
    assert enforcement.document_hash is not None
    assert int(enforcement.document_hash, 16) == second
    sale = transfers_of_token(ctx.engine, a)[0]
    assert sale.document_hash is not None
    assert ctx.rights.documents.get(bytes.fromhex(sale.document_hash[2:])) is not None
    assert [t.reason for t in transfers_of_token(ctx.engine, b)] == [TransferReason.MERGER]

    # lien search by asset and by holder, with the pledge's history
    a_pledges = pledges_of_token(ctx.engine, a)
    assert [(p.id, p.status) for p in a_pledges] == [
        (first, PledgeStatus.RELEASED),
        (third, PledgeStatus.SETTLED),  # v2: a cancelled certificate settles its pledge
    ]
    assert a_pledges[1].end_status is Status.CANCELLED
    assert a_pledges[1].closed_at is not None
    assert [(h.kind, h.actor) for h in a_pledges[1].history][-2:] == [
        ("consent_used", buyer().address),
        ("settled", None),
    ]
    assert [(h.kind, h.action) for h in a_pledges[0].history] == [
        ("registered", None),
        ("consent_granted", ConsentAction.TRANSFER),
        ("consent_withdrawn", ConsentAction.TRANSFER),
        ("consent_granted", ConsentAction.TRANSFER),
        ("consent_used", ConsentAction.TRANSFER),
        ("pledgor_changed", None),
        ("consent_granted", ConsentAction.EXCLUSIVE_LICENCE),
        ("consent_used", ConsentAction.EXCLUSIVE_LICENCE),
        ("released", None),
    ]
    assert a_pledges[0].pledgor == buyer().address
    assert a_pledges[0].certificate_number == ctx.registrations.get(a).certificate_number
    enforced = pledges_of_token(ctx.engine, c)[0]
    assert (enforced.status, enforced.enforced_to, enforced.currency) == (
        PledgeStatus.ENFORCED,
        bank().address,
        "USD",
    )
    assert enforced.secured_amount == 250_000_00
    assert enforced.closed_at is not None
    assert [p.id for p in pledges_of_holder(ctx.engine, buyer().address.lower())] == [
        first,
        third,
    ]
    assert pledges_of_holder(ctx.engine, buyer().address, live_only=True) == []
    granted = a_pledges[0].history[1]
    assert (granted.actor, granted.deadline is not None) == (bank().address, True)
    assert [p.id for p in pledges_of_holder(ctx.engine, foreigner().address)] == [second]
    assert pledges_of_holder(ctx.engine, holder().address) == []
    with pytest.raises(InputError):
        pledges_of_holder(ctx.engine, "0x12")

    # licences: A was cancelled, so none is live; v2: the cancellation settled the two that
    # were still active (the terminated sublicence keeps its termination)
    now = chain_now(ctx.client)
    rows = {r.id: r for r in licences_of_token(ctx.engine, a, now=now)}
    assert (rows[sub].status, rows[sub].terminated_by) == (
        LicenceStatus.TERMINATED,
        sublicensee().address,
    )
    assert rows[sub].termination_reason_hash is not None
    assert (rows[sub].settled_at, rows[sub].settled_end) == (None, None)
    for settled in (parent, exclusive):
        assert rows[settled].status is LicenceStatus.SETTLED
        assert rows[settled].settled_end == Status.CANCELLED.value
        assert rows[settled].settled_at == a_pledges[1].closed_at
    assert not any(r.live for r in rows.values())
    assert rows[exclusive].exclusive
    assert rows[sub].parent_id == parent
    found = licence_by_voucher_number(ctx.engine, rows[parent].voucher_number)
    assert found is not None
    assert found.id == parent
    with pytest.raises(MalformedNumberError):
        licence_by_voucher_number(ctx.engine, "2026200000000010")

    # freezes: C is free again, with its history
    c_freeze = freeze_of(ctx.engine, c)
    assert not c_freeze.frozen
    assert [e.frozen for e in c_freeze.history] == [True, False]
    assert all(e.regulator == regulator().address for e in c_freeze.history)
    assert freeze_of(ctx.engine, a).history == ()
    assert [(r.recipient, r.exporter) for r in cross_border_records(ctx.engine, c)] == [
        (foreigner().address, buyer().address)
    ]
    (approval,) = transfer_approvals(ctx.engine, b)
    assert (approval.recipient, approval.from_address, approval.used_by) == (
        holder().address,
        buyer().address,
        buyer().address,
    )
    assert approval.used_at is not None
    assert party_country(ctx.engine, foreigner().address) is None  # cleared: fails closed
    # who moved: the holder, the regulator (court order), the pledgee (enforcement)
    assert [t.actor for t in transfers_of_token(ctx.engine, c)] == [
        regulator().address,
        buyer().address,
        bank().address,
    ]

    # the registration's holder followed every move
    assert registration_row(ctx.engine, c) is not None
    with ctx.engine.connect() as connection:
        raw = {
            (r.block_number, r.log_index): r.event
            for r in connection.execute(select(raw_event_table)).all()
        }
    assert {
        "CertificateTransferred",
        "PledgeRegistered",
        "PledgeReleased",
        "PledgeEnforced",
        "PledgeConsentGranted",
        "PledgeConsentUsed",
        "PledgorChanged",
        "CertificateFrozen",
        "CertificateUnfrozen",
        "TransferApproved",
        "TransferApprovalUsed",
        "PledgeConsentWithdrawn",
        "PledgeSettled",
        "CrossBorderRecorded",
        "PartyCountrySet",
        "ImportantDataApprovalRequired",
        "LicenceGranted",
        "LicenceTerminated",
        "LicencesSettled",
    } <= set(raw.values())
    c_row = registration_row(ctx.engine, c)
    assert c_row is not None
    assert raw[(c_row.last_block, c_row.last_log_index)] == "CertificateTransferred"


def test_licences_are_disclosed_and_liveness_is_judged_at_query_time(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx, holder(), 0xD1)
    rights = ctx.rights
    short = rights.grant_licence(token, licence_terms(ctx, licensee(), days=30), holder())
    long = rights.grant_licence(
        token, licence_terms(ctx, buyer(), days=300, right="product_operation"), holder()
    )
    sync(ctx)
    now = chain_now(ctx.client)
    assert [r.id for r in public_licences(ctx.engine, now=now)] == [long.id, short.id]
    assert [r.id for r in public_licences(ctx.engine, limit=1, offset=1, now=now)] == [short.id]
    assert count_licences(ctx.engine) == 2
    assert all(r.live for r in public_licences(ctx.engine, now=now))
    # a sublicence stops being live when its parent is terminated, though it stays active
    sub = rights.grant_sublicence(
        short.id,
        licence_terms(ctx, sublicensee(), days=10, purposes=["research"], fee_terms=None),
        licensee(),
    )
    rights.terminate(short.id, None, holder())
    sync(ctx)
    now = chain_now(ctx.client)
    sub_row = next(r for r in licences_of_token(ctx.engine, token, now=now) if r.id == sub.id)
    assert (sub_row.status, sub_row.live) == (LicenceStatus.ACTIVE, False)
    assert sub_row.live == rights.licence(sub.id).live
    assert [r.id for r in licences_of_token(ctx.engine, token, live_only=True, now=now)] == [
        long.id
    ]
    travel(ctx.client, 31 * DAY)  # nothing indexed since
    later = chain_now(ctx.client)
    assert [r.id for r in licences_of_token(ctx.engine, token, live_only=True, now=later)] == [
        long.id
    ]
    assert [r.id for r in rights.live_licences_of(token)] == [long.id]
    travel(ctx.client, 3 * YEAR)  # the certificate expired
    assert licences_of_token(ctx.engine, token, live_only=True, now=chain_now(ctx.client)) == []
    assert rights.live_licences_of(token) == []
    for bad in ({"limit": 0}, {"offset": -1}, {"now": datetime(2030, 1, 1)}):
        with pytest.raises(InputError):
            public_licences(ctx.engine, **bad)
    row = licences_of_token(ctx.engine, token, now=datetime.now(tz=UTC))[0]
    assert row.certificate_number == ctx.registrations.get(token).certificate_number


def test_following_step_by_step_gives_the_same_tables(
    ctx: RegistryContext, other_engine: Engine
) -> None:
    indexer = Indexer(ctx.client, ctx.manifest, other_engine)
    s = run_scenario(ctx, after=indexer.sync_once)
    assert indexer.sync_once() == ctx.client.head()
    sync(ctx)
    assert dump(other_engine) == dump(ctx.engine)
    assert_mirrors_chain(ctx, other_engine, s)
    assert sync(ctx, other_engine, log_range=1) == ctx.client.head()  # nothing new: no change
    assert dump(other_engine) == dump(ctx.engine)


def test_one_block_batches_give_the_same_tables(
    ctx: RegistryContext, scenario: Scenario, other_engine: Engine
) -> None:
    sync(ctx)
    sync(ctx, other_engine, log_range=1)
    assert dump(other_engine) == dump(ctx.engine)


def test_storing_a_stored_batch_again_changes_nothing(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    contracts = {name: c.address for name, c in ctx.manifest.contracts.items()}
    fetcher = LogFetcher(
        ctx.client, ctx.manifest.chain_id, list(contracts.values()), ctx.client.codec.topics
    )
    batch = Decoder(ctx.client.codec, contracts).decode(
        fetcher.fetch(ctx.manifest.deploy_block, ctx.client.head())
    )
    first = store_batch(ctx.engine, batch)
    assert first.rights_events == len(batch.family("rights")) > 20
    before = dump(ctx.engine)
    assert store_batch(ctx.engine, batch).rows == 0
    assert dump(ctx.engine) == before
    assert_mirrors_chain(ctx, ctx.engine, scenario)


# --- refusing what the contracts could not have done -------------------------------------------


def test_a_transfer_from_someone_the_mirror_does_not_see_as_holder_is_refused(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx, holder(), 0xE1)
    sync(ctx)
    with ctx.engine.begin() as connection:
        connection.execute(
            registration_table.update()
            .where(registration_table.c.id == token)
            .values(holder=buyer().address)
        )
    before = dump(ctx.engine)
    ctx.rights.transfer(token, licensee().address, "sale", None, holder())
    with pytest.raises(IndexerError, match="its holder is"):
        sync(ctx)
    assert dump(ctx.engine) == before


def test_a_second_live_pledge_in_the_mirror_is_refused(ctx: RegistryContext) -> None:
    token = issue(ctx, holder(), 0xE2)
    pledge = ctx.rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    sync(ctx)
    ctx.rights.release(pledge.id, bank())
    ctx.rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
    # the release is lost from the raw events: the mirror still sees the first pledge as live
    head = ctx.client.head()
    contracts = {name: c.address for name, c in ctx.manifest.contracts.items()}
    fetcher = LogFetcher(
        ctx.client, ctx.manifest.chain_id, list(contracts.values()), ctx.client.codec.topics
    )
    with ctx.engine.connect() as connection:
        start = int(connection.execute(select(cursor_table.c.last_block)).scalar_one()) + 1
    batch = Decoder(ctx.client.codec, contracts).decode(fetcher.fetch(start, head))
    without_release = type(batch)(
        fetched=batch.fetched,
        logs=tuple(
            d for d in batch.logs if not (d.event is not None and d.event.name == "PledgeReleased")
        ),
    )
    before = dump(ctx.engine)
    with pytest.raises(IndexerError, match="already pledged"):
        store_batch(ctx.engine, without_release)
    assert dump(ctx.engine) == before


def test_rows_point_back_at_their_raw_events(ctx: RegistryContext, scenario: Scenario) -> None:
    sync(ctx)
    with ctx.engine.connect() as connection:
        raw = {
            (r.block_number, r.log_index): r.event
            for r in connection.execute(select(raw_event_table)).all()
        }
        transfers = connection.execute(select(transfer_table)).all()
        licences = connection.execute(select(licence_table)).all()
        pledge_events = connection.execute(select(pledge_event_table)).all()
    assert {raw[(t.block_number, t.log_index)] for t in transfers} == {"CertificateTransferred"}
    assert {raw[(r.granted_block, r.granted_log_index)] for r in licences} == {"LicenceGranted"}
    # v2: every licence of the scenario ended (A's active ones settled with its cancellation)
    assert {raw[(r.last_block, r.last_log_index)] for r in licences} == {
        "LicenceTerminated",
        "LicencesSettled",
    }
    assert {raw[(e.block_number, e.log_index)] for e in pledge_events} == {
        "PledgeRegistered",
        "PledgeReleased",
        "PledgeEnforced",
        "PledgeConsentGranted",
        "PledgeConsentUsed",
        "PledgorChanged",
        "PledgeConsentWithdrawn",
        "PledgeSettled",
    }


def _settle_as_ledger(ctx: RegistryContext, token: int, end: Status) -> None:
    """``LicenceRegistry.settleCertificateEnd`` sent from the certificate contract's address
    (what the certificate contract does when a certificate ends)."""
    ledger = ctx.manifest.address_of("DataAssetRegistry")
    licences = ctx.manifest.address_of("LicenceRegistry")
    ctx.client.rpc("anvil_impersonateAccount", [ledger])
    try:
        ctx.client.rpc("anvil_setBalance", [ledger, hex(10**18)])
        data = ctx.client.encode_call(
            "LicenceRegistry", licences, "settleCertificateEnd", [token, list(Status).index(end)]
        )
        tx_hash = ctx.client.rpc(
            "eth_sendTransaction", [{"from": ledger, "to": licences, "data": data}]
        )
        for _ in range(100):  # mined at once, but the receipt may trail under load
            receipt = ctx.client.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                assert int(receipt["status"], 16) == 1
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"no receipt for {tx_hash}")
    finally:
        ctx.client.rpc("anvil_stopImpersonatingAccount", [ledger])


def test_defect_9_and_3_the_mirror_follows_the_holder_and_settles_licences(
    ctx: RegistryContext,
) -> None:
    """Defects 9 and 3 (mirror): the mirror named the old holder licensor of a direct licence
    after a transfer and refused the new holder's termination as a stranger's; a certificate's
    end left its licences active. Now the licensor of a direct licence is the current holder,
    and ``LicencesSettled`` settles every active licence and sublicence of the certificate."""
    token = issue(ctx, holder(), 0xD9)
    rights = ctx.rights
    direct = rights.grant_licence(
        token, licence_terms(ctx, licensee(), days=60, sublicensable=True), holder()
    )
    other = rights.grant_licence(
        token, licence_terms(ctx, bank(), days=60, right="product_operation"), holder()
    )
    sub = rights.grant_sublicence(
        direct.id,
        licence_terms(ctx, sublicensee(), days=10, purposes=["research"], fee_terms=None),
        licensee(),
    )
    rights.transfer(token, buyer().address, "sale", None, holder())
    sync(ctx)
    now = chain_now(ctx.client)
    rows = {r.id: r for r in licences_of_token(ctx.engine, token, now=now)}
    assert (rows[direct.id].licensor, rows[direct.id].granted_by) == (
        buyer().address,
        holder().address,
    )
    assert rows[sub.id].licensor == licensee().address
    assert rights.licence(direct.id).licensor == buyer().address
    rights.terminate(other.id, None, buyer())
    sync(ctx)
    assert registration_row(ctx.engine, token) is not None
    _settle_as_ledger(ctx, token, Status.REVOKED)
    sync(ctx)
    now = chain_now(ctx.client)
    rows = {r.id: r for r in licences_of_token(ctx.engine, token, now=now)}
    assert rows[other.id].status == LicenceStatus.TERMINATED
    for licence_id in (direct.id, sub.id):
        row = rows[licence_id]
        assert (row.status, row.live, row.settled_end) == (LicenceStatus.SETTLED, False, "revoked")
        assert row.settled_at is not None
        assert rights.licence(licence_id).status == LicenceStatus.SETTLED


def test_defect_3_ends_settle_the_pledge_and_licences_in_the_mirror_and_the_audit_agrees(
    ctx: RegistryContext,
) -> None:
    """Defect 3 (mirror): cancelling a pledged certificate left its pledge live and its
    licences active, revocation and expiry never touched them. With contracts v2 the ledger
    emits ``PledgeSettled`` and ``LicencesSettled`` after ``CertificateCancelled`` /
    ``CertificateRevoked`` / ``CertificateExpiryClosed`` and after the burn, i.e. for a
    registration the mirror already holds in its end status: the rights and licence appliers
    accept them, the mirror shows the pledge settled, the licences settled and the registration
    ended, and the audit finds no drift."""
    rights = ctx.rights
    reg = grant_regulator(ctx)
    cancelled, revoked, expired = (issue(ctx, holder(), fp) for fp in (0xF1, 0xF2, 0xF3))
    s = Scenario(tokens={"cancelled": cancelled, "revoked": revoked, "expired": expired})
    for token in (cancelled, revoked, expired):
        pledge = rights.sign_and_register(pledge_terms(ctx, token), holder(), bank(), ctx.operator)
        s.pledges.append(pledge.id)
        direct = rights.grant_licence(token, licence_terms(ctx, licensee(), days=300), holder())
        sub = rights.grant_sublicence(
            direct.id,
            licence_terms(ctx, sublicensee(), days=100, purposes=["research"], fee_terms=None),
            licensee(),
        )
        s.licences += [direct.id, sub.id]
    sync(ctx)  # the mirror holds them live first

    # cancelled by the holder with the pledgee's consent
    rights.grant_consent(s.pledges[0], "cancel", holder().address, soon(ctx), bank())
    ctx.registrations.cancel(cancelled, "业务终止", holder())
    # pledged and frozen: a plain revocation is refused, revokeEncumbered records the ruling
    rights.freeze(revoked, "(2026)粤01执保11号", reg)
    with pytest.raises(ContractRevertError) as refusal:
        ctx.registrations.revoke(revoked, 3, "欺诈", registrar())
    assert refusal.value.error_name == "RegistryEncumbered"
    ctx.registrations.revoke(revoked, 3, "欺诈", registrar(), ruling="(2026)粤01民初5号 裁定")
    # expired, then closed by anyone
    travel(ctx.client, 3 * YEAR + DAY)
    ctx.registrations.close_expired(expired, sublicensee())
    assert sync(ctx) == ctx.client.head()

    assert_mirrors_chain(ctx, ctx.engine, s)
    now = chain_now(ctx.client)
    for token, pledge_id, end in zip(
        (cancelled, revoked, expired),
        s.pledges,
        (Status.CANCELLED, Status.REVOKED, Status.EXPIRED),
        strict=True,
    ):
        row = registration_row(ctx.engine, token, now=now)
        assert row is not None
        assert (row.status, row.effective_status) == (end, end)
        assert ctx.registrations.get(token).status is end
        (pledge,) = pledges_of_token(ctx.engine, token)
        assert (pledge.id, pledge.status, pledge.end_status) == (
            pledge_id,
            PledgeStatus.SETTLED,
            end,
        )
        assert rights.pledge(pledge_id).status is PledgeStatus.SETTLED
        assert pledge.history[-1].kind == "settled"
        licences = licences_of_token(ctx.engine, token, now=now)
        assert [(x.status, x.settled_end, x.live) for x in licences] == [
            (LicenceStatus.SETTLED, end.value, False)
        ] * 2
        assert all(x.settled_at == pledge.closed_at for x in licences)
        # the timeline: the end, then what hung on the certificate, in one transaction
        number = row.certificate_number
        assert number is not None
        entries = timeline(
            ctx.engine,
            ctx.manifest.chain_id,
            number,
            resolve_as_of(ctx.engine, ctx.manifest.chain_id),
        ).entries
        ending = {
            Status.CANCELLED: "certificate_cancelled",
            Status.REVOKED: "certificate_revoked",
            Status.EXPIRED: "certificate_expiry_closed",
        }[end]
        at = next(i for i, e in enumerate(entries) if e.kind == ending)
        after = entries[at:]  # the cancellation also spends the pledgee's consent
        assert [
            (e.kind, e.details.get("endStatus")) for e in after if e.kind != "pledge_consent_used"
        ] == [(ending, None), ("pledge_settled", end.value), ("licences_settled", end.value)]
        assert len({e.tx_hash for e in after}) == 1
        # the pledgee's and licensee's traces end there
        for party, relation in ((bank(), "pledgee"), (licensee(), "licensee")):
            trace = trace_party(
                ctx.engine,
                ctx.manifest.chain_id,
                party.address,
                resolve_as_of(ctx.engine, ctx.manifest.chain_id),
            )
            (entry,) = [x for x in trace.entries if x.token_id == token and x.relation == relation]
            assert entry.to_block == entries[-1].block_number, (party, token)
    assert after[0].actor == sublicensee().address  # anyone closes an expired certificate
    revocation = next(
        e
        for e in timeline(
            ctx.engine,
            ctx.manifest.chain_id,
            ctx.registrations.get(revoked).certificate_number or "",
            resolve_as_of(ctx.engine, ctx.manifest.chain_id),
        ).entries
        if e.kind == "certificate_revoked"
    )
    assert revocation.actor == registrar().address
    assert revocation.details["rulingHash"] is not None

    # the audit: mirror and chain agree on every certificate and every event
    report = ctx.audit.audit()
    assert report.consistent, report
    assert report.certificate_drifts == ()
    assert report.event_drifts == ()
    assert report.certificates_checked == 3
