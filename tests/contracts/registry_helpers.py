"""Helpers for driving DataAssetRegistry in tests and in bench/bench_gas.py.

A :class:`Registry` wraps one deployed registry with its admin account: configure registrars,
submit (directly or relayed with an EIP-712 signature), drive an application to ``Issued``, read
registrations as dicts, and read many values in one JSON-RPC batch. Time travel and funding are
module functions because they act on the chain, not on the contract.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import requests
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry.artifacts import load_artifact
from registry.chain.client import ChainClient
from registry.domain.chain import ChainEvent, ChainLog, Receipt
from registry.errors import ContractRevertError
from registry.settings import Settings

REGISTRY = "DataAssetRegistry"
AUTHORITY = "RegistryAuthority"
EVIDENCE = "EvidenceRegistry"
AGENT = "TransferAgent"
LICENCES = "LicenceRegistry"
DOMAIN_NAME = "dareg.DataAssetRegistry"
DOMAIN_VERSION = "1"

DAY = 86_400
NOTICE_PERIOD = 15 * DAY
VALIDITY_PERIOD = 3 * 365 * DAY
RENEWAL_WINDOW = 90 * DAY

HOLDING, PROCESSING_USE, PRODUCT_OPERATION = 1, 2, 4


class Status(IntEnum):
    NONE = 0
    SUBMITTED = 1
    ACCEPTED = 2
    RETURNED = 3
    REJECTED = 4
    IN_NOTICE = 5
    ISSUED = 6
    CANCELLED = 7
    REVOKED = 8
    EXPIRED = 9


class Kind(IntEnum):
    RESOURCE = 0
    PRODUCT = 1


class Level(IntEnum):
    GENERAL = 0
    IMPORTANT = 1
    CORE = 2


class ObjectionStatus(IntEnum):
    NONE = 0
    OPEN = 1
    UPHELD = 2
    DISMISSED = 3


def digest(label: str) -> bytes:
    """A deterministic, non-zero 32-byte hash standing in for a fingerprint or metadata hash."""
    return hashlib.sha256(label.encode()).digest()


def hex32(value: bytes) -> str:
    """How decoded events and revert arguments render a bytes32."""
    return "0x" + value.hex()


@dataclasses.dataclass(frozen=True)
class Application:
    """An ``ApplicationInput``; the defaults are a valid general-level data resource."""

    registrar_code: int
    kind: int = Kind.RESOURCE
    rights: int = HOLDING
    level: int = Level.GENERAL
    data_source: int = 1
    applicant_type: int = 1
    source_agreement_end: int = 0
    fingerprint: bytes = dataclasses.field(default_factory=lambda: digest("fingerprint"))
    metadata_hash: bytes = dataclasses.field(default_factory=lambda: digest("metadata"))
    parents: tuple[int, ...] = ()

    def replace(self, **changes: Any) -> Application:
        return dataclasses.replace(self, **changes)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.registrar_code,
            int(self.kind),
            self.rights,
            int(self.level),
            self.data_source,
            self.applicant_type,
            self.source_agreement_end,
            self.fingerprint,
            self.metadata_hash,
            list(self.parents),
        )


_APPLICATION_TYPE = [
    {"name": "registrarCode", "type": "uint16"},
    {"name": "kind", "type": "uint8"},
    {"name": "rights", "type": "uint8"},
    {"name": "level", "type": "uint8"},
    {"name": "dataSource", "type": "uint8"},
    {"name": "applicantType", "type": "uint8"},
    {"name": "sourceAgreementEnd", "type": "uint48"},
    {"name": "fingerprint", "type": "bytes32"},
    {"name": "metadataHash", "type": "bytes32"},
    {"name": "parents", "type": "uint256[]"},
    {"name": "applicant", "type": "address"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def event(receipt: Receipt, name: str) -> ChainEvent:
    """The one event called ``name`` in ``receipt``."""
    found = [e for e in receipt.events if e.name == name]
    assert len(found) == 1, f"expected one {name}, got {[e.name for e in receipt.events]}"
    return found[0]


def events(receipt: Receipt, name: str) -> list[ChainEvent]:
    return [e for e in receipt.events if e.name == name]


def latest_timestamp(chain: ChainClient) -> int:
    return chain.block().timestamp


def block_time(chain: ChainClient, receipt: Receipt) -> int:
    return chain.block(receipt.block_number).timestamp


def time_travel(chain: ChainClient, seconds: int) -> int:
    """Move the chain's clock ``seconds`` forward and mine a block; returns its timestamp."""
    chain.rpc("evm_increaseTime", [seconds])
    chain.rpc("evm_mine")
    return latest_timestamp(chain)


def fund(chain: ChainClient, address: str, wei: int = 10**21) -> None:
    chain.rpc("anvil_setBalance", [to_checksum_address(address), hex(wei)])


def _canonical(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param["components"]) + ")" + kind[5:]
    return kind


class Registry:
    """One deployed DataAssetRegistry with its admin."""

    def __init__(self, chain: ChainClient, address: str, admin: LocalAccount) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.admin = admin
        self._abi = load_artifact(Settings().artifacts_dir, REGISTRY).abi
        self.authority = to_checksum_address(self.call("authority"))

    def govern(self, function: str, args: Sequence[Any], signer: LocalAccount) -> Receipt:
        """A transaction to the RegistryAuthority (roles, registrars, pause)."""
        return self.chain.transact(AUTHORITY, self.authority, function, args, signer)

    def governance_refused(
        self, function: str, args: Sequence[Any], signer: LocalAccount
    ) -> ContractRevertError:
        """The custom error with which the authority refuses ``function(args)`` from ``signer``."""
        try:
            self.govern(function, args, signer)
        except ContractRevertError as exc:
            return exc
        raise AssertionError(f"authority {function}{tuple(args)} was not refused")

    def module(self, name: str) -> str:
        """The address of the transfer agent (``AGENT``) or licence registry (``LICENCES``)."""
        getter = "transferAgent" if name == AGENT else "licenceRegistry"
        return to_checksum_address(self.call(getter))

    def grant_processing_licence(
        self, token_id: int, holder: LocalAccount, licensee: str, *, days: int = 300
    ) -> Receipt:
        """``holder`` grants ``licensee`` a non-exclusive processing-use licence on ``token_id``
        (its certified rights must include processing use)."""
        now = latest_timestamp(self.chain)
        terms = (licensee, PROCESSING_USE, False, False, 1, 1, now, now + days * DAY)
        licence = (*terms, digest(f"terms {token_id} {licensee}"), bytes(32))
        return self.chain.transact(
            LICENCES, self.module(LICENCES), "grantLicence", [token_id, licence], holder
        )

    # --- raw access -----------------------------------------------------------------------

    def tx(self, function: str, args: Sequence[Any], signer: LocalAccount) -> Receipt:
        return self.chain.transact(REGISTRY, self.address, function, args, signer)

    def call(self, function: str, args: Sequence[Any] = ()) -> Any:
        return self.chain.call(REGISTRY, self.address, function, args)

    def refused(
        self, function: str, args: Sequence[Any], signer: LocalAccount
    ) -> ContractRevertError:
        """The custom error with which the registry refuses ``function(args)`` from ``signer``."""
        try:
            self.tx(function, args, signer)
        except ContractRevertError as exc:
            return exc
        raise AssertionError(f"{function}{tuple(args)} was not refused")

    def refused_call(self, function: str, args: Sequence[Any]) -> ContractRevertError:
        try:
            self.call(function, args)
        except ContractRevertError as exc:
            return exc
        raise AssertionError(f"call {function}{tuple(args)} was not refused")

    def _function(self, name: str, arity: int) -> dict[str, Any]:
        return next(
            i
            for i in self._abi
            if i.get("type") == "function" and i["name"] == name and len(i["inputs"]) == arity
        )

    def encode_call(self, name: str, args: Sequence[Any]) -> bytes:
        """Calldata of ``name(args)``, encoded with eth-abi (much faster than web3 objects)."""
        in_types = [_canonical(p) for p in self._function(name, len(args))["inputs"]]
        selector = keccak(text=f"{name}({','.join(in_types)})")[:4]
        return selector + abi_encode(in_types, list(args))

    def _rpc_batch(self, requests_: list[tuple[str, list[Any]]]) -> list[Any]:
        payload = [
            {"jsonrpc": "2.0", "id": n, "method": method, "params": params}
            for n, (method, params) in enumerate(requests_)
        ]
        response = requests.post(self.chain.rpc_url, json=payload, timeout=60)
        response.raise_for_status()
        answers = {a["id"]: a for a in response.json()}
        results = []
        for n, request in enumerate(requests_):
            if "error" in answers[n]:
                raise AssertionError(f"{request} failed: {answers[n]['error']}")
            results.append(answers[n]["result"])
        return results

    def simulate(
        self, function: str, args: Sequence[Any], sender: LocalAccount, block: str = "pending"
    ) -> ContractRevertError | None:
        """The custom error ``function(args)`` from ``sender`` would revert with, or ``None``.

        Simulates on the pending block, which honours ``evm_setNextBlockTimestamp``; this is how
        to see what happens at an exact second. (:meth:`ChainClient.transact` estimates gas on
        the latest block, one block earlier than the transaction runs.)
        """
        call = {
            "from": sender.address,
            "to": self.address,
            "data": "0x" + self.encode_call(function, args).hex(),
        }
        payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, block]}
        answer = requests.post(self.chain.rpc_url, json=payload, timeout=30).json()
        if "error" not in answer:
            return None
        data = answer["error"].get("data")
        decoded = self.chain.codec.decode_error(bytes.fromhex(data[2:])) if data else None
        if decoded is None:
            raise AssertionError(f"{function}{tuple(args)} failed without a custom error: {answer}")
        return ContractRevertError(decoded[0], decoded[1])

    def refused_at(
        self, timestamp: int, function: str, args: Sequence[Any], sender: LocalAccount
    ) -> ContractRevertError:
        """The custom error refusing ``function(args)`` in a block at exactly ``timestamp``."""
        self.chain.rpc("evm_setNextBlockTimestamp", [timestamp])
        error = self.simulate(function, args, sender)
        assert error is not None, f"{function}{tuple(args)} would not be refused at {timestamp}"
        return error

    def tx_at(
        self,
        timestamp: int,
        function: str,
        args: Sequence[Any],
        signer: LocalAccount,
        gas: int = 2_000_000,
    ) -> list[ChainEvent]:
        """Run ``function(args)`` in a block at exactly ``timestamp``; returns its events."""
        self.chain.rpc("evm_setNextBlockTimestamp", [timestamp])
        error = self.simulate(function, args, signer)
        if error is not None:
            raise error
        (decoded,) = self.bulk([(signer, function, args)], gas=gas)
        return decoded

    def batch_call(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Many view calls against the latest block in one JSON-RPC batch request.

        Each result is the decoded output: a single value, or a tuple for several outputs or
        one struct.
        """
        raw = self._rpc_batch(
            [
                (
                    "eth_call",
                    [{"to": self.address, "data": "0x" + self.encode_call(n, a).hex()}, "latest"],
                )
                for n, a in calls
            ]
        )
        results: list[Any] = []
        for (name, args), answer in zip(calls, raw, strict=True):
            outputs = self._function(name, len(args))["outputs"]
            values = abi_decode([_canonical(p) for p in outputs], bytes.fromhex(answer[2:]))
            results.append(values[0] if len(values) == 1 else values)
        return results

    def bulk(
        self, calls: Sequence[tuple[LocalAccount, str, Sequence[Any]]], gas: int = 400_000
    ) -> list[list[ChainEvent]]:
        """Send many transactions at once and mine them; returns each one's decoded events.

        For setting up state fast: no gas estimation, no web3 contract objects, one HTTP request
        for all sends. Every transaction must succeed. Gas used per transaction is the same as
        when sent one by one (warm and cold access is per transaction).
        """
        senders = sorted({signer.address for signer, _, _ in calls})
        counts = self._rpc_batch([("eth_getTransactionCount", [a, "pending"]) for a in senders])
        nonces = {a: int(c, 16) for a, c in zip(senders, counts, strict=True)}
        # Twice the latest base fee plus a small tip. (Not a multiple of eth_gasPrice: anvil
        # derives that suggestion from recent prices, so it would compound call after call.)
        (latest,) = self._rpc_batch([("eth_getBlockByNumber", ["latest", False])])
        price = 2 * int(latest.get("baseFeePerGas", "0x0"), 16) + 10**9
        chain_id = self.chain.chain_id()
        raw_txs = []
        for signer, name, args in calls:
            tx: dict[str, Any] = {
                "to": self.address,
                "data": "0x" + self.encode_call(name, args).hex(),
                "value": 0,
                "gas": gas,
                "gasPrice": price,
                "nonce": nonces[signer.address],
                "chainId": chain_id,
            }
            nonces[signer.address] += 1
            raw_txs.append("0x" + signer.sign_transaction(tx).raw_transaction.hex())
        self.chain.rpc("evm_setAutomine", [False])
        try:
            hashes = self._rpc_batch([("eth_sendRawTransaction", [t]) for t in raw_txs])
            receipts: list[Any] = [None] * len(hashes)
            for _ in range(len(hashes) + 1):
                self.chain.rpc("evm_mine")
                missing = [n for n, r in enumerate(receipts) if r is None]
                found = self._rpc_batch(
                    [("eth_getTransactionReceipt", [hashes[n]]) for n in missing]
                )
                for n, receipt in zip(missing, found, strict=True):
                    receipts[n] = receipt
                if all(r is not None for r in receipts):
                    break
        finally:
            self.chain.rpc("evm_setAutomine", [True])
            self.chain.reset_nonces()
        decoded = []
        for call, receipt in zip(calls, receipts, strict=True):
            assert receipt is not None, f"{call[1:]} was never mined"
            assert int(receipt["status"], 16) == 1, f"{call[1:]} reverted"
            logs = [
                ChainLog(
                    address=to_checksum_address(log["address"]),
                    topics=tuple(log["topics"]),
                    data=log["data"],
                    block_number=int(log["blockNumber"], 16),
                    block_hash=log["blockHash"],
                    tx_hash=log["transactionHash"],
                    log_index=int(log["logIndex"], 16),
                )
                for log in receipt["logs"]
            ]
            decoded.append(self.chain.decode(logs))
        return decoded

    # --- registrars -----------------------------------------------------------------------

    def configure_registrar(
        self,
        code: int,
        *,
        active: bool = True,
        open_to_all: bool = True,
        evidence_required: bool = False,
        notice_period: int = NOTICE_PERIOD,
    ) -> Receipt:
        policy = (active, open_to_all, evidence_required, notice_period)
        return self.govern("configureRegistrar", [code, policy], self.admin)

    def add_registrar(self, code: int, account: LocalAccount, **policy: Any) -> None:
        """Configure registrar ``code`` and bind ``account`` to it with REGISTRAR_ROLE."""
        self.configure_registrar(code, **policy)
        self.govern("setRegistrarAccount", [code, account.address, True], self.admin)

    # --- applications ---------------------------------------------------------------------

    def submit(self, applicant: LocalAccount, application: Application) -> tuple[int, Receipt]:
        receipt = self.tx("submitApplication", [application.as_tuple()], applicant)
        return int(event(receipt, "ApplicationSubmitted").args["id"]), receipt

    def typed_application(
        self, application: Application, applicant: str, nonce: int, deadline: int
    ) -> dict[str, Any]:
        """The EIP-712 ``Application`` message the contract's ``_applicationHash`` verifies."""
        return {
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": self.chain.chain_id(),
                "verifyingContract": self.address,
            },
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Application": _APPLICATION_TYPE,
            },
            "primaryType": "Application",
            "message": {
                "registrarCode": application.registrar_code,
                "kind": int(application.kind),
                "rights": application.rights,
                "level": int(application.level),
                "dataSource": application.data_source,
                "applicantType": application.applicant_type,
                "sourceAgreementEnd": application.source_agreement_end,
                "fingerprint": application.fingerprint,
                "metadataHash": application.metadata_hash,
                "parents": list(application.parents),
                "applicant": applicant,
                "nonce": nonce,
                "deadline": deadline,
            },
        }

    def sign_application(
        self,
        application: Application,
        signer: LocalAccount,
        deadline: int,
        *,
        applicant: str | None = None,
        nonce: int | None = None,
    ) -> bytes:
        """``signer``'s signature of the application for ``applicant`` (default: the signer)."""
        applicant = applicant or signer.address
        if nonce is None:
            nonce = int(self.call("applicationNonce", [applicant]))
        typed = self.typed_application(application, applicant, nonce, deadline)
        return bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)

    def submit_for(
        self,
        application: Application,
        applicant: LocalAccount,
        relayer: LocalAccount,
        *,
        deadline: int | None = None,
    ) -> tuple[int, Receipt]:
        """Relay ``applicant``'s signed application; ``relayer`` pays the gas."""
        if deadline is None:
            deadline = latest_timestamp(self.chain) + 3600
        signature = self.sign_application(application, applicant, deadline)
        receipt = self.tx(
            "submitApplicationFor",
            [application.as_tuple(), applicant.address, deadline, signature],
            relayer,
        )
        return int(event(receipt, "ApplicationSubmitted").args["id"]), receipt

    def to_notice(self, reg_id: int, registrar: LocalAccount) -> Receipt:
        """Accept a submitted application and open its public notice."""
        self.tx("accept", [reg_id], registrar)
        return self.tx("openNotice", [reg_id], registrar)

    def issued(
        self,
        applicant: LocalAccount,
        registrar: LocalAccount,
        application: Application,
        *,
        notice_period: int = NOTICE_PERIOD,
    ) -> tuple[int, Receipt]:
        """Apply, accept, give notice, wait out the window, issue; returns (id, issue receipt)."""
        reg_id, _ = self.submit(applicant, application)
        self.to_notice(reg_id, registrar)
        time_travel(self.chain, notice_period)
        return reg_id, self.tx("issue", [reg_id], registrar)

    # --- reads ----------------------------------------------------------------------------

    def registration_fields(self) -> list[str]:
        """Field names of the ``Registration`` struct, in ABI order."""
        item = self._function("registration", 1)
        return [c["name"] for c in item["outputs"][0]["components"]]

    def registration(self, reg_id: int) -> dict[str, Any]:
        """The stored registration as a dict keyed by the struct's field names."""
        values = self.call("registration", [reg_id])
        return dict(zip(self.registration_fields(), values, strict=True))

    def status(self, reg_id: int) -> Status:
        return Status(self.call("statusOf", [reg_id]))
