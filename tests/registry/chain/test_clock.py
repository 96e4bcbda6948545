"""``ChainClock``: "now" is the wall clock, never earlier than the head block's time."""

from __future__ import annotations

from registry.chain.client import ChainClient
from registry.chain.clock import ChainClock


def test_now_is_the_wall_clock_when_the_chain_is_behind(chain: ChainClient) -> None:
    head = chain.block().timestamp
    clock = ChainClock(chain, lambda: head + 3600.7)
    assert clock.now() == head + 3600
    assert clock.deadline(600) == head + 4200


def test_now_is_never_earlier_than_the_head_blocks_time(chain: ChainClient) -> None:
    head = chain.block().timestamp
    assert ChainClock(chain, lambda: head - 86_400.0).now() == head
    chain.rpc("evm_increaseTime", [7200])
    chain.rpc("evm_mine")
    moved = chain.block().timestamp
    assert moved >= head + 7200
    assert ChainClock(chain, lambda: float(head)).deadline(30) == moved + 30
