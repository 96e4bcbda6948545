"""The demo registry (``dareg up --demo``) on a chain of its own, mirrored: for tests that need
its certificates (frozen ``port``, pledged ``vessels``, cancelled ``drugs``, revoked
``typhoon``, exclusively licensed ``index``, the objected application ``clinic``).

The chain's clock starts months back, as the demo's history needs; the demo is seeded through
the real services, then the indexer mirrors it. Nothing is mocked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.chain.client import DEV_ADMIN_INDEX, dev_account
from registry.chain.deploy import deploy_all
from registry.chain.node import AnvilNode, anvil_binary
from registry.context import RegistryContext, current_artifacts_hash, make_client
from registry.db.engine import migrate
from registry.demo import history_start, seed_demo
from registry.demo.scenario import REGISTRARS
from registry.indexer.follow import Indexer
from registry.settings import Settings
from tests.conftest import free_port


@dataclass(frozen=True)
class DemoRegistry:
    """The seeded demo: its context, the parties and registrations it wrote
    (``registrants.json``), and the indexer that mirrors it."""

    ctx: RegistryContext
    seeded: dict[str, Any]
    indexer: Indexer

    def token(self, key: str) -> int:
        """The registration id (= token id) of the demo's dataset ``key``."""
        return int(self.seeded["registrations"][key]["id"])

    def number(self, key: str) -> str | None:
        value = self.seeded["registrations"][key]["certificate_number"]
        return None if value is None else str(value)

    def party(self, key: str) -> LocalAccount:
        """The account of the demo's party ``key`` (regulator, bank, port ...)."""
        found = next(p for p in self.seeded["registrants"] if p["key"] == key)
        return dev_account(int(found["account_index"]))

    @staticmethod
    def staff(code: int) -> LocalAccount:
        """The demo's staff account of registrar ``code``."""
        return dev_account(REGISTRARS[code][2])

    def sync(self) -> None:
        """Mirror the chain up to its head."""
        self.indexer.sync_once()


@contextmanager
def demo_registry(var: Path) -> Iterator[DemoRegistry]:
    """A fresh anvil, the registry deployed on it, the demo seeded and mirrored (SQLite)."""
    base = Settings()
    node = AnvilNode(
        anvil_binary(base.node_modules_dir),
        host="127.0.0.1",
        port=free_port(),
        chain_id=31337,
        state_path=None,
        genesis_timestamp=history_start(),
    )
    node.start()
    try:
        settings = Settings(var_dir=var, rpc_url=node.url, database_url=f"sqlite:///{var}/r.db")
        client = make_client(settings)
        manifest = deploy_all(
            client,
            dev_account(0),
            dev_account(DEV_ADMIN_INDEX).address,
            current_artifacts_hash(settings),
            settings.token_base_uri,
        )
        manifest.save(settings.manifest_path)
        migrate(settings.effective_database_url)
        ctx = RegistryContext.open(settings, client=client)
        assert seed_demo(ctx, var / "demo") is not None
        indexer = Indexer(ctx.client, ctx.manifest, ctx.engine)
        indexer.sync_once()
        seeded = json.loads((var / "demo" / "registrants.json").read_text(encoding="utf-8"))
        try:
            yield DemoRegistry(ctx, seeded, indexer)
        finally:
            ctx.engine.dispose()
    finally:
        node.stop()
