"""The chain client: the only module that imports web3.

Everything above it works with typed objects from :mod:`registry.domain.chain`. Transactions
are signed locally with the operator's key (never by the node), so the same code works against
the embedded anvil, a Hardhat node or any other EVM node. The transport is injectable: pass a
``provider`` to talk to something other than HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import requests
import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import URI
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from urllib3.exceptions import NewConnectionError, ReadTimeoutError
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.providers.base import BaseProvider
from web3.providers.rpc import HTTPProvider
from web3.types import RPCEndpoint

from registry.artifacts import ContractArtifact
from registry.chain.abi import AbiCodec
from registry.chain.journal import TransactionJournal
from registry.chain.transactions import NonceTakenError, TransactionManager, outcome_unknown
from registry.domain.chain import BlockHeader, ChainEvent, ChainLog, ContractCall, Receipt
from registry.errors import (
    BlockNotFoundError,
    ChainError,
    ChainUnreachableError,
    ConfigurationError,
    ContractRevertError,
    DaregError,
    InputError,
    translate_revert,
)

#: Mnemonic of the embedded chain's public development accounts (anvil and Hardhat defaults).
DEV_MNEMONIC = "test test test test test test test test test test test junk"

P = ParamSpec("P")
R = TypeVar("R")


def _hex(value: bytes | str) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value
    return "0x" + bytes(value).hex()


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else int(str(value), 0)


def dev_account(index: int) -> LocalAccount:
    """The ``index``-th development account of the embedded chain (public test keys only)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(
        DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account


#: Development accounts that govern a registry on the embedded chain: the admin (a multisig or
#: timelock in production) and the pauser. Never the operator (account 0), never the accounts
#: the demo and the tests act with as registrants (1-19).
DEV_ADMIN_INDEX = 20
DEV_PAUSER_INDEX = 21

#: ERC-1967 implementation slot: keccak256("eip1967.proxy.implementation") - 1.
_IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"


def create_address(sender: str, nonce: int) -> str:
    """The address of the contract ``sender`` creates with its transaction ``nonce`` (CREATE)."""
    raw = keccak(rlp.encode([bytes.fromhex(sender.removeprefix("0x")), nonce]))[12:]
    return to_checksum_address(raw)


@contextmanager
def refusals_translated() -> Iterator[None]:
    """Raise a contract's refusal as the project's error: an "unknown X" revert becomes the
    matching :class:`~registry.errors.NotFoundError` (:func:`~registry.errors.translate_revert`),
    any other :class:`ContractRevertError` goes on unchanged."""
    try:
        yield
    except ContractRevertError as exc:
        translated = translate_revert(exc)
        if translated is exc:
            raise
        raise translated from exc


def _translating(method: Callable[P, R]) -> Callable[P, R]:
    """``method`` with its refusal raised as the project's error (:func:`refusals_translated`)."""

    def translated(*args: P.args, **kwargs: P.kwargs) -> R:
        with refusals_translated():
            return method(*args, **kwargs)

    return translated


#: The calls of the operation being served (an API request) that could not reach the chain;
#: ``None`` outside :func:`one_chance_at_the_chain`.
_failed_calls: ContextVar[list[ChainUnreachableError] | None] = ContextVar(
    "dareg_failed_chain_calls", default=None
)


@contextmanager
def one_chance_at_the_chain() -> Iterator[None]:
    """While the block runs (an API request, and the threads it runs in with a copy of its
    context), once a call could not reach the chain every later call fails at once with the
    same error, without asking the node: the operation fails within one timeout, and nothing is
    sent to the node after it failed."""
    token = _failed_calls.set([])
    try:
        yield
    finally:
        _failed_calls.reset(token)


#: Calls that change the chain: never asked twice.
_NEVER_REPEATED = frozenset({"eth_sendRawTransaction", "eth_sendTransaction"})

#: Bytes read at a time from the node's answer (the deadline is checked between reads).
_CHUNK = 64 * 1024


class BoundedHTTPProvider(HTTPProvider):
    """web3's HTTP provider with every JSON-RPC call bounded by ``timeout`` seconds and never
    repeated after a timeout.

    web3's own provider retries a call that timed out or failed to connect (five times, with
    backoff), ``eth_sendRawTransaction`` included: against a paused node one call took minutes,
    and a transaction whose request had already reached the node was sent again. Here each call
    is one HTTP request: connecting takes at most ``timeout``, and so does the whole answer
    (checked between reads, each read bounded by ``timeout`` too), else ``requests.Timeout``.
    Only a read whose kept-alive connection the node had closed is asked once more.
    """

    def __init__(self, endpoint_uri: str, timeout: float) -> None:
        super().__init__(
            endpoint_uri,
            request_kwargs={"timeout": timeout},
            exception_retry_configuration=None,
        )
        self.timeout = timeout
        self._url = URI(endpoint_uri)

    def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        try:
            return self._post(method, request_data)
        except requests.ConnectionError as exc:
            # a kept-alive connection the node closed meanwhile (a node that was paused drops
            # its idle connections when it continues): a read is asked again once, on a new
            # connection; a transaction never (it may have arrived), nor a refused connection
            if method in _NEVER_REPEATED or isinstance(exc, requests.Timeout):
                raise
            if _never_delivered(exc):
                raise
            return self._post(method, request_data)

    def _post(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        deadline = time.monotonic() + self.timeout
        session = self._request_session_manager.cache_and_return_session(self._url)
        with session.post(
            self._url,
            data=request_data,
            headers=self.get_request_headers(),
            timeout=self.timeout,
            stream=True,
        ) as response:
            response.raise_for_status()
            chunks: list[bytes] = []
            try:
                for chunk in response.iter_content(_CHUNK):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise requests.ReadTimeout(
                            f"{method}: the node's answer took longer than {self.timeout} s"
                        )
            except requests.ConnectionError as exc:
                # requests reports a read timeout within the body as a ConnectionError
                if exc.args and isinstance(exc.args[0], ReadTimeoutError):
                    raise requests.ReadTimeout(*exc.args) from exc
                raise
            return b"".join(chunks)


def _never_delivered(exc: BaseException) -> bool:
    """Whether a failed JSON-RPC request certainly never reached the node: the connection
    itself was refused or timed out (after that, the node may have received it)."""
    if isinstance(exc, requests.ConnectTimeout | ConnectionRefusedError):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        reason = getattr(exc.args[0], "reason", exc.args[0])
        return isinstance(reason, NewConnectionError | ConnectionRefusedError)
    return False


#: Where a contract object is only used to encode or decode.
_NO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class SentCall:
    """What :meth:`ChainClient.send` did: ``call`` to the contract at ``to``, signed by
    ``sender``; its ``receipt`` once mined, or the ``error`` that stopped it."""

    call: ContractCall
    to: str
    sender: str
    receipt: Receipt | None
    error: DaregError | None

    @property
    def tx_hash(self) -> str | None:
        """The transaction's hash once it was handed to the node: from its receipt, or from
        the error that stopped the wait for it (its outcome unknown, or reverted)."""
        if self.receipt is not None:
            return self.receipt.tx_hash
        found = None if self.error is None else self.error.details.get("tx_hash")
        return found if isinstance(found, str) else None


#: Called after every :meth:`ChainClient.send`, sent or refused (the access log listens).
SendListener = Callable[[SentCall], None]


class ChainClient:
    """A connection to one EVM node, with the registry's ABIs loaded for decoding."""

    def __init__(
        self,
        rpc_url: str,
        artifacts: Sequence[ContractArtifact],
        *,
        timeout: float = 10.0,
        provider: BaseProvider | None = None,
        url_setting: str = "DAREG_RPC_URL",
        nonce_dir: Path | None = None,
        receipt_timeout: float = 30.0,
        replacements: int = 2,
        journal: TransactionJournal | None = None,
    ) -> None:
        """``nonce_dir`` is where senders' locks and last nonces are shared with the other
        processes of the same ``var/`` (:mod:`registry.chain.transactions`); without it only
        this process's threads are serialised. ``journal`` is where every signed transaction
        is written before the node sees it (the embedded chain's write-ahead journal,
        registry/chain/journal.py); nothing for other nodes."""
        self.rpc_url = rpc_url
        self.timeout = timeout
        self._url_setting = url_setting
        self._w3 = Web3(provider or BoundedHTTPProvider(rpc_url, timeout))
        # web3's validation middleware asks the node for its chain id before every eth_call;
        # the chain is checked once against the deployment (RegistryContext.open) and every call
        # names it (:meth:`call`), so those round trips (two thirds of a read's) are dropped
        self._w3.middleware_onion.remove("validation")
        self._artifacts = {a.name: a for a in artifacts}
        self.codec = AbiCodec(list(artifacts))
        self.transactions = TransactionManager(
            _Node(self),
            lock_dir=nonce_dir,
            receipt_timeout=receipt_timeout,
            replacements=replacements,
            journal=journal,
            lock_timeout=timeout,
        )
        self._chain_id: int | None = None
        self._bound: dict[tuple[str, str], Any] = {}
        self._listeners: dict[str, SendListener] = {}

    # --- connectivity ---------------------------------------------------------------------

    def _unreachable(self, exc: BaseException) -> ChainUnreachableError:
        if isinstance(exc, requests.Timeout | TimeoutError) and not isinstance(
            exc, requests.ConnectTimeout
        ):
            return ChainUnreachableError(
                f"the chain at {self.rpc_url} did not answer within {self.timeout:g} s "
                "(DAREG_RPC_TIMEOUT); try again later",
                rpc_url=self.rpc_url,
                reason="timeout",
                timeout_seconds=self.timeout,
            )
        return ChainUnreachableError(
            f"cannot reach the chain at {self.rpc_url} ({type(exc).__name__}); "
            f"start the embedded stack with `dareg up` or point {self._url_setting} at a running "
            "EVM node",
            rpc_url=self.rpc_url,
            reason="unreachable",
        )

    def _guard(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, a call to the node: a refused connection or a node that did
        not answer within the timeout is raised as :class:`ChainUnreachableError`."""
        failed = _failed_calls.get()
        if failed:
            first = failed[0]
            # the node is not asked (no cause): nothing reaches it
            raise ChainUnreachableError(first.message, **first.details) from None
        try:
            return fn(*args, **kwargs)
        except (requests.ConnectionError, requests.Timeout, ConnectionError, OSError) as exc:
            error = self._unreachable(exc)
            if failed is not None:
                failed.append(error)
            raise error from exc

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._guard(lambda: self._w3.eth.chain_id))
        return self._chain_id

    def head(self) -> int:
        return int(self._guard(lambda: self._w3.eth.block_number))

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        """A raw JSON-RPC call (``evm_snapshot``, ``anvil_reorg`` ...)."""
        response = self._guard(self._w3.provider.make_request, method, list(params))
        if "error" in response:
            raise ChainError(f"{method} failed: {response['error']}")
        return response.get("result")

    # --- reads ----------------------------------------------------------------------------

    def code_hash(self, address: str) -> str | None:
        """keccak256 of the runtime code at ``address``, or ``None`` if it holds no code."""
        code = bytes(self._guard(self._w3.eth.get_code, to_checksum_address(address)))
        return _hex(keccak(code)) if code else None

    def implementation_of(self, proxy: str) -> str:
        """The implementation an ERC-1967 proxy delegates to (its implementation slot)."""
        raw = self._guard(
            self._w3.eth.get_storage_at, to_checksum_address(proxy), int(_IMPLEMENTATION_SLOT, 16)
        )
        return to_checksum_address(bytes(raw)[-20:])

    def next_nonce(self, address: str) -> int:
        """The nonce the next transaction from ``address`` will carry."""
        return self.transactions.next_nonce(address)

    def block(self, number: int | str = "latest") -> BlockHeader:
        """A block's header (raw JSON-RPC: web3's block formatters are slow)."""
        tag = hex(number) if isinstance(number, int) else number
        response = self._guard(self._w3.provider.make_request, "eth_getBlockByNumber", [tag, False])
        raw = response.get("result")
        if raw is None:
            if "error" in response and not (isinstance(number, int) and number > self.head()):
                raise ChainError(f"block {number} is not available: {response['error']}")
            # beyond the head: a node answers null, or an error for a number it cannot parse
            raise BlockNotFoundError(
                f"block {number} does not exist (yet): the chain's head is block {self.head()}",
                block=number,
            )
        return BlockHeader(
            number=int(raw["number"], 16),
            hash=str(raw["hash"]).lower(),
            parent_hash=str(raw["parentHash"]).lower(),
            timestamp=int(raw["timestamp"], 16),
        )

    def balance(self, address: str) -> int:
        return int(self._guard(self._w3.eth.get_balance, to_checksum_address(address)))

    def call(
        self,
        contract: str,
        address: str,
        function: str,
        args: Sequence[Any] = (),
        block: int | str = "latest",
    ) -> Any:
        """Call a view function; a custom-error revert becomes :class:`ContractRevertError`."""
        bound = self._contract(contract, address)
        try:
            return self._guard(
                bound.functions[function](*args).call,
                {"chainId": self.chain_id()},
                block_identifier=block,
            )
        except ContractLogicError as exc:
            raise self._revert(exc) from exc

    #: :meth:`call`, with the refusal as the project's error (:func:`refusals_translated`):
    #: what the services read with.
    read = _translating(call)

    def encode_call(self, contract: str, address: str, function: str, args: Sequence[Any]) -> str:
        """The calldata (hex) of ``function(*args)`` on ``contract``."""
        return str(self._contract(contract, address).encode_abi(function, args=list(args)))

    def decode_call(self, contract: str, data: str) -> tuple[str, dict[str, Any]]:
        """The function name and arguments of calldata sent to ``contract``; an
        :class:`InputError` when ``contract`` has no such function."""
        bound = self._contract(contract, _NO_ADDRESS)
        try:
            function, args = bound.decode_function_input(data)
        except (ValueError, TypeError) as exc:
            raise InputError(f"the data is not a call of a {contract} function") from exc
        return str(function.fn_name), dict(args)

    def simulate(self, to: str, data: str, sender: str) -> int:
        """Run a call as ``sender`` against the pending block without sending it; returns
        the gas it needs, or raises the contract's refusal as :class:`ContractRevertError`."""
        tx = {"from": to_checksum_address(sender), "to": to_checksum_address(to), "data": data}
        try:
            return int(self._guard(self._w3.eth.estimate_gas, tx, "pending"))
        except ContractLogicError as exc:
            raise self._revert(exc) from exc

    #: :meth:`simulate`, with the refusal as the project's error (:func:`refusals_translated`):
    #: a call checked as ``sender`` before anyone signs it.
    dry_run = _translating(simulate)

    def get_logs(
        self,
        addresses: Sequence[str],
        from_block: int,
        to_block: int,
        topics: Sequence[Sequence[str] | str | None] | None = None,
    ) -> list[ChainLog]:
        params: dict[str, Any] = {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": [to_checksum_address(a) for a in addresses],
        }
        if topics is not None:
            params["topics"] = [list(t) if isinstance(t, list | tuple) else t for t in topics]
        # raw JSON-RPC: web3's result formatters cost more than the node's answer itself
        response = self._guard(self._w3.provider.make_request, "eth_getLogs", [params])
        if "error" in response:
            raise ChainError(f"eth_getLogs failed: {response['error']}")
        checksummed: dict[str, str] = {}
        return [
            ChainLog(
                address=checksummed.get(raw["address"])
                or checksummed.setdefault(raw["address"], to_checksum_address(raw["address"])),
                topics=tuple(str(t).lower() for t in raw["topics"]),
                data=str(raw["data"]).lower(),
                block_number=int(raw["blockNumber"], 16),
                block_hash=str(raw["blockHash"]).lower(),
                tx_hash=str(raw["transactionHash"]).lower(),
                log_index=int(raw["logIndex"], 16),
            )
            for raw in response["result"]
            if not raw.get("removed")
        ]

    def decode(self, logs: Sequence[ChainLog]) -> list[ChainEvent]:
        return [e for e in (self.codec.decode_log(log) for log in logs) if e is not None]

    # --- writes ---------------------------------------------------------------------------

    def reset_nonces(self) -> None:
        """Forget the recorded nonces (after ``evm_revert`` or a reorg rewinds the chain)."""
        self.transactions.forget()

    def _artifact(self, contract: str) -> ContractArtifact:
        try:
            return self._artifacts[contract]
        except KeyError:
            raise ConfigurationError(
                f"the chain client has no compiled contract {contract}: build it with the "
                "client's artifacts (registry.artifacts.client_contracts)"
            ) from None

    def libraries_of(self, contract: str) -> tuple[str, ...]:
        """The external libraries ``contract``'s bytecode must be linked with."""
        return self._artifact(contract).libraries

    def deploy(
        self,
        contract: str,
        signer: LocalAccount,
        args: Sequence[Any] = (),
        libraries: Mapping[str, str] | None = None,
    ) -> Receipt:
        """Deploy ``contract``, its library placeholders linked to ``libraries`` (name: address)."""
        artifact = self._artifact(contract)
        bytecode = artifact.linked(libraries or {})
        factory = self._w3.eth.contract(abi=artifact.abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        return self._send(signer, to=None, data=data)

    def transact(
        self,
        contract: str,
        address: str,
        function: str,
        args: Sequence[Any],
        signer: LocalAccount,
    ) -> Receipt:
        """Send a state-changing call signed by ``signer`` and wait for its receipt."""
        bound = self._contract(contract, address)
        data = bound.encode_abi(function, args=list(args))
        return self._send(signer, to=bound.address, data=data)

    def send(self, call: ContractCall, address: str, signer: LocalAccount) -> Receipt:
        """Send ``call`` to the contract at ``address`` signed by ``signer`` and wait for its
        receipt; a refusal is raised as the project's error (:func:`refusals_translated`).

        The one way the services write to the chain; each listener hears of every call sent
        or refused (:meth:`add_send_listener`)."""
        try:
            with refusals_translated():
                receipt = self.transact(call.contract, address, call.function, call.args, signer)
        except DaregError as exc:
            self._notify(SentCall(call, address, signer.address, None, exc))
            raise
        self._notify(SentCall(call, address, signer.address, receipt, None))
        return receipt

    def add_send_listener(self, name: str, listener: SendListener) -> None:
        """Call ``listener`` after each :meth:`send` (in the sending thread); it replaces the
        listener registered under ``name`` before (a client outliving its context)."""
        self._listeners[name] = listener

    def remove_send_listener(self, name: str) -> None:
        """Stop calling the listener registered under ``name`` (if any)."""
        self._listeners.pop(name, None)

    def _notify(self, sent: SentCall) -> None:
        for listener in list(self._listeners.values()):
            listener(sent)

    def _send(self, signer: LocalAccount, *, to: str | None, data: str) -> Receipt:
        """Simulate, sign, send and await a transaction: :class:`TransactionManager` (the
        points "signed raw transaction about to be sent" and "receipt obtained" are there)."""
        return self.transactions.send(signer, to=to, data=data)

    # --- the node, as the transaction manager reaches it (NodeAccess) ------------------------

    def _estimate_gas(self, tx: dict[str, Any]) -> int:
        try:
            # against the pending block, where the transaction will run (time-bound rules)
            return int(self._guard(self._w3.eth.estimate_gas, tx, "pending"))
        except ContractLogicError as exc:
            raise self._revert(exc) from exc

    def _pending_nonce(self, address: str) -> int:
        return int(self._guard(self._w3.eth.get_transaction_count, address, "pending"))

    def _gas_price(self) -> int:
        return int(self._guard(lambda: self._w3.eth.gas_price))

    def _send_raw(self, raw: bytes) -> str:
        try:
            return _hex(self._guard(self._w3.eth.send_raw_transaction, raw))
        except ChainUnreachableError as exc:
            if exc.__cause__ is None or _never_delivered(exc.__cause__):
                raise  # the node was not asked, or refused the connection: nothing was sent
            raise outcome_unknown(exc, _hex(keccak(raw))) from exc
        except Web3RPCError as exc:
            message = str(exc).lower()
            if any(taken in message for taken in _NONCE_TAKEN):
                raise NonceTakenError(str(exc)) from exc
            raise ChainError(f"the node refused the transaction: {exc}") from exc

    def _transaction_nonce(self, tx_hash: str) -> int | None:
        try:
            tx = self._guard(self._w3.eth.get_transaction, tx_hash)
        except TransactionNotFound:
            return None
        return None if tx is None else int(tx["nonce"])

    def _receipt(self, tx_hash: str) -> tuple[bool, Receipt] | None:
        try:
            raw = self._guard(self._w3.eth.get_transaction_receipt, tx_hash)
        except TransactionNotFound:
            return None
        if raw is None or raw.get("blockNumber") is None:
            return None
        logs = [
            ChainLog(
                address=to_checksum_address(log["address"]),
                topics=tuple(_hex(t) for t in log["topics"]),
                data=_hex(log["data"]),
                block_number=int(log["blockNumber"]),
                block_hash=_hex(log["blockHash"]),
                tx_hash=_hex(log["transactionHash"]),
                log_index=int(log["logIndex"]),
            )
            for log in raw["logs"]
        ]
        address = raw.get("contractAddress")
        receipt = Receipt(
            tx_hash=_hex(raw["transactionHash"]),
            block_number=int(raw["blockNumber"]),
            block_hash=_hex(raw["blockHash"]),
            gas_used=int(raw["gasUsed"]),
            contract_address=to_checksum_address(address) if address else None,
            events=tuple(self.decode(logs)),
            block_timestamp=_optional_int(raw.get("blockTimestamp")),
        )
        return int(raw["status"]) == 1, receipt

    # --- helpers ---------------------------------------------------------------------------

    def _contract(self, name: str, address: str) -> Any:
        """The web3 contract object, built once per (contract, address): building one parses
        the whole ABI, which dominated the cost of every call."""
        key = (name, address.lower())
        bound = self._bound.get(key)
        if bound is None:
            bound = self._w3.eth.contract(
                address=to_checksum_address(address), abi=self._artifacts[name].abi
            )
            self._bound[key] = bound
        return bound

    def _revert(self, exc: ContractLogicError) -> ContractRevertError:
        data = exc.data if isinstance(exc.data, str) else None
        if data and data.startswith("0x") and len(data) >= 10:
            decoded = self.codec.decode_error(bytes.fromhex(data[2:]))
            if decoded is not None:
                return ContractRevertError(decoded[0], decoded[1])
        return ContractRevertError("Revert", {"reason": str(exc.message or exc)})


#: What nodes answer when a raw transaction's nonce is used or taken in their pool.
_NONCE_TAKEN = (
    "nonce too low",
    "already known",
    "replacement transaction underpriced",
    "nonce has already been used",
)


class _Node:
    """The chain client as the transaction manager's :class:`NodeAccess`."""

    def __init__(self, client: ChainClient) -> None:
        self._client = client

    def estimate_gas(self, tx: dict[str, Any]) -> int:
        return self._client._estimate_gas(tx)

    def pending_nonce(self, address: str) -> int:
        return self._client._pending_nonce(address)

    def gas_price(self) -> int:
        return self._client._gas_price()

    def chain_id(self) -> int:
        return self._client.chain_id()

    def send_raw(self, raw: bytes) -> str:
        return self._client._send_raw(raw)

    def receipt(self, tx_hash: str) -> tuple[bool, Receipt] | None:
        return self._client._receipt(tx_hash)

    def transaction_nonce(self, tx_hash: str) -> int | None:
        return self._client._transaction_nonce(tx_hash)
