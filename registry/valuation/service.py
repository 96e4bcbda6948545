"""The valuation service: appraisers, valuations and accounting classes on ``ValuationRegistry``.

The contract enforces who may do what (only accredited appraisers attest; only the appraiser
withdraws its own valuation; only admins and regulators accredit; only the holder sets the
accounting class) and keeps the history append-only. This service checks input early with clear
messages (base date not in the future, the asset version exists), runs the calculators and keeps
the documents whose SHA-256 goes on chain (computation records as the report, the asset facts
assumed, accreditation and withdrawal texts), and judges staleness. Reads take ``block``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import rfc8785
from eth_account.signers.local import LocalAccount

from registry.chain.client import ChainClient
from registry.documents import DocumentStore
from registry.domain.chain import ContractCall, Receipt
from registry.domain.deployment import DeploymentManifest
from registry.domain.inputs import checked_address
from registry.domain.numbers import CST
from registry.domain.registration import Status
from registry.domain.valuation import (
    AccountingClass,
    Appraiser,
    AssetFacts,
    Valuation,
    ValuationSubmission,
    base_date_timestamp,
    staleness,
)
from registry.errors import InputError
from registry.registration.service import RegistrationService
from registry.valuation.calculators import compute_from_json
from registry.valuation.record import ValuationResult

CONTRACT = "ValuationRegistry"
JSON = "application/json"

Block = int | str


class ValuationService:
    """Talks to ``ValuationRegistry``; stores the documents whose hashes it records."""

    def __init__(
        self,
        client: ChainClient,
        manifest: DeploymentManifest,
        documents: DocumentStore,
        registrations: RegistrationService,
        max_age_days: int,
    ) -> None:
        self._client = client
        self._address = manifest.address_of(CONTRACT)
        self._registrations = registrations
        self.documents = documents
        self.max_age_days = max_age_days

    @property
    def contract_address(self) -> str:
        return self._address

    # --- plumbing ---------------------------------------------------------------------

    def send(self, call: ContractCall, signer: LocalAccount) -> Receipt:
        """Send ``call`` as ``signer``'s own transaction."""
        return self._client.send(call, self._address, signer)

    def _call(self, function: str, args: Sequence[Any] = (), block: Block = "latest") -> Any:
        return self._client.read(CONTRACT, self._address, function, args, block)

    # --- appraisers -------------------------------------------------------------------

    def accreditation_call(self, appraiser: str, accreditation: str) -> ContractCall:
        """Accredit an appraisal firm (by an admin or a regulator); ``accreditation`` (the
        firm's name and licence number) is stored, its hash recorded."""
        if not accreditation.strip():
            raise InputError("the accreditation (firm name and licence number) is required")
        return ContractCall(
            CONTRACT,
            "accreditAppraiser",
            (checked_address(appraiser, "appraiser"), self.documents.put_text(accreditation)),
        )

    def accredit(self, appraiser: str, accreditation: str, signer: LocalAccount) -> Appraiser:
        self.send(self.accreditation_call(appraiser, accreditation), signer)
        return self.appraiser(appraiser)

    def removal_call(self, appraiser: str, reason: str | None) -> ContractCall:
        """Remove an appraiser's accreditation; its past valuations stay, marked so."""
        return ContractCall(
            CONTRACT,
            "removeAppraiser",
            (checked_address(appraiser, "appraiser"), self.documents.put_optional_text(reason)),
        )

    def remove(self, appraiser: str, reason: str | None, signer: LocalAccount) -> Appraiser:
        self.send(self.removal_call(appraiser, reason), signer)
        return self.appraiser(appraiser)

    def appraiser(self, address: str, block: Block = "latest") -> Appraiser:
        address = checked_address(address, "appraiser")
        return Appraiser.from_chain(address, tuple(self._call("appraiser", [address], block)))

    # --- valuations -------------------------------------------------------------------

    @staticmethod
    def compute(method: str, inputs: Mapping[str, Any]) -> ValuationResult:
        """Run a calculator (cost, income, market, combined); no chain call."""
        return compute_from_json(method, inputs)

    def _facts_hash(self, submission: ValuationSubmission, token_id: int) -> bytes:
        facts = submission.facts
        if facts is None:
            metadata = self._registrations.metadata(self._registrations.get(token_id))
            facts = AssetFacts(
                scale=metadata.scale,
                structure=metadata.structure,
                update_frequency=metadata.update_frequency,
            )
        body = rfc8785.dumps(facts.model_dump(mode="json", exclude_none=True))
        return self.documents.put(body, JSON)

    def _report(self, submission: ValuationSubmission) -> tuple[int, str, bytes]:
        """``(value, currency, report hash)``: the computation's, or the submission's."""
        if submission.computation is None:
            assert submission.value is not None
            assert submission.currency is not None
            assert submission.report_hash is not None
            return submission.value, submission.currency, bytes.fromhex(submission.report_hash[2:])
        result = self.compute(submission.computation.method, submission.computation.inputs)
        if submission.computation.method != submission.method.value:
            raise InputError(
                f"the submission says method {submission.method.value}, the computation used "
                f"{submission.computation.method}",
                field="method",
            )
        if submission.currency is not None and submission.currency != result.currency:
            raise InputError(
                f"currency {submission.currency} differs from the computation's {result.currency}",
                field="currency",
            )
        if submission.value is not None and submission.value != result.value_minor:
            raise InputError(
                f"value {submission.value} differs from the computed {result.value_minor} "
                f"(minor units of {result.currency})",
                field="value",
            )
        digest = self.documents.put(result.record.to_json(), JSON)
        return result.value_minor, result.currency, digest

    def submission_call(self, token_id: int, submission: ValuationSubmission) -> ContractCall:
        """An appraiser's valuation of a certificate (checked here first, then by the chain)."""
        registration = self._registrations.get(token_id)
        if registration.status is not Status.ISSUED:
            raise InputError(
                f"certificate {token_id} is {registration.status.value}: only issued "
                "certificates are valued",
                status=registration.status.value,
            )
        version = submission.asset_version or registration.version
        if version > registration.version:
            raise InputError(
                f"asset version {version} does not exist: the certificate is at version "
                f"{registration.version}",
                field="asset_version",
            )
        base = base_date_timestamp(submission.base_date)
        now = self._client.block().timestamp
        if base > now:
            today = datetime.fromtimestamp(now, tz=UTC) + CST
            raise InputError(
                f"the base date {submission.base_date.isoformat()} is in the future (today is "
                f"{today.date().isoformat()} in China Standard Time)",
                field="base_date",
            )
        value, currency, report = self._report(submission)
        return ContractCall(
            CONTRACT,
            "submitValuation",
            (
                token_id,
                (
                    submission.method.chain,
                    value,
                    currency.encode("ascii"),
                    submission.value_type.chain,
                    base,
                    submission.purpose.chain,
                    version,
                    report,
                    self._facts_hash(submission, token_id),
                    submission.report_uri or "",
                ),
            ),
        )

    def valuation_of(self, receipt: Receipt) -> Valuation:
        """The valuation a receipt records as submitted."""
        for event in receipt.events:
            if event.name == "ValuationSubmitted":
                return self.valuation(int(event.args["valuationId"]))
        raise InputError(f"transaction {receipt.tx_hash} emitted no ValuationSubmitted")

    def submit(
        self, token_id: int, submission: ValuationSubmission, appraiser: LocalAccount
    ) -> Valuation:
        return self.valuation_of(self.send(self.submission_call(token_id, submission), appraiser))

    def withdrawal_call(self, valuation_id: int, reason: str) -> ContractCall:
        """The appraiser withdraws its own valuation, with a reason (stored, hash recorded)."""
        if not reason.strip():
            raise InputError("a withdrawal needs a reason")
        return ContractCall(
            CONTRACT, "withdrawValuation", (valuation_id, self.documents.put_text(reason))
        )

    def withdraw(self, valuation_id: int, reason: str, appraiser: LocalAccount) -> Valuation:
        self.send(self.withdrawal_call(valuation_id, reason), appraiser)
        return self.valuation(valuation_id)

    def valuation(self, valuation_id: int, block: Block = "latest") -> Valuation:
        return Valuation.from_chain(
            valuation_id, tuple(self._call("valuation", [valuation_id], block))
        )

    def valuations_of(self, token_id: int, block: Block = "latest") -> list[Valuation]:
        ids = self._call("valuationsOf", [token_id], block)
        return [self.valuation(int(i), block) for i in ids]

    def latest_of(self, token_id: int, block: Block = "latest") -> Valuation | None:
        """The newest valuation not withdrawn (``None`` if there is none)."""
        latest = int(self._call("latestValuationOf", [token_id], block))
        return self.valuation(latest, block) if latest else None

    def stale_reasons(self, valuation: Valuation, block: Block = "latest") -> list[str]:
        """Why ``valuation`` is stale as of ``block`` (empty: current); see
        :func:`registry.domain.valuation.staleness`."""
        return self.staleness_of([valuation], block)[valuation.id]

    def staleness_of(
        self, valuations: Sequence[Valuation], block: Block = "latest"
    ) -> dict[int, list[str]]:
        """:meth:`stale_reasons` of several valuations, reading the block's time and each
        certificate's current version once."""
        if not valuations:
            return {}
        now = datetime.fromtimestamp(self._client.block(block).timestamp, tz=UTC)
        versions = {
            token: self._registrations.get(token, block).version
            for token in {v.token_id for v in valuations}
        }
        return {
            v.id: staleness(
                v, now=now, current_version=versions[v.token_id], max_age_days=self.max_age_days
            )
            for v in valuations
        }

    def annotated(
        self, valuations: Sequence[Valuation], block: Block = "latest"
    ) -> list[tuple[Valuation, list[str], bool]]:
        """Each valuation with why it is stale (active ones only) and whether its appraiser
        has lost its accreditation, as of ``block``; every appraiser is read once."""
        stale = self.staleness_of([v for v in valuations if v.active], block)
        removed = {a: self.appraiser(a, block).removed for a in {v.appraiser for v in valuations}}
        return [(v, stale.get(v.id, []), removed[v.appraiser]) for v in valuations]

    # --- accounting -------------------------------------------------------------------

    def accounting_call(
        self, token_id: int, accounting_class: AccountingClass | str
    ) -> ContractCall:
        """The holder records how it accounts for the data (intangible asset or inventory)."""
        try:
            chosen = AccountingClass(accounting_class)
        except ValueError:
            chosen = AccountingClass.NONE
        if chosen is AccountingClass.NONE:
            raise InputError("the accounting class is intangible_asset or inventory")
        return ContractCall(CONTRACT, "setAccountingClass", (token_id, chosen.chain))

    def set_accounting_class(
        self, token_id: int, accounting_class: AccountingClass | str, holder: LocalAccount
    ) -> AccountingClass:
        call = self.accounting_call(token_id, accounting_class)
        self.send(call, holder)
        return AccountingClass.of_chain(call.args[1])

    def accounting_class_of(self, token_id: int, block: Block = "latest") -> AccountingClass | None:
        chosen = AccountingClass.of_chain(int(self._call("accountingClassOf", [token_id], block)))
        return None if chosen is AccountingClass.NONE else chosen
