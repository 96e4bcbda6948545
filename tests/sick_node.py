"""A node of a test's own that can be paused (SIGSTOP) as a sick node would hang, never the
session's chain other tests use (a plugin-free helper of the fault tests).

:class:`SickNode` starts anvil on a free port with the registry deployed; :meth:`SickNode.paused`
stops the process and always continues it when the block ends (even if the test fails).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from registry.artifacts import artifacts_hash, load_client_artifacts
from registry.chain.client import ChainClient, dev_account
from registry.chain.deploy import deploy_all
from registry.chain.node import AnvilNode, anvil_binary
from registry.domain.deployment import DeploymentManifest
from registry.settings import Settings
from tests.conftest import admin, free_port

#: The RPC timeout of the fault tests, in seconds: short, so a hang shows as a failed bound.
TIMEOUT = 1.0
#: What an answer may take beyond the timeout on a busy test machine, in seconds.
MARGIN = 1.5


class SickNode:
    """A dedicated anvil with the registry deployed, and a way to pause it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.node = AnvilNode(
            anvil_binary(settings.node_modules_dir),
            host="127.0.0.1",
            port=free_port(),
            chain_id=31337,
            state_path=None,
        )
        self.node.start()
        self.artifacts = load_client_artifacts(settings.artifacts_dir)
        # deployed with a patient client: only the faults under test get the short timeout
        deployer = ChainClient(self.node.url, self.artifacts, timeout=60)
        deployer.rpc("anvil_setBalance", [admin().address, hex(10**22)])
        self.deployment: DeploymentManifest = deploy_all(
            deployer,
            dev_account(0),
            admin().address,
            artifacts_hash(settings.artifacts_dir),
            settings.token_base_uri,
        )

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def pid(self) -> int:
        process = self.node._process  # the test's own child process
        assert process is not None, "the node is not running"
        return process.pid

    def client(self, timeout: float = TIMEOUT, receipt_timeout: float = 60.0) -> ChainClient:
        return ChainClient(
            self.node.url,
            self.artifacts,
            timeout=timeout,
            receipt_timeout=receipt_timeout,
            replacements=0,
        )

    def pause(self) -> None:
        """Stop the node, and wait until the kernel has stopped it (a signal is delivered
        asynchronously: a request could otherwise still be answered)."""
        os.kill(self.pid, signal.SIGSTOP)
        stat = Path(f"/proc/{self.pid}/stat")
        deadline = time.monotonic() + 5
        while stat.exists() and time.monotonic() < deadline:
            # the state follows the parenthesised command name: T when stopped
            if stat.read_text().rpartition(")")[2].split()[0] == "T":
                return
            time.sleep(0.005)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The node stopped (it accepts connections and never answers) for the block."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    def stop(self) -> None:
        self.resume()  # a stopped process would not dump or exit on SIGINT
        self.node.stop()
