"""Evidence as mirrored: one fingerprint's first anchor and every anchor of it (each account
anchors a fingerprint at most once), and lists of anchors (newest first)."""

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


def anchors_of_fingerprint(engine: Engine, fingerprint: bytes) -> list[EvidenceRecord]:
    """Every mirrored anchor of ``fingerprint`` (32 bytes), first anchored first; empty if it
    is not anchored (as far as the mirror has seen)."""
    if len(fingerprint) != 32:
        raise MalformedFingerprintError(
            f"malformed fingerprint: expected 32 bytes, got {len(fingerprint)}"
        )
    t = evidence_table
    statement = (
        select(t)
        .where(t.c.fingerprint == format_fingerprint(fingerprint))
        .order_by(t.c.block_number, t.c.log_index)
    )
    with engine.connect() as connection:
        return [_record(row) for row in connection.execute(statement)]


def evidence_by_fingerprint(
    engine: Engine, fingerprint: bytes, anchorer: str | None = None
) -> EvidenceRecord | None:
    """The first mirrored anchor of ``fingerprint`` (32 bytes) (``anchorer``'s own, if given),
    or ``None`` if there is none (as far as the mirror has seen)."""
    anchors = anchors_of_fingerprint(engine, fingerprint)
    if anchorer is not None:
        who = normalise_address(anchorer)
        anchors = [a for a in anchors if normalise_address(a.anchorer) == who]
    return anchors[0] if anchors else None


def list_evidence(
    engine: Engine, *, anchorer: str | None = None, limit: int = 50, offset: int = 0
) -> list[EvidenceRecord]:
    """Mirrored anchors, newest first (by block, then position in the block); a fingerprint
    anchored by several accounts appears once per anchor.

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
    """How many anchors the mirror holds (only ``anchorer``'s, if given)."""
    statement = select(func.count()).select_from(evidence_table)
    if anchorer is not None:
        statement = statement.where(evidence_table.c.anchorer == normalise_address(anchorer))
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())
