"""Tracing: the chain of custody of an asset, and everything one party ever held, licensed or
pledged, each with its period ``[from, to)`` (``to`` ``None``: still running as of the answer's
block).

* Custody starts when the certificate is issued (``asset_version`` 1) with the holder it was
  issued to; every ``CertificateTransferred`` (``transfer`` table) ends a period and starts the
  next, whose ``reason`` is the transfer's reason (sale, inheritance, merger, court_order,
  pledge_enforcement), ``issued`` for the first. Cancellation or revocation does not end a
  period (the holder keeps the cancelled certificate).
* A party's trace joins the custody periods it held (relation ``holder``), the licences and
  sublicences it granted (``licensor``) or received (``licensee``) from their grant to their
  termination, and the pledges it gave (``pledgor``, the pledge's current pledgor) or took
  (``pledgee``) from registration to release or enforcement.

Filters (:class:`TraceFilter`): a window in blocks and/or times keeps the entries whose period
overlaps it; ``level`` keeps assets of that classification level; ``reason`` keeps the custody
periods acquired for that reason (and drops licences and pledges, which have none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Table, or_, select

from registry.db.models import (
    asset_version_table,
    licence_table,
    pledge_event_table,
    pledge_table,
    registration_table,
    transfer_table,
)
from registry.domain.registration import Classification
from registry.domain.rights import TransferReason
from registry.errors import InputError
from registry.mirror import AsOf, normalise_address, row_as_of
from registry.provenance.timeline import Asset, asset_as_of, find_asset

RELATIONS = ("holder", "licensor", "licensee", "pledgor", "pledgee")


@dataclass(frozen=True)
class TraceFilter:
    """Which entries to keep (every field optional)."""

    from_block: int | None = None
    to_block: int | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None
    level: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        for moment in (self.from_time, self.to_time):
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise InputError(f"the time {moment.isoformat()} has no timezone")
        if self.level is not None and self.level not in {c.value for c in Classification}:
            raise InputError(
                f"unknown classification level {self.level!r}: one of "
                + ", ".join(c.value for c in Classification)
            )
        reasons = {r.value for r in TransferReason} | {"issued"}
        if self.reason is not None and self.reason not in reasons:
            raise InputError(
                f"unknown reason {self.reason!r}: one of " + ", ".join(sorted(reasons))
            )
        if (
            self.from_block is not None
            and self.to_block is not None
            and self.from_block > self.to_block
        ) or (
            self.from_time is not None
            and self.to_time is not None
            and self.from_time > self.to_time
        ):
            raise InputError("the window's start is after its end")

    def overlaps(
        self,
        from_block: int,
        from_time: datetime,
        to_block: int | None,
        to_time: datetime | None,
    ) -> bool:
        """Whether the period ``[from, to)`` overlaps the window."""
        if self.to_block is not None and from_block > self.to_block:
            return False
        if self.to_time is not None and from_time > self.to_time:
            return False
        if self.from_block is not None and to_block is not None and to_block <= self.from_block:
            return False
        return not (
            self.from_time is not None and to_time is not None and to_time <= self.from_time
        )


@dataclass(frozen=True)
class CustodyPeriod:
    """One holder's period; ``reason`` is how the holder acquired it, ``previous_holder``
    from whom (``None`` for the first holder), ``document_hash`` the transfer's document."""

    holder: str
    reason: str
    previous_holder: str | None
    document_hash: str | None
    from_block: int
    from_log_index: int
    from_time: datetime
    from_tx_hash: str
    to_block: int | None
    to_time: datetime | None


@dataclass(frozen=True)
class Custody:
    asset: Asset
    as_of: AsOf
    periods: list[CustodyPeriod]


@dataclass(frozen=True)
class TraceEntry:
    """One thing a party held, licensed or pledged (see :data:`RELATIONS`), with its period."""

    relation: str
    token_id: int
    certificate_number: str | None
    registration_number: str
    level: str
    from_block: int
    from_time: datetime
    from_tx_hash: str
    to_block: int | None
    to_time: datetime | None
    reason: str | None
    counterparty: str | None
    reference: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartyTrace:
    party: str
    as_of: AsOf
    entries: list[TraceEntry]


def custody_periods(
    engine: Engine, chain_id: int, token_id: int, block: int
) -> list[CustodyPeriod]:
    """Every holder of certificate ``token_id`` from its issue up to block ``block``."""
    av, t = asset_version_table, transfer_table
    with engine.connect() as connection:
        issued = connection.execute(
            select(av).where(
                av.c.chain_id == chain_id,
                av.c.registration_id == token_id,
                av.c.version == 1,
                av.c.block_number <= block,
            )
        ).one_or_none()
        if issued is None:
            return []
        moves = connection.execute(
            select(t)
            .where(t.c.chain_id == chain_id, t.c.token_id == token_id, t.c.block_number <= block)
            .order_by(t.c.block_number, t.c.log_index)
        ).all()
    first = row_as_of(
        engine,
        chain_id,
        "registration",
        {"chain_id": chain_id, "id": token_id},
        issued.block_number,
    )
    holder = moves[0].from_address if moves else (first or {}).get("holder", issued.changed_by)
    periods: list[CustodyPeriod] = []
    start: tuple[str, str | None, str | None, int, int, datetime, str] = (
        "issued",
        None,
        None,
        issued.block_number,
        issued.log_index,
        issued.changed_at,
        issued.tx_hash,
    )

    def close(to_block: int | None, to_time: datetime | None) -> None:
        """End the current holder's period (``None``: it still holds)."""
        reason, previous, document, b, li, at, tx = start
        periods.append(
            CustodyPeriod(
                holder=holder,
                reason=reason,
                previous_holder=previous,
                document_hash=document,
                from_block=b,
                from_log_index=li,
                from_time=at,
                from_tx_hash=tx,
                to_block=to_block,
                to_time=to_time,
            )
        )

    for move in moves:
        close(move.block_number, move.transferred_at)
        start = (
            move.reason,
            move.from_address,
            move.document_hash,
            move.block_number,
            move.log_index,
            move.transferred_at,
            move.tx_hash,
        )
        holder = move.to_address
    close(None, None)
    return periods


def _keep_period(period: CustodyPeriod, filters: TraceFilter) -> bool:
    if filters.reason is not None and period.reason != filters.reason:
        return False
    return filters.overlaps(period.from_block, period.from_time, period.to_block, period.to_time)


def custody(
    engine: Engine,
    chain_id: int,
    number: str,
    as_of: AsOf,
    filters: TraceFilter | None = None,
) -> Custody:
    """The chain of custody of the asset with certificate or registration number ``number``."""
    filters = filters or TraceFilter()
    row = find_asset(engine, number)
    periods = custody_periods(engine, chain_id, row.id, as_of.block)
    if filters.level is not None and row.level.value != filters.level:
        periods = []
    return Custody(
        asset=asset_as_of(engine, chain_id, row, as_of),
        as_of=as_of,
        periods=[p for p in periods if _keep_period(p, filters)],
    )


def _registrations(engine: Engine, ids: Iterable[int]) -> dict[int, Any]:
    t = registration_table
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with engine.connect() as connection:
        return {
            int(r.id): r
            for r in connection.execute(
                select(t.c.id, t.c.registration_number, t.c.certificate_number, t.c.level).where(
                    t.c.id.in_(wanted)
                )
            )
        }


def _involving(
    connection: Connection,
    table: Table,
    chain_id: int,
    parties: tuple[str, str],
    address: str,
    created: str,
    block: int,
) -> Sequence[Row[Any]]:
    """The rows of ``table`` (licences, pledges) with ``address`` in either of the ``parties``
    columns, created (``<created>_block``, ``<created>_log_index``) up to ``block``, in chain
    order."""
    first, second = parties
    return connection.execute(
        select(table)
        .where(
            table.c.chain_id == chain_id,
            or_(table.c[first] == address, table.c[second] == address),
            table.c[f"{created}_block"] <= block,
        )
        .order_by(table.c[f"{created}_block"], table.c[f"{created}_log_index"])
    ).all()


def trace_party(
    engine: Engine,
    chain_id: int,
    party: str,
    as_of: AsOf,
    filters: TraceFilter | None = None,
) -> PartyTrace:
    """Everything ``party`` held, licensed or pledged up to the answer's block, oldest first
    (:class:`~registry.errors.InputError` for a malformed address)."""
    filters = filters or TraceFilter()
    address = normalise_address(party)
    block = as_of.block
    t, r, lic, p, pe = (
        transfer_table,
        registration_table,
        licence_table,
        pledge_table,
        pledge_event_table,
    )
    with engine.connect() as connection:
        tokens: set[int] = set()
        for source, key, party_column in (
            (t, "token_id", "from_address"),
            (t, "token_id", "to_address"),
            (r, "id", "holder"),
        ):
            tokens |= set(
                connection.execute(
                    select(source.c[key]).where(
                        source.c.chain_id == chain_id, source.c[party_column] == address
                    )
                ).scalars()
            )
        licences = _involving(
            connection, lic, chain_id, ("licensor", "licensee"), address, "granted", block
        )
        pledges = _involving(
            connection, p, chain_id, ("pledgor", "pledgee"), address, "registered", block
        )
        closings: dict[int, Any] = {}
        if pledges:
            for event in connection.execute(
                select(pe)
                .where(
                    pe.c.chain_id == chain_id,
                    pe.c.pledge_id.in_([x.id for x in pledges]),
                    pe.c.kind.in_(["released", "enforced", "settled"]),
                    pe.c.block_number <= block,
                )
                .order_by(pe.c.block_number, pe.c.log_index)
            ):
                closings.setdefault(int(event.pledge_id), event)
    registrations = _registrations(
        engine, tokens | {x.token_id for x in licences} | {x.token_id for x in pledges}
    )
    entries: list[TraceEntry] = []

    def base(token: int) -> dict[str, Any]:
        reg = registrations[token]
        return {
            "token_id": token,
            "certificate_number": reg.certificate_number,
            "registration_number": reg.registration_number,
            "level": reg.level,
        }

    for token in sorted(tokens):
        if token not in registrations:
            continue
        for period in custody_periods(engine, chain_id, token, block):
            if period.holder != address:
                continue
            entries.append(
                TraceEntry(
                    relation="holder",
                    from_block=period.from_block,
                    from_time=period.from_time,
                    from_tx_hash=period.from_tx_hash,
                    to_block=period.to_block,
                    to_time=period.to_time,
                    reason=period.reason,
                    counterparty=period.previous_holder,
                    reference=None,
                    details={"document_hash": period.document_hash},
                    **base(token),
                )
            )

    def agreement(
        x: Any,
        sides: tuple[str, str],
        created: str,
        end: tuple[int | None, datetime | None],
        reference: str,
        details: dict[str, Any],
    ) -> None:
        """A licence or a pledge, as the party on either of its two ``sides`` (the columns naming
        the parties) holds it: from the event that ``created`` it (the ``<created>_block``,
        ``_at`` and ``_tx_hash`` columns) to its ``end`` (block and time, ``None`` while it
        lasts); the party on the other side is the counterparty."""
        first, second = sides
        for relation, counterparty in ((first, getattr(x, second)), (second, getattr(x, first))):
            if getattr(x, relation) != address:
                continue
            entries.append(
                TraceEntry(
                    relation=relation,
                    from_block=getattr(x, f"{created}_block"),
                    from_time=getattr(x, f"{created}_at"),
                    from_tx_hash=getattr(x, f"{created}_tx_hash"),
                    to_block=end[0],
                    to_time=end[1],
                    reason=None,
                    counterparty=counterparty,
                    reference=reference,
                    details=dict(details),
                    **base(x.token_id),
                )
            )

    for x in licences:
        # ended by its parties, or settled with its certificate's end (contracts v2)
        ended_at = x.terminated_at if x.terminated_at is not None else x.settled_at
        ended = ended_at is not None and x.last_block <= block
        agreement(
            x,
            ("licensor", "licensee"),
            "granted",
            (x.last_block, ended_at) if ended else (None, None),
            x.voucher_number,
            {
                "licence_id": x.id,
                "parent_id": x.parent_id,
                "right": x.right,
                "exclusive": bool(x.exclusive),
                "start": x.start.isoformat(),
                "end": x.end.isoformat(),
                "terminated": ended and x.terminated_at is not None,
                "settled": ended and x.settled_at is not None,
            },
        )
    for x in pledges:
        closing = closings.get(int(x.id))
        agreement(
            x,
            ("pledgor", "pledgee"),
            "registered",
            (None, None) if closing is None else (closing.block_number, closing.at),
            str(x.id),
            {
                "pledge_id": x.id,
                "secured_amount": x.secured_amount,
                "currency": x.currency,
                "maturity": x.maturity.isoformat(),
                "closed": None if closing is None else closing.kind,
            },
        )
    kept = [
        e
        for e in entries
        if (filters.level is None or e.level == filters.level)
        and (filters.reason is None or e.reason == filters.reason)
        and filters.overlaps(e.from_block, e.from_time, e.to_block, e.to_time)
    ]
    kept.sort(key=lambda e: (e.from_block, RELATIONS.index(e.relation), e.token_id))
    return PartyTrace(party=address, as_of=as_of, entries=kept)
