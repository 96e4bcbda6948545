"""The embedded chain node: anvil from the npm package ``@foundry-rs/anvil``.

anvil loads its state from ``var/chain/state.json`` at start, dumps it every few seconds and
again when it stops, so a restart keeps every block, log and balance.
"""

from __future__ import annotations

import ctypes
import json
import platform
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from registry.errors import NodeStartError, PortInUseError

_PLATFORMS = {
    ("Linux", "x86_64"): "linux-amd64",
    ("Linux", "aarch64"): "linux-arm64",
    ("Darwin", "x86_64"): "darwin-amd64",
    ("Darwin", "arm64"): "darwin-arm64",
}


def anvil_binary(node_modules: Path) -> Path:
    """The anvil executable shipped inside the npm package for this platform."""
    suffix = _PLATFORMS.get((platform.system(), platform.machine()))
    if suffix is None:
        raise NodeStartError(f"no anvil build for {platform.system()} {platform.machine()}")
    binary = node_modules / "@foundry-rs" / f"anvil-{suffix}" / "bin" / "anvil"
    if not binary.exists():
        raise NodeStartError(
            f"anvil not found at {binary}; run `npm ci` (scripts/bootstrap does it)"
        )
    return binary


def ensure_port_free(host: str, port: int, what: str) -> None:
    """Raise :class:`PortInUseError` if something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUseError(
                f"port {port} on {host} is already in use, so the {what} cannot start; "
                "stop whatever listens there or choose another port",
                host=host,
                port=port,
            ) from None


def _die_with_parent() -> None:
    """Linux: have the kernel stop anvil if the dareg process dies without cleaning up."""
    if platform.system() == "Linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def rpc_ready(url: str, timeout: float = 1.0) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(  # noqa: S310 - the URL is our own loopback node
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bool(json.loads(response.read()).get("result"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


class AnvilNode:
    """An anvil child process bound to 127.0.0.1 with persisted state."""

    def __init__(
        self,
        binary: Path,
        *,
        host: str,
        port: int,
        chain_id: int,
        state_path: Path | None,
        state_interval: int = 5,
        log_path: Path | None = None,
        genesis_timestamp: int | None = None,
    ) -> None:
        self.binary = binary
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.state_path = state_path
        self.state_interval = state_interval
        self.log_path = log_path
        self.genesis_timestamp = genesis_timestamp
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            str(self.binary),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--silent",
            # development accounts 0-29 funded: the operator, registrants, and the governance
            # accounts (admin, pauser) that are never the operator
            "--accounts",
            "30",
        ]
        if self.genesis_timestamp is not None:
            cmd += ["--timestamp", str(self.genesis_timestamp)]
        if self.state_path is not None:
            cmd += [
                "--state",
                str(self.state_path),
                "--state-interval",
                str(self.state_interval),
                "--preserve-historical-states",
            ]
        return cmd

    def start(self, timeout: float = 20.0) -> None:
        ensure_port_free(self.host, self.port, "embedded chain (anvil)")
        if self.state_path is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
        log: IO[bytes] | int = (
            self.log_path.open("ab") if self.log_path is not None else subprocess.DEVNULL
        )
        self._process = subprocess.Popen(  # stays in our process group: Ctrl-C reaches it too
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # runs before any thread of ours starts
        )
        if not isinstance(log, int):
            log.close()  # the child holds its own descriptor
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise NodeStartError(
                    f"anvil exited with code {self._process.returncode} at start"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if rpc_ready(self.url, timeout=0.5):
                return
            time.sleep(0.1)
        self.stop()
        raise NodeStartError(f"anvil did not answer on {self.url} within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop anvil with SIGINT so it dumps its state before it exits."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None
