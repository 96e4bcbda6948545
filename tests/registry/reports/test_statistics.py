"""Statistics reports on a seeded market with known answers, now and as of earlier blocks."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from registry.context import RegistryContext
from registry.db.models import (
    asset_facts_table,
    document_table,
    registration_table,
)
from registry.indexer import derived
from registry.indexer.decode import Decoder
from registry.indexer.fetch import LogFetcher
from registry.indexer.follow import Indexer
from registry.indexer.store import store_batch
from registry.mirror import AsOf, indexer_head, resolve_as_of
from registry.reports import statistics as module
from registry.reports.statistics import DIMENSIONS, Statistics, market_statistics
from tests.registry.reports.scenario import REGISTRAR_NAME, Market, build, month
from tests.registry.rights.test_service import (
    bank,
    buyer,
    chain_now,
    grant_regulator,
    holder,
)
from tests.registry.valuation.test_service import appraiser, submission

CNY = "CNY"


@pytest.fixture
def market(ctx: RegistryContext) -> Market:
    return build(ctx)


def report(ctx: RegistryContext, block: int | None = None) -> Statistics:
    as_of = resolve_as_of(ctx.engine, ctx.manifest.chain_id, block)
    return market_statistics(ctx.engine, ctx.manifest.chain_id, as_of)


def counts(stats: Statistics, dimension: str) -> list[tuple[str, int]]:
    return [(g.key, g.certificates) for g in stats.groups[dimension]]


def test_counts_and_valuations_by_every_dimension_at_the_head(
    ctx: RegistryContext, market: Market
) -> None:
    stats = report(ctx)
    assert stats.as_of.block == market.final
    assert (stats.certificates, stats.valued, stats.pledged, stats.frozen) == (4, 2, 1, 1)
    assert stats.valuation == {CNY: Decimal("18000000.00")}
    assert counts(stats, "industry") == [("交通运输", 2), ("医疗健康", 1), ("金融", 1)]
    assert counts(stats, "category") == [("unknown", 3), ("信贷风控", 1)]
    assert counts(stats, "level") == [("general", 3), ("important", 1)]
    assert counts(stats, "province") == [("440000", 2), ("310000", 1), ("510000", 1)]
    assert counts(stats, "region") == [
        ("310115", 1),
        ("440100", 1),
        ("440300", 1),
        ("510100", 1),
    ]
    assert counts(stats, "registrar") == [("440", 4)]
    assert counts(stats, "kind") == [("resource", 3), ("product", 1)]
    assert sorted(counts(stats, "status")) == [("cancelled", 1), ("expired", 1), ("issued", 2)]
    # A's class lapsed when it was sold; B's holder still holds it
    assert counts(stats, "accounting_class") == [("none", 3), ("inventory", 1)]
    industry = {g.key: g for g in stats.groups["industry"]}
    assert (industry["交通运输"].valued, industry["交通运输"].valuation) == (
        1,
        {CNY: Decimal("12000000.00")},
    )
    assert industry["金融"].valuation == {CNY: Decimal("6000000.00")}  # the latest only
    assert industry["医疗健康"].valuation == {}
    labels = {g.key: (g.label, g.label_en) for g in stats.groups["province"]}
    assert labels["440000"] == ("广东省", "Guangdong")
    assert stats.groups["registrar"][0].label == REGISTRAR_NAME
    assert {g.key: g.label for g in stats.groups["level"]} == {
        "general": "一般数据",
        "important": "重要数据",
    }
    assert {g.key: g.label for g in stats.groups["status"]}["expired"] == "已过期"
    for dimension in DIMENSIONS:  # every dimension partitions the same certificates
        assert sum(g.certificates for g in stats.groups[dimension]) == 4
        assert sum(g.valued for g in stats.groups[dimension]) == 2


def test_monthly_volumes_and_pledge_exposure(ctx: RegistryContext, market: Market) -> None:
    stats = report(ctx)
    expected: dict[str, list[int]] = {}
    for at in market.issued.values():
        expected.setdefault(month(at), [0, 0, 0, 0, 0])[0] += 1
    busy = expected.setdefault(month(market.busy_at), [0, 0, 0, 0, 0])
    busy[1:] = [1, 1, 1, 1]  # the sale; B's licence; its sublicence; A's pledge
    got = {
        m.month: [m.issued, m.transfers, m.licences, m.sublicences, m.pledges] for m in stats.months
    }
    assert {k: v for k, v in got.items() if any(v)} == expected
    assert list(got) == sorted(got)  # every month from the first to the last, gaps as zeros
    assert len(got) >= len(expected)
    pledged = {m.month: m.pledged for m in stats.months if m.pledges}
    assert pledged == {month(market.busy_at): {CNY: Decimal("5000000.00")}}
    (exposure,) = stats.lenders
    assert exposure.lender == bank().address
    assert (exposure.pledges, exposure.certificates) == (1, 1)
    assert exposure.secured == {CNY: Decimal("5000000.00")}
    assert exposure.valuation == {CNY: Decimal("12000000.00")}  # A's latest valuation


def test_as_of_before_and_after_the_sale(ctx: RegistryContext, market: Market) -> None:
    before = report(ctx, market.valued)
    assert before.as_of.block == market.valued
    assert (before.certificates, before.valued, before.pledged, before.frozen) == (4, 2, 0, 0)
    assert before.valuation == {CNY: Decimal("18000000.00")}
    assert counts(before, "status") == [("issued", 4)]  # C not expired yet, D not cancelled
    assert sorted(counts(before, "accounting_class")) == [
        ("intangible_asset", 1),
        ("inventory", 1),
        ("none", 2),
    ]
    assert before.lenders == ()
    assert all(m.transfers == m.licences == m.pledges == 0 for m in before.months)
    after = report(ctx, market.sold)
    assert sorted(counts(after, "accounting_class")) == [("inventory", 1), ("none", 3)]
    assert sum(m.transfers for m in after.months) == 1
    assert sum(m.pledges for m in after.months) == 0  # registered in the next block
    # the history path and the head path agree at the head
    head = report(ctx)
    assert report(ctx, market.final) == head
    early = report(ctx, 0)
    assert (early.certificates, early.months, early.lenders) == (0, (), ())


@pytest.mark.parametrize("step", ["valued", "sold", "final"])
def test_history_path_equals_the_cache_at_the_head(
    ctx: RegistryContext, market: Market, step: str
) -> None:
    """As of the head, the row history gives the same report as the statistics cache (judged at
    each step's time, so expiry and accounting are compared in several states)."""
    chain = ctx.manifest.chain_id
    head = resolve_as_of(ctx.engine, chain)
    moment = resolve_as_of(ctx.engine, chain, getattr(market, step)).time
    as_of = AsOf(block=head.block, time=moment)
    cached = market_statistics(ctx.engine, chain, as_of)
    with ctx.engine.connect() as connection:
        found = module._from_history(ctx.engine, connection, chain, head.block, moment)
        history = module._report(connection, chain, as_of, *found)
    assert cached == history
    assert cached.certificates == 4


def test_the_cache_follows_new_events_and_rebuilds_after_a_rollback(
    ctx: RegistryContext, market: Market
) -> None:
    chain = ctx.manifest.chain_id
    report(ctx)  # the indexer built the cache as it stored the market's batches
    with ctx.engine.begin() as connection:
        assert derived.refresh_statistics(connection, chain) == 0  # current: nothing to write
    values = ctx.valuations
    firm = appraiser()  # accredited by the scenario
    values.submit(market.a, submission(ctx, value=7_000_00), firm)  # A's new latest
    regulator = grant_regulator(ctx)
    ctx.rights.unfreeze(market.b, "(2026)沪01执保3号之一", regulator)
    expiry = chain_now(ctx.client) + timedelta(days=30)
    ctx.rights.approve_transfer(market.b, buyer().address, expiry, regulator)  # important data
    ctx.rights.transfer(market.b, buyer().address, "sale", "买卖合同 2026-003", holder())
    # the new blocks as one batch, whose transaction refreshes the cache
    contracts = {name: c.address for name, c in ctx.manifest.contracts.items()}
    fetcher = LogFetcher(ctx.client, chain, list(contracts.values()), ctx.client.codec.topics)
    first = (indexer_head(ctx.engine, chain) or 0) + 1
    batch = Decoder(ctx.client.codec, contracts).decode(fetcher.fetch(first, ctx.client.head()))
    stored = store_batch(ctx.engine, batch)
    assert stored.refreshed.certificates == 2  # A revalued; B unfrozen and sold
    with ctx.engine.begin() as connection:
        assert derived.refresh_statistics(connection, chain) == 0
    stats = report(ctx)
    assert (stats.valued, stats.frozen) == (2, 0)
    assert counts(stats, "accounting_class") == [("none", 4)]  # B's class lapsed with the sale
    assert stats.valuation == {CNY: Decimal("6007000.00")}
    # a rollback rebuilds every row (in its transaction: registry.indexer.reorg.rollback)
    with ctx.engine.begin() as connection:
        assert derived.rebuild_statistics(connection, chain) == 4
    assert report(ctx) == stats


def test_facts_come_from_documents_once_and_unknown_without_one(
    ctx: RegistryContext, market: Market
) -> None:
    report(ctx)
    with ctx.engine.begin() as connection:  # every document was read when the batch was stored
        assert derived.refresh_facts(connection) == 0
    with ctx.engine.begin() as connection:
        digest = connection.execute(
            select(registration_table.c.metadata_hash).where(registration_table.c.id == market.d)
        ).scalar_one()
        connection.execute(
            delete(asset_facts_table).where(asset_facts_table.c.metadata_hash == digest)
        )
        connection.execute(delete(document_table).where(document_table.c.hash == digest))
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()  # refreshes even without blocks
    stats = report(ctx)
    assert counts(stats, "industry") == [("交通运输", 2), ("unknown", 1), ("金融", 1)]
    assert ("unknown", 1) in counts(stats, "province")


def test_facts_of_other_documents_are_unreadable() -> None:
    assert derived.facts_of(b"not json")["readable"] is False
    assert derived.facts_of(b'{"schema": "something/else", "industry": "x"}')["readable"] is False
    body = {"schema": "dareg.asset-metadata/1", "name": " N ", "industry": "能源", "region": "44"}
    facts = derived.facts_of(json.dumps(body).encode())
    assert facts == {
        "readable": True,
        "name": "N",
        "industry": "能源",
        "category": None,
        "region": None,  # not a 6-digit code
    }


def test_money_sums_are_exact_up_to_uint128() -> None:
    largest = 2**128 - 1
    values = [largest, largest, 1, None, 10**26 - 1, 0, 7]
    currencies = ["CNY", "CNY", "CNY", None, "USD", "USD", "JPY"]
    keys = ["a", "a", "b", "b", "a", "b", "a"]
    certificates = module._Certificates(
        tokens=list(range(len(values))),
        factorised={d: module._factorised(keys) for d in module._ROW_KEYS},
        frozen=[False] * len(values),
        issued_month=[None] * len(values),
        currency=currencies,
        value=values,
    )
    groups = {g.key: g for g in module._groups(certificates, {})["industry"]}
    assert (groups["a"].certificates, groups["a"].valued) == (4, 4)
    assert (groups["b"].certificates, groups["b"].valued) == (3, 2)
    assert groups["a"].valuation == {
        "CNY": Decimal(f"{2 * largest}E-2"),  # exact: no context rounding
        "JPY": Decimal(7),
        "USD": Decimal(f"{10**26 - 1}E-2"),
    }
    assert groups["b"].valuation == {"CNY": Decimal("0.01"), "USD": Decimal("0.00")}
