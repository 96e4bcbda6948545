"""The block a regulator's answer is "as of": ``as_of_block`` or ``as_of_time``, never both.

Without either, the answer is as of the mirror's indexed head. A time maps to the last mirrored
block whose timestamp is at or before it (:func:`registry.mirror.history.block_at_time`); a
time before anything the mirror holds is block 0 (an answer with nothing in it). The time an
answer states is the timestamp of the last mirrored block at or before its block (blocks without
registry events have no stored header and change nothing the mirror keeps).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from registry.db.models import block_table
from registry.errors import InputError
from registry.mirror.head import indexer_head
from registry.mirror.history import block_at_time


@dataclass(frozen=True)
class AsOf:
    """The block an answer is as of, and the time of the state it shows (``None``: before
    any mirrored block)."""

    block: int
    time: datetime | None


def block_time(engine: Engine, chain_id: int, block: int) -> datetime | None:
    """Timestamp of the last mirrored block at or before ``block``."""
    t = block_table
    with engine.connect() as connection:
        found = connection.execute(
            select(t.c.timestamp)
            .where(t.c.chain_id == chain_id, t.c.number <= block)
            .order_by(t.c.number.desc())
            .limit(1)
        ).scalar()
    return None if found is None else datetime.fromtimestamp(int(found), tz=UTC)


def resolve_as_of(
    engine: Engine,
    chain_id: int,
    as_of_block: int | None = None,
    as_of_time: datetime | None = None,
) -> AsOf:
    """The :class:`AsOf` of a query; :class:`InputError` when both are given, for a negative
    block or one beyond the mirror's head, and for a time without a timezone."""
    if as_of_block is not None and as_of_time is not None:
        raise InputError("give as_of_block or as_of_time, not both")
    head = indexer_head(engine, chain_id) or 0
    if as_of_block is not None:
        if as_of_block < 0:
            raise InputError(f"as_of_block must not be negative, not {as_of_block}")
        if as_of_block > head:
            raise InputError(
                f"block {as_of_block} is beyond the mirror's indexed head {head}",
                as_of_block=as_of_block,
                head=head,
            )
        block = as_of_block
    elif as_of_time is not None:
        if as_of_time.tzinfo is None or as_of_time.utcoffset() is None:
            raise InputError(f"the time {as_of_time.isoformat()} has no timezone")
        found = block_at_time(engine, chain_id, as_of_time)
        block = 0 if found is None else min(found, head)
    else:
        block = head
    return AsOf(block=block, time=block_time(engine, chain_id, block))
