"""How nodes refuse an ``eth_getLogs`` range as too large, and the range they suggest instead.

Nodes cap ``eth_getLogs`` (by block span, result count or response size) and say so in words
that differ from one client or provider to the next. The indexer's fetcher
(:mod:`registry.indexer.fetch`) halves a refused range or takes the suggested one; the audit
(:mod:`registry.audit.service`) does the same when it reads the node's logs to compare them with
the mirror. Both recognise a refusal and choose the narrower range here
(:func:`narrower_span`); nothing in this module talks to the node.
"""

from __future__ import annotations

import re

from registry.errors import ChainError, ChainUnreachableError

#: Messages with which nodes and RPC providers refuse an ``eth_getLogs`` range as too large
#: (geth, Erigon, Nethermind, Besu, Infura, Alchemy, QuickNode, public gateways ...).
_RANGE_REFUSAL = re.compile(
    r"too many (results|logs|blocks)|more than \d+ (results|logs)|limit exceeded"
    r"|exceed(s|ed)? (the )?(max|maximum|limit)|range (is )?too (large|wide|big)"
    r"|block range|response size|too large|query timeout|result window",
    re.IGNORECASE,
)


#: "Try with this block range [0x1, 0x2]" and the like: the range a provider says would work.
_SUGGESTED = re.compile(r"\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\]")


def suggested_range(exc: BaseException, from_block: int) -> int | None:
    """The span (in blocks) the node suggests in its refusal, if it names a usable range
    starting at ``from_block``."""
    match = _SUGGESTED.search(str(exc))
    if match is None:
        return None
    start, end = int(match.group(1), 16), int(match.group(2), 16)
    if start != from_block or end < start:
        return None
    return end - start + 1


def is_range_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` looks like the node refusing an ``eth_getLogs`` range as too large.

    A read timeout counts too: on a busy node a too-wide query often just never answers. A
    refused connection does not; that is the node being down.
    """
    if isinstance(exc, ChainUnreachableError):
        cause = exc.__cause__
        return cause is not None and (
            isinstance(cause, TimeoutError) or "ReadTimeout" in type(cause).__name__
        )
    return bool(_RANGE_REFUSAL.search(str(exc)))


def narrower_span(
    exc: BaseException, from_block: int, to_block: int, *, take_suggestion: bool
) -> int:
    """The span (in blocks) to ask for next after the node failed ``eth_getLogs`` of
    ``from_block..to_block`` with ``exc``: half the range, or (``take_suggestion``) the smaller
    range the node suggests. ``exc`` is raised again unless it is a range refusal
    (:func:`is_range_refusal`), and a :class:`ChainError` if even one block is refused.
    """
    if not is_range_refusal(exc):
        raise exc
    if to_block == from_block:
        raise ChainError(
            f"the node refuses the registry's logs of block {from_block} even on their own ({exc})"
        ) from exc
    span = to_block - from_block + 1
    hint = suggested_range(exc, from_block) if take_suggestion else None
    return hint if hint is not None and hint < span else max(1, span // 2)
