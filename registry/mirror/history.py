"""History: the mirror "as of" a block or a time.

Derived tables (``registration``, ``pledge``, ``freeze``, ``licence``, ``valuation`` …) hold the
current state. Alongside, ``row_version`` keeps the state of each derived row after every event
that changed it (its image as tagged JSON, see :mod:`registry.db.rows`), keyed by the event's
position. The state of a table as of block ``B`` is, for every row, its latest version at or
before ``B``; rows with no version by then did not exist yet. Append-only tables (``transfer``,
``pledge_event``, ``freeze_event``, ``asset_version``, ``evidence``, ``raw_event``) carry their
block number and need no versions.

A time is turned into a block through the stored headers: the state as of time ``t`` is the
state as of the last mirrored block whose timestamp is at or before ``t`` (state changes only in
blocks with registry events, and those are the blocks whose headers the mirror keeps).

Versions above a restore point are deleted with the rest when a reorganisation is rolled back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from registry.db.models import block_table, row_version_table
from registry.db.rows import Row, decode_row, history_key
from registry.domain.registration import Status
from registry.mirror.registrations import effective_status


def block_at_time(engine: Engine, chain_id: int, moment: datetime) -> int | None:
    """The last mirrored block whose timestamp is at or before ``moment`` (``None``: before
    anything the mirror holds)."""
    t = block_table
    with engine.connect() as connection:
        found = connection.execute(
            select(func.max(t.c.number)).where(
                t.c.chain_id == chain_id, t.c.timestamp <= int(moment.timestamp())
            )
        ).scalar()
    return None if found is None else int(found)


def rows_as_of(
    engine: Engine,
    chain_id: int,
    table_name: str,
    block: int,
    keys: list[Mapping[str, Any]] | None = None,
) -> list[Row]:
    """Every row of ``table_name`` (or only those with the given primary ``keys``) as it was
    after block ``block``, in key order."""
    v = row_version_table
    query = select(v.c.row_key, v.c.block_number, v.c.log_index, v.c.image).where(
        v.c.chain_id == chain_id, v.c.table_name == table_name, v.c.block_number <= block
    )
    if keys is not None:
        query = query.where(v.c.row_key.in_([history_key(k) for k in keys]))
    latest: dict[str, tuple[int, int, Any]] = {}
    with engine.connect() as connection:
        for row_key, number, index, image in connection.execute(query):
            seen = latest.get(row_key)
            if seen is None or (number, index) > seen[:2]:
                latest[row_key] = (number, index, image)
    return [decode_row(latest[k][2]) for k in sorted(latest)]


def row_as_of(
    engine: Engine, chain_id: int, table_name: str, key: Mapping[str, Any], block: int
) -> Row | None:
    """One row as it was after block ``block`` (``None`` if it did not exist yet)."""
    found = rows_as_of(engine, chain_id, table_name, block, [key])
    return found[0] if found else None


@dataclass(frozen=True)
class CertificateAsOf:
    """What the mirror says of one certificate as of a block."""

    token_id: int
    block: int
    holder: str
    status: Status
    version: int
    fingerprint: str
    valid_until: datetime | None
    live_pledge_id: int | None
    frozen: bool
    latest_valuation_id: int | None


def certificate_as_of(
    engine: Engine, chain_id: int, token_id: int, block: int, block_time: datetime
) -> CertificateAsOf | None:
    """The certificate (registration) ``token_id`` as of ``block``, whose time is
    ``block_time`` (for the effective ``expired`` status); ``None`` before it was submitted."""
    registration = row_as_of(
        engine, chain_id, "registration", {"chain_id": chain_id, "id": token_id}, block
    )
    if registration is None:
        return None
    pledges = [
        p
        for p in rows_as_of(engine, chain_id, "pledge", block)
        if p["token_id"] == token_id and p["status"] == "live"
    ]
    freeze = row_as_of(
        engine, chain_id, "freeze", {"chain_id": chain_id, "token_id": token_id}, block
    )
    valuations = [
        v
        for v in rows_as_of(engine, chain_id, "valuation", block)
        if v["token_id"] == token_id and v["status"] == "active"
    ]
    return CertificateAsOf(
        token_id=token_id,
        block=block,
        holder=str(registration["holder"]),
        status=effective_status(
            Status(registration["status"]), registration["valid_until"], block_time
        ),
        version=int(registration["version"]),
        fingerprint=str(registration["fingerprint"]),
        valid_until=registration["valid_until"],
        live_pledge_id=max((int(p["id"]) for p in pledges), default=None),
        frozen=bool(freeze is not None and freeze["frozen"]),
        latest_valuation_id=max((int(v["id"]) for v in valuations), default=None),
    )
