"""The provenance timeline of one asset: every registry event about it, in chain order.

The events are the mirror's ``raw_event`` rows (with their decoded ``args``) joined with the
``block`` headers for their time. Which rows are about the asset is found through indexed
columns only, never by scanning the JSON ``args``:

* every event whose domain record names the asset (its registration / certificate id): the
  registration lifecycle (submission, acceptance, returns, resubmissions, rejection, notice,
  objections filed and ruled, standing granted, issue, changes and corrections, renewal,
  cancellation, revocation), transfers, pledges, freezes, transfer approvals, cross-border
  records, licences and sublicences, valuations and accounting classes. The indexer's store
  keeps that id as ``raw_event.token_id``
  (:func:`registry.indexer.decode.record_asset`), so they are one range of the
  ``(chain_id, token_id, block_number, log_index)`` index, already in chain order;
* the ``EvidenceAnchored`` events of every fingerprint the asset's content ever had (as
  applied, resubmitted, issued or changed), through ``evidence`` by fingerprint.

Each entry has a stable snake_case ``kind`` (the event name in snake_case, except
``asset_corrected`` for a correction and ``sublicence_granted`` for a licence with a parent),
its position, transaction and time, the acting account where the event names it, and the
remaining arguments as ``details`` (structs with their field names, enums by name where the
mirror knows them, voucher numbers as their 16 digits).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
import operator
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from eth_utils.address import to_checksum_address
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Text,
    and_,
    cast,
    func,
    select,
)

from registry.db.models import (
    block_table,
    document_table,
    evidence_table,
    raw_event_table,
    row_version_table,
)
from registry.db.rows import decode_row, history_key
from registry.domain.numbers import CERTIFICATE_DIGITS
from registry.domain.registration import AssetKind, Classification, Status
from registry.domain.rights import TransferReason
from registry.errors import CertificateNotFoundError, RegistrationNotFoundError
from registry.mirror import AsOf, RegistrationRow, effective_status, registration_by_number

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")

#: Events whose fingerprint argument names a content version of the asset.
_FINGERPRINT_EVENTS = frozenset(
    {"ApplicationSubmitted", "ApplicationResubmitted", "CertificateIssued", "AssetChanged"}
)

#: The arguments naming the account that acted, per event (where the event names one): the
#: first one the event carries (contracts v2 name the actor of every state change, e.g.
#: ``actor`` of a transfer, which is the regulator of a court order and the pledgee of an
#: enforcement; events mirrored from the contracts before v2 name only ``from``).
_ACTOR: dict[str, tuple[str, ...]] = {
    "EvidenceAnchored": ("anchorer",),
    "ApplicationSubmitted": ("applicant",),
    "ApplicationAccepted": ("registrar",),
    "ApplicationReturned": ("registrar",),
    "ApplicationResubmitted": ("applicant",),
    "ApplicationRejected": ("registrar",),
    "NoticeOpened": ("registrar",),
    "ObjectionFiled": ("objector",),
    "ObjectionRuled": ("registrar",),
    "StandingGranted": ("registrar",),
    "CertificateIssued": ("registrar",),
    "AssetChanged": ("by",),
    "CertificateRenewed": ("registrar",),
    "CertificateCancelled": ("holder",),
    "CertificateRevoked": ("registrar",),
    "CertificateExpiryClosed": ("by",),
    "LicenceTerminated": ("by",),
    "CertificateTransferred": ("actor", "from"),
    "PledgeReleased": ("pledgee",),
    "PledgeEnforced": ("pledgee",),
    "PledgeConsentGranted": ("pledgee",),
    "PledgeConsentWithdrawn": ("pledgee",),
    "PledgeConsentUsed": ("pledgor",),
    "PledgorChanged": ("actor",),
    "CertificateFrozen": ("regulator",),
    "CertificateUnfrozen": ("actor", "regulator"),
    "TransferApproved": ("regulator",),
    "TransferApprovalUsed": ("actor",),
    "CrossBorderRecorded": ("regulator",),
    "ValuationSubmitted": ("appraiser",),
    "ValuationWithdrawn": ("appraiser",),
    "AccountingClassSet": ("holder",),
}

#: Events that close what hung on a certificate when it ended (contracts v2): their
#: ``endStatus`` (the position in the contract's ``Status``) is shown by name.
_SETTLEMENTS = frozenset({"PledgeSettled", "LicencesSettled"})

#: Field names of the structs events carry (decoded as lists, in declaration order).
_STRUCTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "LicenceGranted": (
        "licence",
        (
            "tokenId",
            "parentId",
            "licensor",
            "grantedAt",
            "start",
            "licensee",
            "end",
            "right",
            "exclusive",
            "sublicensable",
            "status",
            "purposes",
            "territories",
            "termsHash",
            "feeTermsHash",
        ),
    ),
    "PledgeRegistered": (
        "record",
        (
            "tokenId",
            "pledgor",
            "pledgee",
            "securedAmount",
            "currency",
            "registeredAt",
            "maturity",
            "status",
            "loanRef",
        ),
    ),
    "ValuationSubmitted": (
        "valuation",
        (
            "tokenId",
            "appraiser",
            "assetVersion",
            "value",
            "submittedAt",
            "baseDate",
            "currency",
            "method",
            "valueType",
            "purpose",
            "status",
            "withdrawnAt",
            "reportHash",
            "factsHash",
        ),
    ),
}

#: The names of ``TransferReason`` by the contract's enum value (its position).
_REASONS = tuple(r.value for r in TransferReason)

#: The names of the registration ``Status`` by the contract's enum value (its position).
_STATUSES = tuple(s.value for s in Status)

#: Arguments that only repeat the asset's id, or struct fields that repeat other arguments.
_DROPPED = frozenset({"id", "tokenId", "status"})


@dataclass(frozen=True)
class Asset:
    """The asset a timeline, lineage or custody answer is about, as of its block (``status``,
    ``holder`` and ``version`` ``None`` when it was not submitted yet by then)."""

    token_id: int
    registration_number: str
    certificate_number: str | None
    name: str | None
    kind: AssetKind
    level: Classification
    parents: tuple[int, ...]
    status: Status | None
    holder: str | None
    version: int | None


class _Event(NamedTuple):
    block_number: int
    log_index: int
    tx_hash: str
    contract: str | None
    event: str
    raw_args: str | dict[str, Any] | None
    timestamp: int


class TimelineEntry(_Event):
    """One event of an asset's timeline: its position, transaction, contract, Solidity name,
    decoded arguments as the mirror stores them (JSON text) and block timestamp (unix seconds),
    exactly the row the timeline's query reads, so a 10,000-event timeline makes no other
    object per event.

    :attr:`time` is the block's time as a datetime; the arguments are parsed on first use of
    :attr:`kind`, :attr:`actor` or :attr:`details`, so listing a long timeline parses no JSON
    until the entries are shown.
    """

    @property
    def time(self) -> datetime:
        """The block's time (UTC)."""
        return _block_time(self.timestamp)

    @functools.cached_property
    def _parsed(self) -> tuple[str | None, dict[str, Any]]:
        args = self.raw_args
        if isinstance(args, str):
            args = json.loads(args)
        return _details(self.event, args if isinstance(args, dict) else None)

    @property
    def actor(self) -> str | None:
        """The account that acted, where the event names it."""
        return self._parsed[0]

    @property
    def details(self) -> dict[str, Any]:
        """The event's other arguments (see the module's documentation)."""
        return self._parsed[1]

    @property
    def kind(self) -> str:
        """The stable snake_case kind of the entry."""
        if self.event in {"AssetChanged", "LicenceGranted"}:
            return _kind(self.event, self.details)
        return _snake(self.event)


@functools.lru_cache(maxsize=4096)
def _block_time(timestamp: int) -> datetime:
    return datetime.fromtimestamp(int(timestamp), tz=UTC)


@dataclass(frozen=True)
class Timeline:
    asset: Asset
    as_of: AsOf
    entries: list[TimelineEntry]


@functools.lru_cache(maxsize=256)
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def asset_name(engine: Engine, metadata_hash: str) -> str | None:
    """The asset's name from its stored metadata document (``None`` if the service lacks it)."""
    with engine.connect() as connection:
        body = connection.execute(
            select(document_table.c.body).where(document_table.c.hash == metadata_hash)
        ).scalar()
    if body is None:
        return None
    try:
        name = json.loads(bytes(body)).get("name")
    except (ValueError, AttributeError):
        return None
    return name if isinstance(name, str) else None


def find_asset(engine: Engine, number: str) -> RegistrationRow:
    """The registration with certificate number (17 digits) or registration number (16)
    ``number``: :class:`~registry.errors.MalformedNumberError` (422) if mistyped, a not-found
    error (404) if the mirror holds none."""
    found = registration_by_number(engine, number)
    if found is None:
        digits = re.sub(r"[\s-]", "", number)
        if len(digits) == CERTIFICATE_DIGITS:
            raise CertificateNotFoundError(
                f"no certificate {digits} in the mirror", certificate_number=digits
            )
        raise RegistrationNotFoundError(
            f"no registration {digits} in the mirror", registration_number=digits
        )
    return found


def latest_image(
    engine: Engine, chain_id: int, table_name: str, key: Mapping[str, Any], block: int
) -> dict[str, Any] | None:
    """One row as it was after block ``block``: the same answer as
    :func:`registry.mirror.row_as_of`, read as the one newest version through the
    ``(chain_id, table_name, row_key, block_number)`` index instead of every version (a row
    changed by thousands of events costs one lookup)."""
    v = row_version_table
    with engine.connect() as connection:
        image = connection.execute(
            select(v.c.image)
            .where(
                v.c.chain_id == chain_id,
                v.c.table_name == table_name,
                v.c.row_key == history_key(key),
                v.c.block_number <= block,
            )
            .order_by(v.c.block_number.desc(), v.c.log_index.desc())
            .limit(1)
        ).scalar()
    return None if image is None else decode_row(image)


def asset_as_of(engine: Engine, chain_id: int, row: RegistrationRow, as_of: AsOf) -> Asset:
    """The :class:`Asset` of ``row`` as of ``as_of``: holder, status (``expired`` judged at
    the answer's time) and version from the registration's latest row version by then, as
    :func:`registry.mirror.certificate_as_of` derives them."""
    state = latest_image(
        engine, chain_id, "registration", {"chain_id": chain_id, "id": row.id}, as_of.block
    )
    status = None
    if state is not None:
        status = Status(state["status"])
        if as_of.time is not None:
            status = effective_status(status, state["valid_until"], as_of.time)
    return Asset(
        token_id=row.id,
        registration_number=row.registration_number,
        certificate_number=None if state is None else state["certificate_number"],
        name=asset_name(engine, row.metadata_hash),
        kind=row.kind,
        level=row.level,
        parents=row.parents,
        status=status,
        holder=None if state is None else str(state["holder"]),
        version=None if state is None else int(state["version"]),
    )


@functools.lru_cache(maxsize=4096)
def _checksum(address: str) -> str:
    return str(to_checksum_address(address))


def _plain(name: str, value: Any) -> Any:
    """A struct field as the mirror shows values elsewhere: checksummed addresses, currency
    codes as text (the decoder checksums only the event's own address arguments)."""
    if isinstance(value, str) and len(value) == 42 and _ADDRESS.fullmatch(value):
        return _checksum(value)
    if name in {"currency", "country"} and isinstance(value, str) and value.startswith("0x"):
        with contextlib.suppress(ValueError):
            return bytes.fromhex(value[2:]).decode("ascii").rstrip("\x00")
    return value


def _details(event: str, args: Mapping[str, Any] | None) -> tuple[str | None, dict[str, Any]]:
    """The actor and the details of one decoded event."""
    if not args:
        return None, {}
    details: dict[str, Any] = {}
    struct = _STRUCTS.get(event)
    nested: dict[str, Any] = {}
    for name, value in args.items():
        if struct is not None and name == struct[0] and isinstance(value, list):
            nested = dict(zip(struct[1], value, strict=False))
        elif name not in _DROPPED:
            details[name] = value
    for name, value in nested.items():  # the event's own arguments win over the struct's
        if name not in _DROPPED and name not in details:
            details[name] = _plain(name, value)
    actor = None
    for actor_arg in _ACTOR.get(event, ()):
        actor = details.get(actor_arg)
        if actor is not None:
            break
    if event == "LicenceGranted":
        actor = details.get("licensor")
    elif event == "PledgeRegistered":
        actor = details.get("pledgor")
    reason = details.get("reason")
    if (
        event == "CertificateTransferred"
        and isinstance(reason, int)
        and 0 <= reason < len(_REASONS)
    ):
        details["reason"] = _REASONS[reason]
    end = details.get("endStatus")
    if event in _SETTLEMENTS and isinstance(end, int) and 0 <= end < len(_STATUSES):
        details["endStatus"] = _STATUSES[end]
    if event == "LicenceGranted" and isinstance(details.get("voucherNumber"), int):
        details["voucherNumber"] = f"{details['voucherNumber']:016d}"
    return (actor if isinstance(actor, str) else None), details


def _kind(event: str, details: Mapping[str, Any]) -> str:
    if event == "AssetChanged" and details.get("correction"):
        return "asset_corrected"
    if event == "LicenceGranted" and details.get("parentId"):
        return "sublicence_granted"
    return _snake(event)


def _entries(connection: Connection, statement: Select[Any]) -> list[TimelineEntry]:
    """The entries ``statement`` (selecting the fields of :class:`TimelineEntry`) finds, each
    made from the row as the driver returns it: SQLAlchemy's per-row processing (which these
    columns do not need) would cost a sixth of a 10,000-event timeline. The statement is
    still compiled (and cached) by SQLAlchemy."""
    result = connection.execute(statement)
    try:
        # sqlite3's and psycopg's cursors iterate their rows (PEP 249's optional extension)
        rows = typing.cast("Iterable[tuple[Any, ...]]", result.cursor)
        new = tuple.__new__
        return [new(TimelineEntry, e) for e in rows]
    finally:
        result.close()


def timeline_entries(
    engine: Engine, chain_id: int, row: RegistrationRow, block: int
) -> list[TimelineEntry]:
    """Every event about registration ``row`` up to and including block ``block``."""
    r, b = raw_event_table, block_table
    # the fields of TimelineEntry, in order
    columns = (
        r.c.block_number,
        r.c.log_index,
        r.c.tx_hash,
        r.c.contract,
        func.coalesce(r.c.event, "unknown"),
        cast(r.c.args, Text),
        b.c.timestamp,
    )
    with engine.connect() as connection:
        # the events whose record names the asset: one range of ix_raw_event_token, in order
        entries = _entries(
            connection,
            select(*columns)
            .join(b, and_(b.c.chain_id == r.c.chain_id, b.c.number == r.c.block_number))
            .where(r.c.chain_id == chain_id, r.c.token_id == row.id, r.c.block_number <= block)
            .order_by(r.c.block_number, r.c.log_index),
        )
        fingerprints = {row.fingerprint}
        for e in entries:
            if e.event in _FINGERPRINT_EVENTS:
                args = json.loads(e.raw_args) if isinstance(e.raw_args, str) else e.raw_args
                if args and isinstance(args.get("fingerprint"), str):
                    fingerprints.add(args["fingerprint"].lower())
        ev = evidence_table
        anchors = _entries(
            connection,
            select(*columns)
            .select_from(
                ev.join(
                    r,
                    and_(
                        r.c.chain_id == ev.c.chain_id,
                        r.c.block_number == ev.c.block_number,
                        r.c.log_index == ev.c.log_index,
                    ),
                ).join(b, and_(b.c.chain_id == r.c.chain_id, b.c.number == r.c.block_number))
            )
            .where(
                ev.c.fingerprint.in_(sorted(fingerprints)),
                ev.c.chain_id == chain_id,
                ev.c.block_number <= block,
            ),
        )
    for e in sorted(anchors, key=_POSITION):  # few: each put where it belongs, once
        at = bisect.bisect_left(entries, _POSITION(e), key=_POSITION)
        if at == len(entries) or _POSITION(entries[at]) != _POSITION(e):
            entries.insert(at, e)
    return entries


#: The position ``(block_number, log_index)`` of an entry.
_POSITION = operator.itemgetter(0, 1)


def timeline(engine: Engine, chain_id: int, number: str, as_of: AsOf) -> Timeline:
    """The timeline of the asset with certificate or registration number ``number``."""
    row = find_asset(engine, number)
    return Timeline(
        asset=asset_as_of(engine, chain_id, row, as_of),
        as_of=as_of,
        entries=timeline_entries(engine, chain_id, row, as_of.block),
    )
