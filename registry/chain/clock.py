""" "Now" for the deadlines of signed requests and the checks against them.

The head block's time is not "now" on a development chain that mines only when it is sent a
transaction: after it has been idle for longer than a request's lifetime, a deadline computed
from the head block has passed before the request is even signed (the next block takes the wall
clock's time). "Now" is therefore the wall clock, never earlier than the head block's time (a
chain whose clock runs ahead, as a test chain moved forward does). The wall clock is injected, so
tests move it rather than the process's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from registry.chain.client import ChainClient

#: A wall clock: seconds since the epoch.
WallClock = Callable[[], float]


class ChainClock:
    """The one "now" of the services and routes (:meth:`now`, :meth:`deadline`)."""

    def __init__(self, client: ChainClient, wall: WallClock = time.time) -> None:
        self._client = client
        self._wall = wall

    def now(self) -> int:
        """Seconds since the epoch: the wall clock, never earlier than the head block's time."""
        return max(int(self._wall()), self._client.block().timestamp)

    def deadline(self, ttl: int) -> int:
        """The deadline of a request that stays valid ``ttl`` seconds from now."""
        return self.now() + ttl
