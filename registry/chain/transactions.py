"""The transaction manager: the one path by which a transaction is signed, sent and awaited.

Every transaction of one sender goes through one serialisation: a lock per sender in the
process and, when the client is given a directory (``var/nonces/`` of the running registry), an
exclusive ``flock`` on a file per sender there, so the API under ``dareg up`` and ``dareg``
commands using the same key on the same ``var/`` take turns. Under it, in this order:

1. the call is simulated against the pending block (a refusal is raised before anything is
   signed, and a duplicate that comes second is simulated against the state the first one
   left, so it is refused instead of sent and reverted);
2. the nonce is the node's pending count for the sender, or one more than the last nonce
   recorded for it (in the file beside the lock) while the node still knows that transaction:
   never skipped, never reused; a ``nonce too low`` answer (someone sent from the key outside
   the lock) is recovered from by reading the count again and signing again;
3. the signed raw transaction is sent.

The receipt is awaited outside the lock, for ``receipt_timeout`` seconds; a transaction not
mined by then is replaced (the same nonce, a higher gas price) up to ``replacements`` times,
then :class:`~registry.errors.TransactionNotMinedError` (503) names every hash sent.

The node itself is reached only through :class:`NodeAccess`, which the chain client implements
(:mod:`registry.chain.client` keeps every web3 call).

:class:`InFlight` is the other half of "one request, one transaction": a registry of the
requests this process is carrying out, keyed by what they act on; a second request for the same
key while the first runs gets :class:`~registry.errors.RequestInFlightError` (409).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount

from registry.chain.journal import NoJournal, TransactionJournal
from registry.domain.chain import Receipt
from registry.errors import (
    ChainError,
    ChainUnreachableError,
    RequestInFlightError,
    TransactionNotMinedError,
)

#: Gas margin over the estimate (the pending block may differ a little from the mined one).
_GAS_MARGIN_NUM, _GAS_MARGIN_DEN = 12, 10
#: A replacement's gas price over the one it replaces (nodes want at least 10 % more).
_BUMP_NUM, _BUMP_DEN = 5, 4
#: Times a send is signed again after the node said its nonce is taken.
_NONCE_RETRIES = 5
_POLL_FIRST, _POLL_MAX = 0.02, 0.5


class NonceTakenError(Exception):
    """The node refused a raw transaction because its nonce is used or taken in the pool
    (``nonce too low``, ``already known``, ``replacement transaction underpriced``)."""


class NodeAccess(Protocol):
    """What the manager asks of the node (the chain client implements it)."""

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        """Gas of ``tx`` run against the pending block; the refusal as ContractRevertError."""
        ...

    def pending_nonce(self, address: str) -> int: ...

    def gas_price(self) -> int: ...

    def chain_id(self) -> int: ...

    def send_raw(self, raw: bytes) -> str:
        """Send a signed transaction, its hash; :class:`NonceTakenError` if its nonce is
        taken."""
        ...

    def receipt(self, tx_hash: str) -> tuple[bool, Receipt] | None:
        """``(succeeded, receipt)`` once ``tx_hash`` is mined, else ``None``."""
        ...

    def transaction_nonce(self, tx_hash: str) -> int | None:
        """The nonce of ``tx_hash`` if the node has it (pending or mined), else ``None``."""
        ...


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction signed and about to be sent."""

    sender: str
    nonce: int
    tx_hash: str
    raw: bytes


#: Called with each signed raw transaction right before it is sent (after the journal has it).
SignedListener = Callable[[SignedTransaction], None]


def outcome_unknown(exc: ChainUnreachableError, tx_hash: str) -> ChainUnreachableError:
    """``exc``, a call that failed after the signed transaction ``tx_hash`` reached the node
    (or may have), with the hash and its outcome unknown: the answer names the transaction
    that may still be carried out, so nothing happens without a record of it."""
    return ChainUnreachableError(
        exc.message + f"; transaction {tx_hash} may have reached the node and its outcome is "
        "unknown (look it up by its hash before trying again)",
        **{**exc.details, "tx_hash": tx_hash, "outcome": "unknown"},
    )


class _SenderLock:
    """The serialisation of one sender's transactions: a thread lock, and a ``flock`` on
    ``path`` (with the sender's last sent nonce and hash kept in ``state``) when given.

    A holder talks to the node, so behind a node that stopped answering every other writer
    would wait for it: the wait ends after ``timeout`` seconds, and at once when the holder
    failed to reach the node meanwhile (asking it again would only cost another timeout)."""

    def __init__(self, path: Path | None, timeout: float | None = None) -> None:
        self.thread_lock = threading.Lock()
        self.path = path
        self.timeout = timeout
        self.last: tuple[int, str] | None = None  # without a file
        #: How many holders failed to reach the node.
        self._failures = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        failures = self._failures
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        if not self.thread_lock.acquire(timeout=-1 if self.timeout is None else self.timeout):
            raise self._busy()
        try:
            if self._failures != failures:
                raise ChainUnreachableError(
                    "the chain stopped answering while this transaction waited for another one "
                    "of the same sender; try again later",
                    reason="timeout",
                    timeout_seconds=self.timeout,
                )
            try:
                with self._file_locked(deadline):
                    yield
            except ChainUnreachableError:
                self._failures += 1
                raise
        finally:
            self.thread_lock.release()

    @contextmanager
    def _file_locked(self, deadline: float | None) -> Iterator[None]:
        if self.path is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise self._busy() from None
                    time.sleep(0.005)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _busy(self) -> ChainUnreachableError:
        return ChainUnreachableError(
            f"another transaction of the same sender has been waiting for the chain for more "
            f"than {self.timeout:g} s; try again later",
            reason="timeout",
            timeout_seconds=self.timeout,
        )

    @property
    def _state_path(self) -> Path | None:
        return None if self.path is None else self.path.with_suffix(".json")

    def recorded(self) -> tuple[int, str] | None:
        """The last nonce and hash sent for the sender (under the lock)."""
        state = self._state_path
        if state is None:
            return self.last
        try:
            data = json.loads(state.read_text())
            return int(data["nonce"]), str(data["tx_hash"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def record(self, nonce: int, tx_hash: str) -> None:
        state = self._state_path
        if state is None:
            self.last = (nonce, tx_hash)
            return
        part = state.with_suffix(".part")
        part.write_text(json.dumps({"nonce": nonce, "tx_hash": tx_hash}))
        part.replace(state)

    def forget(self) -> None:
        self.last = None
        state = self._state_path
        if state is not None:
            state.unlink(missing_ok=True)


_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class TransactionManager:
    """Signs, sends and awaits every transaction of a chain client (see the module)."""

    def __init__(
        self,
        node: NodeAccess,
        *,
        lock_dir: Path | None = None,
        receipt_timeout: float = 30.0,
        replacements: int = 2,
        journal: TransactionJournal | None = None,
        lock_timeout: float | None = None,
    ) -> None:
        """``lock_timeout`` bounds the wait for a sender's lock (the RPC timeout: a holder
        never holds it longer unless the node stopped answering)."""
        self._node = node
        self._lock_timeout = lock_timeout
        #: the write-ahead journal (registry/chain/journal.py): each signed transaction is
        #: written, synced, before the node sees it, and where it was mined before anyone hears
        self._journal: TransactionJournal = journal or NoJournal()
        self._lock_dir = lock_dir
        self.receipt_timeout = receipt_timeout
        self.replacements = replacements
        self._locks: dict[str, _SenderLock] = {}
        self._locks_guard = threading.Lock()
        self.in_flight = InFlight()
        self._signed_listeners: list[SignedListener] = []

    def on_signed(self, listener: SignedListener) -> None:
        """Call ``listener`` with each signed raw transaction right before it is sent."""
        self._signed_listeners.append(listener)

    def _lock_of(self, address: str) -> _SenderLock:
        key = address.lower()
        if not _ADDRESS.match(key):
            raise ValueError(f"not an address: {address!r}")
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                path = None if self._lock_dir is None else self._lock_dir / f"{key}.lock"
                lock = self._locks[key] = _SenderLock(path, self._lock_timeout)
            return lock

    # --- nonces -----------------------------------------------------------------------------

    def _nonce(self, lock: _SenderLock, address: str) -> int:
        """The next nonce of ``address`` (under its lock): the node's pending count, or one more
        than the last one recorded while the node still knows that transaction."""
        pending = self._node.pending_nonce(address)
        recorded = lock.recorded()
        if (
            recorded is not None
            and recorded[0] >= pending
            and self._node.transaction_nonce(recorded[1]) == recorded[0]
        ):
            return recorded[0] + 1
        return pending

    def next_nonce(self, address: str) -> int:
        """The nonce the next transaction from ``address`` will carry."""
        lock = self._lock_of(address)
        with lock.held():
            return self._nonce(lock, address)

    def forget(self) -> None:
        """Forget the recorded nonces (after ``evm_revert`` or a reorg rewinds the chain);
        the node's pending count is read before every transaction anyway."""
        with self._locks_guard:
            locks = list(self._locks.values())
        for lock in locks:
            with lock.held():
                lock.forget()

    # --- sending ----------------------------------------------------------------------------

    def send(self, signer: LocalAccount, *, to: str | None, data: str) -> Receipt:
        """Simulate, sign, send and await one transaction of ``signer`` (see the module)."""
        tx: dict[str, Any] = {"from": signer.address, "data": data, "value": 0}
        if to is not None:
            tx["to"] = to
        lock = self._lock_of(signer.address)
        with lock.held():
            # the simulation runs under the lock that assigns the nonce: a duplicate sent just
            # before is in the pending state it runs against, so it is refused here
            gas = self._node.estimate_gas(tx)
            tx.pop("from")
            tx.update(
                gas=gas * _GAS_MARGIN_NUM // _GAS_MARGIN_DEN,
                gasPrice=self._node.gas_price(),
                chainId=self._node.chain_id(),
            )
            sent = self._sign_and_send(lock, signer, tx)
        return self._await(lock, signer, tx, sent)

    def _sign_and_send(
        self,
        lock: _SenderLock,
        signer: LocalAccount,
        tx: dict[str, Any],
        *,
        nonce: int | None = None,
    ) -> SignedTransaction:
        """Sign ``tx`` with the next nonce (or ``nonce``, for a replacement) and send it;
        signed again with a fresh nonce while the node says the nonce is taken."""
        for _ in range(_NONCE_RETRIES):
            tx["nonce"] = self._nonce(lock, signer.address) if nonce is None else nonce
            raw = signer.sign_transaction(tx)
            signed = SignedTransaction(
                signer.address,
                tx["nonce"],
                "0x" + bytes(raw.hash).hex(),
                bytes(raw.raw_transaction),
            )
            # --- the signed raw transaction is about to be sent ---
            for listener in self._signed_listeners:
                listener(signed)
            try:
                with self._journal.sending(signed.raw, signed.tx_hash, signed.sender, signed.nonce):
                    self._node.send_raw(signed.raw)
            except NonceTakenError:
                if nonce is not None:
                    raise  # a replacement: the nonce was mined meanwhile
                lock.forget()
                continue
            lock.record(signed.nonce, signed.tx_hash)
            return signed
        raise ChainError(
            f"the node kept refusing the nonces of {signer.address}: another sender uses the "
            "key without sharing this registry's var/ directory"
        )

    def _await(
        self, lock: _SenderLock, signer: LocalAccount, tx: dict[str, Any], first: SignedTransaction
    ) -> Receipt:
        """The receipt of ``first`` or of one of its replacements."""
        sent = [first]
        for attempt in range(self.replacements + 1):
            try:
                found = self._poll(sent, self.receipt_timeout)
            except ChainUnreachableError as exc:
                raise outcome_unknown(exc, sent[-1].tx_hash) from exc
            if found is not None:
                return self._obtained(*found[1])
            if attempt == self.replacements:
                break
            with lock.held():
                tx["gasPrice"] = max(
                    tx["gasPrice"] * _BUMP_NUM // _BUMP_DEN + 1, self._node.gas_price()
                )
                try:
                    sent.append(self._sign_and_send(lock, signer, tx, nonce=first.nonce))
                except NonceTakenError:
                    continue  # one of those sent was mined: the next poll finds it
        hashes = [s.tx_hash for s in sent]
        raise TransactionNotMinedError(
            f"transaction {hashes[-1]} of {signer.address} (nonce {first.nonce}) was not mined "
            f"within {self.receipt_timeout:g} s, after {len(hashes) - 1} replacement(s); it may "
            "still be mined: look it up before sending again",
            tx_hash=hashes[-1],
            tx_hashes=hashes,
            nonce=first.nonce,
            outcome="unknown",
        )

    def _poll(
        self, sent: list[SignedTransaction], timeout: float
    ) -> tuple[SignedTransaction, tuple[bool, Receipt]] | None:
        deadline = time.monotonic() + timeout
        pause = _POLL_FIRST
        while True:
            for signed in reversed(sent):
                found = self._node.receipt(signed.tx_hash)
                if found is not None:
                    return signed, found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, _POLL_MAX)

    def _obtained(self, succeeded: bool, receipt: Receipt) -> Receipt:
        # --- the receipt is obtained ---
        self._journal.mined(receipt.tx_hash, receipt.block_number, receipt.block_timestamp)
        if not succeeded:
            raise ChainError(
                f"transaction {receipt.tx_hash} reverted without a reason",
                tx_hash=receipt.tx_hash,
                outcome="reverted",
            )
        return receipt


class InFlight:
    """The requests this process is carrying out, by the keys of what they act on."""

    def __init__(self) -> None:
        self._keys: set[str] = set()
        self._guard = threading.Lock()

    @contextmanager
    def exclusive(self, *keys: str, what: str = "the same request") -> Iterator[None]:
        """Hold ``keys`` for the block; :class:`RequestInFlightError` (409) when another
        request holds any of them."""
        with self._guard:
            taken = [k for k in keys if k in self._keys]
            if taken:
                raise RequestInFlightError(
                    f"{what} is being carried out by another request now; look up its outcome "
                    "instead of sending it again",
                    key=taken[0],
                )
            self._keys.update(keys)
        try:
            yield
        finally:
            with self._guard:
                self._keys.difference_update(keys)
