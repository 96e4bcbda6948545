"""Relayed actions (ERC-2771): what a party asks to sign, the forward request it signs, and the
relayed transaction with its events. The actions' own request bodies subclass
:class:`RelayPrepare`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Public
from registry.domain.chain import ForwardRequest, Receipt
from registry.domain.numbers import Uint48, Uint256
from registry.domain.rights import ConsentAction, LicenceTerms, TransferReason


class RelayPrepare(BaseModel):
    """Who will sign the forward request, and for how long it stays valid."""

    signer: str = Field(
        description="the acting account's address: holder, licensee, pledgee, registrar staff, "
        "regulator, appraiser or admin (the operator only relays)"
    )
    ttl_seconds: int = Field(default=900, ge=30, le=7 * 86_400)


class TransferPrepare(RelayPrepare):
    """The holder's transfer (sale, inheritance or merger) with its underlying document."""

    to: str
    reason: TransferReason
    document: str | None = Field(default=None, min_length=1, max_length=100_000)


class LicencePrepare(RelayPrepare):
    """A licence (or sublicence) to grant; ``signer`` is the licensor."""

    terms: LicenceTerms


class ReasonPrepare(RelayPrepare):
    """A termination or cancellation with an optional reason (stored; its hash on chain)."""

    reason: str | None = Field(default=None, min_length=1, max_length=20_000)


class EnforcementPrepare(RelayPrepare):
    to: str = Field(description="the pledgee itself or a buyer it names")


class ConsentPrepare(RelayPrepare):
    action: ConsentAction
    counterparty: str = Field(
        description="the recipient, cancelling or changing holder, or exclusive licensee"
    )
    deadline: datetime = Field(
        description="timezone-aware, in the future: the consent lapses after it (it is given to "
        "the current pledgor and is useless once the certificate has another holder)"
    )


class ConsentWithdrawalPrepare(RelayPrepare):
    action: ConsentAction
    counterparty: str


class ForwardRequestPublic(Public):
    """An ERC-2771 ``ForwardRequest`` exactly as signed (EIP-712 message fields)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    value: Uint256
    gas: Uint256
    nonce: Uint256
    deadline: Uint48
    data: str

    @classmethod
    def of(cls, request: ForwardRequest) -> ForwardRequestPublic:
        """The request with its signer as ``from``."""
        return cls.build(request, **{"from": request.signer})

    def domain(self) -> ForwardRequest:
        """The request as the relay service takes it: ``from`` is its signer."""
        return ForwardRequest(signer=self.from_, **self.model_dump(exclude={"from_"}))


class PreparedRequestPublic(Public):
    """What to sign: ``typed_data`` (``eth_signTypedData_v4``); then send ``request`` and the
    signature to ``POST /relay``. The call was run as the signer: it goes through if nothing
    changes before it is sent."""

    contract: str
    function: str
    request: ForwardRequestPublic
    typed_data: dict[str, Any]
    expires_at: datetime


class RelayCreate(BaseModel):
    request: ForwardRequestPublic
    signature: str = Field(description="0x-hex EIP-712 signature of the request by its signer")


class RelayedEventPublic(Public):
    contract: str
    name: str
    args: dict[str, Any] = Field(description="bytes as 0x-hex, structs as lists")


class RelayResultPublic(Public):
    """The relayed transaction: what the signer did, and the events it emitted."""

    signer: str
    contract: str
    function: str
    tx_hash: str
    block_number: int
    events: list[RelayedEventPublic]

    @classmethod
    def of(cls, contract: str, function: str, signer: str, receipt: Receipt) -> RelayResultPublic:
        """The receipt of what ``signer`` did, its events' arguments made JSON-ready."""
        return cls.build(
            receipt,
            signer=signer,
            contract=contract,
            function=function,
            events=[RelayedEventPublic.build(e, args=_jsonable(e.args)) for e in receipt.events],
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
