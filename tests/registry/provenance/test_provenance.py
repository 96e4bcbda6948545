"""Provenance, lineage, custody and party traces on a seeded history with known answers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from registry.context import RegistryContext
from registry.domain.numbers import check_digit
from registry.errors import CertificateNotFoundError, InputError, MalformedNumberError
from registry.mirror import certificate_as_of, resolve_as_of
from registry.provenance import (
    TraceFilter,
    custody,
    lineage,
    timeline,
    trace_party,
)
from registry.provenance.exports import (
    CUSTODY_COLUMNS,
    TIMELINE_COLUMNS,
    TRACE_COLUMNS,
    custody_csv,
    lineage_json,
    timeline_csv,
    timeline_json,
    trace_csv,
    trace_json,
)
from tests.registry.provenance.scenario import Scenario, build
from tests.registry.rights.test_service import bank, buyer, holder, licensee, regulator


@pytest.fixture
def s(ctx: RegistryContext) -> Scenario:
    return build(ctx)


def _as_of(ctx: RegistryContext, block: int | None = None, time: datetime | None = None):  # type: ignore[no-untyped-def]
    return resolve_as_of(ctx.engine, ctx.manifest.chain_id, block, time)


A_KINDS = [
    "evidence_anchored",
    "application_submitted",
    "application_accepted",
    "notice_opened",
    "certificate_issued",
    "certificate_transferred",
    "pledge_registered",
    "licence_granted",
    "certificate_frozen",
    "certificate_unfrozen",
    "pledge_released",
    "certificate_transferred",
]


def test_timeline_lists_every_event_of_the_asset_in_chain_order(
    ctx: RegistryContext, s: Scenario
) -> None:
    answer = timeline(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx))
    assert [e.kind for e in answer.entries] == A_KINDS
    positions = [(e.block_number, e.log_index) for e in answer.entries]
    assert positions == sorted(positions)
    assert answer.as_of.block == s.inherited
    assert answer.asset.holder == holder().address
    assert answer.asset.name == "港口集装箱吞吐量数据集 A"
    sale, inheritance = [e for e in answer.entries if e.kind == "certificate_transferred"]
    assert sale.details["reason"] == "sale"
    assert sale.actor == holder().address
    assert sale.details["to"] == buyer().address
    assert inheritance.details["reason"] == "inheritance"
    pledged = next(e for e in answer.entries if e.kind == "pledge_registered")
    assert pledged.actor == buyer().address
    assert pledged.details["pledgee"] == bank().address
    assert pledged.details["securedAmount"] == 5_000_000_00
    assert pledged.details["currency"] == "CNY"
    unfrozen = next(e for e in answer.entries if e.kind == "certificate_unfrozen")
    assert unfrozen.actor == regulator().address  # v2 names it ``actor``, not ``regulator``
    granted = next(e for e in answer.entries if e.kind == "licence_granted")
    assert granted.details["voucherNumber"] == s.voucher
    assert granted.details["licensee"] == licensee().address
    for e in answer.entries:
        assert e.tx_hash.startswith("0x")
        assert len(e.tx_hash) == 66
        assert e.time.tzinfo is not None
    # nothing of the other assets leaks in
    other = timeline(ctx.engine, ctx.manifest.chain_id, s.number_p, _as_of(ctx))
    assert [e.kind for e in other.entries] == [
        "application_submitted",
        "application_accepted",
        "notice_opened",
        "certificate_issued",
    ]


def test_timeline_as_of_a_block_is_cut_there(ctx: RegistryContext, s: Scenario) -> None:
    before_sale = timeline(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx, s.sold - 1))
    assert [e.kind for e in before_sale.entries] == A_KINDS[:5]
    assert before_sale.asset.holder == holder().address
    after_sale = timeline(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx, s.sold))
    assert [e.kind for e in after_sale.entries] == A_KINDS[:6]
    assert after_sale.asset.holder == buyer().address
    assert after_sale.as_of.block == s.sold
    # a time maps to the last block at or before it
    at = after_sale.entries[-1].time
    by_time = timeline(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx, time=at))
    assert by_time.as_of.block == s.sold
    assert len(by_time.entries) == 6
    before_all = _as_of(ctx, time=datetime(2000, 1, 1, tzinfo=UTC))
    assert before_all.block == 0
    empty = timeline(ctx.engine, ctx.manifest.chain_id, s.number_a, before_all)
    assert empty.entries == []
    assert empty.asset.status is None


def test_the_asset_state_agrees_with_certificate_as_of(ctx: RegistryContext, s: Scenario) -> None:
    chain_id = ctx.manifest.chain_id
    for block in (s.issued_a, s.sold, s.released, s.inherited):
        as_of = _as_of(ctx, block)
        assert as_of.time is not None
        asset = timeline(ctx.engine, chain_id, s.number_a, as_of).asset
        state = certificate_as_of(ctx.engine, chain_id, s.a, block, as_of.time)
        assert state is not None
        assert (asset.holder, asset.status, asset.version) == (
            state.holder,
            state.status,
            state.version,
        )


def test_custody_has_one_period_per_holder_with_reasons(ctx: RegistryContext, s: Scenario) -> None:
    answer = custody(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx))
    assert [(p.holder, p.reason, p.previous_holder) for p in answer.periods] == [
        (holder().address, "issued", None),
        (buyer().address, "sale", holder().address),
        (holder().address, "inheritance", buyer().address),
    ]
    first, second, third = answer.periods
    assert first.from_block == s.issued_a
    assert first.to_block == s.sold
    assert second.from_block == s.sold
    assert second.to_block == s.inherited
    assert third.to_block is None
    assert third.to_time is None
    # as of a block between the two transfers, the buyer's period is still open
    middle = custody(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx, s.released))
    assert [p.holder for p in middle.periods] == [holder().address, buyer().address]
    assert middle.periods[-1].to_block is None
    before = custody(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx, s.sold - 1))
    assert [p.holder for p in before.periods] == [holder().address]
    # filters
    sales = custody(
        ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx), TraceFilter(reason="sale")
    )
    assert [p.holder for p in sales.periods] == [buyer().address]
    for start, reasons in (
        (s.inherited, ["inheritance"]),
        (s.inherited - 1, ["sale", "inheritance"]),
    ):
        late = custody(
            ctx.engine,
            ctx.manifest.chain_id,
            s.number_a,
            _as_of(ctx),
            TraceFilter(from_block=start),
        )
        assert [p.reason for p in late.periods] == reasons  # periods are [from, to)
    confidential = custody(
        ctx.engine,
        ctx.manifest.chain_id,
        s.number_a,
        _as_of(ctx),
        TraceFilter(level="core"),
    )
    assert confidential.periods == []


def test_lineage_walks_ancestors_and_descendants(ctx: RegistryContext, s: Scenario) -> None:
    answer = lineage(ctx.engine, ctx.manifest.chain_id, s.number_p, _as_of(ctx))
    body = lineage_json(answer)
    relations = {n["id"]: n["relation"] for n in body["nodes"]}
    assert relations == {s.p: "subject", s.a: "ancestor", s.b: "ancestor", s.q: "descendant"}
    assert {(e["from"], e["to"]) for e in body["edges"]} == {(s.p, s.a), (s.p, s.b), (s.q, s.p)}
    names = {n["id"]: n["name"] for n in body["nodes"]}
    assert names[s.q] == "航线预测产品 Q"
    assert all(n["status"] == "issued" for n in body["nodes"])
    assert body["as_of_block"] == s.inherited
    # from a resource: its descendants transitively
    from_a = lineage(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx))
    assert {(n.id, n.relation, n.depth) for n in from_a.nodes} == {
        (s.a, "subject", 0),
        (s.p, "descendant", 1),
        (s.q, "descendant", 2),
    }
    # as of A's issue, none of the products existed
    early = lineage(ctx.engine, ctx.manifest.chain_id, s.number_a, _as_of(ctx, s.issued_a))
    assert [n.id for n in early.nodes] == [s.a]
    assert early.edges == []


def test_a_party_trace_joins_holdings_licences_and_pledges(
    ctx: RegistryContext, s: Scenario
) -> None:
    answer = trace_party(ctx.engine, ctx.manifest.chain_id, buyer().address.lower(), _as_of(ctx))
    assert answer.party == buyer().address
    got = [(e.relation, e.token_id, e.reason, e.counterparty) for e in answer.entries]
    assert got == [
        ("holder", s.a, "sale", holder().address),
        ("pledgor", s.a, None, bank().address),
        ("licensor", s.a, None, licensee().address),
    ]
    held, pledged, licensed = answer.entries
    assert held.to_block == s.inherited
    assert pledged.to_block == s.released
    assert pledged.details["closed"] == "released"
    assert licensed.reference == s.voucher
    assert licensed.to_block is None
    # the holder: two periods of A, and everything issued to it
    mine = trace_party(ctx.engine, ctx.manifest.chain_id, holder().address, _as_of(ctx))
    held_a = [e for e in mine.entries if e.token_id == s.a]
    assert [(e.reason, e.to_block) for e in held_a] == [
        ("issued", s.sold),
        ("inheritance", None),
    ]
    assert {e.token_id for e in mine.entries} == {s.a, s.b, s.p, s.q}
    # as of before the sale the buyer had nothing
    before = trace_party(
        ctx.engine, ctx.manifest.chain_id, buyer().address, _as_of(ctx, s.sold - 1)
    )
    assert before.entries == []
    # filters: reason keeps holdings acquired so; a window after the release drops the pledge
    sales = trace_party(
        ctx.engine, ctx.manifest.chain_id, buyer().address, _as_of(ctx), TraceFilter(reason="sale")
    )
    assert [e.relation for e in sales.entries] == ["holder"]
    after = trace_party(
        ctx.engine,
        ctx.manifest.chain_id,
        buyer().address,
        _as_of(ctx),
        TraceFilter(from_block=s.released),
    )
    assert [e.relation for e in after.entries] == ["holder", "licensor"]
    bank_side = trace_party(ctx.engine, ctx.manifest.chain_id, bank().address, _as_of(ctx))
    assert [(e.relation, e.counterparty) for e in bank_side.entries] == [
        ("pledgee", buyer().address)
    ]


def test_exports_parse_back(ctx: RegistryContext, s: Scenario) -> None:
    chain_id = ctx.manifest.chain_id
    as_of = _as_of(ctx)
    rows = list(
        csv.DictReader(io.StringIO(timeline_csv(timeline(ctx.engine, chain_id, s.number_a, as_of))))
    )
    assert tuple(rows[0].keys()) == TIMELINE_COLUMNS
    assert [r["kind"] for r in rows] == A_KINDS
    assert {r["as_of_block"] for r in rows} == {str(s.inherited)}
    body = timeline_json(timeline(ctx.engine, chain_id, s.number_a, as_of))
    assert [e["kind"] for e in body["entries"]] == A_KINDS
    periods = list(
        csv.DictReader(io.StringIO(custody_csv(custody(ctx.engine, chain_id, s.number_a, as_of))))
    )
    assert tuple(periods[0].keys()) == CUSTODY_COLUMNS
    assert [p["reason"] for p in periods] == ["issued", "sale", "inheritance"]
    assert periods[-1]["to_block"] == ""
    trace = trace_party(ctx.engine, chain_id, buyer().address, as_of)
    entries = list(csv.DictReader(io.StringIO(trace_csv(trace))))
    assert tuple(entries[0].keys()) == TRACE_COLUMNS
    assert [e["relation"] for e in entries] == ["holder", "pledgor", "licensor"]
    assert entries[2]["reference"] == s.voucher
    assert trace_json(trace)["entries"][0]["certificate_number"] == s.number_a


def test_bad_inputs(ctx: RegistryContext, s: Scenario) -> None:
    chain_id = ctx.manifest.chain_id
    with pytest.raises(InputError, match="not both"):
        resolve_as_of(ctx.engine, chain_id, 1, datetime.now(tz=UTC))
    with pytest.raises(InputError, match="beyond"):
        resolve_as_of(ctx.engine, chain_id, s.inherited + 1000)
    with pytest.raises(InputError, match="timezone"):
        resolve_as_of(ctx.engine, chain_id, None, datetime(2026, 1, 1))
    with pytest.raises(InputError, match="malformed address"):
        trace_party(ctx.engine, chain_id, "0x1234", _as_of(ctx))
    with pytest.raises(MalformedNumberError):
        timeline(
            ctx.engine, chain_id, s.number_a[:-1] + str((int(s.number_a[-1]) + 1) % 10), _as_of(ctx)
        )
    unknown = s.number_a[:9] + "9999999"
    with pytest.raises(CertificateNotFoundError):
        timeline(ctx.engine, chain_id, unknown + str(check_digit(unknown)), _as_of(ctx))
    with pytest.raises(InputError):
        TraceFilter(reason="theft")
    with pytest.raises(InputError):
        TraceFilter(
            from_time=datetime.now(tz=UTC), to_time=datetime.now(tz=UTC) - timedelta(days=1)
        )
