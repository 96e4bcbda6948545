"""The relay service: any party acts on the registry without holding gas.

The contracts read the caller through OpenZeppelin's ``ERC2771Context``; calls that come through
the registry's ``RegistryForwarder`` act for the account that signed the forward request. The
flow has two steps:

1. :meth:`RelayService.prepare` turns a :class:`ContractCall` a service built (a transfer, a
   licence, a release ...) into a :class:`ForwardRequest` for one signer: it runs the call as
   that signer first, so a refusal (frozen, pledged, not the holder ...) comes back before anyone
   signs; it fixes the gas, the signer's forwarder nonce and a deadline.
2. The signer signs :meth:`typed_data` (EIP-712, domain ``dareg.Forwarder``) with its own key,
   anywhere; :meth:`submit` checks the request and the signature, runs the call once more as the
   signer (so the contract's own error comes back, not the forwarder's ``FailedCall``) and sends
   ``execute`` signed by the relayer.

Only the registry's own contracts are relayed, never with value, and only the documented actions
of :mod:`registry.relay.policy` (anything else is refused before it is simulated or sent). What
the operator sends counts against the per-signer and global hourly quotas of
:mod:`registry.relay.quota` (checked after the request and its signature, before sending).
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient
from registry.chain.clock import ChainClock
from registry.chain.eip712 import SignedStruct, sign_typed_data
from registry.domain.chain import ContractCall, ForwardRequest, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.domain.inputs import checked_address
from registry.errors import (
    ContractRevertError,
    InputError,
    InvalidRelayRequestError,
    RelayRequestExpiredError,
    RelaySignatureError,
    StaleRelayRequestError,
)
from registry.relay.policy import check_relayable
from registry.relay.quota import RelayQuota

FORWARDER = "RegistryForwarder"
#: The contracts that trust the forwarder (and so the only ones relayed).
RELAYED_CONTRACTS: tuple[str, ...] = (
    "RegistryAuthority",
    "DataAssetRegistry",
    "TransferAgent",
    "LicenceRegistry",
    "ValuationRegistry",
    "EvidenceRegistry",
)
#: Seconds a prepared request stays valid unless the caller asks otherwise.
DEFAULT_TTL = 900
MAX_TTL = 7 * 24 * 3600

#: The forwarder's EIP-712 ``ForwardRequest`` (OpenZeppelin ``ERC2771Forwarder``'s typehash).
FORWARD_REQUEST = SignedStruct(
    "dareg.Forwarder",
    "ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,"
    "uint48 deadline,bytes data)",
)


def _gas_allowance(estimate: int) -> int:
    """Gas to forward: the estimate plus half (the forwarded call reads the appended sender)."""
    return estimate * 3 // 2 + 10_000


def _action_keys(function: str, args: dict[str, Any]) -> list[str]:
    """What a forward request acts on that no two requests may act on at once, beyond its
    signer's nonce: the registrations an issuance issues."""
    values = list(args.values())
    if function == "issue" and values:
        return [f"issue:{int(values[0])}"]
    if function == "issueBatch" and values:
        return [f"issue:{int(i)}" for i in values[0]]
    return []


class RelayService:
    """Prepares, checks and relays forward requests to the registry's contracts."""

    def __init__(
        self,
        client: ChainClient,
        manifest: DeploymentManifest,
        quota: RelayQuota | None = None,
        *,
        clock: ChainClock | None = None,
    ) -> None:
        """``quota`` counts what :meth:`submit` sends (the context always gives one; without
        it, as in the contracts' own tests, nothing is counted); ``clock`` is "now" for
        deadlines (default: the wall clock, never earlier than the head block's time)."""
        self._client = client
        self._clock = clock or ChainClock(client)
        self._quota = quota
        self._chain_id = manifest.chain_id
        self._forwarder = manifest.address_of(FORWARDER)
        self._targets = {manifest.address_of(name).lower(): name for name in RELAYED_CONTRACTS}
        self._addresses = {name: manifest.address_of(name) for name in RELAYED_CONTRACTS}

    @property
    def forwarder_address(self) -> str:
        return self._forwarder

    def nonce_of(self, signer: str) -> int:
        return int(self._client.call(FORWARDER, self._forwarder, "nonces", [signer]))

    def prepare(self, call: ContractCall, signer: str, ttl: int = DEFAULT_TTL) -> ForwardRequest:
        """The forward request ``signer`` signs to make ``call``; refused now (with the
        contract's error) if the call would fail for that signer."""
        if call.contract not in self._addresses:
            raise InvalidRelayRequestError(f"{call.contract} calls are not relayed")
        if not 0 < ttl <= MAX_TTL:
            raise InvalidRelayRequestError(
                f"a request stays valid between 1 second and {MAX_TTL} seconds, not {ttl}"
            )
        signer = checked_address(signer, "signer")
        to = self._addresses[call.contract]
        data = self._client.encode_call(call.contract, to, call.function, call.args)
        self._judged(call.contract, data)  # the policy, before the simulation
        gas = _gas_allowance(self._client.dry_run(to, data, signer))
        return ForwardRequest(
            signer=signer,
            to=to,
            gas=gas,
            nonce=self.nonce_of(signer),
            deadline=self._clock.deadline(ttl),
            data=data,
        )

    def typed_data(self, request: ForwardRequest) -> dict[str, Any]:
        """The EIP-712 document the signer signs (``eth_signTypedData_v4``)."""
        return FORWARD_REQUEST.typed_data(self._chain_id, self._forwarder, request.message())

    def describe(self, request: ForwardRequest) -> tuple[str, str, dict[str, Any]]:
        """``(contract, function, arguments)`` of a request to a registry contract; refused
        (:class:`~registry.errors.RelayActionNotAllowedError`) when it is not an action the
        operator relays."""
        contract = self._targets.get(request.to.lower())
        if contract is None:
            raise InvalidRelayRequestError(
                f"{request.to} is not one of this registry's relayed contracts "
                f"({', '.join(RELAYED_CONTRACTS)})"
            )
        function, args = self._judged(contract, request.data)
        return contract, function, args

    def _judged(self, contract: str, data: str) -> tuple[str, dict[str, Any]]:
        """The function and arguments ``data`` calls on ``contract``, if the policy relays it."""
        try:
            function, args = self._client.decode_call(contract, data)
        except InputError as exc:
            raise InvalidRelayRequestError(str(exc)) from exc
        check_relayable(contract, function, args)
        return function, args

    def check(self, request: ForwardRequest, signature: bytes) -> None:
        """Everything the forwarder and the target would check, with clear errors."""
        self.describe(request)
        if request.value != 0:
            raise InvalidRelayRequestError("the registry's calls carry no value")
        now = self._clock.now()
        if request.deadline < now:
            raise RelayRequestExpiredError(
                f"the request expired at {request.deadline} (now {now}); prepare a new one",
                deadline=request.deadline,
            )
        try:
            recovered = Account.recover_message(
                encode_typed_data(full_message=self.typed_data(request)), signature=signature
            )
        except Exception as exc:  # eth_keys raises several unrelated types for junk input
            raise RelaySignatureError("the signature cannot be recovered") from exc
        if recovered.lower() != request.signer.lower():
            raise RelaySignatureError(
                f"the request was signed by {recovered}, not by its signer {request.signer}"
            )
        self._check_nonce(request)
        self._client.dry_run(request.to, request.data, request.signer)

    def _check_nonce(self, request: ForwardRequest) -> None:
        """409 ``stale_relay_request`` when the signer's forwarder nonce moved on."""
        expected = self.nonce_of(request.signer)
        if request.nonce != expected:
            raise StaleRelayRequestError(
                f"the request carries nonce {request.nonce}, but {request.signer}'s next is "
                f"{expected}: it was sent already or superseded; prepare a new one",
                nonce=request.nonce,
                expected=expected,
            )

    def submit(self, request: ForwardRequest, signature: bytes, relayer: LocalAccount) -> Receipt:
        """Check ``request`` and send it through the forwarder, paid by ``relayer``: the policy,
        the signature, the nonce and the call as the signer first, then the signer's and the
        global quotas; nothing is sent when any of them refuses."""
        contract, function, args = self.describe(request)
        keys = [f"forward:{request.signer.lower()}:{request.nonce}", *_action_keys(function, args)]
        with self._client.transactions.in_flight.exclusive(*keys, what="this forward request"):
            return self._submit(request, signature, relayer, contract, function)

    def _submit(
        self,
        request: ForwardRequest,
        signature: bytes,
        relayer: LocalAccount,
        contract: str,
        function: str,
    ) -> Receipt:
        self.check(request, signature)
        struct = (
            request.signer,
            request.to,
            request.value,
            request.gas,
            request.deadline,
            bytes.fromhex(request.data.removeprefix("0x")),
            signature,
        )
        execute = ContractCall(FORWARDER, "execute", (struct,))

        def send() -> Receipt:
            try:
                return self._client.send(execute, self._forwarder, relayer)
            except ContractRevertError as exc:
                # simulated under the relayer's lock: a twin sent from elsewhere used the nonce
                if exc.error_name == "ERC2771ForwarderInvalidSigner":
                    self._check_nonce(request)
                raise

        if self._quota is None:
            return send()
        return self._quota.pay(request.signer, f"{contract}.{function}", send)

    def sign(self, request: ForwardRequest, signer: LocalAccount) -> bytes:
        return sign_typed_data(self.typed_data(request), signer)

    def relay(self, call: ContractCall, signer: LocalAccount, relayer: LocalAccount) -> Receipt:
        """Prepare, sign (with a key this process holds) and relay ``call`` in one step."""
        request = self.prepare(call, signer.address)
        return self.submit(request, self.sign(request, signer), relayer)
