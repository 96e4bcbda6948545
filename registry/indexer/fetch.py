"""Fetch: the registry's logs and the headers that go with them, one block range at a time.

First stage of the indexer pipeline (fetch -> decode -> store -> serve). A :class:`LogFetcher`
asks the node for the logs of the registry's contracts with the registry's event topics, in
ranges of at most ``log_range`` blocks. Nodes cap ``eth_getLogs`` (by block span, result count
or response size); when the node refuses a range as too large the fetcher halves it and tries
again (or takes the range the node suggests in its refusal, as several providers do), and after
each success grows it back towards ``log_range``.

Block headers are fetched only for blocks that hold logs, plus the last block of each batch,
whose hash becomes the indexer's cursor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import groupby

from registry.chain.client import ChainClient
from registry.chain.ranges import narrower_span
from registry.domain.chain import BlockHeader, ChainLog
from registry.errors import ChainError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchedBatch:
    """Everything the chain says about blocks ``from_block..to_block`` that the mirror keeps.

    ``logs`` are in chain order; ``headers`` hold one header per block that has logs;
    ``tip`` is the header of ``to_block`` (it may also appear in ``headers``).
    """

    chain_id: int
    from_block: int
    to_block: int
    tip: BlockHeader
    logs: tuple[ChainLog, ...]
    headers: tuple[BlockHeader, ...]


class LogFetcher:
    """Fetches the registry's logs in adaptive block ranges."""

    def __init__(
        self,
        client: ChainClient,
        chain_id: int,
        addresses: list[str],
        topics: list[str],
        *,
        log_range: int = 2000,
    ) -> None:
        if log_range < 1:
            raise ValueError(f"log_range must be at least 1, not {log_range}")
        if not addresses:
            raise ValueError("the registry has no contract addresses to fetch logs from")
        self._client = client
        self.chain_id = chain_id
        self.addresses = list(addresses)
        self.topics = list(topics)
        self.max_range = log_range
        self.range = log_range

    def fetch(self, from_block: int, last_block: int) -> FetchedBatch:
        """The next batch, starting at ``from_block`` and ending at ``last_block`` at the latest.

        The batch spans the current range (fewer blocks if the node refuses). Raises
        :class:`ChainError` if the node refuses even a single block, and
        :class:`ChainUnreachableError` if it cannot be reached.
        """
        if last_block < from_block:
            raise ValueError(f"empty block range {from_block}..{last_block}")
        while True:
            to_block = min(last_block, from_block + self.range - 1)
            # The tip header is read before the logs: if the chain reorganises in between, the
            # stored cursor hash belongs to the old chain and the next sync notices.
            tip = self._client.block(to_block)
            try:
                logs = self._client.get_logs(
                    self.addresses, from_block, to_block, [self.topics] if self.topics else None
                )
            except Exception as exc:
                self.range = narrower_span(exc, from_block, to_block, take_suggestion=True)
                log.info(
                    "node refused logs of blocks %d..%d (%s); retrying with %d blocks",
                    from_block,
                    to_block,
                    exc,
                    self.range,
                )
                continue
            self.range = min(self.max_range, self.range * 2)
            return FetchedBatch(
                chain_id=self.chain_id,
                from_block=from_block,
                to_block=to_block,
                tip=tip,
                logs=tuple(sorted(logs, key=lambda x: (x.block_number, x.log_index))),
                headers=self._headers(logs, tip),
            )

    def _headers(self, logs: list[ChainLog], tip: BlockHeader) -> tuple[BlockHeader, ...]:
        """Headers of the blocks holding ``logs``, each checked against the logs' block hash."""
        headers: list[BlockHeader] = []
        ordered = sorted(logs, key=lambda x: x.block_number)
        for number, group in groupby(ordered, key=lambda x: x.block_number):
            hashes = {entry.block_hash for entry in group}
            header = tip if number == tip.number else self._client.block(number)
            if hashes != {header.hash}:
                raise ChainError(
                    f"the chain changed while block {number} was being indexed (its logs name "
                    f"block hash {', '.join(sorted(hashes))}, its header {header.hash}); "
                    "the batch will be fetched again"
                )
            headers.append(header)
        return tuple(headers)
