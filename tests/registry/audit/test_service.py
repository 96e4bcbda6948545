"""The audit of the SQL mirror against the real session chain, with a real SQLite mirror that
the tests tamper with directly."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from registry.context import RegistryContext
from registry.db.models import freeze_table, pledge_table, raw_event_table, registration_table
from registry.domain.audit import (
    BlockDigest,
    CertificateDrift,
    block_digest,
    chain_digest,
    range_digest,
    range_seed,
)
from registry.domain.chain import ChainLog
from registry.domain.registration import Status
from registry.errors import (
    CertificateNotFoundError,
    ConflictError,
    InputError,
    MalformedNumberError,
)
from registry.indexer.follow import Indexer
from registry.mirror import indexer_head
from tests.registry.registration.conftest import travel
from tests.registry.rights.test_service import (
    bank,
    buyer,
    grant_regulator,
    holder,
    issue,
    pledge_terms,
)


@dataclass(frozen=True)
class Scenario:
    moved: int  # transferred to the buyer, then frozen
    pledged: int  # pledged to the bank
    pledge_id: int
    moved_number: str
    pledged_number: str


def sync(ctx: RegistryContext) -> int:
    return Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()


def number_of(ctx: RegistryContext, token: int) -> str:
    number = ctx.registrations.get(token).certificate_number
    assert number is not None
    return number


def build_scenario(ctx: RegistryContext) -> Scenario:
    """Two certificates: one transferred and frozen, one pledged; the mirror synced."""
    moved = issue(ctx)
    pledged = issue(ctx, fp=0xB2)
    ctx.rights.transfer(moved, buyer().address, "sale", "数据资产转让合同 No. 7", holder())
    pledge = ctx.rights.sign_and_register(
        pledge_terms(ctx, pledged), holder(), bank(), ctx.operator
    )
    ctx.rights.freeze(moved, "(2026)粤01执保123号", grant_regulator(ctx))
    sync(ctx)
    return Scenario(moved, pledged, pledge.id, number_of(ctx, moved), number_of(ctx, pledged))


def execute(ctx: RegistryContext, statement: Any) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(statement)


def raw_row(ctx: RegistryContext, event: str, nth: int = 0) -> dict[str, Any]:
    """The ``nth`` mirrored raw event named ``event``, as a dict of its columns."""
    t = raw_event_table
    with ctx.engine.connect() as connection:
        rows = connection.execute(
            select(t).where(t.c.event == event).order_by(t.c.block_number, t.c.log_index)
        ).all()
    return dict(rows[nth]._mapping)


def as_log(row: dict[str, Any]) -> ChainLog:
    return ChainLog(
        address=row["address"],
        topics=tuple(row["topics"]),
        data=row["data"],
        block_number=row["block_number"],
        block_hash=row["block_hash"],
        tx_hash=row["tx_hash"],
        log_index=row["log_index"],
    )


# --- a faithful mirror ---------------------------------------------------------------------------


def test_a_synced_mirror_is_consistent(ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    report = ctx.audit.audit()
    assert report.consistent, report
    head = indexer_head(ctx.engine, ctx.manifest.chain_id)
    assert (report.from_block, report.to_block, report.as_of_block) == (
        ctx.manifest.deploy_block,
        head,
        head,
    )
    assert report.indexed_head == head
    assert report.chain_id == ctx.manifest.chain_id
    assert report.as_of_time.timestamp() == ctx.client.block(head).timestamp
    assert report.certificates_checked == 2
    assert report.certificates_skipped == ()
    assert report.events_on_chain == report.events_in_mirror > 10
    assert report.blocks_compared > 5
    assert report.certificate_drifts == report.event_drifts == report.block_digests == ()
    assert report.mirror_digest == report.chain_digest
    assert report.notes == ()
    # the same answer twice: same digest; only the given certificates when asked
    assert ctx.audit.audit().mirror_digest == report.mirror_digest
    one = ctx.audit.audit(certificates=[s.pledged])
    assert one.consistent
    assert one.certificates_checked == 1
    by_number = ctx.audit.audit(certificate_numbers=[s.moved_number])
    assert by_number.certificates_checked == 1
    assert by_number.consistent


def test_the_chain_is_read_at_the_audited_block(ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    ctx.rights.release(s.pledge_id, bank())  # on chain, not yet mirrored
    report = ctx.audit.audit()
    assert report.consistent, report.certificate_drifts
    assert report.as_of_block < ctx.client.head()


def test_expiry_is_judged_at_the_audited_block(ctx: RegistryContext) -> None:
    token = issue(ctx)
    number = number_of(ctx, token)
    valid_until = ctx.registrations.get(token).valid_until
    assert valid_until is not None
    travel(ctx.client, int(valid_until.timestamp()) - ctx.client.block().timestamp + 60)
    sync(ctx)
    assert ctx.registrations.get(token).status is Status.EXPIRED
    report = ctx.audit.audit()
    assert report.consistent, report.certificate_drifts  # the mirror stores issued: derived
    later = (valid_until + timedelta(days=365)).replace(microsecond=0)
    t = registration_table
    execute(ctx, update(t).where(t.c.id == token).values(valid_until=later))
    report = ctx.audit.audit()
    assert report.certificate_drifts == (
        CertificateDrift(token, number, "status", "issued", "expired"),
        CertificateDrift(token, number, "valid_until", later.isoformat(), valid_until.isoformat()),
    )


# --- a tampered mirror ---------------------------------------------------------------------------


def test_tampered_certificate_state_is_reported_field_by_field(ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    intruder = "0x" + "12" * 20
    execute(
        ctx,
        update(registration_table)
        .where(registration_table.c.id == s.pledged)
        .values(holder=intruder),
    )
    execute(
        ctx, update(freeze_table).where(freeze_table.c.token_id == s.moved).values(frozen=False)
    )
    execute(
        ctx,
        update(pledge_table)
        .where(pledge_table.c.id == s.pledge_id)
        .values(pledgee=buyer().address, secured_amount="1"),
    )
    report = ctx.audit.audit()
    assert not report.consistent
    assert report.event_drifts == ()  # the raw events are untouched
    assert report.certificate_drifts == (
        CertificateDrift(s.moved, s.moved_number, "frozen", False, True),
        CertificateDrift(s.pledged, s.pledged_number, "holder", intruder, holder().address),
        CertificateDrift(s.pledged, s.pledged_number, "pledgee", buyer().address, bank().address),
        CertificateDrift(s.pledged, s.pledged_number, "pledge_amount", 1, 5_000_000_00),
    )
    # a pledge the mirror thinks released: the live pledge itself differs, not its details
    execute(
        ctx, update(pledge_table).where(pledge_table.c.id == s.pledge_id).values(status="released")
    )
    report = ctx.audit.audit(certificates=[s.pledged])
    assert report.certificate_drifts == (
        CertificateDrift(s.pledged, s.pledged_number, "holder", intruder, holder().address),
        CertificateDrift(s.pledged, s.pledged_number, "live_pledge", None, s.pledge_id),
    )


def test_certificates_on_one_side_only(ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    t = registration_table
    with ctx.engine.connect() as connection:
        row = dict(connection.execute(select(t).where(t.c.id == s.moved)).one()._mapping)
    ghost = {
        **row,
        "id": 77,
        "registration_number": "0" * 16,
        "certificate_number": None,
        "status": "submitted",
    }
    execute(ctx, insert(t).values(**ghost))
    execute(ctx, delete(t).where(t.c.id == s.pledged))  # cascades to its pledge
    report = ctx.audit.audit()
    assert report.certificate_drifts == (
        CertificateDrift(s.pledged, s.pledged_number, "exists", False, True),
        CertificateDrift(77, None, "exists", True, False),
    )
    assert report.event_drifts == ()
    assert not report.consistent


def test_tampered_raw_events_are_reported_row_by_row(ctx: RegistryContext) -> None:
    build_scenario(ctx)
    t = raw_event_table
    # an ERC-721 Transfer has no derived rows: deleting it removes exactly one row
    gone = raw_row(ctx, "Transfer", 1)
    execute(
        ctx,
        delete(t).where(
            t.c.block_number == gone["block_number"], t.c.log_index == gone["log_index"]
        ),
    )
    altered = raw_row(ctx, "RoleGranted", -1)  # the regulator's role
    forged_data = "0x" + "ff" * 32
    execute(
        ctx,
        update(t)
        .where(t.c.block_number == altered["block_number"], t.c.log_index == altered["log_index"])
        .values(data=forged_data),
    )
    template = raw_row(ctx, "CertificateFrozen", 0)
    extra = {**template, "log_index": 999, "tx_hash": "0x" + "ab" * 32}
    execute(ctx, insert(t).values(**extra))

    report = ctx.audit.audit()
    assert not report.consistent
    assert report.certificate_drifts == ()
    drifts = {(d.block_number, d.log_index): d for d in report.event_drifts}
    assert len(report.event_drifts) == 3
    missing = drifts[gone["block_number"], gone["log_index"]]
    assert (missing.kind, missing.mirror, missing.chain) == ("missing", None, as_log(gone))
    different = drifts[altered["block_number"], altered["log_index"]]
    assert different.kind == "different"
    assert different.fields == ("data",)
    assert different.mirror == replace(as_log(altered), data=forged_data)
    assert different.chain == as_log(altered)
    added = drifts[extra["block_number"], 999]
    assert (added.kind, added.mirror, added.chain) == ("extra", as_log(extra), None)
    assert report.events_in_mirror == report.events_on_chain  # one row less, one row more
    # the digests of exactly those blocks differ, and so does the range digest
    assert {b.block_number for b in report.block_digests} == {
        gone["block_number"],
        altered["block_number"],
        extra["block_number"],
    }
    assert all(b.mirror != b.chain for b in report.block_digests)
    assert report.mirror_digest != report.chain_digest
    # a range without the tampered blocks is still consistent
    first = min(b.block_number for b in report.block_digests)
    before = ctx.audit.audit(to_block=first - 1)
    assert before.event_drifts == ()
    assert before.mirror_digest == before.chain_digest


# --- the range ------------------------------------------------------------------------------------


def test_the_range_is_clipped_to_the_indexed_head(ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    head = indexer_head(ctx.engine, ctx.manifest.chain_id)
    assert head is not None
    ctx.rights.unfreeze(s.moved, "(2026)粤01执保123号", grant_regulator(ctx))
    report = ctx.audit.audit(to_block=head + 50)
    assert (report.to_block, report.requested_to_block, report.indexed_head) == (
        head,
        head + 50,
        head,
    )
    assert report.consistent  # the unfreeze is not mirrored yet, and not audited either
    assert any("beyond the mirror's indexed head" in note for note in report.notes)
    with pytest.raises(InputError, match="beyond the mirror's indexed head"):
        ctx.audit.audit(from_block=head + 1)


def test_an_earlier_block_skips_certificates_changed_since(ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    then = sync(ctx)
    ctx.rights.unfreeze(s.moved, "(2026)粤01执保123号", grant_regulator(ctx))
    now = sync(ctx)
    assert now > then
    earlier = ctx.audit.audit(to_block=then)
    assert earlier.consistent, earlier.certificate_drifts
    assert earlier.certificates_skipped == (s.moved,)
    assert earlier.certificates_checked == 1
    assert any("changed in the mirror after block" in note for note in earlier.notes)
    latest = ctx.audit.audit()
    assert latest.consistent
    assert latest.certificates_skipped == ()
    assert latest.certificates_checked == 2
    part = ctx.audit.audit(from_block=then + 1)
    assert part.from_block == then + 1
    assert part.consistent
    assert 0 < part.events_on_chain < latest.events_on_chain


def test_bad_input_is_refused_clearly(ctx: RegistryContext) -> None:
    service = ctx.audit
    with pytest.raises(ConflictError, match="holds no block"):
        service.audit()  # never synced
    s = build_scenario(ctx)
    with pytest.raises(InputError, match="after to_block"):
        service.audit(from_block=20, to_block=10)
    with pytest.raises(InputError, match="negative"):
        service.audit(from_block=-1)
    with pytest.raises(InputError, match="negative"):
        service.audit(to_block=-5)
    with pytest.raises(InputError, match="token ids start at 1"):
        service.audit(certificates=[0])
    typo = s.moved_number[:-1] + str((int(s.moved_number[-1]) + 1) % 10)
    with pytest.raises(MalformedNumberError):
        service.audit(certificate_numbers=[typo])
    from registry.domain.numbers import certificate_number

    ghost = certificate_number(ctx.client.block().timestamp, 440, 9_999)
    with pytest.raises(CertificateNotFoundError):
        service.audit(certificate_numbers=[ghost])


# --- the digest -----------------------------------------------------------------------------------


def _log(**changes: Any) -> ChainLog:
    base: dict[str, Any] = {
        "address": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "topics": ("0x" + "a1" * 32, "0x" + "00" * 12 + "b2" * 20),
        "data": "0x" + "00" * 31 + "07",
        "block_number": 42,
        "block_hash": "0x" + "c3" * 32,
        "tx_hash": "0x" + "d4" * 32,
        "log_index": 3,
    }
    base.update(changes)
    return ChainLog(**base)


def test_the_block_digest_is_reproducible_and_covers_every_field() -> None:
    logs = [_log(), _log(log_index=4, data="0x")]
    digest = block_digest(42, logs)
    assert digest == block_digest(42, list(reversed(logs)))  # order of rows does not matter
    assert digest == block_digest(42, [replace(x, address=x.address.lower()) for x in logs])
    assert digest.startswith("0x")
    assert len(digest) == 66
    # a third party recomputes it from docs/audit.md with any JSON library (ASCII, integers:
    # RFC 8785 is sorted keys, no whitespace)
    entries = [
        [x.log_index, x.block_hash, x.tx_hash, x.address.lower(), list(x.topics), x.data]
        for x in logs
    ]
    document = json.dumps({"block": 42, "logs": entries}, separators=(",", ":"), sort_keys=True)
    assert digest == "0x" + hashlib.sha256(document.encode()).hexdigest()
    changes: list[dict[str, Any]] = [
        {"log_index": 5},
        {"block_hash": "0x" + "c4" * 32},
        {"tx_hash": "0x" + "d5" * 32},
        {"address": "0x" + "11" * 20},
        {"topics": ("0x" + "a1" * 32,)},
        {"topics": ("0x" + "a2" * 32, "0x" + "00" * 12 + "b2" * 20)},
        {"data": "0x" + "00" * 31 + "08"},
    ]
    for change in changes:
        assert block_digest(42, [replace(logs[0], **change), logs[1]]) != digest, change
    assert block_digest(43, logs) != digest
    assert block_digest(42, logs[:1]) != digest


def test_the_range_digest_is_a_hash_chain_over_block_digests() -> None:
    blocks = [(7, block_digest(7, [_log(block_number=7)])), (9, block_digest(9, [_log()]))]
    seed = range_seed(31337, 1, 10)
    assert range_digest(31337, 1, 10, []) == seed
    chained = chain_digest(chain_digest(seed, 7, blocks[0][1]), 9, blocks[1][1])
    assert range_digest(31337, 1, 10, blocks) == chained
    assert range_digest(31337, 1, 10, list(reversed(blocks))) == chained
    assert range_digest(31337, 1, 11, blocks) != chained
    assert range_digest(1, 1, 10, blocks) != chained
    assert range_digest(31337, 1, 10, blocks[:1]) != chained
    assert BlockDigest(7, blocks[0][1], None).matches is False


def test_the_reported_range_digest_follows_the_definition(ctx: RegistryContext) -> None:
    build_scenario(ctx)
    report = ctx.audit.audit()
    t = raw_event_table
    with ctx.engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(select(t))]
    by_block: dict[int, list[ChainLog]] = {}
    for row in rows:
        by_block.setdefault(row["block_number"], []).append(as_log(row))
    expected = range_digest(
        report.chain_id,
        report.from_block,
        report.to_block,
        [(n, block_digest(n, logs)) for n, logs in by_block.items()],
    )
    assert report.chain_digest == report.mirror_digest == expected
