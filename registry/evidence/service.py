"""Evidence anchoring (存证): anchor a fingerprint once per account, look up its first anchor,
one account's anchor or all of them, relay signed anchors (the operator pays, within the relay
quotas of :mod:`registry.relay.quota`, counted for the anchorer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient
from registry.chain.clock import ChainClock
from registry.chain.eip712 import SignedStruct, sign_typed_data
from registry.domain.chain import ChainEvent, ContractCall, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.domain.evidence import ZERO_ADDRESS, EvidenceRecord, format_fingerprint
from registry.domain.inputs import checked_address
from registry.errors import (
    ContractRevertError,
    EvidenceNotFoundError,
)
from registry.relay.quota import RelayQuota

CONTRACT = "EvidenceRegistry"
#: What an anchorer signs so that a relayer can anchor for it (``EvidenceRegistry``'s typehash).
ANCHOR = SignedStruct(
    "dareg.EvidenceRegistry",
    "Anchor(bytes32 fingerprint,address anchorer,uint256 nonce,uint256 deadline)",
)


@dataclass(frozen=True)
class AnchorOutcome:
    """The record after an anchor request; ``created`` is False when it already existed."""

    record: EvidenceRecord
    created: bool


class EvidenceService:
    """Reads and writes evidence on the chain; the chain is the source of truth."""

    def __init__(
        self,
        client: ChainClient,
        manifest: DeploymentManifest,
        quota: RelayQuota | None = None,
        *,
        clock: ChainClock | None = None,
    ) -> None:
        """``quota`` counts the anchors a relayer pays for (:meth:`relay`); ``clock`` is "now"
        for deadlines (default: the wall clock, never earlier than the head block's time)."""
        self._client = client
        self._clock = clock or ChainClock(client)
        self._address = manifest.address_of(CONTRACT)
        self._chain_id = manifest.chain_id
        self._quota = quota

    @property
    def contract_address(self) -> str:
        return self._address

    def lookup(self, fingerprint: bytes, block: int | str = "latest") -> EvidenceRecord | None:
        """The first anchor of ``fingerprint`` as of ``block`` (default: the chain head), or
        ``None``."""
        anchorer, anchored_at, block_number = self._client.call(
            CONTRACT, self._address, "evidenceOf", [fingerprint], block
        )
        if anchorer == ZERO_ADDRESS:
            return None
        return self._record(fingerprint, str(anchorer), int(anchored_at), int(block_number))

    def lookup_by(
        self, fingerprint: bytes, anchorer: str, block: int | str = "latest"
    ) -> EvidenceRecord | None:
        """``anchorer``'s own anchor of ``fingerprint`` as of ``block``, or ``None`` if that
        account never anchored it (someone else may have)."""
        anchorer = checked_address(anchorer, "anchorer")
        anchored_at = int(
            self._client.call(CONTRACT, self._address, "anchoredBy", [fingerprint, anchorer], block)
        )
        first = self.lookup(fingerprint, block)
        if anchored_at == 0 or first is None:
            return None
        events = self._events(fingerprint, anchorer, first.block_number, block)
        block_number = events[0].log.block_number if events else 0
        return self._record(fingerprint, anchorer, anchored_at, block_number, events)

    def anchors(self, fingerprint: bytes, block: int | str = "latest") -> list[EvidenceRecord]:
        """Every anchor of ``fingerprint`` as of ``block``, first anchored first (read from
        the contract's logs, from the first anchor's block)."""
        first = self.lookup(fingerprint, block)
        if first is None:
            return []
        return [
            EvidenceRecord(
                fingerprint=fingerprint,
                anchorer=str(e.args["anchorer"]),
                anchored_at=EvidenceRecord.timestamp(int(e.args["anchoredAt"])),
                block_number=e.log.block_number,
                tx_hash=e.log.tx_hash,
                relayer=str(e.args["relayer"]),
            )
            for e in self._events(fingerprint, None, first.block_number, block)
        ]

    def _events(
        self, fingerprint: bytes, anchorer: str | None, from_block: int, to_block: int | str
    ) -> list[ChainEvent]:
        topics: list[str | None] = [
            self._client.codec.event_topic("EvidenceAnchored"),
            format_fingerprint(fingerprint),
        ]
        if anchorer is not None:
            topics.append("0x" + anchorer.lower().removeprefix("0x").rjust(64, "0"))
        head = self._client.block().number if to_block == "latest" else int(to_block)
        logs = self._client.get_logs([self._address], from_block, head, topics=topics)
        return [e for e in self._client.decode(logs) if e.name == "EvidenceAnchored"]

    def _record(
        self,
        fingerprint: bytes,
        anchorer: str,
        anchored_at: int,
        block_number: int,
        events: list[ChainEvent] | None = None,
    ) -> EvidenceRecord:
        if events is None:
            events = [
                e
                for e in self._events(fingerprint, anchorer, block_number, block_number)
                if e.args["anchorer"] == anchorer
            ]
        return EvidenceRecord(
            fingerprint=fingerprint,
            anchorer=anchorer,
            anchored_at=EvidenceRecord.timestamp(anchored_at),
            block_number=block_number,
            tx_hash=events[0].log.tx_hash if events else None,
            relayer=events[0].args["relayer"] if events else None,
        )

    def get(self, fingerprint: bytes) -> EvidenceRecord:
        record = self.lookup(fingerprint)
        if record is None:
            raise EvidenceNotFoundError(
                f"fingerprint {format_fingerprint(fingerprint)} has not been anchored on chain "
                f"{self._chain_id}",
                fingerprint=format_fingerprint(fingerprint),
            )
        return record

    def anchor(self, fingerprint: bytes, sender: LocalAccount) -> AnchorOutcome:
        """Anchor with ``sender`` as anchorer; ``sender``'s existing anchor is returned, never
        duplicated (another account's anchor of the same fingerprint does not count)."""
        return self._anchor_once(fingerprint, sender.address, self.anchor_call(fingerprint), sender)

    def anchor_call(self, fingerprint: bytes) -> ContractCall:
        """The signer anchors ``fingerprint`` as its own: its own transaction, or a forward
        request the operator relays (the forward request is the anchorer's EIP-712 signature)."""
        return ContractCall(CONTRACT, "anchor", (fingerprint,))

    def relay(
        self,
        fingerprint: bytes,
        anchorer: str,
        deadline: int,
        signature: bytes,
        relayer: LocalAccount,
    ) -> AnchorOutcome:
        """Anchor on behalf of ``anchorer``, who signed :meth:`typed_data`; ``relayer`` pays gas
        (counted against ``anchorer``'s and the global relay quotas)."""
        anchorer = checked_address(anchorer, "anchorer")
        call = ContractCall(CONTRACT, "anchorFor", (fingerprint, anchorer, deadline, signature))
        return self._anchor_once(fingerprint, anchorer, call, relayer, metered=True)

    def _anchor_once(
        self,
        fingerprint: bytes,
        anchorer: str,
        call: ContractCall,
        signer: LocalAccount,
        *,
        metered: bool = False,
    ) -> AnchorOutcome:
        existing = self.lookup_by(fingerprint, anchorer)
        if existing is not None:
            return AnchorOutcome(existing, created=False)

        def send() -> Receipt:
            return self._client.send(call, self._address, signer)

        try:
            if metered and self._quota is not None:
                receipt = self._quota.pay(anchorer, f"{CONTRACT}.{call.function}", send)
            else:
                receipt = send()
        except ContractRevertError as exc:
            if exc.error_name != "EvidenceAlreadyAnchored":
                raise
            # a second request of the same anchorer won the race: report its anchor
            raced = self.lookup_by(fingerprint, anchorer)
            if raced is None:
                raise
            return AnchorOutcome(raced, created=False)
        (event,) = [e for e in receipt.events if e.name == "EvidenceAnchored"]
        record = EvidenceRecord(
            fingerprint=fingerprint,
            anchorer=str(event.args["anchorer"]),
            anchored_at=EvidenceRecord.timestamp(int(event.args["anchoredAt"])),
            block_number=receipt.block_number,
            tx_hash=receipt.tx_hash,
            relayer=str(event.args["relayer"]),
        )
        return AnchorOutcome(record, created=True)

    # --- delegated anchoring (EIP-712) ---------------------------------------------------

    def typed_data(self, fingerprint: bytes, anchorer: str, deadline: int) -> dict[str, Any]:
        """The EIP-712 message ``anchorer`` signs so the service can anchor for it."""
        anchorer = checked_address(anchorer, "anchorer")
        nonce = int(self._client.call(CONTRACT, self._address, "anchorNonce", [anchorer]))
        message = {
            "fingerprint": format_fingerprint(fingerprint),
            "anchorer": anchorer,
            "nonce": nonce,
            "deadline": deadline,
        }
        return ANCHOR.typed_data(self._chain_id, self._address, message)

    def sign_and_relay(
        self, fingerprint: bytes, anchorer: LocalAccount, relayer: LocalAccount, ttl: int = 600
    ) -> AnchorOutcome:
        """Sign as ``anchorer`` locally and relay through ``relayer`` (gasless for the anchorer)."""
        deadline = self._clock.deadline(ttl)
        signature = sign_typed_data(
            self.typed_data(fingerprint, anchorer.address, deadline), anchorer
        )
        return self.relay(fingerprint, anchorer.address, deadline, signature, relayer)
