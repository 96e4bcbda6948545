"""The registration service: applications, review, notice, objections, issuance and after.

Every rule is enforced by the DataAssetRegistry contract; this service validates input early
(with clear messages), keeps the off-chain documents whose hashes go on chain, signs and relays
EIP-712 applications, and turns chain reads into :mod:`registry.domain.registration` objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from registry.chain.client import ChainClient
from registry.chain.clock import ChainClock
from registry.chain.eip712 import SignedStruct, sign_typed_data
from registry.documents import DocumentStore, RegistrarDirectory
from registry.domain.chain import ChainEvent, ContractCall, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.domain.identifiers import mask_identifier
from registry.domain.inputs import checked_address
from registry.domain.numbers import parse_certificate_number, parse_registration_number
from registry.domain.registration import (
    AssetMetadata,
    HolderIdentity,
    Objection,
    ObjectionStatus,
    RegistrarPolicy,
    Registration,
    public_metadata,
    rights_mask,
    sha256_hex,
)
from registry.errors import (
    AlreadySubmittedError,
    CertificateNotFoundError,
    ContractRevertError,
    InputError,
    NotFoundError,
    ObjectionNotFoundError,
    RegistrarNotFoundError,
    RegistrationNotFoundError,
    VerificationFailedError,
)
from registry.identities import IdentityStore
from registry.relay.quota import RelayQuota

CONTRACT = "DataAssetRegistry"
#: Registrars and roles live in the authority (contracts v2).
AUTHORITY = "RegistryAuthority"
#: The authority's role of regulators (freezes, court orders, approvals, appraisers).
REGULATOR_ROLE = keccak(text="REGULATOR_ROLE")
#: The authority's emergency pause role, and its admin role (OpenZeppelin's zero role).
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
DEFAULT_ADMIN_ROLE = bytes(32)
#: ``DataAssetRegistry``'s highest registrar code (``_MAX_REGISTRAR_CODE``).
MAX_REGISTRAR_CODE = 999
#: Used application nonces a replayed signature is checked against (the latest first).
_NONCES_LOOKED_BACK = 16
METADATA_MEDIA_TYPE = "application/json"

#: The application an applicant signs for a relayer to submit (``DataAssetRegistry``'s typehash):
#: the ten fields of the ``ApplicationInput`` struct, then applicant, nonce and deadline.
APPLICATION = SignedStruct(
    "dareg.DataAssetRegistry",
    "Application(uint16 registrarCode,uint8 kind,uint8 rights,uint8 level,uint8 dataSource,"
    "uint8 applicantType,uint48 sourceAgreementEnd,bytes32 fingerprint,bytes32 metadataHash,"
    "uint256[] parents,address applicant,uint256 nonce,uint256 deadline)",
)


def end_of_day_cst(day: date | None) -> int:
    """The last second of ``day`` in UTC+8 as a unix timestamp (0 for no date)."""
    if day is None:
        return 0
    return int(datetime.combine(day, time(23, 59, 59), tzinfo=UTC).timestamp()) - 8 * 3600


def _id_of_number(
    client: ChainClient,
    address: str,
    function: str,
    number: int,
    missing: NotFoundError,
    block: int | str = "latest",
) -> int:
    """The registration id that ``function`` (``idOfCertificateNumber`` or
    ``idOfRegistrationNumber``) of the registry at ``address`` reads for ``number``; ``missing``
    where the registry knows no such number."""
    try:
        return int(client.call(CONTRACT, address, function, [number], block))
    except ContractRevertError as exc:
        if exc.error_name == "RegistryInvalidNumber":
            raise missing from exc
        raise


def certificate_id(
    client: ChainClient, address: str, number: str, block: int | str = "latest"
) -> int:
    """The registration (token) id of certificate ``number`` on the registry at ``address``;
    a mistyped number never reaches the chain, an unknown one is a
    :class:`CertificateNotFoundError`."""
    parsed = parse_certificate_number(number)
    missing = CertificateNotFoundError(
        f"no certificate {parsed.text} on this registry", number=parsed.text
    )
    return _id_of_number(client, address, "idOfCertificateNumber", int(parsed.text), missing, block)


@dataclass(frozen=True)
class Version:
    version: int
    fingerprint: str
    metadata_hash: str


class RegistrationService:
    """Talks to DataAssetRegistry; stores the documents whose hashes it records."""

    def __init__(
        self,
        client: ChainClient,
        manifest: DeploymentManifest,
        documents: DocumentStore,
        registrars: RegistrarDirectory,
        identities: IdentityStore,
        quota: RelayQuota | None = None,
        *,
        clock: ChainClock | None = None,
    ) -> None:
        """``quota`` counts the applications a relayer pays for (:meth:`submit_signed`);
        ``clock`` is "now" for deadlines (default: the wall clock, never earlier than the head
        block's time)."""
        self._client = client
        self._clock = clock or ChainClock(client)
        self._quota = quota
        self._address = manifest.address_of(CONTRACT)
        self._authority = manifest.address_of(AUTHORITY)
        self._chain_id = manifest.chain_id
        self.documents = documents
        self.registrars = registrars
        self.identities = identities

    @property
    def contract_address(self) -> str:
        return self._address

    @property
    def authority_address(self) -> str:
        """The RegistryAuthority: registrars, their staff and the roles."""
        return self._authority

    # --- plumbing ---------------------------------------------------------------------

    def _send(self, function: str, args: Sequence[Any], signer: LocalAccount) -> Receipt:
        return self._client.send(
            ContractCall(CONTRACT, function, tuple(args)), self._address, signer
        )

    def _call(self, function: str, args: Sequence[Any] = (), block: int | str = "latest") -> Any:
        return self._client.read(CONTRACT, self._address, function, args, block)

    def _send_call(self, call: ContractCall, signer: LocalAccount) -> Receipt:
        """Send ``call`` (to the ledger or the authority) as ``signer``'s own transaction."""
        address = self._authority if call.contract == AUTHORITY else self._address
        return self._client.send(call, address, signer)

    def _ask_authority(
        self, function: str, args: Sequence[Any], block: int | str = "latest"
    ) -> Any:
        return self._client.read(AUTHORITY, self._authority, function, args, block)

    def _act(
        self, function: str, reg_id: int, args: Sequence[Any], signer: LocalAccount
    ) -> Registration:
        """Send ``function(reg_id, *args)`` as ``signer``; the registration after it."""
        self._send(function, [reg_id, *args], signer)
        return self.get(reg_id)

    @staticmethod
    def _event(receipt: Receipt, name: str) -> ChainEvent:
        for event in receipt.events:
            if event.name == name:
                return event
        raise InputError(f"transaction {receipt.tx_hash} emitted no {name}")

    def _input(self, metadata: AssetMetadata, registrar_code: int) -> tuple[Any, ...]:
        """The contract's ``ApplicationInput`` of a public (committed) document."""
        return (
            registrar_code,
            metadata.asset_kind.chain,
            rights_mask(metadata.rights),
            metadata.classification.chain,
            int(metadata.data_source.kind),
            int(metadata.applicant_type),
            end_of_day_cst(metadata.source_agreement_end),
            bytes.fromhex(metadata.fingerprint[2:]),
            metadata.digest(),
            list(metadata.parents),
        )

    def commit_metadata(self, metadata: AssetMetadata) -> AssetMetadata:
        """The public document of ``metadata``, the one whose hash goes on chain
        (docs/privacy.md): a natural person's full identifier is replaced by its masked form and
        a salted commitment, the identifier and salt kept in the private store (the same salt
        for the same holder, identifier and dataset, so the typed data an applicant signs and
        the application it submits hash alike). A legal entity's document is returned as it is;
        an already committed one is checked against the private store (this service must hold
        the identifier behind the commitment)."""
        holder = metadata.holder
        if not holder.natural_person:
            return metadata
        if holder.discloses_identifier:
            private = self.identities.commit(
                holder.identifier_type, holder.identifier, holder.address, metadata.fingerprint
            )
            public = holder.model_copy(
                update={
                    "identifier": mask_identifier(holder.identifier_type, holder.identifier),
                    "identifier_commitment": private.commitment,
                }
            )
            return metadata.model_copy(update={"holder": public})
        if holder.identifier_commitment is None:
            raise InputError(
                "a natural person's identifier is given in full by the applicant (the registry "
                "publishes only its masked form and a commitment); this one is masked"
            )
        known = self.identities.get(holder.identifier_commitment)
        if (
            known is None
            or known.recomputed != holder.identifier_commitment
            or known.identifier_type != holder.identifier_type
            or mask_identifier(known.identifier_type, known.identifier) != holder.identifier
        ):
            raise InputError(
                f"this service holds no {holder.identifier_type} identifier behind commitment "
                f"{holder.identifier_commitment}: give the identifier in full",
                commitment=holder.identifier_commitment,
            )
        return metadata

    def store_metadata(self, metadata: AssetMetadata) -> bytes:
        """Store the public document of ``metadata`` (:meth:`commit_metadata`); its SHA-256,
        the ``metadataHash`` the chain records."""
        return self.documents.put(self.commit_metadata(metadata).canonical(), METADATA_MEDIA_TYPE)

    # --- registrars (admin) -----------------------------------------------------------
    # The admin's calls go to the RegistryAuthority; the admin sends them as its own transaction
    # or signs them as a forward request (``registry.relay``): the operator holds no role.

    def registrar_configuration_call(self, code: int, policy: RegistrarPolicy) -> ContractCall:
        """The admin creates, activates, retires or reconfigures registrar ``code``."""
        return ContractCall(AUTHORITY, "configureRegistrar", (code, policy.chain()))

    def registrar_account_call(self, code: int, account: str, *, enabled: bool) -> ContractCall:
        """The admin binds (or unbinds) a staff account to registrar ``code``."""
        return ContractCall(
            AUTHORITY, "setRegistrarAccount", (code, checked_address(account, "account"), enabled)
        )

    @staticmethod
    def _role_call(role: bytes, account: str, enabled: bool) -> ContractCall:
        function = "grantRole" if enabled else "revokeRole"
        return ContractCall(AUTHORITY, function, (role, checked_address(account, "account")))

    def regulator_call(self, account: str, *, enabled: bool) -> ContractCall:
        """The admin grants (or revokes) REGULATOR_ROLE: freezes, court orders, approvals."""
        return self._role_call(REGULATOR_ROLE, account, enabled)

    def pauser_call(self, account: str, *, enabled: bool) -> ContractCall:
        """The admin grants (or revokes) PAUSER_ROLE: the emergency pause of every contract."""
        return self._role_call(PAUSER_ROLE, account, enabled)

    def has_role(self, role: bytes, account: str, block: int | str = "latest") -> bool:
        """Whether ``account`` holds ``role`` on the authority (as of ``block``)."""
        return bool(
            self._ask_authority("hasRole", [role, checked_address(account, "account")], block)
        )

    def is_admin(self, account: str, block: int | str = "latest") -> bool:
        """Whether ``account`` is the registry's admin (``DEFAULT_ADMIN_ROLE``)."""
        return self.has_role(DEFAULT_ADMIN_ROLE, account, block)

    def configure_registrar(
        self,
        code: int,
        policy: RegistrarPolicy,
        admin: LocalAccount,
        *,
        name: str | None = None,
        region: str | None = None,
    ) -> None:
        if name:
            self.registrars.check(name, region)  # before the transaction, not after
        self._send_call(self.registrar_configuration_call(code, policy), admin)
        if name:
            self.registrars.set(code, name, region)

    def set_registrar_account(
        self, code: int, account: str, admin: LocalAccount, *, enabled: bool = True
    ) -> None:
        self._send_call(self.registrar_account_call(code, account, enabled=enabled), admin)

    def set_regulator(self, account: str, admin: LocalAccount, *, enabled: bool = True) -> None:
        """Grant (or revoke) REGULATOR_ROLE (admin only)."""
        self._send_call(self.regulator_call(account, enabled=enabled), admin)

    def registrar_policy(self, code: int) -> RegistrarPolicy:
        """The policy of registrar ``code``; :class:`RegistrarNotFoundError` for a code no
        agency was ever configured under (the contract refuses a zero notice period, so a zero
        one means none), whether active or retired otherwise."""
        if not 1 <= code <= MAX_REGISTRAR_CODE:
            raise RegistrarNotFoundError(
                f"registrar code {code} is outside 1-{MAX_REGISTRAR_CODE}", registrar_code=code
            )
        active, open_to_all, evidence_required, period = self._ask_authority(
            "registrarPolicy", [code]
        )
        if int(period) == 0:
            raise RegistrarNotFoundError(
                f"no registrar is configured under code {code}", registrar_code=code
            )
        return RegistrarPolicy(
            bool(active), bool(open_to_all), bool(evidence_required), int(period)
        )

    def registrar_code_of(self, account: str, block: int | str = "latest") -> int:
        return int(
            self._ask_authority("registrarCodeOf", [checked_address(account, "account")], block)
        )

    # --- registrants --------------------------------------------------------------------

    def _check_applicant(self, metadata: AssetMetadata, applicant: str) -> None:
        if metadata.holder.address.lower() != applicant.lower():
            raise InputError(
                f"the metadata names holder address {metadata.holder.address} but the applicant "
                f"is {applicant}: the certificate is issued to the applicant"
            )

    def submit(
        self, metadata: AssetMetadata, registrar_code: int, applicant: LocalAccount
    ) -> Registration:
        """Apply as ``applicant`` (who pays gas)."""
        self._check_applicant(metadata, applicant.address)
        public = self.commit_metadata(metadata)
        self.store_metadata(public)
        receipt = self._send("submitApplication", [self._input(public, registrar_code)], applicant)
        return self.get(int(self._event(receipt, "ApplicationSubmitted").args["id"]))

    def application_typed_data(
        self, metadata: AssetMetadata, registrar_code: int, applicant: str, deadline: int
    ) -> dict[str, Any]:
        """The EIP-712 message the applicant signs so the service can relay the application;
        its ``metadataHash`` is the hash of the public document (:meth:`commit_metadata`), so
        the applicant signs what goes on chain, never a natural person's full identifier."""
        applicant = checked_address(applicant, "applicant")
        self._check_applicant(metadata, applicant)
        nonce = int(self._call("applicationNonce", [applicant]))
        return self._application_typed_data(
            self._input(self.commit_metadata(metadata), registrar_code), applicant, nonce, deadline
        )

    def _application_typed_data(
        self, values: tuple[Any, ...], applicant: str, nonce: int, deadline: int
    ) -> dict[str, Any]:
        names = [t["name"] for t in APPLICATION.fields[:10]]
        message: dict[str, Any] = dict(zip(names, values, strict=True))
        message["fingerprint"] = "0x" + message["fingerprint"].hex()
        message["metadataHash"] = "0x" + message["metadataHash"].hex()
        message.update(applicant=applicant, nonce=nonce, deadline=deadline)
        return APPLICATION.typed_data(self._chain_id, self._address, message)

    def _submitted_before(
        self, values: tuple[Any, ...], applicant: str, deadline: int, signature: bytes
    ) -> bool:
        """Whether ``signature`` is ``applicant``'s over this application with one of the
        nonces the registry used already (the latest first): the application went in before."""
        used = int(self._call("applicationNonce", [applicant]))
        for nonce in range(used - 1, max(used - _NONCES_LOOKED_BACK, 0) - 1, -1):
            typed = self._application_typed_data(values, applicant, nonce, deadline)
            try:
                recovered = Account.recover_message(
                    encode_typed_data(full_message=typed), signature=signature
                )
            except Exception:  # eth_keys raises several unrelated types for junk input
                return False
            if recovered.lower() == applicant.lower():
                return True
        return False

    def submit_signed(
        self,
        metadata: AssetMetadata,
        registrar_code: int,
        applicant: str,
        deadline: int,
        signature: bytes,
        relayer: LocalAccount,
    ) -> Registration:
        """Relay an application ``applicant`` signed (EIP-712); ``relayer`` pays gas, counted
        against the applicant's and the global relay quotas."""
        applicant = checked_address(applicant, "applicant")
        self._check_applicant(metadata, applicant)
        key = "application:" + keccak(bytes(signature)).hex()
        with self._client.transactions.in_flight.exclusive(key, what="this signed application"):
            public = self.commit_metadata(metadata)
            self.store_metadata(public)
            values = self._input(public, registrar_code)
            args = [values, applicant, deadline, signature]

            def send() -> Receipt:
                try:
                    return self._send("submitApplicationFor", args, relayer)
                except ContractRevertError as exc:
                    if exc.error_name == "RegistryInvalidSignature" and self._submitted_before(
                        values, applicant, deadline, signature
                    ):
                        raise AlreadySubmittedError(
                            f"this application signed by {applicant} was submitted already; "
                            "look it up among the applicant's applications",
                            applicant=applicant,
                        ) from exc
                    raise

            if self._quota is None:
                receipt = send()
            else:
                receipt = self._quota.pay(applicant, f"{CONTRACT}.submitApplicationFor", send)
        return self.get(int(self._event(receipt, "ApplicationSubmitted").args["id"]))

    def sign_and_submit(
        self,
        metadata: AssetMetadata,
        registrar_code: int,
        applicant: LocalAccount,
        relayer: LocalAccount,
        ttl: int = 600,
    ) -> Registration:
        deadline = self._clock.deadline(ttl)
        typed = self.application_typed_data(metadata, registrar_code, applicant.address, deadline)
        return self.submit_signed(
            metadata,
            registrar_code,
            applicant.address,
            deadline,
            sign_typed_data(typed, applicant),
            relayer,
        )

    def resubmit(self, reg_id: int, metadata: AssetMetadata, holder: LocalAccount) -> Registration:
        self._check_applicant(metadata, holder.address)
        digest = self.store_metadata(metadata)
        return self._act(
            "resubmit", reg_id, [bytes.fromhex(metadata.fingerprint[2:]), digest], holder
        )

    def change(self, reg_id: int, metadata: AssetMetadata, holder: LocalAccount) -> Registration:
        """A new version of an issued asset (new dataset fingerprint and/or metadata)."""
        digest = self.store_metadata(metadata)
        return self._act(
            "change", reg_id, [bytes.fromhex(metadata.fingerprint[2:]), digest], holder
        )

    def cancellation_call(self, reg_id: int, reason: str | None) -> ContractCall:
        """The holder cancels its certificate (注销); the reason is stored, its hash recorded.
        Refused while frozen, or pledged without the pledgee's consent."""
        return ContractCall(CONTRACT, "cancel", (reg_id, self.documents.put_optional_text(reason)))

    def cancel(self, reg_id: int, reason: str | None, holder: LocalAccount) -> Registration:
        self._client.send(self.cancellation_call(reg_id, reason), self._address, holder)
        return self.get(reg_id)

    def file_objection(
        self, reg_id: int, evidence: bytes, media_type: str, objector: LocalAccount
    ) -> int:
        digest = self.documents.put(evidence, media_type)
        receipt = self._send("fileObjection", [reg_id, digest], objector)
        return int(self._event(receipt, "ObjectionFiled").args["objectionId"])

    # --- registrars ---------------------------------------------------------------------
    # Each ``…_call`` builds what a registrar account signs (its own transaction, or a forward
    # request the operator relays); the methods without it send the call with a key held here.

    def _decision_call(
        self, function: str, reg_id: int, reason_code: int, reason: str
    ) -> ContractCall:
        """A registrar's reasoned decision: the reason is stored, its hash recorded."""
        return ContractCall(
            CONTRACT, function, (reg_id, reason_code, self.documents.put_optional_text(reason))
        )

    def accept_call(self, reg_id: int) -> ContractCall:
        """Formal review passed (受理)."""
        return ContractCall(CONTRACT, "accept", (reg_id,))

    def return_call(self, reg_id: int, reason_code: int, reason: str) -> ContractCall:
        """Return the application for correction."""
        return self._decision_call("returnForCorrection", reg_id, reason_code, reason)

    def rejection_call(self, reg_id: int, reason_code: int, reason: str) -> ContractCall:
        """Reject the application."""
        return self._decision_call("reject", reg_id, reason_code, reason)

    def notice_call(self, reg_id: int) -> ContractCall:
        """Open the public-notice window (公示)."""
        return ContractCall(CONTRACT, "openNotice", (reg_id,))

    def standing_call(self, reg_id: int, party: str) -> ContractCall:
        """Give an interested party standing to object."""
        return ContractCall(CONTRACT, "grantStanding", (reg_id, checked_address(party, "party")))

    def ruling_call(self, objection_id: int, upheld: bool, reason: str) -> ContractCall:
        """Rule on an objection (the reason is stored, its hash recorded)."""
        return ContractCall(
            CONTRACT,
            "ruleObjection",
            (objection_id, upheld, self.documents.put_optional_text(reason)),
        )

    def issue_call(self, reg_id: int) -> ContractCall:
        """Issue the certificate (发证)."""
        return ContractCall(CONTRACT, "issue", (reg_id,))

    def batch_issue_call(self, reg_ids: Sequence[int]) -> ContractCall:
        """Issue several certificates in one transaction (all or none)."""
        if not reg_ids:
            raise InputError("a batch needs at least one registration id")
        if len(set(reg_ids)) != len(reg_ids):
            raise InputError("a batch lists each registration once")
        return ContractCall(CONTRACT, "issueBatch", (list(reg_ids),))

    def correction_call(self, reg_id: int, metadata: AssetMetadata) -> ContractCall:
        """Correct the recorded fingerprint and/or metadata (the document is stored)."""
        digest = self.store_metadata(metadata)
        return ContractCall(
            CONTRACT, "correct", (reg_id, bytes.fromhex(metadata.fingerprint[2:]), digest)
        )

    def renewal_call(self, reg_id: int, source_agreement_end: date | None) -> ContractCall:
        """Renew within the renewal window before expiry (续展), capped by the source agreement's
        end (``None`` keeps the current cap)."""
        return ContractCall(CONTRACT, "renew", (reg_id, end_of_day_cst(source_agreement_end)))

    def revocation_call(
        self, reg_id: int, reason_code: int, reason: str, *, ruling: str | None = None
    ) -> ContractCall:
        """Revoke an issued certificate (撤销); a pledged or frozen one only under a ``ruling``
        (stored off chain; its hash recorded in ``CertificateRevoked``)."""
        if ruling is None:
            return self._decision_call("revoke", reg_id, reason_code, reason)
        if not ruling.strip():
            raise InputError("a ruling to revoke a pledged or frozen certificate is not empty")
        return ContractCall(
            CONTRACT,
            "revokeEncumbered",
            (
                reg_id,
                reason_code,
                self.documents.put_optional_text(reason),
                self.documents.put_text(ruling),
            ),
        )

    def _review(self, call: ContractCall, signer: LocalAccount) -> Registration:
        """Send ``call`` (whose first argument is the registration id); the registration."""
        self._send_call(call, signer)
        return self.get(int(call.args[0]))

    def accept(self, reg_id: int, registrar: LocalAccount) -> Registration:
        return self._review(self.accept_call(reg_id), registrar)

    def return_for_correction(
        self, reg_id: int, reason_code: int, reason: str, registrar: LocalAccount
    ) -> Registration:
        return self._review(self.return_call(reg_id, reason_code, reason), registrar)

    def reject(
        self, reg_id: int, reason_code: int, reason: str, registrar: LocalAccount
    ) -> Registration:
        return self._review(self.rejection_call(reg_id, reason_code, reason), registrar)

    def open_notice(self, reg_id: int, registrar: LocalAccount) -> Registration:
        return self._review(self.notice_call(reg_id), registrar)

    def grant_standing(self, reg_id: int, party: str, registrar: LocalAccount) -> None:
        self._send_call(self.standing_call(reg_id, party), registrar)

    def rule_objection(
        self, objection_id: int, upheld: bool, reason: str, registrar: LocalAccount
    ) -> Objection:
        self._send_call(self.ruling_call(objection_id, upheld, reason), registrar)
        return self.objection(objection_id)

    def issue(self, reg_id: int, registrar: LocalAccount) -> Registration:
        with self._client.transactions.in_flight.exclusive(
            f"issue:{reg_id}", what=f"the issuance of registration {reg_id}"
        ):
            return self._review(self.issue_call(reg_id), registrar)

    def issue_batch(self, reg_ids: Sequence[int], registrar: LocalAccount) -> list[Registration]:
        call = self.batch_issue_call(reg_ids)
        keys = [f"issue:{i}" for i in reg_ids]
        with self._client.transactions.in_flight.exclusive(*keys, what="an issuance in the batch"):
            self._send_call(call, registrar)
        return [self.get(i) for i in reg_ids]

    def correct(
        self, reg_id: int, metadata: AssetMetadata, registrar: LocalAccount
    ) -> Registration:
        return self._review(self.correction_call(reg_id, metadata), registrar)

    def renew(
        self, reg_id: int, source_agreement_end: date | None, registrar: LocalAccount
    ) -> Registration:
        """Renew within the renewal window before expiry (``renewal_window``): the certificate
        then runs to the renewal time plus the validity period, capped by the source agreement's
        end. ``None`` keeps the current cap (it never removes it)."""
        return self._review(self.renewal_call(reg_id, source_agreement_end), registrar)

    def revoke(
        self,
        reg_id: int,
        reason_code: int,
        reason: str,
        registrar: LocalAccount,
        *,
        ruling: str | None = None,
    ) -> Registration:
        """Revoke (撤销). A pledged or frozen certificate is revoked only under a ``ruling``
        (stored; its hash recorded in ``CertificateRevoked``); the pledge and licences are
        settled and the certificate burned."""
        return self._review(
            self.revocation_call(reg_id, reason_code, reason, ruling=ruling), registrar
        )

    def close_expired_call(self, reg_id: int) -> ContractCall:
        """Close an expired certificate (anyone may): it is burned, its pledge and licences are
        settled and its fingerprint is free again."""
        return ContractCall(CONTRACT, "closeExpired", (reg_id,))

    def close_expired(self, reg_id: int, sender: LocalAccount) -> Registration:
        self._client.send(self.close_expired_call(reg_id), self._address, sender)
        return self.get(reg_id)

    def set_renewal_window(self, seconds: int, admin: LocalAccount) -> None:
        """How long before expiry a certificate may be renewed (the admin's policy)."""
        if seconds <= 0:
            raise InputError("the renewal window is a positive number of seconds")
        self._send("setRenewalWindow", [seconds], admin)

    def renewal_window(self) -> int:
        return int(self._call("renewalWindow"))

    def live_registration_of(self, fingerprint: str) -> int | None:
        """The live registration the dataset ``fingerprint`` backs (``None``: none)."""
        reg_id = int(self._call("liveRegistrationOf", [bytes.fromhex(fingerprint[2:])]))
        return reg_id or None

    # --- reads --------------------------------------------------------------------------

    def get(self, reg_id: int, block: int | str = "latest") -> Registration:
        """The registration as of ``block`` (both reads pinned to the same block; both report
        the effective status)."""
        raw = self._call("registration", [reg_id], block)
        status = int(self._call("statusOf", [reg_id], block))
        return Registration.from_chain(reg_id, tuple(raw), status)

    def by_certificate_number(self, number: str, block: int | str = "latest") -> Registration:
        return self.get(certificate_id(self._client, self._address, number, block), block)

    def by_registration_number(self, number: str) -> Registration:
        parsed = parse_registration_number(number)
        missing = RegistrationNotFoundError(
            f"no registration {parsed.text} on this registry", number=parsed.text
        )
        reg_id = _id_of_number(
            self._client, self._address, "idOfRegistrationNumber", int(parsed.text), missing
        )
        return self.get(reg_id)

    def versions(self, reg_id: int, block: int | str = "latest") -> list[Version]:
        current = self.get(reg_id, block)
        out = []
        for v in range(1, current.version + 1):
            fingerprint, metadata_hash = self._call("versionOf", [reg_id, v], block)
            out.append(
                Version(v, "0x" + bytes(fingerprint).hex(), "0x" + bytes(metadata_hash).hex())
            )
        return out

    def objection(self, objection_id: int) -> Objection:
        reg_id, objector, filed_at, status = self._call("objection", [objection_id])
        if int(status) == 0:
            raise ObjectionNotFoundError(f"there is no objection {objection_id}", id=objection_id)
        return Objection(
            id=objection_id,
            registration_id=int(reg_id),
            objector=objector,
            filed_at=datetime.fromtimestamp(int(filed_at), tz=UTC),
            status=ObjectionStatus.of_chain(int(status)),
        )

    def metadata_document(self, registration: Registration) -> bytes:
        """The canonical metadata JSON whose hash the registration records."""
        found = self.documents.get(bytes.fromhex(registration.metadata_hash[2:]))
        if found is None:
            raise NotFoundError(
                f"the metadata document {registration.metadata_hash} of registration "
                f"{registration.id} is not held by this service",
                metadata_hash=registration.metadata_hash,
            )
        return found[0]

    def metadata(self, registration: Registration) -> AssetMetadata:
        return AssetMetadata.model_validate_json(self.metadata_document(registration))

    def public_metadata_document(self, registration: Registration) -> bytes:
        """The metadata document anyone may be served (``tokenURI``): the stored bytes, whose
        SHA-256 is the on-chain hash; only a document stored before the privacy scheme with a
        natural person's identifier in full is served as its public view instead (masked,
        canonical; docs/privacy.md)."""
        body = self.metadata_document(registration)
        metadata = AssetMetadata.model_validate_json(body)
        if not metadata.holder.discloses_identifier:
            return body
        return public_metadata(metadata).canonical()

    def holder_identity(self, reg_id: int, block: int | str = "latest") -> HolderIdentity:
        """The registered holder's full identifier, for the holder, its registrar's staff and
        regulators (the caller checks who asks): read from the private store and checked
        against the chain, ``verified`` when the stored document hashes to the on-chain
        ``metadataHash`` and the commitment recomputed from the identifier and salt is the one
        that document carries (docs/privacy.md)."""
        registration = self.get(reg_id, block)
        body = self.metadata_document(registration)
        if sha256_hex(body) != registration.metadata_hash:
            raise VerificationFailedError(
                f"the stored metadata of registration {reg_id} does not hash to the on-chain "
                f"metadataHash {registration.metadata_hash}",
                id=reg_id,
                metadata_hash=registration.metadata_hash,
            )
        holder = AssetMetadata.model_validate_json(body).holder
        public = HolderIdentity(
            registration_id=reg_id,
            name=holder.name,
            address=holder.address,
            identifier_type=holder.identifier_type,
            identifier=holder.identifier,
            masked=mask_identifier(holder.identifier_type, holder.identifier),
            salt=None,
            commitment=None,
            metadata_hash=registration.metadata_hash,
            # a legal entity (public identifier), or a document from before the scheme
            verified=not holder.natural_person or holder.discloses_identifier,
        )
        if holder.identifier_commitment is None:
            return public
        private = self.identities.get(holder.identifier_commitment)
        if private is None:
            raise NotFoundError(
                f"this service does not hold the identifier behind the commitment "
                f"{holder.identifier_commitment} of registration {reg_id}",
                id=reg_id,
                commitment=holder.identifier_commitment,
            )
        return replace(
            public,
            identifier=private.identifier,
            salt="0x" + private.salt.hex(),
            commitment=holder.identifier_commitment,
            verified=(
                private.recomputed == holder.identifier_commitment
                and private.identifier_type == holder.identifier_type
                and mask_identifier(private.identifier_type, private.identifier)
                == holder.identifier
            ),
        )
