"""Indexer benchmark: backfill throughput against the raw fetch-and-decode rate, and follow lag.

On a fresh anvil with the registry deployed, writes ``--events`` evidence anchors (one
``EvidenceAnchored`` event each; sent as unsigned ``eth_sendTransaction`` batches from anvil's
unlocked accounts, several hundred per block). Then, in the same run:

1. **baseline**: fetch every registry log of the range and decode it (the indexer's fetch and
   decode stages, nothing stored): events/s;
2. **SQLite**: a full backfill into a fresh SQLite mirror (WAL) with the same log range: events/s
   and its ratio to the baseline (goal >= 0.5);
3. **PostgreSQL** (when ``--postgres URL`` or ``DAREG_TEST_POSTGRES_URL`` names a server; a fresh
   database is created and dropped): the same;
4. **follow lag**: the indexer follows the SQLite mirror (poll 50 ms) while anchors arrive one
   block at a time for ``--follow-seconds``; the head lag (chain head minus indexed head) is
   sampled every 20 ms: maximum and 95th percentile in blocks (goal: <= finality depth + 1).

    .venv/bin/python bench/bench_indexer.py                  # 100,000 events
    .venv/bin/python bench/bench_indexer.py --events 20000   # quicker
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from registry.artifacts import artifacts_hash, load_client_artifacts  # noqa: E402
from registry.chain.client import DEV_ADMIN_INDEX, ChainClient, dev_account  # noqa: E402
from registry.chain.deploy import deploy_all  # noqa: E402
from registry.chain.node import AnvilNode, anvil_binary  # noqa: E402
from registry.db.engine import make_engine, migrate  # noqa: E402
from registry.domain.deployment import DeploymentManifest  # noqa: E402
from registry.indexer.decode import Decoder  # noqa: E402
from registry.indexer.fetch import LogFetcher  # noqa: E402
from registry.indexer.follow import Indexer  # noqa: E402
from registry.settings import Settings  # noqa: E402

REGISTRY = "EvidenceRegistry"
PER_BLOCK = 400  # anchors per mined block (about 60k gas each, 30M gas blocks)
RPC_BATCH = 200
LOG_RANGE = 25  # blocks per eth_getLogs: about 10,000 events
SENDERS = [dev_account(i).address for i in range(1, 10)]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rpc_batch(url: str, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    answers = requests.post(url, json=body, timeout=120).json()
    failed = [a for a in answers if "error" in a]
    if failed:
        raise RuntimeError(f"{len(failed)} calls failed, e.g. {failed[0]['error']}")
    return [a["result"] for a in sorted(answers, key=lambda a: a["id"])]


def anchor_calls(
    client: ChainClient, address: str, first: int, count: int, nonces: dict[str, int]
) -> list[Any]:
    """``count`` anchor transactions, round-robin over the senders, with explicit nonces."""
    calls: list[tuple[str, list[Any]]] = []
    for n in range(first, first + count):
        fp = hashlib.sha256(f"bench-{n}".encode()).digest()
        data = client.encode_call(REGISTRY, address, "anchor", [fp])
        sender = SENDERS[n % len(SENDERS)]
        if sender not in nonces:
            nonces[sender] = int(client.rpc("eth_getTransactionCount", [sender, "pending"]), 16)
        tx = {
            "from": sender,
            "to": address,
            "data": data,
            "gas": hex(120_000),
            "nonce": hex(nonces[sender]),
        }
        nonces[sender] += 1
        calls.append(("eth_sendTransaction", [tx]))
    return calls


def write_events(client: ChainClient, manifest: DeploymentManifest, events: int) -> float:
    url = client.rpc_url
    address = manifest.address_of(REGISTRY)
    client.rpc("evm_setAutomine", [False])
    started = time.perf_counter()
    sent = 0
    nonces: dict[str, int] = {}
    while sent < events:
        block = min(PER_BLOCK, events - sent)
        calls = anchor_calls(client, address, sent, block, nonces)
        for i in range(0, len(calls), RPC_BATCH):
            rpc_batch(url, calls[i : i + RPC_BATCH])
        client.rpc("evm_mine")
        sent += block
    client.rpc("evm_setAutomine", [True])
    return time.perf_counter() - started


def baseline(client: ChainClient, manifest: DeploymentManifest) -> tuple[int, float]:
    """Events fetched and decoded, and the seconds it took (nothing stored)."""
    contracts = {name: c.address for name, c in manifest.contracts.items()}
    fetcher = LogFetcher(
        client,
        manifest.chain_id,
        list(contracts.values()),
        client.codec.topics,
        log_range=LOG_RANGE,
    )
    decoder = Decoder(client.codec, contracts)
    head = client.head()
    start = manifest.deploy_block
    events = 0
    started = time.perf_counter()
    while start <= head:
        fetched = fetcher.fetch(start, head)
        events += len(decoder.decode(fetched).logs)
        start = fetched.to_block + 1
    return events, time.perf_counter() - started


def backfill(client: ChainClient, manifest: DeploymentManifest, url: str) -> float:
    migrate(url)
    engine = make_engine(url)
    started = time.perf_counter()
    Indexer(client, manifest, engine, log_range=LOG_RANGE).sync_once()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def follow_lag(
    client: ChainClient, manifest: DeploymentManifest, url: str, seconds: float
) -> list[int]:
    engine = make_engine(url)
    indexer = Indexer(client, manifest, engine, log_range=LOG_RANGE)
    stop = threading.Event()
    follower = threading.Thread(target=indexer.follow, args=(stop, 0.05), daemon=True)
    follower.start()
    address = manifest.address_of(REGISTRY)
    lags: list[int] = []
    sampler_stop = threading.Event()

    def sample() -> None:
        while not sampler_stop.is_set():
            head = client.head()  # first the head, then how far the mirror is at that moment
            indexed = indexer.indexed_head()
            if indexed is not None:
                lags.append(max(0, head - indexed))
            sampler_stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    time.sleep(0.5)
    sampler.start()
    deadline = time.monotonic() + seconds
    n = 10_000_000
    nonces: dict[str, int] = {}
    while time.monotonic() < deadline:
        rpc_batch(client.rpc_url, anchor_calls(client, address, n, 1, nonces))  # one block each
        n += 1
        time.sleep(0.1)
    time.sleep(0.3)
    sampler_stop.set()
    sampler.join()
    stop.set()
    follower.join(timeout=10)
    engine.dispose()
    return lags


def postgres_database(admin_url: str) -> tuple[str, Any]:
    """A fresh database on the server of ``admin_url``; its URL and a dropper."""
    name = f"dareg_bench_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--follow-seconds", type=float, default=10.0)
    parser.add_argument("--postgres", default=os.environ.get("DAREG_TEST_POSTGRES_URL"))
    args = parser.parse_args()

    settings = Settings()
    node = AnvilNode(
        anvil_binary(settings.node_modules_dir),
        host="127.0.0.1",
        port=free_port(),
        chain_id=31337,
        state_path=None,
        log_path=Path(tempfile.mkdtemp()) / "anvil.log",
    )
    node.start()
    try:
        artifacts = load_client_artifacts(settings.artifacts_dir)
        client = ChainClient(node.url, artifacts, timeout=120)
        manifest = deploy_all(
            client,
            dev_account(0),
            dev_account(DEV_ADMIN_INDEX).address,
            artifacts_hash(settings.artifacts_dir),
            settings.token_base_uri,
        )
        wrote = write_events(client, manifest, args.events)
        print(f"wrote {args.events:,} anchors in {wrote:.1f} s ({client.head():,} blocks)")

        events, raw_seconds = baseline(client, manifest)
        raw_rate = events / raw_seconds
        print(
            f"baseline fetch+decode: {events:,} events in {raw_seconds:.2f} s = {raw_rate:,.0f}/s"
        )
        results: list[tuple[str, float]] = []
        with tempfile.TemporaryDirectory() as scratch:
            sqlite_url = f"sqlite:///{Path(scratch) / 'mirror.db'}"
            seconds = backfill(client, manifest, sqlite_url)
            results.append(("SQLite", events / seconds))
            if args.postgres:
                pg_url, drop = postgres_database(args.postgres)
                try:
                    seconds = backfill(client, manifest, pg_url)
                    results.append(("PostgreSQL", events / seconds))
                finally:
                    drop()
            else:
                print("PostgreSQL: skipped (no --postgres URL and no DAREG_TEST_POSTGRES_URL)")
            lags = follow_lag(client, manifest, sqlite_url, args.follow_seconds)
        failed = False
        for name, rate in results:
            ratio = rate / raw_rate
            met = ratio >= 0.5
            failed |= not met
            verdict = "met" if met else "MISSED"
            print(
                f"{name:10} backfill: {rate:,.0f} events/s = {ratio:.2f}x baseline "
                f"(goal >= 0.5: {verdict})"
            )
        worst = max(lags)
        p95 = statistics.quantiles(lags, n=20)[-1] if len(lags) >= 20 else float(worst)
        met = worst <= 1
        failed |= not met
        print(
            f"follow lag over {len(lags)} samples: max {worst} blocks, p95 {p95:.0f} "
            f"(finality depth 0; goal <= 1: {'met' if met else 'MISSED'})"
        )
        return 1 if failed else 0
    finally:
        node.stop()


if __name__ == "__main__":
    raise SystemExit(main())
