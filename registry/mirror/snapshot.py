"""For the audit: the mirror's raw events of a block range and its certificate state.

Read-only, like the rest of :mod:`registry.mirror`, and batched: one query per table, never
one per log or per certificate. :func:`certificate_snapshot` reads the derived tables as one
consistent state even while the indexer writes: it notes the cursor, reads, and reads the
cursor again, retrying when a batch was stored in between (the store writes a batch and moves
the cursor in one transaction, so an unchanged cursor means every read saw the same batches).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from registry.db.models import (
    freeze_table,
    pledge_table,
    raw_event_table,
    registration_table,
    valuation_table,
)
from registry.domain.chain import ChainLog
from registry.domain.rights import PledgeStatus
from registry.domain.valuation import ValuationStatus
from registry.errors import MirrorBusyError
from registry.mirror.common import indexed_cursor, row_of

#: How often :func:`certificate_snapshot` reads again when the indexer moved meanwhile.
SNAPSHOT_ATTEMPTS = 5


@dataclass(frozen=True)
class MirroredPledge:
    """A pledge the mirror holds as live (``secured_amount`` as stored: decimal text)."""

    id: int
    pledgee: str
    secured_amount: str
    currency: str


@dataclass(frozen=True)
class MirroredCertificate:
    """One registration as the mirror holds it, with its live pledges, freeze and newest active
    valuation. ``status`` is the stored text (never ``expired``); ``last_block`` is the newest
    block of any event the mirror applied to these facts (registration, pledges, freeze,
    valuations)."""

    token_id: int
    holder: str
    status: str
    valid_until: datetime | None
    certificate_number: str | None
    fingerprint: str
    metadata_hash: str
    version: int
    live_pledges: tuple[MirroredPledge, ...]
    frozen: bool
    latest_valuation: int | None
    submitted_block: int
    last_block: int


@dataclass(frozen=True)
class CertificateSnapshot:
    """The mirror's certificates (by token id) as of its cursor ``indexed_head``."""

    indexed_head: int | None
    certificates: Mapping[int, MirroredCertificate]


def _read_certificates(
    connection: Connection, chain_id: int, token_ids: Collection[int] | None
) -> dict[int, MirroredCertificate]:
    reg, p, f, v = registration_table, pledge_table, freeze_table, valuation_table

    def scoped(statement: Any, column: Any) -> Any:
        statement = statement.where(column.table.c.chain_id == chain_id)
        return statement if token_ids is None else statement.where(column.in_(sorted(token_ids)))

    registrations = connection.execute(scoped(select(reg), reg.c.id)).all()
    last: dict[int, int] = defaultdict(int)
    live: dict[int, list[MirroredPledge]] = defaultdict(list)
    for r in connection.execute(scoped(select(p), p.c.token_id).order_by(p.c.id)):
        token = int(r.token_id)
        last[token] = max(last[token], int(r.last_block))
        if r.status == PledgeStatus.LIVE.value:
            live[token].append(row_of(MirroredPledge, r))
    frozen: dict[int, bool] = {}
    for r in connection.execute(scoped(select(f), f.c.token_id)):
        token = int(r.token_id)
        frozen[token] = bool(r.frozen)
        last[token] = max(last[token], int(r.last_block))
    newest: dict[int, int] = {}
    statement = select(
        v.c.token_id,
        func.max(v.c.last_block).label("last_block"),
        func.max(v.c.id).filter(v.c.status == ValuationStatus.ACTIVE.value).label("latest"),
    ).group_by(v.c.token_id)
    for r in connection.execute(scoped(statement, v.c.token_id)):
        token = int(r.token_id)
        last[token] = max(last[token], int(r.last_block))
        if r.latest is not None:
            newest[token] = int(r.latest)
    out: dict[int, MirroredCertificate] = {}
    for r in registrations:
        token = int(r.id)
        out[token] = row_of(
            MirroredCertificate,
            r,
            token_id=token,
            live_pledges=tuple(live.get(token, ())),
            frozen=frozen.get(token, False),
            latest_valuation=newest.get(token),
            last_block=max(last[token], int(r.last_block), int(r.submitted_block)),
        )
    return out


def certificate_snapshot(
    engine: Engine, chain_id: int, token_ids: Collection[int] | None = None
) -> CertificateSnapshot:
    """The mirror's registrations of ``chain_id`` (only ``token_ids``, if given) with their
    live pledges, freezes and newest active valuations, all as of one cursor position."""
    for _ in range(SNAPSHOT_ATTEMPTS):
        with engine.connect() as connection:
            before = indexed_cursor(connection, chain_id)
            certificates = _read_certificates(connection, chain_id, token_ids)
            after = indexed_cursor(connection, chain_id)
        if before == after:
            return CertificateSnapshot(
                indexed_head=None if after is None else after[0], certificates=certificates
            )
    raise MirrorBusyError(
        f"the mirror of chain {chain_id} kept changing while it was read "
        f"({SNAPSHOT_ATTEMPTS} attempts); try again",
        chain_id=chain_id,
    )


def _topics(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(t) for t in value)
    return (str(value),)


def raw_events_between(
    engine: Engine, chain_id: int, from_block: int, to_block: int
) -> list[ChainLog]:
    """Every raw event the mirror holds for blocks ``from_block..to_block`` of ``chain_id``, in
    chain order, as the logs the node returned (one query)."""
    t = raw_event_table
    statement = (
        select(
            t.c.block_number,
            t.c.log_index,
            t.c.block_hash,
            t.c.tx_hash,
            t.c.address,
            t.c.topics,
            t.c.data,
        )
        .where(
            t.c.chain_id == chain_id,
            t.c.block_number >= from_block,
            t.c.block_number <= to_block,
        )
        .order_by(t.c.block_number, t.c.log_index)
    )
    with engine.connect() as connection:
        return [
            ChainLog(
                address=str(r.address),
                topics=_topics(r.topics),
                data=str(r.data),
                block_number=int(r.block_number),
                block_hash=str(r.block_hash),
                tx_hash=str(r.tx_hash),
                log_index=int(r.log_index),
            )
            for r in connection.execute(statement)
        ]
