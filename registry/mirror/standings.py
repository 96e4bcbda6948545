"""The standing of every certificate of a registrar in a range of token ids, as the mirror holds
it at its indexed head: what the status lists (:mod:`registry.certificates.status_lists`) are
made of.

One read of a few tables for the whole range (registrations, freezes, pledges, exclusive
licences with the ancestors their liveness depends on), never one query per certificate, and
all of it as of one cursor position: the cursor is read before and after, and the read is
repeated when the indexer stored a batch in between (as :mod:`.snapshot` does). Expiry and
liveness are judged at the time of the indexed head block, which the mirror does not keep (it
stores the headers of blocks with registry logs only): the caller supplies it
(``time_of_block``), so the facts are those ``statusOf``, ``livePledgeOf``, ``freezeOf`` and
``isLive`` give at that block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, select

from registry.db.models import (
    freeze_table,
    licence_table,
    pledge_table,
    registrar_table,
    registration_table,
)
from registry.domain.registration import Status
from registry.domain.rights import PledgeStatus
from registry.errors import MirrorBusyError
from registry.mirror.common import indexed_cursor
from registry.mirror.registrations import effective_status
from registry.mirror.rights import _licence_rows
from registry.mirror.snapshot import SNAPSHOT_ATTEMPTS

#: A time no row is judged at (nothing is read when the mirror was never synced).
_NEVER = datetime.fromtimestamp(0, tz=UTC)

#: ``(block number, block hash) -> block time``: the time of the indexed head block.
BlockTime = Callable[[int, str], datetime]


@dataclass(frozen=True)
class MirroredStanding:
    """One issued (or once issued) certificate as the mirror holds it at ``at_time``.

    ``status`` is the stored lifecycle status, ``effective_status`` the one ``statusOf``
    reports at ``at_time`` (expired once ``valid_until`` has passed); ``frozen`` whether the
    transfer agent holds it frozen; ``pledged`` whether a pledge on it is live (registered,
    neither released, enforced nor settled, on a certificate in force); ``exclusively_licensed``
    whether an exclusive licence or sublicence on it is live at ``at_time`` (as
    ``LicenceRegistry.isLive`` judges); ``open_objections`` the objections not yet ruled."""

    token_id: int
    registrar_code: int
    certificate_number: str
    status: Status
    effective_status: Status
    valid_until: datetime | None
    frozen: bool
    pledged: bool
    exclusively_licensed: bool
    open_objections: int


@dataclass(frozen=True)
class MirroredStandings:
    """The standings of a registrar's certificates with token ids in ``[first, last]``, as of
    the mirror's ``indexed_head`` (``None``: never synced, and no certificates) and its time.

    ``registrar_known``: the registry configured the registrar code (``RegistrarConfigured``);
    ``last_registration_id``: the highest registration id the mirror holds (of any registrar,
    issued or not; ``None``: none)."""

    indexed_head: int | None
    head_hash: str | None
    at_time: datetime | None
    registrar_known: bool
    last_registration_id: int | None
    certificates: tuple[MirroredStanding, ...]


def _read(
    connection: Connection,
    chain_id: int,
    registrar_code: int,
    first: int,
    last: int,
    now: datetime,
) -> tuple[bool, int | None, tuple[MirroredStanding, ...]]:
    reg, f, p, lic = registration_table, freeze_table, pledge_table, licence_table
    known = (
        connection.execute(
            select(registrar_table.c.code).where(
                registrar_table.c.chain_id == chain_id, registrar_table.c.code == registrar_code
            )
        ).first()
        is not None
    )
    highest = connection.execute(
        select(func.max(reg.c.id)).where(reg.c.chain_id == chain_id)
    ).scalar()
    rows = connection.execute(
        select(
            reg.c.id,
            reg.c.registrar_code,
            reg.c.certificate_number,
            reg.c.status,
            reg.c.valid_until,
            reg.c.open_objections,
        )
        .where(
            reg.c.chain_id == chain_id,
            reg.c.registrar_code == registrar_code,
            reg.c.certificate_number.is_not(None),
            reg.c.id >= first,
            reg.c.id <= last,
        )
        .order_by(reg.c.id)
    ).all()
    tokens = {int(r.id) for r in rows}
    frozen: set[int] = set()
    pledged: set[int] = set()
    exclusive: set[int] = set()
    if tokens:
        # ranges of token ids, not lists of them: a page may hold more certificates than a
        # statement may bind parameters; the rows of other registrars are dropped here
        frozen = tokens & {
            int(token)
            for token in connection.execute(
                select(f.c.token_id).where(
                    f.c.chain_id == chain_id,
                    f.c.token_id >= first,
                    f.c.token_id <= last,
                    f.c.frozen.is_(True),
                )
            ).scalars()
        }
        pledged = tokens & {
            int(token)
            for token in connection.execute(
                select(p.c.token_id).where(
                    p.c.chain_id == chain_id,
                    p.c.token_id >= first,
                    p.c.token_id <= last,
                    p.c.status == PledgeStatus.LIVE.value,
                )
            ).scalars()
        }
        candidates = [
            licence
            for licence in connection.execute(
                select(lic).where(
                    lic.c.chain_id == chain_id,
                    lic.c.token_id >= first,
                    lic.c.token_id <= last,
                    lic.c.exclusive.is_(True),
                )
            ).all()
            if int(licence.token_id) in tokens
        ]
        exclusive = {
            licence.token_id
            for licence in _licence_rows(connection, candidates, now)
            if licence.live
        }
    out = []
    for r in rows:
        token = int(r.id)
        status = Status(r.status)
        effective = effective_status(status, r.valid_until, now)
        out.append(
            MirroredStanding(
                token_id=token,
                registrar_code=int(r.registrar_code),
                certificate_number=str(r.certificate_number),
                status=status,
                effective_status=effective,
                valid_until=r.valid_until,
                frozen=token in frozen,
                # a pledge the ledger has not settled yet ends with the certificate
                pledged=token in pledged and effective is Status.ISSUED,
                exclusively_licensed=token in exclusive,
                open_objections=int(r.open_objections),
            )
        )
    return known, None if highest is None else int(highest), tuple(out)


def standings_at_head(
    engine: Engine,
    chain_id: int,
    registrar_code: int,
    first: int,
    last: int,
    time_of_block: BlockTime,
) -> MirroredStandings:
    """The standings of registrar ``registrar_code``'s certificates with token ids ``first`` to
    ``last`` (inclusive), as of the mirror's indexed head; expiry and liveness judged at the
    head block's time, ``time_of_block(number, hash)``. :class:`~registry.errors.MirrorBusyError`
    when the indexer kept moving while the mirror was read."""
    for _ in range(SNAPSHOT_ATTEMPTS):
        with engine.connect() as connection:
            head = indexed_cursor(connection, chain_id)
            if head is None:
                known, highest, _ = _read(connection, chain_id, registrar_code, 1, 0, _NEVER)
                return MirroredStandings(None, None, None, known, highest, ())
        at_time = time_of_block(*head)  # no database transaction held during the chain read
        with engine.connect() as connection:
            if indexed_cursor(connection, chain_id) != head:
                continue
            known, highest, found = _read(
                connection, chain_id, registrar_code, first, last, at_time
            )
            if indexed_cursor(connection, chain_id) == head:
                return MirroredStandings(head[0], head[1], at_time, known, highest, found)
    raise MirrorBusyError(
        f"the mirror of chain {chain_id} kept changing while it was read "
        f"({SNAPSHOT_ATTEMPTS} attempts); try again",
        chain_id=chain_id,
    )
