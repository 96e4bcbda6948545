"""How much the operator pays for: per-party and global quotas of transactions per rolling hour.

Every transaction the operator pays for on someone's behalf goes through
:meth:`RelayQuota.pay`: a relayed forward request (:meth:`RelayService.submit
<registry.relay.service.RelayService.submit>`, counted for its signer), a signed anchor
(:meth:`EvidenceService.relay <registry.evidence.service.EvidenceService.relay>`, for the
anchorer), a signed application (:meth:`RegistrationService.submit_signed
<registry.registration.service.RegistrationService.submit_signed>`, for the applicant) and a
signed pledge (:meth:`RightsService.register_pledge
<registry.rights.service.RightsService.register_pledge>`, for the pledgor). The API, the CLI's
``--key-file`` commands and the demo all reach them through the one :class:`RelayQuota` the
:class:`~registry.context.RegistryContext` builds from ``DAREG_RELAY_QUOTA_PER_ADDRESS`` and
``DAREG_RELAY_QUOTA_GLOBAL``; only what the operator does as itself (the CLI without
``--key-file``, deployment) is not counted, as nobody else makes it pay.

The count is durable (table ``relay_usage``, :class:`~registry.db.models.RelayUsage`): a
transaction is reserved before it is sent, in the same database transaction that counts the
last hour's rows (inserted first, then counted, so concurrent requests see each other; on
PostgreSQL under an advisory lock), and refused with :class:`RelayQuotaExceededError` (429, with
``retry_after``) when either quota is full, before anything is sent. A send the chain refuses
before it is broadcast (the contract's error at estimation, a check of the service) releases its
reservation: a refused request costs the operator nothing, and counts for nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from registry.db.models import relay_usage_table
from registry.domain.chain import Receipt
from registry.errors import ChainError, ChainUnreachableError, DaregError, RelayQuotaExceededError

#: The window both quotas count over.
QUOTA_WINDOW = timedelta(hours=1)
#: The PostgreSQL advisory lock that serialises reservations ("dareg relay quota").
_ADVISORY_LOCK = 0x64617265_67510A


@dataclass(frozen=True)
class QuotaUsage:
    """Transactions paid for in the last hour: for one party and for everyone."""

    party: int
    total: int


class RelayQuota:
    """Per-address and global quotas of operator-paid transactions per rolling hour."""

    def __init__(self, engine: Engine, *, per_address: int, global_limit: int) -> None:
        if per_address < 1 or global_limit < 1:
            raise ValueError("a relay quota allows at least one transaction an hour")
        self._engine = engine
        self.per_address = per_address
        self.global_limit = global_limit

    def usage(self, party: str) -> QuotaUsage:
        """What ``party`` and everyone have used of the quotas in the last hour."""
        since = datetime.now(tz=UTC) - QUOTA_WINDOW
        with self._engine.connect() as connection:
            return QuotaUsage(
                party=self._count(connection, since, party), total=self._count(connection, since)
            )

    def pay(self, party: str, action: str, send: Callable[[], Receipt]) -> Receipt:
        """Reserve one transaction for ``party`` (refused when a quota is full), run ``send``
        and record its hash; the reservation is released when nothing was broadcast."""
        reservation = self._reserve(party, action)
        try:
            receipt = send()
        except DaregError as exc:
            # refused before broadcasting (the contract at estimation, the service's checks, a
            # node that could not be reached before the transaction went out): nothing paid. A
            # ChainError naming its transaction (no receipt in time, a revert without reason,
            # the node gone after sending) may have cost gas, so it keeps counting.
            if not isinstance(exc, ChainError) or (
                isinstance(exc, ChainUnreachableError) and "tx_hash" not in exc.details
            ):
                self._release(reservation)
            raise
        with self._engine.begin() as connection:
            connection.execute(
                update(relay_usage_table)
                .where(relay_usage_table.c.id == reservation)
                .values(tx_hash=receipt.tx_hash)
            )
        return receipt

    # --- the count ----------------------------------------------------------------------

    @staticmethod
    def _count(connection: Connection, since: datetime, party: str | None = None) -> int:
        query = select(func.count()).select_from(relay_usage_table)
        query = query.where(relay_usage_table.c.spent_at > since)
        if party is not None:
            query = query.where(relay_usage_table.c.party == party)
        return int(connection.execute(query).scalar_one())

    def _retry_after(
        self, connection: Connection, since: datetime, now: datetime, party: str | None, over: int
    ) -> int:
        """Seconds until ``over`` of the rows counted now have left the window."""
        query = select(relay_usage_table.c.spent_at).where(relay_usage_table.c.spent_at > since)
        if party is not None:
            query = query.where(relay_usage_table.c.party == party)
        query = query.order_by(relay_usage_table.c.spent_at).offset(over - 1).limit(1)
        oldest: datetime | None = connection.execute(query).scalar_one_or_none()
        if oldest is None:
            return 1
        return max(1, math.ceil((oldest + QUOTA_WINDOW - now).total_seconds()))

    def _reserve(self, party: str, action: str) -> int:
        now = datetime.now(tz=UTC)
        since = now - QUOTA_WINDOW
        with self._engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK}
                )
            connection.execute(
                delete(relay_usage_table).where(relay_usage_table.c.spent_at <= since)
            )
            # inserted first, then counted: a concurrent reservation is either seen or waits
            inserted = connection.execute(
                insert(relay_usage_table).values(party=party, action=action[:100], spent_at=now)
            )
            key = inserted.inserted_primary_key
            assert key is not None  # an INSERT of one row has its key
            reservation = int(key[0])
            for scope, who, limit in (
                ("address", party, self.per_address),
                ("global", None, self.global_limit),
            ):
                used = self._count(connection, since, who)
                if used > limit:
                    # raised inside the transaction: the reservation is rolled back with it
                    retry = self._retry_after(connection, since, now, who, used - limit)
                    whom = f"for {party}" if who is not None else "for all parties together"
                    raise RelayQuotaExceededError(
                        f"the operator has paid for {limit} transactions {whom} in the last hour, "
                        f"the most it pays for; try again in {retry} seconds",
                        scope=scope,
                        limit=limit,
                        window_seconds=int(QUOTA_WINDOW.total_seconds()),
                        retry_after=retry,
                    )
        return reservation

    def _release(self, reservation: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(relay_usage_table).where(relay_usage_table.c.id == reservation)
            )
