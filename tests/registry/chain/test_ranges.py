"""Which node errors refuse an ``eth_getLogs`` range (the rule of the fetcher and the audit)."""

from __future__ import annotations

from registry.chain.ranges import is_range_refusal
from registry.errors import ChainUnreachableError


def test_which_errors_count_as_range_refusals() -> None:
    assert is_range_refusal(ValueError("query returned more than 10000 results"))
    assert is_range_refusal(RuntimeError("eth_getLogs is limited to a 10,000 block range"))
    assert is_range_refusal(RuntimeError("exceed maximum block range: 5000"))
    assert not is_range_refusal(RuntimeError("execution reverted"))
    unreachable = ChainUnreachableError("cannot reach the chain")
    unreachable.__cause__ = ConnectionRefusedError()
    assert not is_range_refusal(unreachable)
    slow = ChainUnreachableError("cannot reach the chain")
    slow.__cause__ = TimeoutError()
    assert is_range_refusal(slow)
