"""Evidence as mirrored: one fingerprint's record, and lists of them (newest first)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from registry.db.models import evidence_table
from registry.domain.evidence import EvidenceRecord, format_fingerprint
from registry.errors import MalformedFingerprintError
from registry.mirror.common import check_page, normalise_address, row_of


def _record(row: Any) -> EvidenceRecord:
    return row_of(
        EvidenceRecord, row, fingerprint=bytes.fromhex(row.fingerprint.removeprefix("0x"))
    )


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
    check_page(limit, offset)
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
