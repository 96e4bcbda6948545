"""Column types, column groups and foreign keys that the migrations under ``versions/`` share.

A migration's effect is frozen once released, and so is everything here: never change what a
helper returns (that would change the DDL of every revision that uses it); add a new helper
instead. Each call builds new :class:`~sqlalchemy.Column` objects, as a table needs its own.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

HASH = sa.String(length=66)
ADDRESS = sa.String(length=42)
WHEN = sa.DateTime(timezone=True)


def bigints(*names: str) -> list[sa.Column[Any]]:
    """``BIGINT NOT NULL`` columns, e.g. the key ``("chain_id", "token_id")``."""
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in names]


def event_key() -> list[sa.Column[Any]]:
    """``(chain_id, block_number, log_index)``: the position of a log on chain."""
    return [
        *bigints("chain_id", "block_number"),
        sa.Column("log_index", sa.Integer(), nullable=False),
    ]


def position(prefix: str, *, tx_hash: bool = False) -> list[sa.Column[Any]]:
    """``<prefix>_block`` and ``<prefix>_log_index`` (and ``<prefix>_tx_hash``): the position of
    the event that created (``submitted``, ``registered``, ``granted``) or last changed
    (``last``, ``updated``) a row."""
    columns: list[sa.Column[Any]] = [
        sa.Column(f"{prefix}_block", sa.BigInteger(), nullable=False),
        sa.Column(f"{prefix}_log_index", sa.Integer(), nullable=False),
    ]
    if tx_hash:
        columns.append(sa.Column(f"{prefix}_tx_hash", HASH, nullable=False))
    return columns


def raw_event_fk(block: str, log_index: str, name: str) -> sa.ForeignKeyConstraint:
    """``(chain_id, block, log_index)`` -> ``raw_event``, ``ON DELETE CASCADE``."""
    return sa.ForeignKeyConstraint(
        ["chain_id", block, log_index],
        ["raw_event.chain_id", "raw_event.block_number", "raw_event.log_index"],
        name=name,
        ondelete="CASCADE",
    )


def registration_fk(name: str, column: str = "token_id") -> sa.ForeignKeyConstraint:
    """``(chain_id, column)`` -> ``registration``, ``ON DELETE CASCADE``."""
    return sa.ForeignKeyConstraint(
        ["chain_id", column],
        ["registration.chain_id", "registration.id"],
        name=name,
        ondelete="CASCADE",
    )


def columns_of(type_: Any, *names: str, nullable: bool = False) -> list[sa.Column[Any]]:
    """Columns of one type and nullability, e.g. ``columns_of(HASH, "tip_hash", "base_hash")``."""
    return [sa.Column(name, type_, nullable=nullable) for name in names]


def cascade_fk(
    name: str, columns: list[str], referred: str, referred_columns: list[str]
) -> sa.ForeignKeyConstraint:
    """``columns`` -> ``referred(referred_columns)``, ``ON DELETE CASCADE``."""
    return sa.ForeignKeyConstraint(
        columns,
        [f"{referred}.{column}" for column in referred_columns],
        name=name,
        ondelete="CASCADE",
    )
