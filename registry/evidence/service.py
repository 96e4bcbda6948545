"""Evidence anchoring (存证): anchor a fingerprint once, look it up, relay signed anchors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient
from registry.chain.eip712 import SignedStruct, sign_typed_data
from registry.domain.chain import ContractCall
from registry.domain.deployment import DeploymentManifest
from registry.domain.evidence import ZERO_ADDRESS, EvidenceRecord, format_fingerprint
from registry.domain.inputs import checked_address
from registry.errors import (
    ContractRevertError,
    EvidenceNotFoundError,
)

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

    def __init__(self, client: ChainClient, manifest: DeploymentManifest) -> None:
        self._client = client
        self._address = manifest.address_of(CONTRACT)
        self._chain_id = manifest.chain_id

    @property
    def contract_address(self) -> str:
        return self._address

    def lookup(self, fingerprint: bytes, block: int | str = "latest") -> EvidenceRecord | None:
        """The anchored record of ``fingerprint`` as of ``block`` (default: the chain head), or
        ``None``."""
        anchorer, anchored_at, block_number = self._client.call(
            CONTRACT, self._address, "evidenceOf", [fingerprint], block
        )
        if anchorer == ZERO_ADDRESS:
            return None
        logs = self._client.get_logs(
            [self._address],
            int(block_number),
            int(block_number),
            topics=[
                self._client.codec.event_topic("EvidenceAnchored"),
                format_fingerprint(fingerprint),
            ],
        )
        events = self._client.decode(logs)
        return EvidenceRecord(
            fingerprint=fingerprint,
            anchorer=anchorer,
            anchored_at=EvidenceRecord.timestamp(int(anchored_at)),
            block_number=int(block_number),
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
        """Anchor with ``sender`` as anchorer; an existing record is returned, never duplicated."""
        return self._anchor_once(
            fingerprint, ContractCall(CONTRACT, "anchor", (fingerprint,)), sender
        )

    def relay(
        self,
        fingerprint: bytes,
        anchorer: str,
        deadline: int,
        signature: bytes,
        relayer: LocalAccount,
    ) -> AnchorOutcome:
        """Anchor on behalf of ``anchorer``, who signed :meth:`typed_data`; ``relayer`` pays gas."""
        anchorer = checked_address(anchorer, "anchorer")
        call = ContractCall(CONTRACT, "anchorFor", (fingerprint, anchorer, deadline, signature))
        return self._anchor_once(fingerprint, call, relayer)

    def _anchor_once(
        self, fingerprint: bytes, call: ContractCall, signer: LocalAccount
    ) -> AnchorOutcome:
        existing = self.lookup(fingerprint)
        if existing is not None:
            return AnchorOutcome(existing, created=False)
        try:
            self._client.send(call, self._address, signer)
        except ContractRevertError as exc:
            if exc.error_name != "EvidenceAlreadyAnchored":
                raise
            # lost a race with another anchor of the same fingerprint: report the winner
            return AnchorOutcome(self.get(fingerprint), created=False)
        return AnchorOutcome(self.get(fingerprint), created=True)

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
        deadline = self._client.block().timestamp + ttl
        signature = sign_typed_data(
            self.typed_data(fingerprint, anchorer.address, deadline), anchorer
        )
        return self.relay(fingerprint, anchorer.address, deadline, signature, relayer)
