"""Helpers for driving TransferAgent and LicenceRegistry against a real anvil.

* certificates are issued through the registration service (``RegistryContext``), exactly as
  tests/registry/registration does it: registrar code 440, whose staff account is dev account 7;
* a :class:`Rights` object wraps the three deployed contracts (certificates, transfer agent,
  licence registry) with send / call / "expect a refusal" helpers and one-request batch reads;
* :class:`PledgeTerms` is the EIP-712 ``Pledge`` message, built and signed exactly as the
  agent's ``_PLEDGE_TYPEHASH`` (domain "dareg.TransferAgent", version "1");
* :class:`LicenceInput` is the ``ILicenceRegistry.LicenceInput`` tuple with valid defaults.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import requests
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry.artifacts import load_artifact
from registry.chain.client import ChainClient, dev_account
from registry.chain.eip712 import sign_typed_data, typed_data
from registry.context import RegistryContext
from registry.db.engine import migrate
from registry.domain.chain import ChainEvent, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.domain.registration import RegistrarPolicy
from registry.errors import ContractRevertError
from registry.settings import Settings
from tests.conftest import admin as governor
from tests.registry.registration.conftest import NOTICE, REGISTRAR_CODE, metadata, registrar

REGISTRY = "DataAssetRegistry"
AGENT = "TransferAgent"
LICENCES = "LicenceRegistry"
AUTHORITY = "RegistryAuthority"

DAY = 86_400
REGULATOR_ROLE = keccak(text="REGULATOR_ROLE")
ZERO32 = bytes(32)
ZERO_ADDRESS = "0x" + "00" * 20

PLEDGE_DOMAIN_NAME = "dareg.TransferAgent"
PLEDGE_DOMAIN_VERSION = "1"
#: The EIP-712 ``Pledge`` type, field for field as TransferAgent's ``_PLEDGE_TYPEHASH``.
PLEDGE_TYPE: list[dict[str, str]] = [
    {"name": "tokenId", "type": "uint256"},
    {"name": "pledgor", "type": "address"},
    {"name": "pledgee", "type": "address"},
    {"name": "securedAmount", "type": "uint128"},
    {"name": "currency", "type": "bytes3"},
    {"name": "loanRef", "type": "bytes32"},
    {"name": "maturity", "type": "uint48"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]

#: Right bits of a registration (``rights``) and of a licence (``right``).
HOLDING, PROCESSING_USE, PRODUCT_OPERATION = 1, 2, 4
#: Chain value -> the name the registration metadata uses.
RIGHT_NAMES = {
    HOLDING: "holding",
    PROCESSING_USE: "processing_use",
    PRODUCT_OPERATION: "product_operation",
}


class Reason(IntEnum):
    NONE = 0
    SALE = 1
    INHERITANCE = 2
    MERGER = 3
    COURT_ORDER = 4
    PLEDGE_ENFORCEMENT = 5


class PledgeStatus(IntEnum):
    NONE = 0
    LIVE = 1
    RELEASED = 2
    ENFORCED = 3
    SETTLED = 4


class Consent(IntEnum):
    TRANSFER = 0
    CANCEL = 1
    EXCLUSIVE_LICENCE = 2
    CHANGE = 3


class Mechanism(IntEnum):
    NONE = 0
    SECURITY_ASSESSMENT = 1
    STANDARD_CONTRACT = 2
    CERTIFICATION = 3


class LicenceStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    TERMINATED = 2
    SETTLED = 3


class CertStatus(IntEnum):
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


def h(label: str) -> bytes:
    """A deterministic non-zero bytes32 standing in for a document or case hash."""
    return hashlib.sha256(label.encode()).digest()


def hex32(value: bytes) -> str:
    """How decoded events and revert arguments render a bytes32."""
    return "0x" + value.hex()


def country(code: str) -> bytes:
    """An ISO 3166-1 alpha-2 code as the contract's ``bytes2``."""
    assert len(code) == 2
    return code.encode("ascii")


# --- certificates --------------------------------------------------------------------------


def open_context(
    chain: ChainClient, deployment: DeploymentManifest, settings: Settings
) -> RegistryContext:
    """A registry context on the session chain with registrar 440 (dev account 7) configured.

    The same set-up as the ``ctx`` fixture of tests/registry/registration, and accounts 1..9
    funded.
    """
    deployment.save(settings.manifest_path)
    migrate(settings.effective_database_url)
    context = RegistryContext.open(settings, client=chain)
    admin = governor()
    context.registrations.configure_registrar(
        REGISTRAR_CODE,
        RegistrarPolicy(
            active=True, objections_open_to_all=True, evidence_required=False, notice_period=NOTICE
        ),
        admin,
        name="广东省数据资产登记中心",
        region="440000",
    )
    context.registrations.set_registrar_account(REGISTRAR_CODE, registrar().address, admin)
    for index in range(1, 13):
        fund(chain, dev_account(index).address)
    return context


@dataclasses.dataclass(frozen=True)
class CertificateSpec:
    """What to register: a holder and the metadata fields that differ from the default."""

    holder: LocalAccount
    rights: tuple[int, ...] = (HOLDING, PROCESSING_USE)
    classification: str = "general"
    changes: tuple[tuple[str, Any], ...] = ()


def issue_certificates(
    ctx: RegistryContext, chain: ChainClient, specs: Sequence[CertificateSpec], fp_base: int = 0xA0
) -> list[int]:
    """Apply (relayed, EIP-712), accept, give notice, wait it out once, issue: the token ids."""
    service = ctx.registrations
    ids = []
    for offset, spec in enumerate(specs):
        doc = metadata(
            spec.holder.address,
            (fp_base + offset) % 256,
            rights=[RIGHT_NAMES[r] for r in spec.rights],
            classification=spec.classification,
            **dict(spec.changes),
        )
        ids.append(service.sign_and_submit(doc, REGISTRAR_CODE, spec.holder, ctx.operator).id)
    for reg_id in ids:
        service.accept(reg_id, registrar())
        service.open_notice(reg_id, registrar())
    travel(chain, NOTICE + 1)
    for reg_id in ids:
        service.issue(reg_id, registrar())
    return ids


def issue_certificate(
    ctx: RegistryContext,
    chain: ChainClient,
    holder: LocalAccount,
    *,
    rights: tuple[int, ...] = (HOLDING, PROCESSING_USE),
    classification: str = "general",
    fp: int = 0xA1,
) -> int:
    """Issue one certificate to ``holder``; returns its token id."""
    spec = CertificateSpec(holder, rights, classification)
    return issue_certificates(ctx, chain, [spec], fp_base=fp)[0]


# --- chain utilities -----------------------------------------------------------------------


def travel(chain: ChainClient, seconds: int) -> int:
    """Move the clock ``seconds`` forward and mine a block; returns the new block's timestamp."""
    chain.rpc("evm_increaseTime", [seconds])
    chain.rpc("evm_mine")
    return chain.block().timestamp


def fund(chain: ChainClient, address: str, wei: int = 10**21) -> None:
    chain.rpc("anvil_setBalance", [to_checksum_address(address), hex(wei)])


def event(receipt: Receipt, name: str) -> ChainEvent:
    """The one event called ``name`` in ``receipt``."""
    found = events(receipt, name)
    assert len(found) == 1, f"expected one {name}, got {[e.name for e in receipt.events]}"
    return found[0]


def events(receipt: Receipt, name: str) -> list[ChainEvent]:
    return [e for e in receipt.events if e.name == name]


def same(a: str, b: str) -> bool:
    """Addresses equal regardless of case."""
    return a.lower() == b.lower()


# --- EIP-712 pledge consents ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PledgeTerms:
    """``ITransferAgent.PledgeTerms``: what the holder and the lender both sign."""

    token_id: int
    pledgor: str
    pledgee: str
    maturity: int
    nonce: int
    deadline: int
    secured_amount: int = 5_000_000_00
    currency: bytes = b"CNY"
    loan_ref: bytes = dataclasses.field(default_factory=lambda: h("loan contract 2025-001"))

    def replace(self, **changes: Any) -> PledgeTerms:
        return dataclasses.replace(self, **changes)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.token_id,
            to_checksum_address(self.pledgor),
            to_checksum_address(self.pledgee),
            self.secured_amount,
            self.currency,
            self.loan_ref,
            self.maturity,
            self.nonce,
            self.deadline,
        )

    def message(self) -> dict[str, Any]:
        """The EIP-712 message with JSON-safe values (hex for bytes), as ethers also takes it."""
        return {
            "tokenId": self.token_id,
            "pledgor": to_checksum_address(self.pledgor),
            "pledgee": to_checksum_address(self.pledgee),
            "securedAmount": self.secured_amount,
            "currency": "0x" + self.currency.hex(),
            "loanRef": "0x" + self.loan_ref.hex(),
            "maturity": self.maturity,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


def pledge_domain(chain_id: int, agent: str) -> dict[str, Any]:
    return {
        "name": PLEDGE_DOMAIN_NAME,
        "version": PLEDGE_DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(agent),
    }


def pledge_typed_data(chain_id: int, agent: str, terms: PledgeTerms) -> dict[str, Any]:
    return typed_data(
        name=PLEDGE_DOMAIN_NAME,
        version=PLEDGE_DOMAIN_VERSION,
        chain_id=chain_id,
        contract=to_checksum_address(agent),
        primary_type="Pledge",
        types={"Pledge": PLEDGE_TYPE},
        message=terms.message(),
    )


# --- licences ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LicenceInput:
    """``ILicenceRegistry.LicenceInput``; ``start``/``end`` are unix seconds."""

    licensee: str
    start: int
    end: int
    right: int = PROCESSING_USE
    exclusive: bool = False
    sublicensable: bool = False
    purposes: int = 0b0011
    territories: int = 0b0001
    terms_hash: bytes = dataclasses.field(default_factory=lambda: h("odrl policy"))
    fee_terms_hash: bytes = dataclasses.field(default_factory=lambda: h("fee terms"))

    def replace(self, **changes: Any) -> LicenceInput:
        return dataclasses.replace(self, **changes)

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            to_checksum_address(self.licensee),
            self.right,
            self.exclusive,
            self.sublicensable,
            self.purposes,
            self.territories,
            self.start,
            self.end,
            self.terms_hash,
            self.fee_terms_hash,
        )


# --- the contracts -------------------------------------------------------------------------


def _canonical(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def _normalise(kind: str, value: Any) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, tuple | list) and kind.startswith("("):
        inner = _split(kind[1 : kind.rindex(")")])
        return tuple(_normalise(k, v) for k, v in zip(inner, value, strict=True))
    if isinstance(value, tuple | list):
        return [_normalise(kind.removesuffix("[]"), v) for v in value]
    return value


def _split(types: str) -> list[str]:
    """Top-level comma split of a tuple's type list."""
    parts, depth, current = [], 0, ""
    for char in types:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    if current:
        parts.append(current)
    return parts


class Rights:
    """The deployed certificate contract, transfer agent and licence registry."""

    def __init__(self, chain: ChainClient, deployment: DeploymentManifest, admin: LocalAccount):
        self.chain = chain
        self.admin = admin
        self.address = {
            name: to_checksum_address(deployment.address_of(name))
            for name in (REGISTRY, AGENT, LICENCES, AUTHORITY)
        }
        artifacts_dir = Settings().artifacts_dir
        self._abi = {name: load_artifact(artifacts_dir, name).abi for name in self.address}

    @property
    def registry(self) -> str:
        return self.address[REGISTRY]

    @property
    def agent(self) -> str:
        return self.address[AGENT]

    @property
    def licences(self) -> str:
        return self.address[LICENCES]

    # --- raw access -------------------------------------------------------------------------

    def tx(
        self, contract: str, function: str, args: Sequence[Any], signer: LocalAccount
    ) -> Receipt:
        return self.chain.transact(contract, self.address[contract], function, args, signer)

    def call(self, contract: str, function: str, args: Sequence[Any] = ()) -> Any:
        return self.chain.call(contract, self.address[contract], function, args)

    def refused(
        self, contract: str, function: str, args: Sequence[Any], signer: LocalAccount
    ) -> ContractRevertError:
        """The custom error with which ``contract.function(args)`` from ``signer`` is refused."""
        try:
            self.tx(contract, function, args, signer)
        except ContractRevertError as exc:
            return exc
        raise AssertionError(f"{contract}.{function}{tuple(args)} was not refused")

    def _function(self, contract: str, name: str, arity: int) -> dict[str, Any]:
        return next(
            item
            for item in self._abi[contract]
            if item.get("type") == "function"
            and item["name"] == name
            and len(item["inputs"]) == arity
        )

    def batch(self, calls: Sequence[tuple[str, str, Sequence[Any]]]) -> list[Any]:
        """Many view calls in one JSON-RPC batch against the latest block.

        Each result is the decoded output (a tuple for a struct or several outputs); addresses
        are checksummed. A call that reverts yields its :class:`ContractRevertError`.
        """
        payload = []
        outputs = []
        for n, (contract, name, args) in enumerate(calls):
            item = self._function(contract, name, len(args))
            in_types = [_canonical(p) for p in item["inputs"]]
            selector = keccak(text=f"{name}({','.join(in_types)})")[:4]
            data = "0x" + (selector + abi_encode(in_types, list(args))).hex()
            to = self.address[contract]
            payload.append(
                {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": "eth_call",
                    "params": [{"to": to, "data": data}, "latest"],
                }
            )
            outputs.append([_canonical(p) for p in item["outputs"]])
        if not payload:
            return []
        response = requests.post(self.chain.rpc_url, json=payload, timeout=60)
        response.raise_for_status()
        answers = {a["id"]: a for a in response.json()}
        results: list[Any] = []
        for n, out_types in enumerate(outputs):
            answer = answers[n]
            if "error" in answer:
                data = answer["error"].get("data")
                decoded = self.chain.codec.decode_error(bytes.fromhex(data[2:])) if data else None
                assert decoded is not None, f"{calls[n]} failed: {answer['error']}"
                results.append(ContractRevertError(decoded[0], decoded[1]))
                continue
            values = abi_decode(out_types, bytes.fromhex(answer["result"][2:]))
            values = tuple(_normalise(k, v) for k, v in zip(out_types, values, strict=True))
            results.append(values[0] if len(values) == 1 else values)
        return results

    def struct(self, contract: str, function: str, value: Sequence[Any]) -> dict[str, Any]:
        """A struct returned by ``function`` (one argument) as a dict by field name."""
        item = self._function(contract, function, 1)
        names = [c["name"] for c in item["outputs"][0]["components"]]
        return dict(zip(names, value, strict=True))

    def as_module(self, caller: str, function: str, args: Sequence[Any]) -> list[ChainEvent]:
        """Send ``TransferAgent.function(args)`` as ``caller`` (the ledger or the licence
        registry, impersonated on anvil): how a test drives a hook another contract calls.
        Returns the transaction's events; a refusal raises :class:`ContractRevertError`."""
        data = self.chain.encode_call(AGENT, self.agent, function, args)
        self.chain.simulate(self.agent, data, caller)  # raises the refusal
        fund(self.chain, caller)
        self.chain.rpc("anvil_impersonateAccount", [caller])
        try:
            tx_hash = self.chain.rpc(
                "eth_sendTransaction", [{"from": caller, "to": self.agent, "data": data}]
            )
        finally:
            self.chain.rpc("anvil_stopImpersonatingAccount", [caller])
        raw = None
        for _ in range(100):  # mined at once on anvil; the receipt may lag a moment
            raw = self.chain.rpc("eth_getTransactionReceipt", [tx_hash])
            if raw is not None:
                break
            time.sleep(0.05)
        assert raw is not None
        assert int(raw["status"], 16) == 1, raw
        block = int(raw["blockNumber"], 16)
        logs = self.chain.get_logs([self.agent, self.registry, self.licences], block, block)
        return self.chain.decode([log for log in logs if log.tx_hash == str(tx_hash).lower()])

    # --- facts ------------------------------------------------------------------------------

    def now(self) -> int:
        return self.chain.block().timestamp

    def chain_id(self) -> int:
        return self.chain.chain_id()

    def owner_of(self, token_id: int) -> str:
        return str(self.call(REGISTRY, "ownerOf", [token_id]))

    def balance_of(self, account: str) -> int:
        return int(self.call(REGISTRY, "balanceOf", [to_checksum_address(account)]))

    def state(self, token_id: int) -> tuple[str, int, int, int, int]:
        """``certificateState``: (holder, status, level, validUntil, rights)."""
        holder, status, level, valid_until, rights = self.call(
            REGISTRY, "certificateState", [token_id]
        )
        return str(holder), int(status), int(level), int(valid_until), int(rights)

    def valid_until(self, token_id: int) -> int:
        return self.state(token_id)[3]

    def pledge(self, pledge_id: int) -> dict[str, Any]:
        return self.struct(AGENT, "pledge", self.call(AGENT, "pledge", [pledge_id]))

    def live_pledge_of(self, token_id: int) -> int:
        return int(self.call(AGENT, "livePledgeOf", [token_id]))

    def licence(self, licence_id: int) -> dict[str, Any]:
        return self.struct(LICENCES, "licence", self.call(LICENCES, "licence", [licence_id]))

    def is_live(self, licence_id: int) -> bool:
        return bool(self.call(LICENCES, "isLive", [licence_id]))

    # --- roles and regulator set-up -----------------------------------------------------------

    def grant_regulator(self, account: LocalAccount | str) -> Receipt:
        address = account if isinstance(account, str) else account.address
        return self.tx(AUTHORITY, "grantRole", [REGULATOR_ROLE, address], self.admin)

    def set_country(self, party: str, code: str, regulator: LocalAccount) -> Receipt:
        return self.tx(AGENT, "setPartyCountry", [party, country(code)], regulator)

    def record_domestic(
        self, parties: Sequence[LocalAccount | str], regulator: LocalAccount
    ) -> None:
        """Record CN for each party: a move to a party without a recorded country fails closed,
        so every recipient of a test is known (a regulator records countries)."""
        for party in parties:
            address = party if isinstance(party, str) else party.address
            self.set_country(address, "CN", regulator)

    def record_cross_border(
        self,
        token_id: int,
        recipient: str,
        code: str,
        expiry: int,
        regulator: LocalAccount,
        mechanism: Mechanism = Mechanism.SECURITY_ASSESSMENT,
        exporter: str | None = None,
    ) -> Receipt:
        """A cross-border record naming ``exporter`` (default: the current holder)."""
        record = (
            int(mechanism),
            expiry,
            country(code),
            h(f"approval {recipient} {code}"),
            to_checksum_address(exporter or self.state(token_id)[0]),
        )
        return self.tx(AGENT, "recordCrossBorder", [token_id, recipient, record], regulator)

    def consent(
        self,
        pledge_id: int,
        action: int,
        counterparty: str,
        pledgee: LocalAccount,
        deadline: int | None = None,
    ) -> Receipt:
        """The pledgee consents to ``action`` with ``counterparty`` (deadline: a day from now)."""
        when = self.now() + DAY if deadline is None else deadline
        return self.tx(AGENT, "grantConsent", [pledge_id, int(action), counterparty, when], pledgee)

    def refused_consent(
        self, pledge_id: int, action: int, counterparty: str, sender: LocalAccount
    ) -> ContractRevertError:
        args = [pledge_id, int(action), counterparty, self.now() + DAY]
        return self.refused(AGENT, "grantConsent", args, sender)

    # --- pledges ------------------------------------------------------------------------------

    def pledge_terms(
        self,
        token_id: int,
        pledgor: str,
        pledgee: str,
        *,
        maturity: int | None = None,
        deadline: int | None = None,
        **changes: Any,
    ) -> PledgeTerms:
        """Valid terms for the certificate's current nonce: maturity 180 days out, 1 h to sign."""
        now = self.now()
        terms = PledgeTerms(
            token_id=token_id,
            pledgor=pledgor,
            pledgee=pledgee,
            maturity=now + 180 * DAY if maturity is None else maturity,
            nonce=int(self.call(AGENT, "pledgeNonce", [token_id])),
            deadline=now + 3600 if deadline is None else deadline,
        )
        return terms.replace(**changes)

    def typed_pledge(self, terms: PledgeTerms) -> dict[str, Any]:
        return pledge_typed_data(self.chain_id(), self.agent, terms)

    def sign_pledge(self, terms: PledgeTerms, signer: LocalAccount) -> bytes:
        return sign_typed_data(self.typed_pledge(terms), signer)

    def register_pledge(
        self,
        terms: PledgeTerms,
        pledgor: LocalAccount,
        pledgee: LocalAccount,
        relayer: LocalAccount,
    ) -> tuple[int, Receipt]:
        """Both parties sign ``terms``; ``relayer`` sends them in one transaction."""
        receipt = self.tx(
            AGENT,
            "registerPledge",
            [terms.as_tuple(), self.sign_pledge(terms, pledgor), self.sign_pledge(terms, pledgee)],
            relayer,
        )
        return int(event(receipt, "PledgeRegistered").args["pledgeId"]), receipt

    def pledge_now(
        self,
        token_id: int,
        pledgor: LocalAccount,
        pledgee: LocalAccount,
        relayer: LocalAccount,
        **changes: Any,
    ) -> int:
        terms = self.pledge_terms(token_id, pledgor.address, pledgee.address, **changes)
        return self.register_pledge(terms, pledgor, pledgee, relayer)[0]

    # --- licences -----------------------------------------------------------------------------

    def licence_input(self, licensee: str, *, days: int = 365, **changes: Any) -> LicenceInput:
        """A valid input: from now for ``days`` days."""
        now = self.now()
        return LicenceInput(licensee=licensee, start=now, end=now + days * DAY).replace(**changes)

    def grant_licence(
        self, token_id: int, licence: LicenceInput, holder: LocalAccount
    ) -> tuple[int, Receipt]:
        receipt = self.tx(LICENCES, "grantLicence", [token_id, licence.as_tuple()], holder)
        return int(event(receipt, "LicenceGranted").args["licenceId"]), receipt

    def grant_sublicence(
        self, parent_id: int, licence: LicenceInput, licensee: LocalAccount
    ) -> tuple[int, Receipt]:
        receipt = self.tx(LICENCES, "grantSublicence", [parent_id, licence.as_tuple()], licensee)
        return int(event(receipt, "LicenceGranted").args["licenceId"]), receipt
