"""How far the mirror has read the chain: the cursor's last block, the indexed head."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, select

from registry.db.models import cursor_table


def indexer_head(engine: Engine, chain_id: int) -> int | None:
    """The last block of ``chain_id`` the mirror holds completely (``None``: never synced)."""
    with engine.connect() as connection:
        return head_in(connection, chain_id)


def head_in(connection: Connection, chain_id: int) -> int | None:
    """:func:`indexer_head` read in ``connection`` (inside a caller's transaction)."""
    value = connection.execute(
        select(cursor_table.c.last_block).where(cursor_table.c.chain_id == chain_id)
    ).scalar_one_or_none()
    return None if value is None else int(value)
