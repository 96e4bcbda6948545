"""Reorganisations under the mirror: anvil_rollback and anvil_reorg at several depths, with
different replacement events; after each the mirror equals a fresh full sync.

These tests rewrite the chain's recent history, which the session chain's snapshots cannot
survive, so they run on an anvil of their own (one per module; each test builds on what the
previous left and compares mirrors it builds itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, select

from registry.artifacts import artifacts_hash, load_client_artifacts
from registry.chain.client import ChainClient, dev_account
from registry.chain.deploy import deploy_all
from registry.chain.node import AnvilNode, anvil_binary
from registry.context import RegistryContext
from registry.db.engine import make_engine, migrate
from registry.db.models import (
    mirror_batch_table,
    reorg_rollback_table,
    report_certificate_table,
    report_label_table,
)
from registry.db.rows import decode_value, encode_value
from registry.domain.deployment import DeploymentManifest
from registry.domain.registration import RegistrarPolicy
from registry.errors import ReorgTooDeepError
from registry.indexer.follow import Indexer
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.conftest import free_port
from tests.databases import NewDatabaseUrl
from tests.registry.indexer.mirror import dump
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, registrar
from tests.registry.rights.test_service import (
    bank,
    buyer,
    grant_regulator,
    holder,
    issue,
    licence_terms,
    pledge_terms,
)

WINDOW = 16


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    settings = Settings()
    anvil = AnvilNode(
        anvil_binary(settings.node_modules_dir),
        host="127.0.0.1",
        port=free_port(),
        chain_id=31337,
        state_path=None,
        log_path=tmp_path_factory.mktemp("reorg-anvil") / "anvil.log",
    )
    anvil.start()
    yield anvil
    anvil.stop()


@pytest.fixture(scope="module")
def client(node: AnvilNode) -> ChainClient:
    settings = Settings()
    return ChainClient(node.url, load_client_artifacts(settings.artifacts_dir))


@pytest.fixture(scope="module")
def manifest(client: ChainClient, tmp_path_factory: pytest.TempPathFactory) -> DeploymentManifest:
    settings = Settings()
    deployed = deploy_all(
        client,
        dev_account(0),
        governor().address,
        artifacts_hash(settings.artifacts_dir),
        settings.token_base_uri,
    )
    setup = _context(client, deployed, tmp_path_factory.mktemp("setup"))
    admin = governor()
    setup.registrations.configure_registrar(
        REGISTRAR_CODE,
        RegistrarPolicy(
            active=True, objections_open_to_all=True, evidence_required=False, notice_period=NOTICE
        ),
        admin,
        name="广东省数据资产登记中心",
        region="440000",
    )
    setup.registrations.set_registrar_account(REGISTRAR_CODE, registrar().address, admin)
    for index in range(1, 9):
        client.rpc("anvil_setBalance", [dev_account(index).address, hex(10**20)])
    grant_regulator(setup)
    return deployed


def _context(
    client: ChainClient, manifest: DeploymentManifest, where: Path, url: str | None = None
) -> RegistryContext:
    settings = Settings(
        var_dir=where / "var",
        rpc_url=client.rpc_url,
        database_url=url or f"sqlite:///{where / 'r.db'}",
    )
    manifest.save(settings.manifest_path)
    migrate(settings.effective_database_url)
    return RegistryContext.open(settings, client=client)


@pytest.fixture
def ctx(
    client: ChainClient, manifest: DeploymentManifest, tmp_path: Path, database_url: str
) -> RegistryContext:
    client.reset_nonces()
    return _context(client, manifest, tmp_path, database_url)


@pytest.fixture
def fresh_url(new_database_url: NewDatabaseUrl) -> str:
    """A second database, of the same backend, for a fresh full sync."""
    return new_database_url("fresh")


def indexer(ctx: RegistryContext, engine: Engine | None = None) -> Indexer:
    return Indexer(ctx.client, ctx.manifest, engine or ctx.engine, reorg_window=WINDOW)


def fresh_sync(ctx: RegistryContext, url: str) -> Engine:
    migrate(url)
    engine = make_engine(url)
    indexer(ctx, engine).sync_once()
    return engine


def rollbacks(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(reorg_rollback_table).order_by(reorg_rollback_table.c.id))
        return [dict(r._mapping) for r in rows]


def statistics_cache(engine: Engine) -> list[tuple[Any, ...]]:
    """The statistics cache's rows with their currency as text (label ids depend on the order
    texts were met), but the facts of documents (a fresh database holds no documents)."""
    c, t = report_certificate_table, report_label_table
    columns = [k for k in c.c if k.name not in ("industry", "category", "region", "currency")]
    with engine.connect() as connection:
        rows = connection.execute(
            select(*columns, t.c.text).select_from(c.outerjoin(t, t.c.id == c.c.currency))
        ).all()
    return sorted((tuple(r) for r in rows), key=repr)


def activity(ctx: RegistryContext) -> int:
    """Several blocks of rights activity on a new certificate; its token id."""
    token = issue(ctx, fp=0x10 + ctx.client.head() % 200)
    ctx.rights.transfer(token, buyer().address, "sale", "合同 A", holder())
    ctx.rights.grant_licence(token, licence_terms(ctx), buyer())
    ctx.rights.sign_and_register(pledge_terms(ctx, token), buyer(), bank(), ctx.operator)
    ctx.rights.freeze(token, "(2026)粤01执保1号", dev_account(5))
    return token


def send_raw(
    ctx: RegistryContext, contract: str, function: str, args: list[Any], sender: LocalAccount
) -> dict[str, Any]:
    """A transaction request for ``anvil_reorg`` (anvil signs for its dev accounts)."""
    address = ctx.manifest.address_of(contract)
    return {
        "from": sender.address,
        "to": address,
        "data": ctx.client.encode_call(contract, address, function, args),
    }


def different_history(ctx: RegistryContext, token: int) -> None:
    """One event the rolled-back history did not have at this point."""
    rights = ctx.rights
    if ctx.registrations.get(token).status.value != "issued":  # rolled back into its issuance
        rights.set_party_country(bank().address, "HK", dev_account(5))
    elif rights.freeze_of(token).frozen:
        rights.unfreeze(token, "(2026)粤01执保2号", dev_account(5))
    elif (live := rights.live_pledge_of(token)) is not None:
        rights.release(live.id, bank())
    else:
        current = rights.holder_of(token)
        seller, other = (buyer(), holder()) if current == buyer().address else (holder(), buyer())
        rights.transfer(token, other.address, "sale", "合同 B", seller)


@pytest.mark.parametrize("depth", [1, 3, 7])
def test_a_rollback_then_other_events_leave_the_mirror_equal_to_a_fresh_sync(
    ctx: RegistryContext, fresh_url: str, depth: int
) -> None:
    token = activity(ctx)
    index = indexer(ctx)
    index.sync_once()
    before = ctx.client.head()
    ctx.client.rpc("anvil_rollback", [depth])
    ctx.client.reset_nonces()
    assert ctx.client.head() == before - depth
    different_history(ctx, token)
    index.sync_once()
    assert index.last_rollback is not None
    assert index.last_rollback.restored_block <= before - depth
    fresh = fresh_sync(ctx, fresh_url)
    assert dump(ctx.engine) == dump(fresh)
    # the rollback rebuilt the statistics cache, and the batches after it kept it in step
    assert statistics_cache(ctx.engine) == statistics_cache(fresh)
    [audit] = rollbacks(ctx.engine)
    assert audit["mirrored_block"] == before
    assert audit["depth"] >= depth
    assert audit["restored_block"] == audit["mirrored_block"] - audit["depth"]


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_a_reorg_with_replacement_events_leaves_the_mirror_equal_to_a_fresh_sync(
    ctx: RegistryContext, fresh_url: str, depth: int
) -> None:
    token = activity(ctx)
    index = indexer(ctx)
    index.sync_once()
    mirrored = ctx.client.block().hash
    regulator = dev_account(5)
    frozen = ctx.rights.freeze_of(token).frozen
    replacement = send_raw(
        ctx,
        "TransferAgent",
        "unfreeze" if frozen else "freeze",
        [token, b"\x42" * 32],
        regulator,
    )
    ctx.client.rpc("anvil_reorg", [depth, [[replacement, 0]]])
    ctx.client.reset_nonces()
    assert ctx.client.block().hash != mirrored
    index.sync_once()
    assert index.last_rollback is not None
    fresh = fresh_sync(ctx, fresh_url)
    assert dump(ctx.engine) == dump(fresh)
    assert statistics_cache(ctx.engine) == statistics_cache(fresh)
    assert len(rollbacks(ctx.engine)) == 1
    # the replacement event is what the mirror now holds
    state = ctx.rights.freeze_of(token)
    assert state.frozen is (not frozen)


def test_two_reorgs_in_a_row(ctx: RegistryContext, fresh_url: str) -> None:
    activity(ctx)
    index = indexer(ctx)
    index.sync_once()
    for depth in (2, 4):
        ctx.client.rpc("anvil_reorg", [depth, []])
        ctx.client.reset_nonces()
        activity(ctx)
        index.sync_once()
    assert dump(ctx.engine) == dump(fresh_sync(ctx, fresh_url))
    assert [r["depth"] >= d for r, d in zip(rollbacks(ctx.engine), (2, 4), strict=True)] == [
        True,
        True,
    ]


def test_a_reorg_deeper_than_the_window_stops_the_indexer_and_deletes_nothing(
    ctx: RegistryContext,
) -> None:
    activity(ctx)
    index = indexer(ctx)
    index.sync_once()
    for _ in range(WINDOW + 2):  # bury the journaled batches below the window
        ctx.client.rpc("evm_mine")
    index.sync_once()
    with ctx.engine.connect() as connection:
        kept = connection.execute(select(mirror_batch_table.c.to_block)).scalars().all()
    head = ctx.client.head()
    assert kept
    assert all(b > head - WINDOW for b in kept)  # older batches were pruned
    before = dump(ctx.engine)
    ctx.client.rpc("anvil_reorg", [WINDOW + 6, []])
    ctx.client.reset_nonces()
    with pytest.raises(ReorgTooDeepError, match="nothing was deleted"):
        index.sync_once()
    assert dump(ctx.engine) == before
    assert rollbacks(ctx.engine) == []


def test_the_undo_journal_round_trips_every_value_type() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    values = [
        None,
        True,
        7,
        "文本",
        datetime(2026, 11, 22, 8, 30, tzinfo=UTC),
        date(2026, 11, 22),
        b"\x00\xff",
        Decimal("12.50"),
        [1, "a", {"k": datetime(2026, 1, 1, tzinfo=UTC)}],
        {"$datetime": "looks like a tag"},
    ]
    for value in values:
        assert decode_value(encode_value(value)) == value
