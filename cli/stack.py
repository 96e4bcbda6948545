"""The composition root: :func:`start` assembles a running registry's pieces, and ``dareg up``
runs the embedded stack.

anvil (child process in its own process group, dying with dareg on Linux; state under
``var/chain``: a checkpoint and a journal, replayed at start, docs/durability.md) → deployment
(once; recorded in the manifest) → database migration → indexer (thread, follows the chain) →
API (uvicorn, main thread). A supervisor thread checkpoints the
chain every few seconds and restarts anvil if it dies (with the replay), or stops the stack with
one sentence if it cannot. Ctrl-C (or SIGTERM) stops the API, then the indexer, then anvil, after
a last checkpoint.

:func:`start` is the one place that builds the registry context, the indexer and the API server
together; ``dareg up`` (:class:`Stack`) and ``dareg index`` (:mod:`cli.index`) both use it. This
is the only module outside ``registry/indexer/`` that imports the indexer: the CLI gets
:class:`Indexer` and :class:`BatchProgress` from here.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import uvicorn
from rich.console import Console
from rich.markup import escape

from api.main import create_app
from registry.chain.deploy import ensure_deployment
from registry.chain.journal import Journal
from registry.chain.node import AnvilNode, NodeReporter, anvil_binary, ensure_port_free
from registry.context import (
    RegistryContext,
    admin_address,
    current_artifacts_hash,
    make_client,
    operator_account,
)
from registry.db.engine import migrate, shown_url
from registry.demo import history_start, seed_demo
from registry.errors import (
    ChainError,
    ConfigurationError,
    DaregError,
    NodeStartError,
    StackAlreadyRunningError,
)
from registry.indexer.follow import BatchProgress, Indexer
from registry.settings import Settings

__all__ = ["BatchProgress", "Indexer", "Pieces", "Stack", "start", "var_lock"]


def embedded_node(
    settings: Settings,
    genesis_timestamp: int | None = None,
    report: NodeReporter | None = None,
) -> AnvilNode:
    """The embedded chain node of ``settings``: started from its checkpoint and journal
    (replayed), checkpointed to its state file (docs/durability.md)."""
    return AnvilNode(
        anvil_binary(settings.node_modules_dir),
        host=settings.node_host,
        port=settings.node_port,
        chain_id=settings.chain_id,
        state_path=settings.chain_state_path,
        state_interval=settings.state_interval,
        log_path=settings.var_dir / "chain" / "anvil.log",
        genesis_timestamp=genesis_timestamp,
        journal=Journal(settings.chain_journal_path),
        report=report,
    )


@contextmanager
def var_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``var/`` so two stacks never share one registry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise StackAlreadyRunningError(
                f"another `dareg up` (pid {holder}) is already running on {path.parent}; "
                "stop it first or set DAREG_VAR_DIR to another directory"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class _Server(uvicorn.Server):
    """uvicorn, telling the rest of the stack the moment a stop signal arrives."""

    def __init__(self, stopping: threading.Event, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._stopping.set()
        super().handle_exit(sig, frame)


@dataclass(frozen=True)
class Pieces:
    """A started registry: its services, the indexer that mirrors the chain for them and, for
    ``dareg up``, the API server. ``deployed_now`` says whether :func:`start` deployed the
    contracts (first start of an embedded chain) or found them."""

    context: RegistryContext
    indexer: Indexer
    deployed_now: bool = False
    server: _Server | None = None

    def serve(self) -> None:
        """Serve the API until a stop signal (only when :func:`start` built a server)."""
        if self.server is None:
            raise ConfigurationError("this registry was started without an API server")
        self.server.run()


def start(
    settings: Settings, *, deploy: bool = False, stopping: threading.Event | None = None
) -> Pieces:
    """Connect the registry's pieces: the context of the deployment, the migrated database, the
    indexer and (given ``stopping``, the event a stop signal sets) the API server.

    With ``deploy`` (``dareg up``) the contracts are deployed the first time and recorded in the
    manifest, later checked against it; this needs an operator key. Without it (``dareg index``)
    the recorded deployment is opened and checked (:meth:`RegistryContext.open`), never deployed.
    """
    deployed_now = False
    if deploy:
        client = make_client(settings)
        chain_id = client.chain_id()  # fails with the DAREG_RPC_URL sentence when unreachable
        operator = operator_account(settings, chain_id)
        if operator is None:
            raise ConfigurationError(
                f"chain {chain_id} is not a development chain: set DAREG_OPERATOR_KEYSTORE (or "
                "DAREG_OPERATOR_KEY) to the key that deploys and pays for the registry's "
                "transactions"
            )
        admin = admin_address(settings, chain_id)
        if admin is None:
            raise ConfigurationError(
                f"chain {chain_id} is not a development chain: set DAREG_ADMIN_ADDRESS to the "
                "registry's admin (a multisig or timelock), which must not be the operator"
            )
        manifest, deployed_now = ensure_deployment(
            client,
            operator,
            admin,
            settings.manifest_path,
            current_artifacts_hash(settings),
            settings.token_base_uri,
        )
        migrate(settings.effective_database_url)
        context = RegistryContext.connect(settings, client, manifest, operator=operator)
    else:
        context = RegistryContext.open(settings)
        migrate(settings.effective_database_url)
    indexer = Indexer(
        context.client,
        context.manifest,
        context.engine,
        finality_depth=settings.finality_depth,
        log_range=settings.log_range,
        reorg_window=settings.reorg_window,
    )
    server = None
    if stopping is not None:
        server = _Server(
            stopping,
            uvicorn.Config(
                create_app(context),
                host=settings.api_host,
                port=settings.api_port,
                log_level="warning",
                access_log=False,
            ),
        )
    return Pieces(context, indexer, deployed_now, server)


class Stack:
    """The running registry: node, contracts, mirror and API."""

    def __init__(self, settings: Settings, *, demo: bool, console: Console) -> None:
        self.settings = settings
        self.demo = demo
        self.console = console
        self.node: AnvilNode | None = None
        self._stop = threading.Event()  # a stop signal arrived (or the node is beyond repair)
        self._node_stop = threading.Event()  # the API and indexer are done: stop the node
        self._fatal: str | None = None
        self._last_error: str | None = None

    def run(self) -> None:
        settings = self.settings
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        with var_lock(settings.lock_path):
            ensure_port_free(settings.api_host, settings.api_port, "API")
            try:
                self._run_locked()
            finally:
                self._node_stop.set()
                if self.node is not None and self.node.running:
                    self.console.print("[dim]stopping the chain node (state saved)…[/dim]")
                    self.node.stop()

    def _run_locked(self) -> None:
        settings = self.settings
        if settings.embedded:
            # a new demo chain starts months back so the sample can have a dated history
            fresh_demo = self.demo and not settings.chain_state_path.exists()
            self.node = embedded_node(
                settings, history_start() if fresh_demo else None, report=self._node_said
            )
            self.node.start()
        pieces = start(settings, deploy=True, stopping=self._stop)
        context, indexer = pieces.context, pieces.indexer
        indexer.sync_once()
        if self.demo:
            seeded = seed_demo(context, settings.var_dir / "demo")
            if seeded:
                self.console.print(f"[green]demo registry seeded:[/green] {seeded}")
            indexer.sync_once()
        follower = threading.Thread(
            target=indexer.follow,
            args=(self._stop, settings.poll_interval, self._report),
            name="dareg-indexer",
            daemon=True,
        )
        follower.start()
        supervisor = None
        if self.node is not None:
            supervisor = threading.Thread(
                target=self._supervise, args=(self.node, pieces), name="dareg-node", daemon=True
            )
            supervisor.start()
        self._banner(context, pieces.deployed_now)
        try:
            pieces.serve()
        finally:
            self._stop.set()
            follower.join(timeout=10)
            self._node_stop.set()
            if supervisor is not None:
                supervisor.join(timeout=120)
        if self._fatal is not None:
            raise NodeStartError(self._fatal)

    def _supervise(self, node: AnvilNode, pieces: Pieces) -> None:
        """Watch the embedded node: checkpoint it every ``DAREG_STATE_INTERVAL`` seconds,
        restart it (with the replay) when it dies, or stop the stack with one sentence when it
        cannot be restarted. It also stops the node at the end: on Linux anvil dies with the
        thread that started it, and this thread may have restarted it."""
        last_checkpoint = 0.0  # at once: the deployment and demo are in the journal alone
        try:
            while not self._node_stop.wait(0.2):
                if self._stop.is_set():
                    continue  # shutting down: the API finishes, then the node is stopped
                if not node.running:
                    if not self._restart(node, pieces):
                        return
                    last_checkpoint = time.monotonic()
                elif time.monotonic() - last_checkpoint >= node.state_interval:
                    last_checkpoint = time.monotonic()
                    try:
                        node.checkpoint(force=False)
                    except (ChainError, OSError, ValueError) as exc:
                        if node.running:  # a node that died meanwhile is restarted above
                            self._node_said(f"checkpoint failed: {exc}")
        finally:
            node.stop()

    def _restart(self, node: AnvilNode, pieces: Pieces) -> bool:
        code = node.exit_code
        self.console.print(
            f"[yellow]chain:[/yellow] the embedded node (anvil) stopped (exit code {code}); "
            "restarting it from its checkpoint and journal…",
            highlight=False,
        )
        try:
            node.start()
        except DaregError as exc:
            self._fatal = f"the embedded chain node (anvil) died and could not be restarted: {exc}"
            self._stop.set()
            if pieces.server is not None:
                pieces.server.should_exit = True
            return False
        pieces.context.client.reset_nonces()
        self.console.print("[green]chain:[/green] the embedded node is back", highlight=False)
        return True

    def _node_said(self, line: str) -> None:
        self.console.print(f"[yellow]chain:[/yellow] {escape(line)}", highlight=False)

    def _report(self, exc: Exception) -> None:
        if self._stop.is_set():
            return  # shutting down: anvil received the same Ctrl-C and is already gone
        message = str(exc)
        if message != self._last_error:
            self._last_error = message
            self.console.print(f"[yellow]indexer:[/yellow] {message}")

    def _banner(self, context: RegistryContext, deployed_now: bool) -> None:
        settings, manifest = self.settings, context.manifest
        verb = "deployed" if deployed_now else "found"
        lines = [
            f"[bold green]dareg is up[/bold green]  API [bold]{settings.api_url}[/bold]"
            f"  (OpenAPI at {settings.api_url}/docs)",
            f"chain     {context.client.rpc_url}  chain id {manifest.chain_id}"
            + (
                "  (embedded anvil, checkpoint "
                + str(settings.chain_state_path)
                + ", journal "
                + str(settings.chain_journal_path)
                + ")"
                if self.node
                else ""
            ),
            *(
                f"contract  {name} {verb} at {c.address} (block {c.block_number})"
                for name, c in manifest.contracts.items()
            ),
            f"database  {shown_url(settings.effective_database_url)}",
            f"manifest  {settings.manifest_path}",
            "Press Ctrl-C to stop.",
        ]
        for line in lines:
            self.console.print(line, highlight=False)
