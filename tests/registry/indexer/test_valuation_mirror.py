"""Appraisers, valuations and accounting classes mirrored into SQL, checked against the real
ValuationRegistry on anvil."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, select

from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.db.models import (
    accounting_class_table,
    appraiser_table,
    raw_event_table,
    registration_table,
    valuation_table,
)
from registry.domain.chain import Receipt
from registry.domain.valuation import (
    AccountingClass,
    ValuationMethod,
    ValuationPurpose,
    ValuationStatus,
    ValueType,
)
from registry.errors import IndexerError, InputError
from registry.indexer.contracts.valuations import ValuationSubmittedRecord
from registry.indexer.decode import DecodedBatch, Decoder, to_record
from registry.indexer.fetch import LogFetcher
from registry.indexer.follow import Indexer
from registry.indexer.store import store_batch
from registry.mirror import (
    accounting_class_of,
    appraiser_row,
    latest_valuation_of_token,
    valuation_row,
    valuations_of_token,
)
from tests.conftest import admin as governor
from tests.registry.indexer.mirror import dump, sync
from tests.registry.rights.test_service import (
    buyer,
    chain_now,
    grant_regulator,
    holder,
    issue,
    regulator,
)

VALUATIONS = "ValuationRegistry"
DAY = 86_400
MAX_UINT128 = 2**128 - 1
ZERO = b"\0" * 32
#: Chain values of the accounting classes, as ``accountingClassOf`` returns them.
CLASSES = {0: None, 1: "intangible_asset", 2: "inventory"}


def appraiser_a() -> LocalAccount:
    return dev_account(9)


def appraiser_b() -> LocalAccount:
    return dev_account(10)


def appraiser_c() -> LocalAccount:
    return dev_account(11)


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def send(ctx: RegistryContext, function: str, args: list[Any], signer: LocalAccount) -> Receipt:
    address = ctx.manifest.address_of(VALUATIONS)
    return ctx.client.transact(VALUATIONS, address, function, args, signer)


def read(ctx: RegistryContext, function: str, *args: Any) -> Any:
    return ctx.client.call(VALUATIONS, ctx.manifest.address_of(VALUATIONS), function, list(args))


def fund(ctx: RegistryContext, *accounts: LocalAccount) -> None:
    for account in accounts:
        ctx.client.rpc("anvil_setBalance", [account.address, hex(10**20)])


def accredit(ctx: RegistryContext, account: LocalAccount, by: LocalAccount) -> None:
    send(ctx, "accreditAppraiser", [account.address, digest(f"资质 {account.address}")], by)


def submit(
    ctx: RegistryContext,
    token: int,
    appraiser: LocalAccount,
    value: int,
    *,
    method: ValuationMethod = ValuationMethod.COST,
    currency: bytes = b"CNY",
    value_type: ValueType = ValueType.MARKET_VALUE,
    days_ago: int = 30,
    purpose: ValuationPurpose = ValuationPurpose.PLEDGE_FINANCING,
    version: int = 1,
    report: str = "评估报告",
    facts: bytes = ZERO,
    uri: str = "",
) -> int:
    """Submit a valuation of ``token`` as ``appraiser``; its id."""
    base_date = int(chain_now(ctx.client).timestamp()) - days_ago * DAY
    receipt = send(
        ctx,
        "submitValuation",
        [
            token,
            (
                method.chain,
                value,
                currency,
                value_type.chain,
                base_date,
                purpose.chain,
                version,
                digest(report),
                facts,
                uri,
            ),
        ],
        appraiser,
    )
    (event,) = [e for e in receipt.events if e.name == "ValuationSubmitted"]
    return int(event.args["valuationId"])


def withdraw(
    ctx: RegistryContext, valuation_id: int, appraiser: LocalAccount, reason: bytes = ZERO
) -> None:
    send(ctx, "withdrawValuation", [valuation_id, reason], appraiser)


def set_class(
    ctx: RegistryContext, token: int, accounting_class: AccountingClass, by: LocalAccount
) -> None:
    send(ctx, "setAccountingClass", [token, accounting_class.chain], by)


@dataclass
class Scenario:
    """Token ids by name and valuation ids by name."""

    tokens: dict[str, int] = field(default_factory=dict)
    valuations: dict[str, int] = field(default_factory=dict)


def run_scenario(ctx: RegistryContext, after: Callable[[], object] = lambda: None) -> Scenario:
    """Every event of ValuationRegistry; ``after`` called between steps."""
    s = Scenario()
    reg = grant_regulator(ctx)
    fund(ctx, appraiser_a(), appraiser_b(), appraiser_c())
    s.tokens["A"] = issue(ctx, holder(), 0xA1)
    s.tokens["B"] = issue(ctx, buyer(), 0xB1)
    a, b = s.tokens["A"], s.tokens["B"]
    accredit(ctx, appraiser_a(), reg)
    accredit(ctx, appraiser_b(), governor())  # the admin accredits too
    after()

    # three valuations of A by two appraisers; one of B at the largest uint128
    s.valuations["a1"] = submit(ctx, a, appraiser_a(), 3_987_720_00)
    s.valuations["a2"] = submit(
        ctx,
        a,
        appraiser_b(),
        4_200_000_00,
        method=ValuationMethod.INCOME,
        value_type=ValueType.INVESTMENT_VALUE,
        purpose=ValuationPurpose.FINANCIAL_REPORTING,
        days_ago=10,
        facts=digest("规模 1344 条, 按月更新"),
        uri="https://appraiser.example/%E6%8A%A5%E5%91%8A/2026-042.pdf",
    )
    after()
    s.valuations["a3"] = submit(
        ctx,
        a,
        appraiser_a(),
        5_000_000_00,
        method=ValuationMethod.MARKET,
        value_type=ValueType.ORDERLY_LIQUIDATION_VALUE,
        purpose=ValuationPurpose.TRANSACTION,
        days_ago=1,
    )
    s.valuations["b1"] = submit(
        ctx,
        b,
        appraiser_b(),
        MAX_UINT128,
        method=ValuationMethod.COMBINED,
        currency=b"USD",
        value_type=ValueType.OTHER_VALUE,
        purpose=ValuationPurpose.LITIGATION,
    )
    after()

    # the newest valuation of A is withdrawn: the latest moves back to a2
    withdraw(ctx, s.valuations["a3"], appraiser_a(), digest("数据口径有误"))
    after()

    # appraiser B is removed: its valuations stay; C is accredited, removed and accredited again
    send(ctx, "removeAppraiser", [appraiser_b().address, digest("资质到期")], reg)
    accredit(ctx, appraiser_c(), reg)
    send(ctx, "removeAppraiser", [appraiser_c().address, ZERO], governor())
    after()
    accredit(ctx, appraiser_c(), reg)
    s.valuations["b2"] = submit(
        ctx, b, appraiser_c(), 12_345, currency=b"JPY", purpose=ValuationPurpose.OTHER
    )

    # accounting classes: A's holder chooses, changes its mind; A is sold, the buyer chooses
    set_class(ctx, a, AccountingClass.INTANGIBLE_ASSET, holder())
    set_class(ctx, b, AccountingClass.INVENTORY, buyer())
    after()
    set_class(ctx, a, AccountingClass.INVENTORY, holder())
    ctx.rights.transfer(a, buyer().address, "sale", None, holder())
    after()
    set_class(ctx, a, AccountingClass.INTANGIBLE_ASSET, buyer())
    after()
    return s


@pytest.fixture
def scenario(ctx: RegistryContext) -> Scenario:
    return run_scenario(ctx)


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def assert_mirrors_chain(ctx: RegistryContext, engine: Engine, s: Scenario) -> None:
    """Every valuation, latest valuation, accounting class and appraiser of the mirror equals a
    chain read."""
    for name, token in s.tokens.items():
        rows = valuations_of_token(engine, token)
        assert [r.id for r in rows] == list(read(ctx, "valuationsOf", token)), name
        latest = latest_valuation_of_token(engine, token)
        assert (0 if latest is None else latest.id) == read(ctx, "latestValuationOf", token)
        assert accounting_class_of(engine, token) == CLASSES[read(ctx, "accountingClassOf", token)]
        for row in rows:
            (
                token_id,
                appraiser,
                asset_version,
                value,
                submitted_at,
                base_date,
                currency,
                method,
                value_type,
                purpose,
                status,
                withdrawn_at,
                report_hash,
                facts_hash,
            ) = read(ctx, "valuation", row.id)
            assert (
                row.token_id,
                row.appraiser,
                row.asset_version,
                row.value,
                row.submitted_at,
                row.base_date,
                row.currency,
                row.method.chain,
                row.value_type.chain,
                row.purpose.chain,
                row.status.chain,
                row.withdrawn_at,
                row.report_hash,
                row.facts_hash or "0x" + ZERO.hex(),
            ) == (
                token_id,
                appraiser,
                asset_version,
                value,
                utc(submitted_at),
                utc(base_date),
                currency.decode(),
                method,
                value_type,
                purpose,
                status,
                utc(withdrawn_at) if withdrawn_at else None,
                "0x" + report_hash.hex(),
                "0x" + facts_hash.hex(),
            ), row.id
            assert row.appraiser_removed == (not read(ctx, "isAppraiser", row.appraiser))
            assert valuation_row(engine, row.id) == row
    for account in (appraiser_a(), appraiser_b(), appraiser_c()):
        accredited, accredited_at, removed_at, accreditation_hash = read(
            ctx, "appraiser", account.address
        )
        mirrored = appraiser_row(engine, account.address)
        assert mirrored is not None
        assert (
            mirrored.accredited,
            mirrored.accredited_at,
            mirrored.removed_at,
            mirrored.accreditation_hash,
        ) == (
            accredited,
            utc(accredited_at),
            utc(removed_at) if removed_at else None,
            "0x" + accreditation_hash.hex(),
        )


# --- the mirror equals the chain ---------------------------------------------------------------


def test_every_valuation_appraiser_and_accounting_class_matches_the_chain(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    assert sync(ctx) == ctx.client.head()
    assert_mirrors_chain(ctx, ctx.engine, scenario)
    a, b = scenario.tokens["A"], scenario.tokens["B"]
    v = scenario.valuations

    rows = {r.id: r for r in valuations_of_token(ctx.engine, a)}
    assert list(rows) == [v["a1"], v["a2"], v["a3"]]
    first, second, third = rows[v["a1"]], rows[v["a2"]], rows[v["a3"]]
    assert (first.method, first.value_type, first.purpose) == (
        ValuationMethod.COST,
        ValueType.MARKET_VALUE,
        ValuationPurpose.PLEDGE_FINANCING,
    )
    assert (first.value, first.currency, first.asset_version) == (3_987_720_00, "CNY", 1)
    assert (first.facts_hash, first.report_uri) == (None, None)
    assert first.report_hash == "0x" + digest("评估报告").hex()
    assert first.certificate_number == ctx.registrations.get(a).certificate_number
    assert second.report_uri == "https://appraiser.example/%E6%8A%A5%E5%91%8A/2026-042.pdf"
    assert second.facts_hash == "0x" + digest("规模 1344 条, 按月更新").hex()
    assert (second.method, second.value_type, second.purpose) == (
        ValuationMethod.INCOME,
        ValueType.INVESTMENT_VALUE,
        ValuationPurpose.FINANCIAL_REPORTING,
    )
    assert second.base_date < second.submitted_at

    # withdrawn: kept, never the latest; the latest is a2, whose appraiser was removed
    assert (third.status, third.active) == (ValuationStatus.WITHDRAWN, False)
    assert third.withdrawn_at is not None
    assert third.withdraw_reason_hash == "0x" + digest("数据口径有误").hex()
    assert (first.status, second.status) == (ValuationStatus.ACTIVE, ValuationStatus.ACTIVE)
    latest = latest_valuation_of_token(ctx.engine, a)
    assert latest is not None
    assert latest.id == v["a2"]
    assert (first.appraiser_removed, second.appraiser_removed, third.appraiser_removed) == (
        False,
        True,
        False,
    )

    # B: the largest uint128 survives exactly; C's valuation after its re-accreditation
    b_rows = valuations_of_token(ctx.engine, b)
    assert [(r.id, r.value, r.currency) for r in b_rows] == [
        (v["b1"], MAX_UINT128, "USD"),
        (v["b2"], 12_345, "JPY"),
    ]
    with ctx.engine.connect() as connection:
        stored = connection.execute(
            select(valuation_table.c.value).where(valuation_table.c.id == v["b1"])
        ).scalar_one()
    assert stored == str(MAX_UINT128)
    assert b_rows[0].appraiser_removed
    assert not b_rows[1].appraiser_removed
    b_latest = latest_valuation_of_token(ctx.engine, b)
    assert b_latest is not None
    assert b_latest.id == v["b2"]

    # appraisers: B removed (with its reason), C accredited again (removal cleared)
    removed = appraiser_row(ctx.engine, appraiser_b().address.lower())
    assert removed is not None
    assert (removed.accredited, removed.removed) == (False, True)
    assert removed.removed_by == regulator().address
    assert removed.removal_reason_hash == "0x" + digest("资质到期").hex()
    assert removed.accredited_by == governor().address
    again = appraiser_row(ctx.engine, appraiser_c().address)
    assert again is not None
    assert (again.accredited, again.removed_at, again.removed_by, again.removal_reason_hash) == (
        True,
        None,
        None,
        None,
    )
    assert appraiser_row(ctx.engine, holder().address) is None
    with pytest.raises(InputError):
        appraiser_row(ctx.engine, "0x12")

    # accounting classes: A's new holder chose again; B's holder chose inventory
    assert accounting_class_of(ctx.engine, a) == "intangible_asset"
    assert accounting_class_of(ctx.engine, b) == "inventory"
    with ctx.engine.connect() as connection:
        classes = {r.token_id: r for r in connection.execute(select(accounting_class_table)).all()}
    assert classes[a].holder == buyer().address

    # nothing for what the chain does not know
    assert valuations_of_token(ctx.engine, 999) == []
    assert latest_valuation_of_token(ctx.engine, 999) is None
    assert valuation_row(ctx.engine, 999) is None
    assert accounting_class_of(ctx.engine, 999) is None


def test_rows_point_back_at_their_raw_events(ctx: RegistryContext, scenario: Scenario) -> None:
    sync(ctx)
    with ctx.engine.connect() as connection:
        raw = {
            (r.block_number, r.log_index): (r.event, r.tx_hash)
            for r in connection.execute(select(raw_event_table)).all()
        }
        valuations = connection.execute(select(valuation_table)).all()
        appraisers = connection.execute(select(appraiser_table)).all()
        classes = connection.execute(select(accounting_class_table)).all()
    assert {
        "AppraiserAccredited",
        "AppraiserRemoved",
        "ValuationSubmitted",
        "ValuationWithdrawn",
        "AccountingClassSet",
    } <= {event for event, _ in raw.values()}
    assert {raw[(r.submitted_block, r.submitted_log_index)][0] for r in valuations} == {
        "ValuationSubmitted"
    }
    assert all(
        raw[(r.submitted_block, r.submitted_log_index)][1] == r.submitted_tx_hash
        for r in valuations
    )
    assert {raw[(r.last_block, r.last_log_index)][0] for r in valuations} == {
        "ValuationSubmitted",
        "ValuationWithdrawn",
    }
    assert {raw[(r.last_block, r.last_log_index)][0] for r in appraisers} == {
        "AppraiserAccredited",
        "AppraiserRemoved",
    }
    assert {raw[(r.last_block, r.last_log_index)][0] for r in classes} == {"AccountingClassSet"}


def test_withdrawals_move_the_latest_back_and_removal_keeps_the_rows(
    ctx: RegistryContext,
) -> None:
    fund(ctx, appraiser_a())
    token = issue(ctx, holder(), 0xC1)
    accredit(ctx, appraiser_a(), governor())
    older = submit(ctx, token, appraiser_a(), 100_00, days_ago=60)
    newer = submit(ctx, token, appraiser_a(), 120_00, days_ago=2)
    sync(ctx)
    latest = latest_valuation_of_token(ctx.engine, token)
    assert latest is not None
    assert latest.id == newer

    withdraw(ctx, newer, appraiser_a())
    sync(ctx)
    latest = latest_valuation_of_token(ctx.engine, token)
    assert latest is not None
    assert latest.id == older
    withdrawn = valuation_row(ctx.engine, newer)
    assert withdrawn is not None
    assert (withdrawn.status, withdrawn.withdraw_reason_hash) == (ValuationStatus.WITHDRAWN, None)

    # removed: every valuation stays, flagged; the appraiser may still withdraw its own
    send(ctx, "removeAppraiser", [appraiser_a().address, ZERO], governor())
    sync(ctx)
    rows = valuations_of_token(ctx.engine, token)
    assert [(r.id, r.appraiser_removed) for r in rows] == [(older, True), (newer, True)]
    latest = latest_valuation_of_token(ctx.engine, token)
    assert latest is not None
    assert (latest.id, latest.appraiser_removed) == (older, True)
    withdraw(ctx, older, appraiser_a())
    sync(ctx)
    assert latest_valuation_of_token(ctx.engine, token) is None
    assert read(ctx, "latestValuationOf", token) == 0
    assert [r.status for r in valuations_of_token(ctx.engine, token)] == [
        ValuationStatus.WITHDRAWN,
        ValuationStatus.WITHDRAWN,
    ]
    accredit(ctx, appraiser_a(), governor())
    sync(ctx)
    assert not any(r.appraiser_removed for r in valuations_of_token(ctx.engine, token))


def test_an_accounting_class_lapses_with_a_transfer_until_the_new_holder_chooses(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx, holder(), 0xC2)
    sync(ctx)
    assert accounting_class_of(ctx.engine, token) is None
    set_class(ctx, token, AccountingClass.INTANGIBLE_ASSET, holder())
    sync(ctx)
    assert accounting_class_of(ctx.engine, token) == "intangible_asset"
    set_class(ctx, token, AccountingClass.INVENTORY, holder())
    sync(ctx)
    assert accounting_class_of(ctx.engine, token) == "inventory"
    ctx.rights.transfer(token, buyer().address, "sale", None, holder())
    sync(ctx)
    assert accounting_class_of(ctx.engine, token) is None
    assert read(ctx, "accountingClassOf", token) == 0
    set_class(ctx, token, AccountingClass.INTANGIBLE_ASSET, buyer())
    sync(ctx)
    assert accounting_class_of(ctx.engine, token) == "intangible_asset"
    assert read(ctx, "accountingClassOf", token) == AccountingClass.INTANGIBLE_ASSET.chain
    # sold back: the first holder's choice is not revived (the buyer chose since)
    ctx.rights.transfer(token, holder().address, "sale", None, buyer())
    sync(ctx)
    assert accounting_class_of(ctx.engine, token) is None
    assert read(ctx, "accountingClassOf", token) == 0


# --- a fresh full sync, step-by-step syncs and replays give the same tables -------------------


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


def _batch(ctx: RegistryContext, start: int) -> DecodedBatch:
    contracts = {name: c.address for name, c in ctx.manifest.contracts.items()}
    fetcher = LogFetcher(
        ctx.client, ctx.manifest.chain_id, list(contracts.values()), ctx.client.codec.topics
    )
    return Decoder(ctx.client.codec, contracts).decode(fetcher.fetch(start, ctx.client.head()))


def test_storing_a_stored_batch_again_changes_nothing(
    ctx: RegistryContext, scenario: Scenario
) -> None:
    batch = _batch(ctx, ctx.manifest.deploy_block)
    first = store_batch(ctx.engine, batch)
    assert first.valuation_events == len(batch.family("valuation")) >= 15
    before = dump(ctx.engine)
    again = store_batch(ctx.engine, batch)
    assert again.rows == 0
    assert again.valuation_events == 0
    assert dump(ctx.engine) == before
    assert_mirrors_chain(ctx, ctx.engine, scenario)


# --- refusing what the contract could not have done --------------------------------------------


def _tamper(ctx: RegistryContext, table: Any, where: Any, **values: Any) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(table.update().where(where).values(**values))


def test_a_withdrawal_of_a_valuation_the_mirror_holds_as_withdrawn_is_refused(
    ctx: RegistryContext,
) -> None:
    fund(ctx, appraiser_a())
    token = issue(ctx, holder(), 0xE1)
    accredit(ctx, appraiser_a(), governor())
    valuation_id = submit(ctx, token, appraiser_a(), 1_00)
    sync(ctx)
    _tamper(
        ctx,
        valuation_table,
        valuation_table.c.id == valuation_id,
        status=ValuationStatus.WITHDRAWN.value,
    )
    before = dump(ctx.engine)
    withdraw(ctx, valuation_id, appraiser_a())
    with pytest.raises(IndexerError, match="which is withdrawn"):
        sync(ctx)
    assert dump(ctx.engine) == before


def test_a_valuation_by_an_appraiser_the_mirror_sees_as_removed_is_refused(
    ctx: RegistryContext,
) -> None:
    fund(ctx, appraiser_a())
    token = issue(ctx, holder(), 0xE2)
    accredit(ctx, appraiser_a(), governor())
    sync(ctx)
    _tamper(
        ctx,
        appraiser_table,
        appraiser_table.c.address == appraiser_a().address,
        accredited=False,
    )
    before = dump(ctx.engine)
    submit(ctx, token, appraiser_a(), 1_00)
    with pytest.raises(IndexerError, match="not an accredited appraiser"):
        sync(ctx)
    assert dump(ctx.engine) == before


def test_an_accounting_class_set_by_someone_the_mirror_does_not_see_as_holder_is_refused(
    ctx: RegistryContext,
) -> None:
    token = issue(ctx, holder(), 0xE3)
    sync(ctx)
    _tamper(ctx, registration_table, registration_table.c.id == token, holder=buyer().address)
    before = dump(ctx.engine)
    set_class(ctx, token, AccountingClass.INVENTORY, holder())
    with pytest.raises(IndexerError, match="which is held by"):
        sync(ctx)
    assert dump(ctx.engine) == before


def test_a_submitted_event_whose_record_disagrees_is_refused(ctx: RegistryContext) -> None:
    fund(ctx, appraiser_a())
    token = issue(ctx, holder(), 0xE4)
    accredit(ctx, appraiser_a(), governor())
    base_date = int(chain_now(ctx.client).timestamp()) - DAY
    receipt = send(
        ctx,
        "submitValuation",
        [token, (1, 5, b"CNY", 1, base_date, 1, 1, digest("r"), ZERO, "")],
        appraiser_a(),
    )
    (event,) = [e for e in receipt.events if e.name == "ValuationSubmitted"]
    record = to_record(event)
    assert isinstance(record, ValuationSubmittedRecord)
    assert (record.token_id, record.value, record.report_uri) == (token, 5, None)
    fields = list(event.args["valuation"])

    def altered(index: int, value: Any) -> Any:
        changed = list(fields)
        changed[index] = value
        return replace(event, args={**event.args, "valuation": changed})

    with pytest.raises(IndexerError, match="indexes token"):
        to_record(altered(0, token + 1))
    with pytest.raises(IndexerError, match="not active"):
        to_record(altered(10, ValuationStatus.WITHDRAWN.chain))
    with pytest.raises(IndexerError, match="contract refuses"):
        to_record(altered(7, ValuationMethod.NONE.chain))
    with pytest.raises(IndexerError, match="does not define"):
        to_record(altered(9, 42))
    # records that carry the block time need it
    withdrawal = send(ctx, "withdrawValuation", [record.valuation_id, ZERO], appraiser_a())
    (withdrawn,) = withdrawal.events
    with pytest.raises(IndexerError, match="needs the timestamp"):
        to_record(withdrawn)
