"""The indexer: keeps the SQL mirror in step with the chain.

:class:`Indexer` drives the pipeline fetch (:mod:`.fetch`) -> decode (:mod:`.decode`) ->
store (:mod:`.store`) in block batches, from its stored cursor (or the deployment block) up to
``head - finality_depth``; :mod:`.queries` serves what it stored. ``sync_once`` catches up once;
``follow`` keeps catching up until told to stop, riding out node outages with backoff.

This first version refuses to continue when the chain no longer matches the mirror (another
chain id, or a different hash at the cursor block): it raises :class:`IndexerError` and deletes
nothing. Rolling back reorganised blocks comes later.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from registry.chain.client import ChainClient
from registry.domain.deployment import DeploymentManifest
from registry.errors import ChainError, ConfigurationError, DaregError, IndexerError
from registry.indexer import queries
from registry.indexer.decode import Decoder
from registry.indexer.fetch import LogFetcher
from registry.indexer.store import Cursor, cursor_chain_ids, read_cursor, store_batch

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
    ) -> None:
        if finality_depth < 0:
            raise ConfigurationError(f"finality_depth must not be negative, not {finality_depth}")
        if log_range < 1:
            raise ConfigurationError(f"log_range must be at least 1, not {log_range}")
        if not manifest.contracts:
            raise ConfigurationError("the deployment manifest lists no contracts to index")
        self.client = client
        self.manifest = manifest
        self.engine = engine
        self.finality_depth = finality_depth
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

    # --- reading --------------------------------------------------------------------------

    def indexed_head(self) -> int | None:
        """The last block the mirror holds completely, or ``None`` before the first batch."""
        return queries.indexer_head(self.engine, self.chain_id)

    # --- catching up ----------------------------------------------------------------------

    def sync_once(self) -> int:
        """Index every block from the cursor up to ``head - finality_depth``.

        Returns the indexed head: the last block the mirror now holds completely. Before the
        chain reaches ``deploy_block + finality_depth`` that is ``deploy_block - 1`` (nothing of
        the registry exists before its deployment block). Raises :class:`IndexerError` if the
        mirror belongs to another chain or the chain changed below the cursor, and
        :class:`ChainUnreachableError` if the node cannot be reached.
        """
        return self._sync(None)

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
        if head < cursor.last_block:
            raise IndexerError(
                f"the chain's head is block {head}, behind block {cursor.last_block} that the "
                f"mirror already holds: the chain was reset or reorganised; rebuild the mirror",
                chain_id=self.chain_id,
            )
        found = self.client.block(cursor.last_block).hash
        if found != cursor.last_block_hash:
            raise IndexerError(
                f"block {cursor.last_block} has hash {found} on chain {self.chain_id}, not the "
                f"{cursor.last_block_hash} the mirror recorded: the chain reorganised below the "
                "indexed head; rebuild the mirror",
                chain_id=self.chain_id,
            )
        return cursor

    def _sync(self, stop: threading.Event | None) -> int:
        head = self.client.head()
        cursor = self._check(head)
        start = self.manifest.deploy_block if cursor is None else cursor.last_block + 1
        indexed = start - 1
        target = head - self.finality_depth
        while start <= target:
            if stop is not None and stop.is_set():
                break
            fetched = self._fetcher.fetch(start, target)
            result = store_batch(self.engine, self._decoder.decode(fetched))
            log.debug(
                "indexed blocks %d..%d of chain %d: %d events, %d evidence",
                fetched.from_block,
                fetched.to_block,
                self.chain_id,
                result.raw_events,
                result.evidence,
            )
            indexed = fetched.to_block
            start = indexed + 1
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
