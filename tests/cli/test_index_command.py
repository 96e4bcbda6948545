"""`dareg index`: crash safety (SIGKILL at random points of a backfill), the single-writer lock,
progress output; against the session chain and a per-test SQLite mirror."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.chain.client import ChainClient, dev_account
from registry.db.engine import make_engine, migrate
from registry.db.models import evidence_table, raw_event_table
from registry.domain.deployment import DeploymentManifest
from registry.errors import IndexerLockedError
from registry.indexer.follow import Indexer
from registry.indexer.lock import WriterLock
from registry.settings import Settings
from tests.cli.conftest import DAREG
from tests.registry.indexer.mirror import dump

ANCHORS = 90
REGISTRY = "EvidenceRegistry"


@pytest.fixture
def backlog(chain: ChainClient, deployment: DeploymentManifest) -> int:
    """``ANCHORS`` evidence anchors, one block each, from several accounts."""
    address = deployment.address_of(REGISTRY)
    for n in range(ANCHORS):
        fp = hashlib.sha256(f"crash-{n}".encode()).digest()
        chain.transact(REGISTRY, address, "anchor", [fp], dev_account(1 + n % 5))
    return ANCHORS


@pytest.fixture
def env(test_settings: Settings, deployment: DeploymentManifest) -> dict[str, str]:
    deployment.save(test_settings.manifest_path)
    return {k: v for k, v in os.environ.items() if not k.startswith("DAREG_")} | {
        "DAREG_RPC_URL": str(test_settings.rpc_url),
        "DAREG_VAR_DIR": str(test_settings.var_dir),
        "DAREG_DATABASE_URL": str(test_settings.database_url),
        "DAREG_LOG_RANGE": "3",
        "COLUMNS": "200",
    }


def run_and_kill(env: dict[str, str], after_batches: int) -> int:
    """Start `dareg index --quiet`, SIGKILL it once it reported ``after_batches`` batches;
    how many it reported (it may finish first)."""
    process = subprocess.Popen(
        [DAREG, "index", "--quiet"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    seen = 0
    for line in process.stderr:
        if line.startswith("indexed blocks"):
            seen += 1
            if seen >= after_batches:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=60)
    return seen


def test_a_backfill_killed_at_random_points_resumes_without_duplicates_or_gaps(
    chain: ChainClient,
    deployment: DeploymentManifest,
    test_settings: Settings,
    env: dict[str, str],
    backlog: int,
    tmp_path: Path,
) -> None:
    points = random.Random(20261122).sample(range(1, 7), 5)
    killed = 0
    for point in points:
        seen = run_and_kill(env, point)
        killed += seen >= point
    assert killed >= 3  # most runs really died mid-backfill
    finished = subprocess.run(
        [DAREG, "index", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "the mirror holds every block up to" in finished.stdout

    mirror = make_engine(test_settings.effective_database_url)
    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(fresh_url)
    fresh = make_engine(fresh_url)
    Indexer(chain, deployment, fresh).sync_once()
    assert dump(mirror) == dump(fresh)
    with mirror.connect() as connection:
        anchors = connection.execute(select(func.count()).select_from(evidence_table)).scalar_one()
        events = connection.execute(select(func.count()).select_from(raw_event_table)).scalar_one()
    assert anchors == backlog
    logs = chain.get_logs(
        [c.address for c in deployment.contracts.values()], deployment.deploy_block, chain.head()
    )
    assert events == len(logs)


def test_one_writer_per_mirror(
    test_settings: Settings, env: dict[str, str], deployment: DeploymentManifest, chain: ChainClient
) -> None:
    url = test_settings.effective_database_url
    migrate(url)
    engine = make_engine(url)
    with WriterLock(engine, deployment.chain_id):
        with pytest.raises(IndexerLockedError, match=f"process {os.getpid()}"):
            WriterLock(engine, deployment.chain_id).acquire()
        with pytest.raises(IndexerLockedError):
            Indexer(chain, deployment, engine).sync_once()
        second = subprocess.run(
            [DAREG, "index", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert "another indexer" in second.stderr
        assert second.stderr.count("\n") == 1
    # released: the next one runs
    Indexer(chain, deployment, engine).sync_once()


def test_progress_and_json_output(env: dict[str, str], backlog: int) -> None:
    shown = subprocess.run(
        [DAREG, "index"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "blocks/s" in shown.stderr
    assert "events/s" in shown.stderr
    again = subprocess.run(
        [DAREG, "index", "--json"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert again.returncode == 0, again.stderr
    assert '"events": 0' in again.stdout
