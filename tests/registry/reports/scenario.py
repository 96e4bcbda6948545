"""A seeded market with known statistics (registry, API and CLI tests of the reports).

Four certificates and one application that is never issued:

* A: 交通运输, 440100 (广东), general data resource, valued CNY 12,000,000.00; its holder records
  it as an intangible asset, then sells it (the class lapses); the buyer pledges it to the bank
  for CNY 5,000,000.00.
* B: 金融 / 信贷风控, 310115 (上海), important data resource, valued CNY 5,000,000.00 and then
  CNY 6,000,000.00 (the latest counts); recorded as inventory; licensed, sublicensed, frozen.
* C: 交通运输, 440300 (广东), general data resource whose source agreement ends 75 days after
  the chain's start, so its certificate expires; a USD valuation that was withdrawn.
* D: 医疗健康, 510100 (四川), a data product derived from A, cancelled by its holder.
* E: applied for, never reviewed (not a certificate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from registry.context import RegistryContext
from registry.domain.numbers import CST
from registry.indexer.follow import Indexer
from tests.registry.registration.conftest import REGISTRAR_CODE, metadata, travel
from tests.registry.rights.test_service import (
    DAY,
    bank,
    buyer,
    chain_now,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    licensee,
    pledge_terms,
)
from tests.registry.valuation.test_service import accredited, submission

REGISTRAR_NAME = "广东省数据资产登记中心"


@dataclass(frozen=True)
class Market:
    a: int
    b: int
    c: int
    d: int
    issued: dict[int, datetime]  # token -> issue time
    valued: int  # head after every certificate was issued and valued
    sold: int  # head after A was sold (A's accounting class lapsed)
    busy_at: datetime  # time of the sale, pledge, licences (one block each, one day)
    final: int  # head at the end (C expired, D cancelled)


def month(moment: datetime) -> str:
    """The test's own month of a time in Beijing time (independent of the code under test)."""
    return (moment.astimezone(UTC) + timedelta(hours=8)).strftime("%Y-%m")


def build(ctx: RegistryContext) -> Market:
    firm = accredited(ctx)
    regulator = grant_regulator(ctx)
    start = (chain_now(ctx.client) + CST).date()
    a = issue(ctx, fp=0xA1, name="集装箱吞吐量 A")
    b = issue(
        ctx,
        fp=0xB1,
        name="小微企业信贷画像 B",
        industry="金融",
        category="信贷风控",
        region="310115",
        classification="important",
    )
    c = issue(
        ctx,
        fp=0xC1,
        name="船舶靠泊记录 C",
        region="440300",
        source_agreement_end=start + timedelta(days=75),
    )
    d = issue(
        ctx,
        fp=0xD1,
        name="就诊流量指数 D",
        industry="医疗健康",
        region="510100",
        asset_kind="product",
        parents=[a],
    )
    ctx.registrations.sign_and_submit(
        metadata(holder().address, 0xE1, name="未审核 E", industry="能源"),
        REGISTRAR_CODE,
        holder(),
        ctx.operator,
    )
    values = ctx.valuations
    values.submit(a, submission(ctx, value=12_000_000_00), firm)
    values.submit(b, submission(ctx, value=5_000_000_00), firm)
    values.submit(b, submission(ctx, value=6_000_000_00), firm)
    usd = values.submit(c, submission(ctx, value=1_000_00, currency="USD"), firm)
    values.withdraw(usd.id, "基准日有误", firm)
    values.set_accounting_class(a, "intangible_asset", holder())
    values.set_accounting_class(b, "inventory", holder())
    valued = ctx.client.head()
    travel(ctx.client, 40 * DAY)
    busy_at = chain_now(ctx.client)
    ctx.rights.transfer(a, buyer().address, "sale", "买卖合同 2026-002", holder())
    sold = ctx.client.head()
    ctx.rights.sign_and_register(pledge_terms(ctx, a), buyer(), bank(), ctx.operator)
    licence = ctx.rights.grant_licence(b, licence_terms(ctx, licensee()), holder())
    ctx.rights.grant_sublicence(licence.id, licence_terms(ctx, bank(), days=30), licensee())
    ctx.rights.freeze(b, "(2026)沪01执保3号", regulator)
    ctx.registrations.cancel(d, "产品停止运营", holder())
    travel(ctx.client, 40 * DAY)
    ctx.evidence.anchor(bytes([0xF1]) * 32, holder())  # a mirrored block after C expired
    final = ctx.client.head()
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    issued = {}
    for token in (a, b, c, d):
        at = ctx.registrations.get(token).issued_at
        assert at is not None
        issued[token] = at
    return Market(a, b, c, d, issued, valued, sold, busy_at, final)
