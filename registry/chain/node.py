"""The embedded chain node: anvil from the npm package ``@foundry-rs/anvil``.

anvil keeps the chain in memory. On disk there are two things (docs/durability.md):

- the **checkpoint** ``var/chain/state.json``: the whole chain (blocks, logs, historical states),
  taken over RPC (``anvil_dumpState``) every few seconds and at stop, and written atomically
  (temporary file, ``fsync``, rename): a crash leaves the previous checkpoint, never a
  truncated one, which anvil would refuse to load;
- the **journal** ``var/chain/journal.jsonl`` (:mod:`registry.chain.journal`): every signed
  transaction sent since, written and synced before the node received it.

:meth:`AnvilNode.start` loads the checkpoint and sends again, in order and at their recorded
block times, the journaled transactions the checkpoint does not hold, so a crash at any moment
loses no acknowledged transaction.
"""

from __future__ import annotations

import ctypes
import gzip
import json
import platform
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from registry.chain.journal import Journal, JournalEntry
from registry.errors import ChainError, NodeStartError, PortInUseError
from registry.files import write_atomically

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
    """Whether the node at ``url`` answers JSON-RPC."""
    try:
        return bool(node_rpc(url, "eth_chainId", timeout=timeout))
    except (ChainError, OSError, ValueError):
        return False


def node_rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 10.0) -> Any:
    """One JSON-RPC call to the embedded node (its own methods: dumps, mining, time); the
    registry's reads and writes go through :class:`~registry.chain.client.ChainClient`. An error
    answer is raised as :class:`ChainError`; no answer as :class:`OSError`."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(  # noqa: S310 - the URL is our own loopback node
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        answer = json.loads(response.read())
    if "error" in answer:
        message = answer["error"].get("message", answer["error"])
        raise ChainError(f"{method}: {message}")
    return answer.get("result")


@dataclass(frozen=True)
class Replay:
    """What :meth:`AnvilNode.replay` did: transactions sent again, and those that no longer
    applied (kept in ``rejected.jsonl``)."""

    replayed: int
    rejected: int
    head: int


#: Where the node tells what it did at start (replayed or rejected transactions).
NodeReporter = Callable[[str], None]


class AnvilNode:
    """An anvil child process bound to 127.0.0.1, its chain checkpointed and journaled."""

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
        journal: Journal | None = None,
        report: NodeReporter | None = None,
    ) -> None:
        self.binary = binary
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.state_path = state_path
        self.state_interval = state_interval
        self.log_path = log_path
        self.genesis_timestamp = genesis_timestamp
        self.journal = journal
        self._report = report or _quiet
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()  # start, checkpoint and stop, one at a time
        self._checkpointed_head: int | None = None

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
            # keep the states of past blocks in memory and in each checkpoint (reads at a block)
            "--preserve-historical-states",
        ]
        if self.genesis_timestamp is not None:
            cmd += ["--timestamp", str(self.genesis_timestamp)]
        if self.state_path is not None and self.state_path.exists():
            # load only: anvil's own dumps are not atomic, so the checkpoints are ours
            cmd += ["--load-state", str(self.state_path)]
        return cmd

    def start(self, timeout: float = 20.0) -> None:
        """Start anvil from the last checkpoint, replay the journal onto it and checkpoint."""
        with self._lock:
            self._spawn(timeout)
            if self.state_path is not None:
                try:
                    if self.journal is not None:
                        self.replay()
                    self._clock_not_behind_head()
                    self.checkpoint()
                except (ChainError, OSError, ValueError) as exc:
                    self._kill()
                    raise NodeStartError(
                        f"the embedded chain could not be restored from {self.state_path} and "
                        f"its journal: {exc}"
                    ) from exc

    def _spawn(self, timeout: float) -> None:
        ensure_port_free(self.host, self.port, "embedded chain (anvil)")
        if self.state_path is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            for left in self.state_path.parent.glob(f".{self.state_path.name}.*.tmp"):
                left.unlink(missing_ok=True)  # a checkpoint a crash cut short: never renamed
        log: IO[bytes] | int = (
            self.log_path.open("ab") if self.log_path is not None else subprocess.DEVNULL
        )
        self._process = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # its own process group: Ctrl-C reaches dareg, which checkpoints and then stops it
            process_group=0,
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
        self._kill()
        raise NodeStartError(f"anvil did not answer on {self.url} within {timeout:.0f} s")

    # --- durability -----------------------------------------------------------------------

    def checkpoint(self, *, force: bool = True) -> bool:
        """Write the chain to the state file atomically and drop the journal entries it holds.

        Without ``force`` nothing is written when the head has not moved since the last
        checkpoint. Returns whether a checkpoint was written."""
        if self.state_path is None:
            return False
        with self._lock:
            head = int(node_rpc(self.url, "eth_blockNumber"), 16)
            if not force and head == self._checkpointed_head:
                return False
            # every transaction in blocks up to ``head`` is in the dump taken after this point
            dump = node_rpc(self.url, "anvil_dumpState", [True], timeout=60)
            state = gzip.decompress(bytes.fromhex(str(dump).removeprefix("0x")))
            write_atomically(self.state_path, state)
            self._checkpointed_head = head
            if self.journal is not None:
                with self.journal.locked():
                    self.journal.compact(lambda entry: self._settled(entry, head))
            return True

    def _settled(self, entry: JournalEntry, head: int) -> bool:
        """Whether a journal entry can go: refused by the node, or mined at or below ``head``."""
        if entry.refused is not None:
            return True
        receipt = node_rpc(self.url, "eth_getTransactionReceipt", [entry.hash])
        return receipt is not None and int(receipt["blockNumber"], 16) <= head

    def replay(self) -> Replay:
        """Send again, in journal order, every journaled transaction the chain does not hold,
        each at its recorded block time (and block number: empty blocks mined in between are
        mined again); one that no longer applies is reported in one line and kept in the
        journal's ``rejected.jsonl``."""
        if self.journal is None:
            return Replay(0, 0, int(node_rpc(self.url, "eth_blockNumber"), 16))
        replayed = rejected = 0
        with self.journal.locked():
            entries = [e for e in self.journal.entries() if e.refused is None]
            rejected_hashes: set[str] = set()
            clock_set = False
            for index, entry in enumerate(entries):
                if node_rpc(self.url, "eth_getTransactionReceipt", [entry.hash]) is not None:
                    continue
                if not clock_set:
                    # a loaded anvil's clock starts at the wall clock, and no block may be
                    # older than it: wind it back to the checkpoint's head first
                    head, head_time = self._head()
                    node_rpc(self.url, "anvil_setTime", [head_time])
                    if head == 0:
                        # a fresh anvil's first block has the genesis base fee, a loaded one
                        # derives it from the genesis block: give it the fresh one's, so the
                        # replayed blocks are the same blocks (same hashes)
                        genesis = node_rpc(self.url, "eth_getBlockByNumber", ["0x0", False])
                        node_rpc(
                            self.url, "anvil_setNextBlockBaseFeePerGas", [genesis["baseFeePerGas"]]
                        )
                    clock_set = True
                reason = self._resend(entry, _next_time(entries, index))
                if reason is None:
                    replayed += 1
                    continue
                rejected += 1
                rejected_hashes.add(entry.hash)
                self.journal.reject(entry, reason)
                self._report(
                    f"journaled transaction {entry.hash} (from {entry.sender}, nonce "
                    f"{entry.nonce}) no longer applies ({reason}); kept in "
                    f"{self.journal.rejected_path}"
                )
            if rejected_hashes:
                self.journal.compact(lambda entry: entry.hash in rejected_hashes)
            head, head_time = self._head()
            if clock_set:  # the clock follows the wall clock again, never behind the head
                node_rpc(self.url, "anvil_setTime", [max(int(time.time()), head_time)])
        if replayed:
            self._report(
                f"replayed {replayed} journaled transaction(s) onto the checkpoint; "
                f"chain head {head}"
            )
        return Replay(replayed, rejected, head)

    def _resend(self, entry: JournalEntry, next_time: int | None) -> str | None:
        """Send one journaled transaction again; ``None`` once mined, else why it was not."""
        head, head_time = self._head()
        when = entry.timestamp if entry.timestamp is not None else next_time
        # never older than the head; a transaction last in line whose time was not recorded
        # (it was never acknowledged) runs now
        when = max(when if when is not None else int(time.time()), head_time)
        if entry.block is not None and head < entry.block - 1:
            # blocks without journaled transactions (``evm_mine``) stood between: mine them
            node_rpc(self.url, "evm_setNextBlockTimestamp", [when])
            node_rpc(self.url, "anvil_mine", [hex(entry.block - 1 - head), "0x0"])
        node_rpc(self.url, "evm_setNextBlockTimestamp", [when])
        try:
            node_rpc(self.url, "eth_sendRawTransaction", [entry.raw])
        except ChainError as exc:  # the node refused it
            return str(exc).removeprefix("eth_sendRawTransaction: ")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if node_rpc(self.url, "eth_getTransactionReceipt", [entry.hash]) is not None:
                return None
            time.sleep(0.05)
        node_rpc(self.url, "anvil_dropTransaction", [entry.hash])
        return "not mined: an earlier transaction of its sender is missing"

    def _clock_not_behind_head(self) -> None:
        """A loaded anvil's clock is the wall clock, even when the chain had moved ahead of it
        (``evm_increaseTime``): set it to the head's time then, so the next block, and every
        simulation against the pending block, is never older than the head."""
        head_time = self._head()[1]
        if head_time > time.time():
            node_rpc(self.url, "anvil_setTime", [head_time])

    def _head(self) -> tuple[int, int]:
        """The head block's number and time."""
        latest = node_rpc(self.url, "eth_getBlockByNumber", ["latest", False])
        return int(latest["number"], 16), int(latest["timestamp"], 16)

    # --- life -----------------------------------------------------------------------------

    def stop(self, timeout: float = 15.0) -> None:
        """Checkpoint the chain, then stop anvil."""
        with self._lock:
            if self.running:
                try:
                    self.checkpoint()
                except (ChainError, OSError, ValueError) as exc:
                    self._report(f"no checkpoint at stop ({exc}); the journal keeps the rest")
            self._kill(timeout)

    def _kill(self, timeout: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """anvil's process id while it has one."""
        return None if self._process is None else self._process.pid

    @property
    def exit_code(self) -> int | None:
        """anvil's exit status once it has ended by itself (``None`` while it runs)."""
        return None if self._process is None else self._process.poll()


def _quiet(line: str) -> None:
    del line


def _next_time(entries: list[JournalEntry], index: int) -> int | None:
    """The first recorded block time after ``entries[index]`` (an upper bound of its own)."""
    for entry in entries[index + 1 :]:
        if entry.timestamp is not None:
            return entry.timestamp
    return None
