"""The access log: every write is recorded, append-only (issue 14).

Two writers, one table (``access_log``, :class:`registry.db.models.AccessLogRecord`):

* the API's middleware (:mod:`api.access_log`) records each state-changing request after its
  answer, with the transactions it caused: while a request runs, :func:`collecting_transactions`
  holds a list in a context variable (copied into the threadpool that runs sync endpoints), and
  :meth:`AccessLog.on_send`, which :class:`~registry.context.RegistryContext` registers once on
  the chain client, appends each sent transaction's hash to it;
* outside a request (CLI commands, the demo's seeding) the same listener records one row per
  transaction sent or refused: ``Contract.function``, the account that signed the action (a
  forward request's or an EIP-712 message's signer, not the operator that relayed it), the
  transaction's hash and its outcome. The channel is ``cli`` unless :func:`recording_as` names
  another (``seed_demo`` records as ``demo``).

Rows are only inserted; the database refuses updates and deletes (triggers of migration 0016).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, insert, select, true
from sqlalchemy.exc import SQLAlchemyError

from registry.chain.client import ChainClient, SentCall
from registry.db.models import access_log_table
from registry.domain.access import AccessEntry, AccessFilter, Channel, OutcomeClass
from registry.domain.deployment import DeploymentManifest
from registry.errors import ContractRevertError, DaregError, InputError

logger = logging.getLogger(__name__)

#: The transaction hashes of the API request being served (``None`` outside a request).
_request_transactions: ContextVar[list[str] | None] = ContextVar(
    "dareg_request_transactions", default=None
)
#: The channel and run id of writes made outside a request (``None``: the CLI, this process).
_recording: ContextVar[tuple[Channel, str] | None] = ContextVar("dareg_recording", default=None)
#: The request id of every CLI write of this process (one command, one id).
_PROCESS_RUN = uuid.uuid4().hex

#: Where the client address is not an IP (writes outside the API).
LOCAL_CLIENT = "local"

#: Calls the operator sends for a party that signed an EIP-712 message: the position of that
#: party's address among the arguments (a path into nested tuples).
_SIGNED_FOR: dict[tuple[str, str], tuple[int, ...]] = {
    ("EvidenceRegistry", "anchorFor"): (1,),
    ("DataAssetRegistry", "submitApplicationFor"): (1,),
    ("TransferAgent", "registerPledge"): (0, 1),  # terms.pledgor (the pledgee co-signs)
}
FORWARDER = "RegistryForwarder"
#: The name the access log listens to its chain client's sends under (one per client).
LISTENER = "access-log"


@contextmanager
def collecting_transactions() -> Iterator[list[str]]:
    """While the block runs, every transaction sent in this context (and threads it spawns with
    a copy of it) is appended to the list yielded, instead of being recorded on its own."""
    hashes: list[str] = []
    token = _request_transactions.set(hashes)
    try:
        yield hashes
    finally:
        _request_transactions.reset(token)


@contextmanager
def recording_as(channel: Channel) -> Iterator[str]:
    """Record the transactions sent in the block under ``channel``, with one request id
    (yielded)."""
    run = uuid.uuid4().hex
    token = _recording.set((channel, run))
    try:
        yield run
    finally:
        _recording.reset(token)


def _reverted(exc: DaregError) -> bool:
    return isinstance(exc, ContractRevertError) or isinstance(exc.__cause__, ContractRevertError)


def _at(args: Sequence[Any], path: tuple[int, ...]) -> Any:
    value: Any = args
    for index in path:
        value = value[index]
    return value


@dataclass(frozen=True)
class AccessWrite:
    """What one row records, before the database numbers it."""

    channel: str
    client: str
    request_id: str
    action: str
    outcome: str
    caller: str | None = None
    role: str | None = None
    via: str | None = None
    sender: str | None = None
    idempotency_key: str | None = None
    tx_hashes: tuple[str, ...] = ()


class AccessLog:
    """Appends to and reads the access log."""

    def __init__(self, engine: Engine, client: ChainClient, manifest: DeploymentManifest) -> None:
        self._engine = engine
        self._client = client
        self._contracts = {c.address.lower(): name for name, c in manifest.contracts.items()}

    def listen(self) -> None:
        """Record every transaction the chain client sends from now on (:meth:`on_send`),
        instead of the log that listened before."""
        self._client.add_send_listener(LISTENER, self.on_send)

    # --- writes ----------------------------------------------------------------------------

    def append(self, entry: AccessWrite) -> None:
        """Insert one row (the only write there is)."""
        row = {
            "recorded_at": datetime.now(tz=UTC),
            "channel": entry.channel,
            "caller": entry.caller,
            "role": entry.role,
            "via": entry.via,
            "sender": entry.sender,
            "client": entry.client[:64],
            "request_id": entry.request_id[:128],
            "idempotency_key": None
            if entry.idempotency_key is None
            else entry.idempotency_key[:255],
            "action": entry.action[:255],
            "outcome": entry.outcome[:128],
            "tx_hashes": " ".join(entry.tx_hashes) or None,
        }
        with self._engine.begin() as connection:
            connection.execute(insert(access_log_table), row)

    def on_send(self, sent: SentCall) -> None:
        """The chain client's listener: inside an API request, note the transaction's hash for
        the request's row; elsewhere record the transaction itself. A row that cannot be
        written is logged, not raised: the transaction went out either way."""
        hashes = _request_transactions.get()
        tx_hash = sent.tx_hash
        if hashes is not None:
            if tx_hash is not None:  # mined, or handed to the node with its outcome unknown
                hashes.append(tx_hash.lower())
            return
        channel, run = _recording.get() or (Channel.CLI, _PROCESS_RUN)
        action, actor = self.describe(sent)
        if sent.error is None:
            outcome = "sent"
        else:
            verdict = "reverted" if _reverted(sent.error) else "failed"
            outcome = f"{verdict} {sent.error.public_code}"
        entry = AccessWrite(
            channel=channel.value,
            client=LOCAL_CLIENT,
            request_id=run,
            action=action,
            outcome=outcome,
            caller=actor,
            sender=sent.sender,
            tx_hashes=() if tx_hash is None else (tx_hash.lower(),),
        )
        try:
            self.append(entry)
        except SQLAlchemyError:
            logger.exception("the access log could not record %s (%s)", action, outcome)

    def describe(self, sent: SentCall) -> tuple[str, str]:
        """``(Contract.function, actor)`` of a sent call: a forward request's target call and
        signer, an EIP-712 message's signer, else the call and the transaction's sender."""
        call = sent.call
        if (call.contract, call.function) == (FORWARDER, "execute"):
            request = call.args[0]
            signer, to, data = str(request[0]), str(request[1]), request[5]
            contract = self._contracts.get(to.lower())
            if contract is not None:
                try:
                    function, _ = self._client.decode_call(contract, "0x" + bytes(data).hex())
                except InputError:
                    function = None
                if function is not None:
                    return f"{contract}.{function}", signer
            return f"{FORWARDER}.execute", signer
        path = _SIGNED_FOR.get((call.contract, call.function))
        actor = str(_at(call.args, path)) if path is not None else sent.sender
        return f"{call.contract}.{call.function}", actor

    # --- reads -----------------------------------------------------------------------------

    def entries(
        self, criteria: AccessFilter, limit: int = 100, offset: int = 0
    ) -> tuple[list[AccessEntry], int]:
        """A page of the entries ``criteria`` selects, newest first, and how many there are."""
        where = and_(true(), *_conditions(criteria.checked()))
        t = access_log_table
        with self._engine.connect() as connection:
            total = int(
                connection.execute(select(func.count()).select_from(t).where(where)).scalar_one()
            )
            rows = connection.execute(
                select(t).where(where).order_by(t.c.id.desc()).limit(limit).offset(offset)
            ).all()
        return [_entry(row._mapping) for row in rows], total


def _conditions(criteria: AccessFilter) -> list[ColumnElement[bool]]:
    t = access_log_table.c
    found: list[ColumnElement[bool]] = []
    if criteria.since is not None:
        found.append(t.recorded_at >= criteria.since)
    if criteria.until is not None:
        found.append(t.recorded_at < criteria.until)
    if criteria.caller is not None:
        found.append(t.caller == criteria.caller)
    if criteria.action is not None:
        found.append(t.action == criteria.action)
    if criteria.tx_hash is not None:
        found.append(t.tx_hashes.contains(criteria.tx_hash, autoescape=True))
    outcome = criteria.outcome
    if outcome is OutcomeClass.SENT:
        found.append(t.outcome == "sent")
    elif outcome is not None:
        prefix = outcome.value[0] if outcome.value.endswith("xx") else outcome.value + " "
        found.append(t.outcome.startswith(prefix, autoescape=True))
    return found


def _entry(row: Any) -> AccessEntry:
    hashes = row["tx_hashes"]
    return AccessEntry(
        id=int(row["id"]),
        recorded_at=row["recorded_at"],
        channel=row["channel"],
        caller=row["caller"],
        role=row["role"],
        via=row["via"],
        sender=row["sender"],
        client=row["client"],
        request_id=row["request_id"],
        idempotency_key=row["idempotency_key"],
        action=row["action"],
        outcome=row["outcome"],
        tx_hashes=tuple(hashes.split()) if hashes else (),
    )
