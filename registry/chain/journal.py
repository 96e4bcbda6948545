"""The write-ahead journal of the embedded chain: every signed transaction, on disk first.

anvil keeps its chain in memory; what it has on disk is the last checkpoint
(:meth:`registry.chain.node.AnvilNode.checkpoint`). So that a transaction acknowledged to a
client (a 2xx answer, a CLI command that exited 0) survives a crash of anvil or of the whole
stack, :class:`registry.chain.client.ChainClient` appends each signed raw transaction here and
syncs it to disk *before* the node sees it, holding an inter-process lock (``fcntl.flock``) across
the append and ``eth_sendRawTransaction`` so that the API process and CLI processes sharing
``var/`` append in the order the node receives them. Once mined, the transaction's block number
and block time are appended (and synced) before the receipt is returned to the caller.

On start the node loads its last checkpoint and sends again, in journal order and at their
recorded block times, the journaled transactions it does not have (:meth:`Journal.entries`);
a checkpoint that holds a transaction lets it be dropped from the journal
(:meth:`Journal.compact`). One JSON object per line:

- ``{"op": "send", "hash", "raw", "sender", "nonce", "at"}`` before the node receives it;
- ``{"op": "mined", "hash", "block", "timestamp"}`` once its receipt is known;
- ``{"op": "refused", "hash", "reason"}`` when the node refused it at once (never mined).

A trailing line cut short by a crash was never synced, hence never acknowledged: it is ignored.
See docs/durability.md.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from registry.errors import ChainUnreachableError, NodeStartError
from registry.files import write_atomically


@dataclass(frozen=True)
class JournalEntry:
    """One journaled transaction: its signed bytes and, once known, where it was mined."""

    hash: str
    raw: str
    sender: str
    nonce: int
    block: int | None = None
    timestamp: int | None = None
    refused: str | None = None


class TransactionJournal(Protocol):
    """What :class:`~registry.chain.client.ChainClient` writes to around each transaction."""

    def sending(
        self, raw: bytes, tx_hash: bytes | str, sender: str, nonce: int
    ) -> AbstractContextManager[None]: ...

    def mined(self, tx_hash: bytes | str, block: int, timestamp: int | None) -> None: ...


def _hex(value: bytes | str) -> str:
    if isinstance(value, str):
        return (value if value.startswith("0x") else "0x" + value).lower()
    return "0x" + bytes(value).hex()


class NoJournal:
    """The journal of a chain that keeps its own transactions (an external node): nothing."""

    @contextmanager
    def sending(self, raw: bytes, tx_hash: bytes | str, sender: str, nonce: int) -> Iterator[None]:
        del raw, tx_hash, sender, nonce
        yield

    def mined(self, tx_hash: bytes | str, block: int, timestamp: int | None) -> None:
        del tx_hash, block, timestamp


class Journal:
    """The journal file ``path`` (``var/chain/journal.jsonl``), its lock beside it and the file
    of transactions a replay found no longer applying (``rejected.jsonl``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.rejected_path = path.with_name("rejected.jsonl")

    # --- the client's side ----------------------------------------------------------------

    @contextmanager
    def sending(self, raw: bytes, tx_hash: bytes | str, sender: str, nonce: int) -> Iterator[None]:
        """Journal a signed transaction, synced, and hold the lock while the body sends it.

        When the body raises, the node answered with a refusal or was never reached (the
        transaction will never be mined: recorded as refused); when the client's error says
        the outcome is unknown (the request may have reached the node), the entry stays for the
        replay to settle (docs/durability.md)."""
        digest = _hex(tx_hash)
        with self.locked():
            self._append(
                {
                    "op": "send",
                    "hash": digest,
                    "raw": _hex(raw),
                    "sender": sender,
                    "nonce": nonce,
                    "at": round(time.time(), 3),
                }
            )
            try:
                yield
            except ChainUnreachableError as exc:
                # the client tells whether the node may have it (``outcome`` unknown: the
                # replay settles it) or cannot (the connection refused, the node never asked)
                if exc.details.get("outcome") != "unknown":
                    self._append({"op": "refused", "hash": digest, "reason": "node not listening"})
                raise
            except Exception as exc:
                self._append({"op": "refused", "hash": digest, "reason": str(exc)[:500]})
                raise

    def mined(self, tx_hash: bytes | str, block: int, timestamp: int | None) -> None:
        """Record where a journaled transaction was mined (synced before the caller hears);
        ``timestamp`` is the block's time as the receipt gives it (anvil's ``blockTimestamp``)."""
        with self.locked():
            self._append(
                {
                    "op": "mined",
                    "hash": _hex(tx_hash),
                    "block": block,
                    "timestamp": timestamp,
                }
            )

    # --- the node's side ------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The journal's inter-process lock (also between threads: each takes its own file)."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def entries(self) -> list[JournalEntry]:
        """The journaled transactions in the order the node received them (call under
        :meth:`locked` when other processes may write)."""
        records = self._records()
        order: list[str] = []
        found: dict[str, dict[str, Any]] = {}
        for record in records:
            digest = str(record.get("hash", "")).lower()
            if record.get("op") == "send":
                if digest not in found:
                    order.append(digest)
                found[digest] = dict(record)
            elif digest in found:  # a mined or refused record of a compacted send: ignored
                found[digest].update(
                    {k: v for k, v in record.items() if k in ("block", "timestamp", "reason")}
                )
                if record.get("op") == "refused":
                    found[digest]["refused"] = record.get("reason") or "refused"
        return [
            JournalEntry(
                hash=digest,
                raw=str(found[digest]["raw"]),
                sender=str(found[digest]["sender"]),
                nonce=int(found[digest]["nonce"]),
                block=_optional_int(found[digest].get("block")),
                timestamp=_optional_int(found[digest].get("timestamp")),
                refused=found[digest].get("refused"),
            )
            for digest in order
        ]

    def compact(self, settled: Callable[[JournalEntry], bool]) -> int:
        """Rewrite the journal without the entries ``settled`` says a checkpoint holds (or
        that will never be mined); returns how many are left. Call under :meth:`locked`."""
        kept = [e for e in self.entries() if not settled(e)]
        lines = []
        for entry in kept:
            lines.append(
                {
                    "op": "send",
                    "hash": entry.hash,
                    "raw": entry.raw,
                    "sender": entry.sender,
                    "nonce": entry.nonce,
                }
            )
            if entry.block is not None:
                lines.append(
                    {
                        "op": "mined",
                        "hash": entry.hash,
                        "block": entry.block,
                        "timestamp": entry.timestamp,
                    }
                )
        if not kept and not self.path.exists():
            return 0
        write_atomically(self.path, b"".join(_line(record) for record in lines))
        return len(kept)

    def reject(self, entry: JournalEntry, reason: str) -> None:
        """Keep a transaction the replay could not apply in ``rejected.jsonl`` (synced)."""
        record = {
            "hash": entry.hash,
            "raw": entry.raw,
            "sender": entry.sender,
            "nonce": entry.nonce,
            "block": entry.block,
            "timestamp": entry.timestamp,
            "reason": reason,
            "rejected_at": round(time.time(), 3),
        }
        self._append(record, self.rejected_path)

    # --- the file -------------------------------------------------------------------------

    def _append(self, record: dict[str, Any], path: Path | None = None) -> None:
        target = path or self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, _line(record))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _records(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return []
        lines = text.split("\n")
        records: list[dict[str, Any]] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                if number == len(lines):  # cut short by a crash: never synced, never answered
                    continue
                raise NodeStartError(
                    f"the chain journal {self.path} is damaged at line {number}; move it aside "
                    "to start from the last checkpoint alone (transactions since are lost)"
                ) from None
            if isinstance(record, dict):
                records.append(record)
        return records


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, separators=(",", ":")) + "\n").encode()


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    return int(value)
