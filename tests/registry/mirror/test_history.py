"""The mirror "as of" a block: every block of a certificate's life answered from the mirror's
row versions equals the contracts read at that very block."""

from __future__ import annotations

from datetime import UTC, datetime

from registry.context import RegistryContext
from registry.indexer.follow import Indexer
from registry.mirror import block_at_time, certificate_as_of
from tests.registry.registration.conftest import metadata, travel
from tests.registry.rights.test_service import (
    DAY,
    bank,
    buyer,
    grant_regulator,
    holder,
    issue,
    pledge_terms,
)


def test_every_block_of_a_certificates_life_matches_the_chain_at_that_block(
    ctx: RegistryContext,
) -> None:
    first = ctx.client.head()
    token = issue(ctx)
    regulator = grant_regulator(ctx)
    rights = ctx.rights
    rights.transfer(token, buyer().address, "sale", "合同 1", holder())
    pledge = rights.sign_and_register(pledge_terms(ctx, token), buyer(), bank(), ctx.operator)
    rights.freeze(token, "(2026)粤01执保9号", regulator)
    rights.unfreeze(token, "(2026)粤01执保9号之一", regulator)
    rights.release(pledge.id, bank())
    ctx.registrations.change(token, metadata(buyer().address, 0xC1), buyer())
    rights.transfer(token, holder().address, "sale", "合同 2", buyer())
    travel(ctx.client, 3 * 365 * DAY + DAY)  # past its validity: expired as of the last block
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()

    seen = set()
    for block in range(first, ctx.client.head() + 1):
        header = ctx.client.block(block)
        at = datetime.fromtimestamp(header.timestamp, tz=UTC)
        mirrored = certificate_as_of(ctx.engine, ctx.manifest.chain_id, token, block, at)
        try:
            chain = ctx.registrations.get(token, block)
        except Exception:  # not submitted yet at this block
            assert mirrored is None, block
            continue
        assert mirrored is not None, block
        live = rights.live_pledge_of(token, block)
        facts = (
            mirrored.holder,
            mirrored.status,
            mirrored.version,
            mirrored.fingerprint,
            mirrored.live_pledge_id,
            mirrored.frozen,
        )
        expected = (
            chain.holder,
            chain.status,
            chain.version,
            chain.fingerprint,
            None if live is None else live.id,
            rights.freeze_of(token, block).frozen,
        )
        assert facts == expected, block
        seen.add(facts[:6])
    # the walk went through every state: two holders, pledged, frozen, two versions, expired
    assert {f[0] for f in seen} == {holder().address, buyer().address}
    assert {f[4] for f in seen} == {None, pledge.id}
    assert {f[5] for f in seen} == {True, False}
    assert {f[2] for f in seen} == {0, 1, 2}  # 0 until issued
    assert {f[1].value for f in seen} >= {"submitted", "in_notice", "issued", "expired"}


def test_a_time_maps_to_the_last_mirrored_block_at_or_before_it(ctx: RegistryContext) -> None:
    token = issue(ctx)
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    issued = ctx.registrations.get(token)
    assert issued.issued_at is not None
    block = block_at_time(ctx.engine, ctx.manifest.chain_id, issued.issued_at)
    assert block is not None
    assert ctx.client.block(block).timestamp <= int(issued.issued_at.timestamp())
    assert (
        block_at_time(ctx.engine, ctx.manifest.chain_id, datetime(2000, 1, 1, tzinfo=UTC)) is None
    )
