"""The audit of the SQL mirror against the chain: its findings and the block digests.

Pure and typed: nothing here reads the chain or the database. :mod:`registry.audit.service`
gathers both sides and builds an :class:`AuditReport` from these pieces.

The digests (specified in ``docs/audit.md`` so that a third party can recompute them):

* a log's **entry** is the JSON array ``[log_index, block_hash, tx_hash, address, topics, data]``
  with every hex string (hashes, the address, each topic, the data) ``0x``-prefixed lowercase;
* a block's **digest** is ``0x`` + hex SHA-256 of the RFC 8785 (JCS) canonical JSON of
  ``{"block": <number>, "logs": [<entries sorted by log_index>]}``;
* the **range digest** is a hash chain: ``h0`` = SHA-256 of the canonical JSON of
  ``{"chain_id": <id>, "from_block": <from>, "to_block": <to>}``; then for every block that has
  logs, in ascending order, ``h`` = SHA-256 of the canonical JSON of
  ``{"block": <number>, "digest": <block digest>, "previous": <h as 0x-hex>}``. The last ``h``
  (``0x``-hex) is the range digest; a range without logs has ``h0``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Literal, TypeAlias

import rfc8785

from registry.domain.chain import ChainLog

#: A compared value, as JSON shows it.
DriftValue: TypeAlias = str | int | bool | None

#: The raw-event fields compared (the log's position is the key).
LOG_FIELDS: tuple[str, ...] = ("block_hash", "tx_hash", "address", "topics", "data")

EventDriftKind = Literal["missing", "extra", "different"]


# --- the digest --------------------------------------------------------------------------------


def _hex(value: str) -> str:
    text = value.strip().lower()
    return text if text.startswith("0x") else "0x" + text


def log_entry(log: ChainLog) -> list[Any]:
    """The canonical entry of one log: ``[log_index, block_hash, tx_hash, address, topics,
    data]``, hex strings lowercase."""
    return [
        int(log.log_index),
        _hex(log.block_hash),
        _hex(log.tx_hash),
        _hex(log.address),
        [_hex(t) for t in log.topics],
        _hex(log.data),
    ]


def _sha256_json(value: Any) -> str:
    return "0x" + hashlib.sha256(rfc8785.dumps(value)).hexdigest()


def block_digest(block_number: int, logs: Iterable[ChainLog]) -> str:
    """The digest of the logs of block ``block_number`` (``0x`` + 64 hex digits)."""
    entries = sorted((log_entry(log) for log in logs), key=lambda e: (e[0], e[1:]))
    return _sha256_json({"block": int(block_number), "logs": entries})


def range_seed(chain_id: int, from_block: int, to_block: int) -> str:
    """``h0`` of the range digest: binds the chain and the range."""
    return _sha256_json(
        {"chain_id": int(chain_id), "from_block": int(from_block), "to_block": int(to_block)}
    )


def chain_digest(previous: str, block_number: int, digest: str) -> str:
    """One link of the range digest's hash chain."""
    return _sha256_json({"block": int(block_number), "digest": digest, "previous": previous})


def range_digest(
    chain_id: int, from_block: int, to_block: int, block_digests: Iterable[tuple[int, str]]
) -> str:
    """The digest of a whole range from its blocks' digests (any order; blocks without logs are
    not listed)."""
    h = range_seed(chain_id, from_block, to_block)
    for number, digest in sorted(block_digests):
        h = chain_digest(h, number, digest)
    return h


# --- what was compared -------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    """The facts of one registration (= certificate, same id) that the audit compares.

    ``status`` is the effective status at the audit's block (``expired`` derived from
    ``valid_until``, as ``statusOf``); ``valid_until`` is ISO 8601 UTC. ``live_pledge`` is the
    live pledge's id (a mirror holding several live pledges shows them as ``"3,5"``);
    ``pledgee``, ``pledge_amount`` (minor units) and ``pledge_currency`` belong to it.
    ``latest_valuation`` is the newest active valuation's id.
    """

    token_id: int
    certificate_number: str | None
    holder: str
    status: str
    fingerprint: str
    metadata_hash: str
    version: int
    valid_until: str | None
    live_pledge: int | str | None
    pledgee: str | None
    pledge_amount: int | str | None
    pledge_currency: str | None
    frozen: bool
    latest_valuation: int | None


#: Compared fields, in report order (``exists`` comes first, before these).
CERTIFICATE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(CertificateFacts) if f.name != "token_id"
)
_PLEDGE_DETAILS = ("pledgee", "pledge_amount", "pledge_currency")
_CASE_INSENSITIVE = ("holder", "fingerprint", "metadata_hash", "pledgee")


@dataclass(frozen=True)
class CertificateDrift:
    """One fact of one certificate on which the mirror and the chain disagree.

    ``field`` is ``exists`` (the registration is on one side only) or a field of
    :class:`CertificateFacts`.
    """

    token_id: int
    certificate_number: str | None
    field: str
    mirror: DriftValue
    chain: DriftValue


def _same(name: str, mirror: DriftValue, chain: DriftValue) -> bool:
    if name in _CASE_INSENSITIVE and isinstance(mirror, str) and isinstance(chain, str):
        return mirror.lower() == chain.lower()
    return type(mirror) is type(chain) and mirror == chain


def compare_certificate(
    token_id: int, mirror: CertificateFacts | None, chain: CertificateFacts | None
) -> list[CertificateDrift]:
    """The drifts of one certificate; none when both sides agree (or neither has it).

    The pledge's details are compared only when both sides name the same live pledge (if the
    pledge itself differs, that is the drift to report).
    """
    if mirror is None and chain is None:
        return []
    if mirror is None or chain is None:
        present = chain if mirror is None else mirror
        assert present is not None
        return [
            CertificateDrift(
                token_id,
                present.certificate_number,
                "exists",
                mirror is not None,
                chain is not None,
            )
        ]
    number = chain.certificate_number or mirror.certificate_number
    same_pledge = mirror.live_pledge is not None and mirror.live_pledge == chain.live_pledge
    drifts = []
    for name in CERTIFICATE_FIELDS:
        if name in _PLEDGE_DETAILS and not same_pledge:
            continue
        mine, theirs = getattr(mirror, name), getattr(chain, name)
        if not _same(name, mine, theirs):
            drifts.append(CertificateDrift(token_id, number, name, mine, theirs))
    return drifts


@dataclass(frozen=True)
class EventDrift:
    """One raw event on which the mirror and the node disagree, with both sides' rows.

    ``kind``: ``missing`` (the node has the log, the mirror not), ``extra`` (the mirror has a row
    the node does not), ``different`` (both, with ``fields`` differing).
    """

    block_number: int
    log_index: int
    kind: EventDriftKind
    fields: tuple[str, ...]
    mirror: ChainLog | None
    chain: ChainLog | None


def different_fields(mirror: ChainLog, chain: ChainLog) -> tuple[str, ...]:
    """The :data:`LOG_FIELDS` on which two logs at the same position differ (hex compared in
    lowercase, as the digest sees it)."""
    a, b = log_entry(mirror), log_entry(chain)
    # entry positions 1..5 are LOG_FIELDS in order
    return tuple(name for i, name in enumerate(LOG_FIELDS, start=1) if a[i] != b[i])


def compare_logs(mirror: Sequence[ChainLog], chain: Sequence[ChainLog]) -> list[EventDrift]:
    """The drifts between the mirror's rows and the node's logs of the same blocks, in chain
    order. Rows are matched by ``(block_number, log_index)``."""
    mine = {(x.block_number, x.log_index): x for x in mirror}
    theirs = {(x.block_number, x.log_index): x for x in chain}
    drifts = []
    for key in sorted(mine.keys() | theirs.keys()):
        m, c = mine.get(key), theirs.get(key)
        if m is None:
            drifts.append(EventDrift(key[0], key[1], "missing", (), None, c))
        elif c is None:
            drifts.append(EventDrift(key[0], key[1], "extra", (), m, None))
        else:
            changed = different_fields(m, c)
            if changed:
                drifts.append(EventDrift(key[0], key[1], "different", changed, m, c))
    return drifts


@dataclass(frozen=True)
class BlockDigest:
    """The digests of one block's logs on both sides (``None``: that side has no log there)."""

    block_number: int
    mirror: str | None
    chain: str | None

    @property
    def matches(self) -> bool:
        return self.mirror == self.chain


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditReport:
    """The mirror of ``chain_id`` compared with the chain over blocks ``from_block..to_block``.

    Chain reads are pinned to ``as_of_block`` (= ``to_block``), whose timestamp is
    ``as_of_time``; ``to_block`` never passes ``indexed_head``, the last block the mirror holds
    (``requested_to_block`` is what was asked). ``notes`` explain clipping and skipped
    certificates. ``events_on_chain`` / ``events_in_mirror`` count the logs and rows of the
    range, ``blocks_compared`` the blocks holding either. ``block_digests`` lists only the
    blocks whose digests differ; ``mirror_digest`` and ``chain_digest`` are the range digests
    (equal when the raw events agree). ``certificates_skipped`` are certificates the mirror
    shows changed after ``to_block`` (their state cannot be compared at that block).
    """

    chain_id: int
    contracts: tuple[str, ...]
    from_block: int
    to_block: int
    requested_to_block: int | None
    indexed_head: int
    as_of_block: int
    as_of_time: datetime
    certificates_checked: int
    certificates_skipped: tuple[int, ...]
    events_on_chain: int
    events_in_mirror: int
    blocks_compared: int
    certificate_drifts: tuple[CertificateDrift, ...]
    event_drifts: tuple[EventDrift, ...]
    block_digests: tuple[BlockDigest, ...]
    mirror_digest: str
    chain_digest: str
    notes: tuple[str, ...] = ()

    @property
    def consistent(self) -> bool:
        return (
            not self.certificate_drifts
            and not self.event_drifts
            and not self.block_digests
            and self.mirror_digest == self.chain_digest
        )

    @property
    def drift_count(self) -> int:
        return len(self.certificate_drifts) + len(self.event_drifts)
