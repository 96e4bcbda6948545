"""The indexer: keeps the SQL mirror in step with the chain.

:class:`Indexer` drives the pipeline fetch (:mod:`.fetch`) -> decode (:mod:`.decode`) ->
store (:mod:`.store`) in block batches, from its stored cursor (or the deployment block) up to
``head - finality_depth``; the read side (:mod:`registry.mirror`) serves what it stored.
``sync_once`` catches up once; ``follow`` keeps catching up until told to stop, riding out node
outages with backoff.

Blocks within ``reorg_window`` of the head are not final: their batches are journaled, and when
the chain no longer holds the block the cursor names (or its head fell below it) the mirror is
rolled back to the newest journaled block the chain still holds and re-indexed from there
(:mod:`.reorg`; each rollback is recorded in ``reorg_rollback``). A reorganisation deeper than
the window raises :class:`~registry.indexer.reorg.ReorgTooDeepError` and deletes nothing; so
does a mirror of another chain (:class:`IndexerError`).

Each pass (``sync_once``, every poll of ``follow``) ends by refreshing the derived tables
(:mod:`.derived`), even without new blocks: every stored batch refreshes them in its own
transaction, but a document the service stores after its event was indexed is only picked up
here. When nothing changed that reads a few counts and writes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine

from registry.chain.client import ChainClient
from registry.domain.deployment import DeploymentManifest
from registry.errors import ChainError, ConfigurationError, DaregError, IndexerError
from registry.indexer import derived
from registry.indexer.decode import DecodedBatch, Decoder
from registry.indexer.fetch import LogFetcher
from registry.indexer.lock import WriterLock
from registry.indexer.reorg import Rollback, rollback
from registry.indexer.store import Cursor, cursor_chain_ids, read_cursor, store_batch
from registry.mirror import indexer_head

log = logging.getLogger(__name__)

#: Longest pause between retries while the chain (or database) is failing, in seconds.
MAX_BACKOFF = 30.0


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` may go away by itself, so retrying later makes sense.

    Chain errors (node down, node refusing, chain moving under a batch) and errors from outside
    dareg's hierarchy (RPC and database driver hiccups) are transient; dareg's own other errors
    (:class:`IndexerError`, configuration) need a person.
    """
    if isinstance(exc, ChainError):
        return True
    return not isinstance(exc, DaregError)


@dataclass(frozen=True)
class BatchProgress:
    """One stored batch, for progress displays: its blocks and the target of this sync."""

    from_block: int
    to_block: int
    target: int
    events: int


class Indexer:
    """Mirrors the registry events of one deployment into the database behind ``engine``.

    The database must already be migrated (:func:`registry.db.engine.migrate`).
    """

    def __init__(
        self,
        client: ChainClient,
        manifest: DeploymentManifest,
        engine: Engine,
        *,
        finality_depth: int = 0,
        log_range: int = 2000,
        reorg_window: int = 64,
    ) -> None:
        if finality_depth < 0:
            raise ConfigurationError(f"finality_depth must not be negative, not {finality_depth}")
        if reorg_window < 0:
            raise ConfigurationError(f"reorg_window must not be negative, not {reorg_window}")
        if log_range < 1:
            raise ConfigurationError(f"log_range must be at least 1, not {log_range}")
        if not manifest.contracts:
            raise ConfigurationError("the deployment manifest lists no contracts to index")
        self.client = client
        self.manifest = manifest
        self.engine = engine
        self.finality_depth = finality_depth
        self.reorg_window = reorg_window
        self.chain_id = manifest.chain_id
        contracts = {name: c.address for name, c in manifest.contracts.items()}
        self._fetcher = LogFetcher(
            client,
            manifest.chain_id,
            list(contracts.values()),
            client.codec.topics,
            log_range=log_range,
        )
        self._decoder = Decoder(client.codec, contracts)
        #: The last rollback this indexer made, if any (also in ``reorg_rollback``).
        self.last_rollback: Rollback | None = None
        self._lock = WriterLock(engine, manifest.chain_id)

    # --- reading --------------------------------------------------------------------------

    def indexed_head(self) -> int | None:
        """The last block the mirror holds completely, or ``None`` before the first batch."""
        return indexer_head(self.engine, self.chain_id)

    # --- catching up ----------------------------------------------------------------------

    def sync_once(self, progress: Callable[[BatchProgress], None] | None = None) -> int:
        """Index every block from the cursor up to ``head - finality_depth``.

        Returns the indexed head: the last block the mirror now holds completely. Before the
        chain reaches ``deploy_block + finality_depth`` that is ``deploy_block - 1`` (nothing of
        the registry exists before its deployment block). Raises :class:`IndexerError` if the
        mirror belongs to another chain or the chain changed below the cursor, and
        :class:`ChainUnreachableError` if the node cannot be reached. ``progress`` is called
        after each stored batch. Holds the mirror's writer lock meanwhile
        (:class:`IndexerLockedError` if another indexer holds it).
        """
        with self._lock:
            return self._sync(None, progress)

    def _check(self, head: int) -> Cursor | None:
        """The cursor, after making sure the database and node still match the deployment."""
        node_chain_id = self.client.chain_id()
        if node_chain_id != self.chain_id:
            raise IndexerError(
                f"the node at {self.client.rpc_url} serves chain {node_chain_id}, but the "
                f"deployment to index is on chain {self.chain_id}",
                chain_id=self.chain_id,
            )
        with self.engine.connect() as connection:
            foreign = [c for c in cursor_chain_ids(connection) if c != self.chain_id]
            cursor = read_cursor(connection, self.chain_id)
        if foreign:
            raise IndexerError(
                f"the database already mirrors chain {', '.join(map(str, sorted(foreign)))}, "
                f"but the deployment is on chain {self.chain_id}; point the indexer at this "
                "chain's database or at an empty one",
                chain_id=self.chain_id,
            )
        if cursor is None:
            return None
        if head >= cursor.last_block and self._hash_at(cursor.last_block) == cursor.last_block_hash:
            return cursor
        self.last_rollback = rollback(self.engine, self.chain_id, self._hash_at)
        with self.engine.connect() as connection:
            return read_cursor(connection, self.chain_id)

    def _hash_at(self, number: int) -> str | None:
        """The chain's hash of block ``number`` now, ``None`` beyond its head."""
        if number > self.client.head():
            return None
        return self.client.block(number).hash

    def _sync(
        self,
        stop: threading.Event | None,
        progress: Callable[[BatchProgress], None] | None = None,
    ) -> int:
        head = self.client.head()
        cursor = self._check(head)
        start = self.manifest.deploy_block if cursor is None else cursor.last_block + 1
        indexed = start - 1
        target = head - self.finality_depth
        final = head - self.reorg_window

        def fetch_from(first: int) -> DecodedBatch:
            # blocks not yet final come in batches of their own, so a rollback undoes few
            last = final if first <= final < target else target
            return self._decoder.decode(self._fetcher.fetch(first, last))

        # while one batch is stored, the next is fetched and decoded (the node's I/O and the
        # database's work overlap); one fetch at a time, so the adaptive range stays coherent
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dareg-fetch") as pool:
            pending: Future[DecodedBatch] | None = (
                pool.submit(fetch_from, start) if start <= target else None
            )
            while pending is not None:
                batch = pending.result()
                fetched = batch.fetched
                following = fetched.to_block + 1
                stopping = stop is not None and stop.is_set()
                pending = (
                    pool.submit(fetch_from, following)
                    if following <= target and not stopping
                    else None
                )
                try:
                    result = store_batch(self.engine, batch, final_block=final)
                except BaseException:
                    if pending is not None:
                        pending.cancel()
                    raise
                log.debug(
                    "indexed blocks %d..%d of chain %d: %d events, %d evidence",
                    fetched.from_block,
                    fetched.to_block,
                    self.chain_id,
                    result.raw_events,
                    result.evidence,
                )
                indexed = fetched.to_block
                if progress is not None:
                    progress(
                        BatchProgress(
                            from_block=fetched.from_block,
                            to_block=fetched.to_block,
                            target=target,
                            events=result.raw_events,
                        )
                    )
        derived.refresh_in(self.engine, self.chain_id)
        return indexed

    # --- following ------------------------------------------------------------------------

    def follow(
        self,
        stop: threading.Event,
        poll_interval: float,
        on_error: Callable[[Exception], None] | None = None,
        *,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        """Keep the mirror in step with the chain until ``stop`` is set.

        Syncs, then waits ``poll_interval`` seconds, and again. A transient failure (see
        :func:`is_transient`; e.g. :class:`ChainUnreachableError`) is passed to ``on_error`` (or
        logged) and retried after a pause that doubles with each consecutive failure, up to
        ``max_backoff`` seconds. Any other error is passed to ``on_error`` too and then raised:
        an :class:`IndexerError` needs a person, and retrying would only repeat it. ``stop`` is
        honoured between batches and during every pause.
        """
        if poll_interval <= 0:
            raise ConfigurationError(f"poll_interval must be positive, not {poll_interval}")
        with self._lock:
            self._follow(stop, poll_interval, on_error, max_backoff)

    def _follow(
        self,
        stop: threading.Event,
        poll_interval: float,
        on_error: Callable[[Exception], None] | None,
        max_backoff: float,
    ) -> None:
        failures = 0
        while not stop.is_set():
            try:
                self._sync(stop)
            except Exception as exc:
                if not is_transient(exc):
                    self._report(exc, on_error, None)
                    raise
                failures += 1
                delay = min(max_backoff, poll_interval * 2 ** min(failures, 32))
                self._report(exc, on_error, delay)
                stop.wait(delay)
                continue
            failures = 0
            stop.wait(poll_interval)

    @staticmethod
    def _report(
        exc: Exception, on_error: Callable[[Exception], None] | None, delay: float | None
    ) -> None:
        if on_error is not None:
            on_error(exc)
        elif delay is None:
            log.error("indexer stopped: %s", exc)
        else:
            log.warning(
                "indexer: %s; retrying in %.1f s",
                exc,
                delay,
                exc_info=not isinstance(exc, DaregError),
            )
