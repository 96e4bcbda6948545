"""The demo registry (``dareg up --demo``'s story) on an anvil of its own, mirrored: shared by the
tests that read what the demo's certificates look like to outsiders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from registry.chain.client import DEV_ADMIN_INDEX, ChainClient, dev_account
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
class SeededDemo:
    ctx: RegistryContext
    settings: Settings
    seeded: dict[str, Any]  # var/demo/registrants.json
    var: Path

    def number(self, key: str) -> str:
        """The certificate number of the demo's dataset ``key`` (port, vessels, weather...)."""
        return str(self.seeded["registrations"][key]["certificate_number"])

    def registrar_context(self, code: int) -> RegistryContext:
        """A second service on the same registry holding registrar ``code``'s staff key, as a
        deployment that issues documents for several registrars runs one instance per key."""
        key = dev_account(REGISTRARS[code][2]).key.hex()
        settings = self.settings.model_copy(update={"credential_key": SecretStr(key)})
        return RegistryContext.open(settings, client=self.ctx.client)


@contextmanager
def seeded_demo(var: Path) -> Iterator[SeededDemo]:
    """Seed the demo on a fresh anvil whose clock starts months back (as ``dareg up --demo``),
    index it, and yield it; the node stops on exit."""
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
        client: ChainClient = make_client(settings)
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
        Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
        seeded = json.loads((var / "demo" / "registrants.json").read_text(encoding="utf-8"))
        try:
            yield SeededDemo(ctx, settings, seeded, var)
        finally:
            ctx.engine.dispose()
    finally:
        node.stop()
