"""The rights service: transfers, pledges, freezes, approvals and licences of issued certificates.

Every rule is enforced by the contracts (``TransferAgent`` moves certificates and keeps pledges,
freezes, approvals and cross-border records; ``LicenceRegistry`` keeps licences). This service
validates input early with clear messages, keeps the off-chain documents whose SHA-256 goes on
chain (transfer contracts, case references, loan references, approval numbers, ODRL policies,
fee terms, termination reasons) in the :class:`~registry.documents.DocumentStore`, builds and
relays the EIP-712 pledge consents, and turns chain reads into :mod:`registry.domain.rights`
objects. Every read takes ``block`` (a number or ``"latest"``) to answer as of that block.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient
from registry.chain.clock import ChainClock
from registry.chain.eip712 import SignedStruct, sign_typed_data
from registry.documents import DocumentStore, sha256
from registry.domain.chain import ChainEvent, ContractCall, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.domain.inputs import checked_address
from registry.domain.rights import (
    CROSS_BORDER_MAX_TERM,
    HOLDER_REASONS,
    IMPORTANT_DATA_MECHANISMS,
    ConsentAction,
    CrossBorderMechanism,
    CrossBorderRecord,
    Freeze,
    Licence,
    LicenceTerms,
    Pledge,
    PledgeConsent,
    PledgeStatus,
    PledgeTerms,
    Transfer,
    TransferReason,
    check_country,
    timestamp_of,
)
from registry.errors import (
    InputError,
    NotFoundError,
    PledgeNotFoundError,
)
from registry.registration.service import certificate_id
from registry.relay.quota import RelayQuota
from registry.rights.odrl import (
    MEDIA_TYPE,
    PolicyStatement,
    build_policy,
    canonical_policy,
    certificate_iri,
    check_policy,
    new_policy_uid,
)

AGENT = "TransferAgent"
LICENCES = "LicenceRegistry"
LEDGER = "DataAssetRegistry"

#: ``TransferAgent``'s EIP-712 ``Pledge``, which the holder and the lender both sign.
PLEDGE = SignedStruct(
    "dareg.TransferAgent",
    "Pledge(uint256 tokenId,address pledgor,address pledgee,uint128 securedAmount,bytes3 currency,"
    "bytes32 loanRef,uint48 maturity,uint256 nonce,uint256 deadline)",
)

Block = int | str


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


class RightsService:
    """Talks to TransferAgent and LicenceRegistry; stores the documents whose hashes they record."""

    def __init__(
        self,
        client: ChainClient,
        manifest: DeploymentManifest,
        documents: DocumentStore,
        quota: RelayQuota | None = None,
        *,
        clock: ChainClock | None = None,
    ) -> None:
        """``quota`` counts the pledges a relayer pays for (:meth:`register_pledge`); ``clock``
        is "now" (default: the wall clock, never earlier than the head block's time)."""
        self._client = client
        self._clock = clock or ChainClock(client)
        self._chain_id = manifest.chain_id
        self._addresses = {name: manifest.address_of(name) for name in (AGENT, LICENCES, LEDGER)}
        self.documents = documents
        self._quota = quota

    @property
    def agent_address(self) -> str:
        return self._addresses[AGENT]

    @property
    def licence_registry_address(self) -> str:
        return self._addresses[LICENCES]

    # --- plumbing ---------------------------------------------------------------------

    def _send(
        self, contract: str, function: str, args: Sequence[Any], signer: LocalAccount
    ) -> Receipt:
        return self.send(ContractCall(contract, function, tuple(args)), signer)

    def send(self, call: ContractCall, signer: LocalAccount) -> Receipt:
        """Send ``call`` as ``signer``'s own transaction."""
        return self._client.send(call, self._addresses[call.contract], signer)

    def _call(
        self, contract: str, function: str, args: Sequence[Any] = (), block: Block = "latest"
    ) -> Any:
        return self._client.read(contract, self._addresses[contract], function, args, block)

    @staticmethod
    def _events(receipt: Receipt, name: str) -> list[ChainEvent]:
        found = [e for e in receipt.events if e.name == name]
        if not found:
            raise InputError(f"transaction {receipt.tx_hash} emitted no {name}")
        return found

    def _required_text(self, text: str, what: str) -> bytes:
        if not text or not text.strip():
            raise InputError(f"{what} is required")
        return self.documents.put_text(text)

    def _now(self) -> int:
        """The chain's time, which the contracts check expiries and consents against."""
        return self._client.block().timestamp

    # --- certificates -----------------------------------------------------------------

    def token_id_of(self, certificate_number: str) -> int:
        """The token id of a certificate number (validated before any chain call)."""
        return certificate_id(self._client, self._addresses[LEDGER], certificate_number)

    def certificate_number(self, token_id: int) -> str:
        return str(int(self._call(LEDGER, "certificateNumber", [token_id])))

    def holder_of(self, token_id: int, block: Block = "latest") -> str:
        holder, *_ = self._call(LEDGER, "certificateState", [token_id], block)
        return str(holder)

    # --- transfers --------------------------------------------------------------------

    def transfer_of(self, receipt: Receipt) -> Transfer:
        """The transfer a receipt records."""
        event = self._events(receipt, "CertificateTransferred")[-1]
        a = event.args
        document = str(a["documentHash"]).lower()
        return Transfer(
            token_id=int(a["tokenId"]),
            from_=str(a["from"]),
            to=str(a["to"]),
            reason=TransferReason.of_chain(int(a["reason"])),
            document_hash=None if int(document, 16) == 0 else document,
            tx_hash=receipt.tx_hash,
            block_number=receipt.block_number,
        )

    def transfer_call(
        self,
        token_id: int,
        to: str,
        reason: TransferReason | str,
        document_text: str | None,
    ) -> ContractCall:
        """The holder's transfer for a sale, inheritance or merger; ``document_text`` (the
        underlying contract) is stored and its hash recorded."""
        reason = TransferReason(reason)
        if reason not in HOLDER_REASONS:
            allowed = ", ".join(sorted(r.value for r in HOLDER_REASONS))
            raise InputError(
                f"a holder transfers for {allowed}; {reason.value} transfers are made by a "
                "regulator (court order) or a pledgee (enforcement)"
            )
        return ContractCall(
            AGENT,
            "transfer",
            (
                token_id,
                checked_address(to, "to"),
                reason.chain,
                self.documents.put_optional_text(document_text),
            ),
        )

    def transfer(
        self,
        token_id: int,
        to: str,
        reason: TransferReason | str,
        document_text: str | None,
        holder: LocalAccount,
    ) -> Transfer:
        """The holder transfers (see :meth:`transfer_call`)."""
        return self.transfer_of(
            self.send(self.transfer_call(token_id, to, reason, document_text), holder)
        )

    def court_order_call(self, token_id: int, to: str, case_ref_text: str) -> ContractCall:
        """A regulator executes a court order (the only movement a freeze allows); the case
        reference is stored, its hash recorded."""
        case_ref = self._required_text(case_ref_text, "the case reference of a court order")
        return ContractCall(
            AGENT, "courtOrderTransfer", (token_id, checked_address(to, "to"), case_ref)
        )

    def court_order_transfer(
        self, token_id: int, to: str, case_ref_text: str, regulator: LocalAccount
    ) -> Transfer:
        """A regulator executes a court order (see :meth:`court_order_call`)."""
        return self.transfer_of(
            self.send(self.court_order_call(token_id, to, case_ref_text), regulator)
        )

    # --- regulators -------------------------------------------------------------------
    # Each ``…_call`` builds what a regulator (or the admin) signs: its own transaction, or a
    # forward request the operator relays. The operator holds no role.

    def transfer_approval_call(self, token_id: int, to: str, expiry: datetime) -> ContractCall:
        """Approve one move of important data from the current holder to ``to`` until
        ``expiry`` (in the future); the move spends the approval."""
        seconds = timestamp_of(expiry, "expiry")
        if seconds <= self._now():
            raise InputError(f"the approval's expiry {expiry.isoformat()} is not in the future")
        return ContractCall(
            AGENT, "approveTransfer", (token_id, checked_address(to, "to"), seconds)
        )

    def approve_transfer(
        self, token_id: int, to: str, expiry: datetime, regulator: LocalAccount
    ) -> datetime:
        """Approve a transfer of important data (see :meth:`transfer_approval_call`)."""
        call = self.transfer_approval_call(token_id, to, expiry)
        self.send(call, regulator)
        return datetime.fromtimestamp(int(call.args[2]), tz=UTC)

    def cross_border_call(
        self,
        token_id: int,
        recipient: str,
        mechanism: CrossBorderMechanism | str,
        approval_number: str,
        expiry: datetime,
        country: str,
    ) -> ContractCall:
        """Record the basis of a transfer abroad to ``recipient`` by the current holder (the
        exporter the record names; the approval number is stored off chain, its hash on chain).

        Checked here as the contract checks it: a mechanism allowed for the data's level
        (important data: security assessment only), an expiry in the future and at most
        :data:`CROSS_BORDER_MAX_TERM` away, a foreign country."""
        mechanism = CrossBorderMechanism(mechanism)
        if mechanism is CrossBorderMechanism.NONE:
            raise InputError(
                "a cross-border record names its mechanism: security_assessment, "
                "standard_contract or certification"
            )
        recipient = checked_address(recipient, "recipient")
        seconds = timestamp_of(expiry, "expiry")
        now = self._now()
        latest = now + int(CROSS_BORDER_MAX_TERM.total_seconds())
        if not now < seconds <= latest:
            raise InputError(
                f"the expiry {expiry.isoformat()} of a cross-border record must be in the future "
                f"and at most three years away (by {datetime.fromtimestamp(latest, tz=UTC)})"
            )
        code = check_country(country)
        if code == "CN":
            raise InputError("a cross-border record names a foreign country, not CN")
        exporter, _status, level, *_ = self._call(LEDGER, "certificateState", [token_id])
        if int(level) != 0 and mechanism not in IMPORTANT_DATA_MECHANISMS:
            raise InputError(
                f"important data goes abroad only after a security assessment, not {mechanism}"
            )
        record = (
            mechanism.chain,
            seconds,
            code.encode("ascii"),
            self._required_text(approval_number, "the approval (filing) number"),
            str(exporter),
        )
        return ContractCall(AGENT, "recordCrossBorder", (token_id, recipient, record))

    def record_cross_border(
        self,
        token_id: int,
        recipient: str,
        mechanism: CrossBorderMechanism | str,
        approval_number: str,
        expiry: datetime,
        country: str,
        regulator: LocalAccount,
    ) -> CrossBorderRecord:
        """Record the basis of a transfer abroad (see :meth:`cross_border_call`)."""
        call = self.cross_border_call(
            token_id, recipient, mechanism, approval_number, expiry, country
        )
        self.send(call, regulator)
        return self.cross_border_record(token_id, str(call.args[1]))

    def party_country_call(self, party: str, country: str | None) -> ContractCall:
        """Record the country of a party (``CN``: domestic; ``None`` clears it, and then no
        certificate moves to the party: a recipient without a country fails closed)."""
        code = b"\0\0" if country is None else check_country(country).encode("ascii")
        return ContractCall(AGENT, "setPartyCountry", (checked_address(party, "party"), code))

    def set_party_country(self, party: str, country: str | None, regulator: LocalAccount) -> None:
        self.send(self.party_country_call(party, country), regulator)

    def approval_requirement_call(self, required: bool) -> ContractCall:
        """The admin requires (or stops requiring) approvals for transfers of important data."""
        return ContractCall(AGENT, "setImportantDataApprovalRequired", (required,))

    def set_important_data_approval_required(self, required: bool, admin: LocalAccount) -> None:
        self.send(self.approval_requirement_call(required), admin)

    def freeze_call(self, token_id: int, case_ref_text: str) -> ContractCall:
        """A regulator freezes a certificate (冻结) for a case (its reference stored, hash on
        chain)."""
        case_ref = self._required_text(case_ref_text, "the case reference of a freeze")
        return ContractCall(AGENT, "freeze", (token_id, case_ref))

    def freeze(self, token_id: int, case_ref_text: str, regulator: LocalAccount) -> Freeze:
        self.send(self.freeze_call(token_id, case_ref_text), regulator)
        return self.freeze_of(token_id)

    def unfreeze_call(self, token_id: int, case_ref_text: str) -> ContractCall:
        """Lift a freeze (解冻): only the regulator that froze, or the admin (with the case
        reference), may."""
        case_ref = self._required_text(case_ref_text, "the case reference of an unfreeze")
        return ContractCall(AGENT, "unfreeze", (token_id, case_ref))

    def unfreeze(self, token_id: int, case_ref_text: str, regulator: LocalAccount) -> Freeze:
        self.send(self.unfreeze_call(token_id, case_ref_text), regulator)
        return self.freeze_of(token_id)

    # --- pledges ----------------------------------------------------------------------

    def _pledge_token(self, terms: PledgeTerms) -> int:
        if terms.token_id is not None:
            return terms.token_id
        assert terms.certificate_number is not None
        return self.token_id_of(terms.certificate_number)

    def _pledge_message(
        self, terms: PledgeTerms, pledgor: str | None, nonce: int | None
    ) -> dict[str, Any]:
        if terms.deadline is None:
            raise InputError(
                "the pledge terms need a deadline: the time until which the two signatures "
                "are accepted"
            )
        token_id = self._pledge_token(terms)
        return {
            "tokenId": token_id,
            "pledgor": checked_address(pledgor, "pledgor")
            if pledgor is not None
            else self.holder_of(token_id),
            "pledgee": terms.pledgee,
            "securedAmount": terms.secured_amount,
            "currency": _hex(terms.currency.encode("ascii")),
            "loanRef": _hex(sha256(terms.loan_reference.encode("utf-8"))),
            "maturity": timestamp_of(terms.maturity, "maturity"),
            "nonce": self.pledge_nonce(token_id) if nonce is None else nonce,
            "deadline": timestamp_of(terms.deadline, "deadline"),
        }

    def pledge_typed_data(
        self, terms: PledgeTerms, *, pledgor: str | None = None, nonce: int | None = None
    ) -> dict[str, Any]:
        """The EIP-712 ``Pledge`` both the holder and the lender sign.

        ``pledgor`` defaults to the certificate's current holder and ``nonce`` to its current
        pledge nonce, so both parties (and the relayer) derive the same document.
        """
        message = self._pledge_message(terms, pledgor, nonce)
        return PLEDGE.typed_data(self._chain_id, self.agent_address, message)

    def register_pledge(
        self,
        terms: PledgeTerms,
        pledgor_signature: bytes,
        pledgee_signature: bytes,
        relayer: LocalAccount,
        *,
        pledgor: str | None = None,
        nonce: int | None = None,
    ) -> Pledge:
        """Relay a pledge both parties signed (one transaction; ``relayer`` pays gas, counted
        against the pledgor's and the global relay quotas)."""
        message = self._pledge_message(terms, pledgor, nonce)
        self.documents.put_text(terms.loan_reference)
        struct = (
            message["tokenId"],
            message["pledgor"],
            message["pledgee"],
            message["securedAmount"],
            terms.currency.encode("ascii"),
            bytes.fromhex(message["loanRef"][2:]),
            message["maturity"],
            message["nonce"],
            message["deadline"],
        )
        call = ContractCall(AGENT, "registerPledge", (struct, pledgor_signature, pledgee_signature))

        def send() -> Receipt:
            return self.send(call, relayer)

        if self._quota is None:
            receipt = send()
        else:
            receipt = self._quota.pay(str(message["pledgor"]), f"{AGENT}.registerPledge", send)
        return self.pledge(int(self._events(receipt, "PledgeRegistered")[0].args["pledgeId"]))

    def sign_and_register(
        self,
        terms: PledgeTerms,
        pledgor: LocalAccount,
        pledgee: LocalAccount,
        relayer: LocalAccount,
        ttl: int = 600,
    ) -> Pledge:
        """Sign the pledge as both parties (keys this process holds) and relay it."""
        if terms.deadline is None:
            deadline = datetime.fromtimestamp(self._clock.deadline(ttl), tz=UTC)
            terms = terms.model_copy(update={"deadline": deadline})
        if pledgee.address != terms.pledgee:
            raise InputError(
                f"the terms name pledgee {terms.pledgee}, but {pledgee.address} would sign"
            )
        typed = self.pledge_typed_data(terms, pledgor=pledgor.address)
        nonce = int(typed["message"]["nonce"])
        return self.register_pledge(
            terms,
            sign_typed_data(typed, pledgor),
            sign_typed_data(typed, pledgee),
            relayer,
            pledgor=pledgor.address,
            nonce=nonce,
        )

    def release_call(self, pledge_id: int) -> ContractCall:
        """The pledgee's release of its pledge (解押)."""
        return ContractCall(AGENT, "releasePledge", (pledge_id,))

    def release(self, pledge_id: int, pledgee: LocalAccount) -> Pledge:
        self.send(self.release_call(pledge_id), pledgee)
        return self.pledge(pledge_id)

    def enforcement_call(self, pledge_id: int, to: str) -> ContractCall:
        """After maturity the pledgee enforces: the certificate goes to ``to`` (itself or a
        buyer it names), recorded as a pledge enforcement."""
        return ContractCall(AGENT, "enforcePledge", (pledge_id, checked_address(to, "to")))

    def enforce(self, pledge_id: int, to: str, pledgee: LocalAccount) -> Pledge:
        self.send(self.enforcement_call(pledge_id, to), pledgee)
        return self.pledge(pledge_id)

    def consent_call(
        self,
        pledge_id: int,
        action: ConsentAction | str,
        counterparty: str,
        deadline: datetime,
    ) -> ContractCall:
        """The pledgee consents to one transfer to, cancellation by, exclusive licence to or
        new dataset version (change) by ``counterparty`` while its pledge is live: given to the
        current pledgor, usable once until ``deadline`` (in the future); useless once the
        certificate has another pledgor."""
        seconds = timestamp_of(deadline, "deadline")
        if seconds <= self._now():
            raise InputError(f"the consent's deadline {deadline.isoformat()} is not in the future")
        return ContractCall(
            AGENT,
            "grantConsent",
            (
                pledge_id,
                ConsentAction(action).chain,
                checked_address(counterparty, "counterparty"),
                seconds,
            ),
        )

    def grant_consent(
        self,
        pledge_id: int,
        action: ConsentAction | str,
        counterparty: str,
        deadline: datetime,
        pledgee: LocalAccount,
    ) -> PledgeConsent:
        self.send(self.consent_call(pledge_id, action, counterparty, deadline), pledgee)
        return self.consent_of(pledge_id, action, counterparty)

    def withdrawal_call(
        self, pledge_id: int, action: ConsentAction | str, counterparty: str
    ) -> ContractCall:
        """The pledgee withdraws its unused consent to ``action`` with ``counterparty``."""
        return ContractCall(
            AGENT,
            "withdrawConsent",
            (pledge_id, ConsentAction(action).chain, checked_address(counterparty, "counterparty")),
        )

    def withdraw_consent(
        self,
        pledge_id: int,
        action: ConsentAction | str,
        counterparty: str,
        pledgee: LocalAccount,
    ) -> None:
        self.send(self.withdrawal_call(pledge_id, action, counterparty), pledgee)

    # --- licences ---------------------------------------------------------------------

    def _licence_input(self, terms: LicenceTerms, licensor: str, target: str) -> tuple[Any, ...]:
        """The ``LicenceInput`` struct, after storing the policy and the fee terms."""
        uid = new_policy_uid()
        if terms.odrl is not None and isinstance(terms.odrl.get("uid"), str):
            uid = terms.odrl["uid"]
        statement = PolicyStatement.of_terms(
            terms, uid=uid, chain_id=self._chain_id, licensor=licensor, target=target
        )
        fee_hash = self.documents.put_optional_text(terms.fee_terms)
        if terms.odrl is not None:
            check_policy(terms.odrl, statement)
            policy = terms.odrl
        else:
            policy = build_policy(
                statement, fee_terms_hash=_hex(fee_hash) if terms.fee_terms else None
            )
        terms_hash = self.documents.put(canonical_policy(policy), MEDIA_TYPE)
        return (
            terms.licensee,
            terms.right.bit,
            terms.exclusive,
            terms.sublicensable,
            terms.purpose_mask,
            terms.territory_mask,
            timestamp_of(terms.start, "start"),
            timestamp_of(terms.end, "end"),
            terms_hash,
            fee_hash,
        )

    def licence_call(self, token_id: int, terms: LicenceTerms, holder: str) -> ContractCall:
        """The holder's licence of a right of its certificate; the ODRL policy (built from the
        terms, or the client's checked against them) and the fee terms are stored, their
        hashes recorded."""
        target = certificate_iri(self.certificate_number(token_id))
        licence_input = self._licence_input(terms, checked_address(holder, "holder"), target)
        return ContractCall(LICENCES, "grantLicence", (token_id, licence_input))

    def licence_of(self, receipt: Receipt) -> Licence:
        """The licence a receipt records as granted."""
        return self.licence(int(self._events(receipt, "LicenceGranted")[0].args["licenceId"]))

    def grant_licence(self, token_id: int, terms: LicenceTerms, holder: LocalAccount) -> Licence:
        return self.licence_of(
            self.send(self.licence_call(token_id, terms, holder.address), holder)
        )

    def sublicence_call(self, parent_id: int, terms: LicenceTerms, licensee: str) -> ContractCall:
        """The licensee of a sublicensable licence grants a sublicence within its scope."""
        parent = self.licence(parent_id)
        target = certificate_iri(self.certificate_number(parent.token_id))
        licence_input = self._licence_input(terms, checked_address(licensee, "licensee"), target)
        return ContractCall(LICENCES, "grantSublicence", (parent_id, licence_input))

    def grant_sublicence(
        self, parent_id: int, terms: LicenceTerms, licensee: LocalAccount
    ) -> Licence:
        return self.licence_of(
            self.send(self.sublicence_call(parent_id, terms, licensee.address), licensee)
        )

    def termination_call(self, licence_id: int, reason: str | None) -> ContractCall:
        """The licensor or the licensee terminates a licence (reason stored, hash recorded)."""
        return ContractCall(
            LICENCES, "terminate", (licence_id, self.documents.put_optional_text(reason))
        )

    def terminate(self, licence_id: int, reason: str | None, party: LocalAccount) -> Licence:
        self.send(self.termination_call(licence_id, reason), party)
        return self.licence(licence_id)

    def policy_document(self, licence: Licence) -> dict[str, Any]:
        """The stored ODRL policy whose hash ``licence`` records."""
        found = self.documents.get(bytes.fromhex(licence.terms_hash[2:]))
        if found is None:
            raise NotFoundError(
                f"the ODRL policy {licence.terms_hash} of licence {licence.id} is not held by "
                "this service",
                terms_hash=licence.terms_hash,
            )
        policy: dict[str, Any] = json.loads(found[0])
        return policy

    def fee_terms(self, licence: Licence) -> str | None:
        """The stored fee terms of ``licence`` (``None``: none recorded, or not held here)."""
        if licence.fee_terms_hash is None:
            return None
        found = self.documents.get(bytes.fromhex(licence.fee_terms_hash[2:]))
        return None if found is None else found[0].decode("utf-8")

    # --- reads ------------------------------------------------------------------------

    def pledge(self, pledge_id: int, block: Block = "latest") -> Pledge:
        raw = tuple(self._call(AGENT, "pledge", [pledge_id], block))
        found = Pledge.from_chain(pledge_id, raw)
        if found.status is PledgeStatus.NONE:
            raise PledgeNotFoundError(f"there is no pledge {pledge_id}", id=pledge_id)
        return found

    def live_pledge_of(self, token_id: int, block: Block = "latest") -> Pledge | None:
        pledge_id = int(self._call(AGENT, "livePledgeOf", [token_id], block))
        return None if pledge_id == 0 else self.pledge(pledge_id, block)

    def consent_of(
        self,
        pledge_id: int,
        action: ConsentAction | str,
        counterparty: str,
        block: Block = "latest",
    ) -> PledgeConsent:
        """The pledgee's consent to ``action`` with ``counterparty`` (``pledgor`` ``None``:
        none, or spent or withdrawn)."""
        action = ConsentAction(action)
        counterparty = checked_address(counterparty, "counterparty")
        raw = self._call(AGENT, "consentOf", [pledge_id, action.chain, counterparty], block)
        return PledgeConsent.from_chain(pledge_id, action, counterparty, tuple(raw))

    def pledge_nonce(self, token_id: int, block: Block = "latest") -> int:
        return int(self._call(AGENT, "pledgeNonce", [token_id], block))

    def freeze_of(self, token_id: int, block: Block = "latest") -> Freeze:
        return Freeze.from_chain(token_id, tuple(self._call(AGENT, "freezeOf", [token_id], block)))

    def cross_border_record(
        self, token_id: int, recipient: str, block: Block = "latest"
    ) -> CrossBorderRecord:
        recipient = checked_address(recipient, "recipient")
        raw = tuple(self._call(AGENT, "crossBorderRecord", [token_id, recipient], block))
        return CrossBorderRecord.from_chain(token_id, recipient, raw)

    def party_country(self, party: str, block: Block = "latest") -> str | None:
        """ISO 3166-1 alpha-2 country a regulator recorded for ``party``; ``None``: none, and
        no certificate moves to the party (fail closed)."""
        raw = bytes(self._call(AGENT, "partyCountry", [checked_address(party, "party")], block))
        return None if raw == b"\0\0" else raw.decode("ascii")

    def transfer_approval_expiry(
        self, token_id: int, to: str, block: Block = "latest"
    ) -> datetime | None:
        seconds = int(
            self._call(
                AGENT, "transferApprovalExpiry", [token_id, checked_address(to, "to")], block
            )
        )
        return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None

    def important_data_approval_required(self, block: Block = "latest") -> bool:
        return bool(self._call(AGENT, "importantDataApprovalRequired", [], block))

    def licence(self, licence_id: int, block: Block = "latest") -> Licence:
        raw = tuple(self._call(LICENCES, "licence", [licence_id], block))
        live = bool(self._call(LICENCES, "isLive", [licence_id], block))
        return Licence.from_chain(licence_id, raw, live)

    def licences_of(self, token_id: int, block: Block = "latest") -> list[Licence]:
        """Every licence and sublicence of a certificate, in the order granted."""
        ids = self._call(LICENCES, "licencesOf", [token_id], block)
        return [self.licence(int(i), block) for i in ids]

    def live_licences_of(self, token_id: int, block: Block = "latest") -> list[Licence]:
        return [licence for licence in self.licences_of(token_id, block) if licence.live]
