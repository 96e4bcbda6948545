"""Financier verification: one answer, as of one block, to "can I lend against this certificate?".

Every fact is read from the chain at the same block number (the head when the question is
asked, unless one is given), so the answer is consistent and reproducible: genuine (this
registry's contract on this chain knows the number), status, holder, validity, live pledges,
live licences (exclusive ones flagged), freeze, open objections, the latest valuation (flagged
when stale or made by a since-removed appraiser), the accounting class, and a ``lendable``
verdict with the reasons. Nothing here comes from the SQL mirror.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from registry.certificates.document import registered_holder
from registry.certificates.standing import Standing, standing
from registry.chain.client import ChainClient
from registry.domain.registration import Classification, Registration, Status
from registry.domain.valuation import staleness
from registry.errors import CertificateNotFoundError, NotFoundError
from registry.registration.service import RegistrationService
from registry.rights.service import RightsService
from registry.valuation.service import ValuationService

if TYPE_CHECKING:
    from registry.domain.rights import Freeze, Licence, Pledge
    from registry.domain.valuation import AccountingClass, Valuation


@dataclass(frozen=True)
class Verdict:
    """``lendable`` with the reasons against it (``blockers``) and what a lender should weigh."""

    lendable: bool
    blockers: tuple[str, ...]
    cautions: tuple[str, ...]


@dataclass(frozen=True)
class Verification:
    number: str
    genuine: bool
    chain_id: int
    contract: str
    as_of_block: int
    as_of_time: datetime
    registration: Registration | None = None
    holder_name: str | None = None
    asset_name: str | None = None
    registrar_name: str | None = None
    pledges: tuple[Pledge, ...] = ()
    licences: tuple[Licence, ...] = ()
    freeze: Freeze | None = None
    valuation: Valuation | None = None
    valuation_stale: tuple[str, ...] = ()
    appraiser_removed: bool = False
    accounting_class: AccountingClass | None = None
    verdict: Verdict = field(default_factory=lambda: Verdict(False, ("not found",), ()))
    standing: Standing | None = None


@dataclass(frozen=True)
class DataMatch:
    """Whether a dataset fingerprint is one of the certificate's registered versions."""

    number: str
    fingerprint: str
    matches: bool
    version: int | None
    current_version: int
    is_current: bool
    as_of_block: int


def verdict(
    registration: Registration,
    *,
    pledges: tuple[Pledge, ...],
    licences: tuple[Licence, ...],
    freeze: Freeze | None,
    now: datetime,
    loan_maturity: datetime | None = None,
    valuation: Valuation | None = None,
    valuation_stale: tuple[str, ...] = (),
    appraiser_removed: bool = False,
) -> Verdict:
    """The lending verdict: every blocker is one clear sentence."""
    blockers: list[str] = []
    cautions: list[str] = []
    if registration.status is not Status.ISSUED:
        state = registration.status.value.replace("_", " ")
        blockers.append(f"the certificate is {state}, not issued and valid")
    if freeze is not None and freeze.frozen:
        blockers.append("the certificate is frozen by a regulator or court")
    for pledge in pledges:
        blockers.append(
            f"the certificate is already pledged (pledge {pledge.id} to {pledge.pledgee} until "
            f"{pledge.maturity:%Y-%m-%d}); a second pledge is refused while it is live"
        )
    if registration.open_objections:
        blockers.append(f"{registration.open_objections} objection(s) are open")
    valid_until = registration.valid_until
    if loan_maturity is not None and valid_until is not None and valid_until < loan_maturity:
        blockers.append(
            f"the certificate expires on {valid_until:%Y-%m-%d}, before the loan matures on "
            f"{loan_maturity:%Y-%m-%d}; a pledge cannot outlast it"
        )
    exclusive = [lic for lic in licences if lic.exclusive]
    if exclusive:
        cautions.append(
            f"{len(exclusive)} exclusive licence(s) are live; the licensee keeps its right "
            "after an enforcement"
        )
    if registration.classification is Classification.IMPORTANT:
        cautions.append("important data: a transfer on enforcement needs a regulator's approval")
    if valid_until is not None and registration.status is Status.ISSUED:
        days = (valid_until - now).days
        if days < 90:
            cautions.append(f"the certificate expires in {days} days; renewal is due")
    if valuation is None:
        cautions.append("no valuation is recorded: ask an accredited appraiser for one")
    else:
        if valuation_stale:
            cautions.append("the latest valuation is stale: " + "; ".join(valuation_stale))
        if appraiser_removed:
            cautions.append(
                f"the latest valuation's appraiser {valuation.appraiser} has since lost its "
                "accreditation"
            )
    return Verdict(lendable=not blockers, blockers=tuple(blockers), cautions=tuple(cautions))


@dataclass(frozen=True, slots=True, eq=False)
class VerificationService:
    """Answers a financier's questions about a certificate in one consistent read."""

    client: ChainClient
    chain_id: int
    registrations: RegistrationService
    rights: RightsService
    valuations: ValuationService

    def pinned(self, block: int | None = None) -> tuple[int, datetime]:
        """``(number, time)`` of ``block`` (default: the head, read once): the block every read
        of one answer is pinned to."""
        header = self.client.block(block if block is not None else "latest")
        return header.number, datetime.fromtimestamp(header.timestamp, tz=UTC)

    def verify(
        self, number: str, *, block: int | None = None, loan_maturity: datetime | None = None
    ) -> Verification:
        """The full answer for certificate ``number`` as of ``block`` (default: the head)."""
        at_block, at_time = self.pinned(block)
        registrations = self.registrations
        unknown = Verification(
            number=number,
            genuine=False,
            chain_id=self.chain_id,
            contract=registrations.contract_address,
            as_of_block=at_block,
            as_of_time=at_time,
        )
        try:
            reg = registrations.by_certificate_number(number, at_block)
        except CertificateNotFoundError:
            return unknown
        rights = self.rights
        live = rights.live_pledge_of(reg.id, block=at_block)
        pledges = (live,) if live is not None else ()
        licences = tuple(rights.live_licences_of(reg.id, block=at_block))
        freeze = rights.freeze_of(reg.id, block=at_block)
        valuations = self.valuations
        valuation = valuations.latest_of(reg.id, block=at_block)
        reg_standing = (
            None
            if reg.certificate_number is None
            else standing(
                reg,
                frozen=freeze.frozen,
                pledged=live is not None,
                exclusively_licensed=any(lic.exclusive for lic in licences),
                as_of_block=at_block,
                as_of_time=at_time,
            )
        )
        stale: tuple[str, ...] = ()
        removed = False
        if valuation is not None:
            stale = tuple(
                staleness(
                    valuation,
                    now=at_time,
                    current_version=reg.version,
                    max_age_days=valuations.max_age_days,
                )
            )
            removed = valuations.appraiser(valuation.appraiser, block=at_block).removed
        holder_name: str | None = None
        asset_name: str | None = None
        try:  # names come from the off-chain metadata; its absence must not hide the chain facts
            metadata = registrations.metadata(reg)
            asset_name = metadata.name
            registered = registered_holder(metadata, reg.holder)
            if registered is not None:  # else transferred: the name awaits a change
                holder_name = registered.name
        except (NotFoundError, ValidationError):
            pass
        return replace(
            unknown,
            genuine=True,
            registration=reg,
            holder_name=holder_name,
            asset_name=asset_name,
            registrar_name=registrations.registrars.name(reg.registrar_code),
            pledges=pledges,
            licences=licences,
            freeze=freeze if freeze.frozen else None,
            valuation=valuation,
            valuation_stale=stale,
            appraiser_removed=removed,
            accounting_class=valuations.accounting_class_of(reg.id, block=at_block),
            standing=reg_standing,
            verdict=verdict(
                reg,
                pledges=pledges,
                licences=licences,
                freeze=freeze,
                now=at_time,
                loan_maturity=loan_maturity,
                valuation=valuation,
                valuation_stale=stale,
                appraiser_removed=removed,
            ),
        )

    def standing_of(self, registration: Registration, block: int) -> Standing:
        """The effective standing of an issued ``registration`` as of ``block``: its lifecycle
        and every encumbrance (freeze, live pledge, open objection, live exclusive licence),
        each read at that block."""
        at_block, at_time = self.pinned(block)
        rights = self.rights
        return standing(
            registration,
            frozen=rights.freeze_of(registration.id, block=at_block).frozen,
            pledged=rights.live_pledge_of(registration.id, block=at_block) is not None,
            exclusively_licensed=any(
                lic.exclusive for lic in rights.live_licences_of(registration.id, block=at_block)
            ),
            as_of_block=at_block,
            as_of_time=at_time,
        )

    def match_data(self, number: str, fingerprint: bytes, *, block: int | None = None) -> DataMatch:
        """Which registered version (if any) has ``fingerprint``."""
        at_block, _ = self.pinned(block)
        reg = self.registrations.by_certificate_number(number, at_block)
        wanted = "0x" + fingerprint.hex()
        versions = self.registrations.versions(reg.id, at_block)
        found = next((v.version for v in versions if v.fingerprint == wanted), None)
        return DataMatch(
            number=number,
            fingerprint=wanted,
            matches=found is not None,
            version=found,
            current_version=reg.version,
            is_current=found == reg.version,
            as_of_block=at_block,
        )
