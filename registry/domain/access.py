"""The access log's entries and the filter a regulator reads them with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from registry.domain.inputs import checked_address
from registry.errors import InputError

_TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")


class Channel(StrEnum):
    """Where a write came from."""

    API = "api"
    CLI = "cli"
    DEMO = "demo"


class OutcomeClass(StrEnum):
    """Classes of outcomes a regulator filters by: HTTP status classes for API requests;
    ``sent``, ``reverted`` (the contract refused) or ``failed`` (anything else, e.g. the node
    unreachable) for transactions sent outside the API."""

    SUCCESS = "2xx"
    CLIENT_ERROR = "4xx"
    SERVER_ERROR = "5xx"
    SENT = "sent"
    REVERTED = "reverted"
    FAILED = "failed"


@dataclass(frozen=True)
class AccessEntry:
    """One recorded write (see :class:`registry.db.models.AccessLogRecord` for each field)."""

    id: int
    recorded_at: datetime
    channel: str
    caller: str | None
    role: str | None
    via: str | None
    sender: str | None
    client: str
    request_id: str
    idempotency_key: str | None
    action: str
    outcome: str
    tx_hashes: tuple[str, ...]


@dataclass(frozen=True)
class AccessFilter:
    """Which entries to read: recorded in ``[since, until)``, by ``caller``, with ``action``
    (exact), of ``outcome`` class, or naming transaction ``tx_hash``."""

    since: datetime | None = None
    until: datetime | None = None
    caller: str | None = None
    action: str | None = None
    outcome: OutcomeClass | None = None
    tx_hash: str | None = None

    def checked(self) -> AccessFilter:
        """The filter with its address checksummed and its hash lower-cased; an
        :class:`InputError` for a malformed address, hash or a time without offset."""
        for name, moment in (("since", self.since), ("until", self.until)):
            if moment is not None and moment.utcoffset() is None:
                raise InputError(f"{name} {moment.isoformat()} has no offset; add one, e.g. Z")
        tx_hash = None if self.tx_hash is None else self.tx_hash.lower()
        if tx_hash is not None and not _TX_HASH.match(tx_hash):
            raise InputError(f"tx_hash {self.tx_hash!r} is not a transaction hash (0x + 64 hex)")
        caller = None if self.caller is None else checked_address(self.caller, "caller")
        return AccessFilter(self.since, self.until, caller, self.action, self.outcome, tx_hash)
