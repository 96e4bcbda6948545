"""Serve: read-only queries over the chain mirror.

Last stage of the indexer pipeline (fetch -> decode -> store -> serve). Nothing here writes;
the API and the CLI read the mirror only through these functions, so the schema stays private
to :mod:`registry.db` and :mod:`registry.indexer`.
"""

from __future__ import annotations

from typing import Any

from eth_utils.address import is_address, to_checksum_address
from sqlalchemy import Engine, func, select

from registry.db.models import cursor_table, evidence_table
from registry.domain.evidence import EvidenceRecord, format_fingerprint
from registry.errors import InputError, MalformedFingerprintError

#: Largest page :func:`list_evidence` serves.
MAX_PAGE = 1000


def _record(row: Any) -> EvidenceRecord:
    return EvidenceRecord(
        fingerprint=bytes.fromhex(row.fingerprint.removeprefix("0x")),
        anchorer=row.anchorer,
        anchored_at=row.anchored_at,
        block_number=row.block_number,
        tx_hash=row.tx_hash,
        relayer=row.relayer,
    )


def normalise_address(address: str) -> str:
    """``address`` in the EIP-55 checksummed form the mirror stores; :class:`InputError` if bad."""
    candidate = address.strip()
    if not is_address(candidate):
        raise InputError(
            f"malformed address {address[:80]!r}: expected 0x followed by 40 hex digits",
            address=address[:80],
        )
    return str(to_checksum_address(candidate))


def indexer_head(engine: Engine, chain_id: int) -> int | None:
    """The last block of ``chain_id`` the mirror holds completely (``None``: never synced)."""
    with engine.connect() as connection:
        value = connection.execute(
            select(cursor_table.c.last_block).where(cursor_table.c.chain_id == chain_id)
        ).scalar_one_or_none()
    return None if value is None else int(value)


def evidence_by_fingerprint(engine: Engine, fingerprint: bytes) -> EvidenceRecord | None:
    """The mirrored evidence of ``fingerprint`` (32 bytes), or ``None`` if it is not anchored
    (as far as the mirror has seen)."""
    if len(fingerprint) != 32:
        raise MalformedFingerprintError(
            f"malformed fingerprint: expected 32 bytes, got {len(fingerprint)}"
        )
    with engine.connect() as connection:
        row = connection.execute(
            select(evidence_table).where(
                evidence_table.c.fingerprint == format_fingerprint(fingerprint)
            )
        ).one_or_none()
    return None if row is None else _record(row)


def list_evidence(
    engine: Engine, *, anchorer: str | None = None, limit: int = 50, offset: int = 0
) -> list[EvidenceRecord]:
    """Mirrored evidence, newest first (by block, then position in the block).

    ``anchorer`` (any letter case) keeps only that party's anchors. ``limit`` is 1 to
    :data:`MAX_PAGE`; ``offset`` skips that many records.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}, not {limit}", limit=limit)
    if offset < 0:
        raise InputError(f"offset must not be negative, not {offset}", offset=offset)
    statement = select(evidence_table)
    if anchorer is not None:
        statement = statement.where(evidence_table.c.anchorer == normalise_address(anchorer))
    statement = (
        statement.order_by(
            evidence_table.c.block_number.desc(),
            evidence_table.c.log_index.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(statement)]


def count_evidence(engine: Engine, *, anchorer: str | None = None) -> int:
    """How many fingerprints the mirror holds (only ``anchorer``'s, if given)."""
    statement = select(func.count()).select_from(evidence_table)
    if anchorer is not None:
        statement = statement.where(evidence_table.c.anchorer == normalise_address(anchorer))
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())
