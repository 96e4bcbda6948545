"""The regulator's audit: does the SQL mirror say what the chain says?

:meth:`AuditService.audit` compares, over a block range that ends at the mirror's indexed head
at the latest:

* **certificates**: for each registration (token id = registration id) the mirror's holder,
  effective status, certificate number, current fingerprint, metadata hash and version,
  validity, live pledge (id, pledgee, amount, currency), freeze flag and newest active
  valuation against the contracts' answers at ``to_block`` (through the registration, rights
  and valuation services). Registrations on one side only are reported too: the chain's are
  enumerated as ids ``1..N`` (the contract numbers them consecutively; ``N`` is found by
  probing, starting from the mirror's highest id);
* **raw events**: the node's logs of the registry's contracts (with the indexer's topic filter)
  against the mirror's ``raw_event`` rows, matched by ``(block_number, log_index)``, in chunks of
  ``log_range`` blocks (halved when the node refuses a range), one mirror query per chunk;
* **digests**: per block and for the whole range on both sides (:mod:`registry.domain.audit`,
  ``docs/audit.md``), so two auditors can compare one value.

All chain reads are pinned to ``to_block``; the block's hash is read again at the end, so an
audit raced by a reorganisation fails instead of mixing two chains. The mirror's derived state
is read as one consistent snapshot (:func:`registry.mirror.certificate_snapshot`).
When ``to_block`` is before the indexed head, a certificate the mirror shows changed after
``to_block`` cannot be compared at that block: it is listed as skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from registry.chain.client import ChainClient
from registry.chain.ranges import narrower_span
from registry.domain.audit import (
    AuditReport,
    BlockDigest,
    CertificateDrift,
    CertificateFacts,
    EventDrift,
    block_digest,
    chain_digest,
    compare_certificate,
    compare_logs,
    range_seed,
)
from registry.domain.chain import ChainLog
from registry.domain.deployment import DeploymentManifest
from registry.domain.numbers import parse_certificate_number
from registry.domain.registration import Status
from registry.errors import (
    CertificateNotFoundError,
    ChainError,
    ConflictError,
    InputError,
    RegistrationNotFoundError,
)
from registry.mirror import (
    MirroredCertificate,
    certificate_snapshot,
    effective_status,
    indexer_head,
    raw_events_between,
    registration_by_number,
)
from registry.registration.service import RegistrationService
from registry.rights.service import RightsService
from registry.valuation.service import ValuationService

#: Blocks per ``eth_getLogs`` request (the indexer's default range).
LOG_RANGE = 2000


def _amount(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def mirror_facts(cert: MirroredCertificate, at: datetime) -> CertificateFacts:
    """The compared facts of a mirrored certificate, its status as ``statusOf`` would give it
    at ``at``."""
    try:
        status = effective_status(Status(cert.status), cert.valid_until, at).value
    except ValueError:
        status = cert.status  # not a status at all: reported as it is stored
    # as TransferAgent.livePledgeOf: no pledge is live on a certificate not in force
    pledges = cert.live_pledges if status == Status.ISSUED.value else ()
    one = pledges[0] if len(pledges) == 1 else None
    live: int | str | None = None
    if len(pledges) == 1:
        live = pledges[0].id
    elif pledges:
        live = ",".join(str(p.id) for p in pledges)
    return CertificateFacts(
        token_id=cert.token_id,
        certificate_number=cert.certificate_number,
        holder=cert.holder,
        status=status,
        fingerprint=cert.fingerprint,
        metadata_hash=cert.metadata_hash,
        version=cert.version,
        valid_until=None if cert.valid_until is None else cert.valid_until.isoformat(),
        live_pledge=live,
        pledgee=None if one is None else one.pledgee,
        pledge_amount=None if one is None else _amount(one.secured_amount),
        pledge_currency=None if one is None else one.currency,
        frozen=cert.frozen,
        latest_valuation=cert.latest_valuation,
    )


@dataclass(frozen=True, slots=True, eq=False)
class AuditService:
    """Compares the SQL mirror with the chain (see the module's documentation)."""

    client: ChainClient
    manifest: DeploymentManifest
    engine: Engine
    registrations: RegistrationService
    rights: RightsService
    valuations: ValuationService
    _: KW_ONLY
    log_range: int = LOG_RANGE

    def __post_init__(self) -> None:
        if self.log_range < 1:
            raise InputError(f"log_range must be at least 1, not {self.log_range}")

    # --- the range ------------------------------------------------------------------------

    def _range(
        self, from_block: int | None, to_block: int | None
    ) -> tuple[int, int, int, list[str]]:
        """``(from, to, indexed head, notes)``: the requested range, clipped to the head."""
        for name, value in (("from_block", from_block), ("to_block", to_block)):
            if value is not None and value < 0:
                raise InputError(f"{name} must not be negative, not {value}", **{name: value})
        if from_block is not None and to_block is not None and from_block > to_block:
            raise InputError(
                f"from_block {from_block} is after to_block {to_block}",
                from_block=from_block,
                to_block=to_block,
            )
        chain_id, deployed = self.manifest.chain_id, self.manifest.deploy_block
        head = indexer_head(self.engine, chain_id)
        if head is None or head < deployed:
            raise ConflictError(
                f"the mirror of chain {chain_id} holds no block of the registry yet (deployed "
                f"at block {deployed}): run the indexer (`dareg up`) before auditing it",
                chain_id=chain_id,
            )
        notes = []
        start = deployed if from_block is None else from_block
        end = head if to_block is None else min(to_block, head)
        if to_block is not None and to_block > head:
            notes.append(
                f"to_block {to_block} is beyond the mirror's indexed head {head}: the audit "
                f"stops at block {head}, the last block the mirror holds completely"
            )
        if start > end:
            raise InputError(
                f"from_block {start} is beyond the mirror's indexed head {head}: nothing to audit",
                from_block=start,
                indexed_head=head,
            )
        return start, end, head, notes

    # --- certificates -----------------------------------------------------------------------

    def _resolve(self, numbers: Sequence[str], block: int) -> list[int]:
        """Token ids of certificate numbers (check digits first), found on chain at ``block``
        or in the mirror; :class:`CertificateNotFoundError` if on neither."""
        parsed = [parse_certificate_number(n) for n in numbers]
        ids = []
        for number in parsed:
            try:
                ids.append(self.registrations.by_certificate_number(number.text, block).id)
                continue
            except CertificateNotFoundError:
                pass
            row = registration_by_number(self.engine, number.text)
            if row is None:
                raise CertificateNotFoundError(
                    f"no certificate {number.text} on chain (as of block {block}) or in the mirror",
                    number=number.text,
                )
            ids.append(row.id)
        return ids

    def _exists(self, token_id: int, block: int) -> bool:
        try:
            self.rights.holder_of(token_id, block)
        except RegistrationNotFoundError:
            return False
        return True

    def registration_count(self, block: int, hint: int = 0) -> int:
        """How many registrations the contract holds at ``block`` (ids run ``1..N`` without
        gaps): probes up from ``hint`` in growing steps, then bisects. Two calls when ``hint``
        is right."""

        def exists(token: int) -> bool:
            return self._exists(token, block)

        low, high = 0, None  # low exists (0: trivially), high does not
        probe = max(hint, 1)
        if exists(probe):
            low, step = probe, 1
            while high is None:
                if exists(low + step):
                    low, step = low + step, step * 2
                else:
                    high = low + step
        else:
            high = probe
        while high - low > 1:
            middle = (low + high) // 2
            if exists(middle):
                low = middle
            else:
                high = middle
        return low

    def _chain_facts(self, token_id: int, block: int) -> CertificateFacts | None:
        try:
            reg = self.registrations.get(token_id, block)
        except RegistrationNotFoundError:
            return None
        pledge = self.rights.live_pledge_of(token_id, block)
        freeze = self.rights.freeze_of(token_id, block)
        valuation = self.valuations.latest_of(token_id, block)
        return CertificateFacts(
            token_id=token_id,
            certificate_number=reg.certificate_number,
            holder=reg.holder,
            status=reg.status.value,
            fingerprint=reg.fingerprint,
            metadata_hash=reg.metadata_hash,
            version=reg.version,
            valid_until=None if reg.valid_until is None else reg.valid_until.isoformat(),
            live_pledge=None if pledge is None else pledge.id,
            pledgee=None if pledge is None else pledge.pledgee,
            pledge_amount=None if pledge is None else pledge.secured_amount,
            pledge_currency=None if pledge is None else pledge.currency,
            frozen=freeze.frozen,
            latest_valuation=None if valuation is None else valuation.id,
        )

    def _certificates(
        self, block: int, at: datetime, token_ids: Sequence[int] | None
    ) -> tuple[int, tuple[int, ...], list[CertificateDrift]]:
        """``(checked, skipped, drifts)`` of the certificates as of ``block``."""
        snapshot = certificate_snapshot(
            self.engine, self.manifest.chain_id, None if token_ids is None else token_ids
        )
        mirrored = snapshot.certificates
        if token_ids is None:
            hint = max(
                (c.token_id for c in mirrored.values() if c.submitted_block <= block), default=0
            )
            ids = set(range(1, self.registration_count(block, hint) + 1)) | set(mirrored)
        else:
            ids = set(token_ids)
        skipped = tuple(sorted(i for i in ids if i in mirrored and mirrored[i].last_block > block))
        drifts: list[CertificateDrift] = []
        checked = sorted(ids - set(skipped))
        for token in checked:
            cert = mirrored.get(token)
            drifts += compare_certificate(
                token,
                None if cert is None else mirror_facts(cert, at),
                self._chain_facts(token, block),
            )
        return len(checked), skipped, drifts

    # --- raw events -------------------------------------------------------------------------

    def _logs(self, from_block: int, to_block: int) -> list[ChainLog]:
        """The node's logs of the registry in ``from_block..to_block``, as the indexer fetches
        them (same contracts, same topics), in chunks that shrink when the node refuses."""
        addresses = [c.address for c in self.manifest.contracts.values()]
        topics = self.client.codec.topics
        out: list[ChainLog] = []
        start, size = from_block, self.log_range
        while start <= to_block:
            end = min(to_block, start + size - 1)
            try:
                found = self.client.get_logs(addresses, start, end, [topics] if topics else None)
            except Exception as exc:
                size = narrower_span(exc, start, end, take_suggestion=False)
                continue
            out += found
            start, size = end + 1, min(self.log_range, size * 2)
        return sorted(out, key=lambda x: (x.block_number, x.log_index))

    # --- the audit --------------------------------------------------------------------------

    def audit(
        self,
        from_block: int | None = None,
        to_block: int | None = None,
        certificates: Sequence[int] | None = None,
        *,
        certificate_numbers: Sequence[str] | None = None,
    ) -> AuditReport:
        """Compare the mirror with the chain over ``from_block..to_block`` (default: the
        deployment block to the mirror's indexed head; never beyond the head).

        ``certificates`` (token ids) and ``certificate_numbers`` limit the certificate check to
        those (default: every registration on either side); the raw events are always checked
        over the whole range.
        """
        chain_id = self.manifest.chain_id
        if certificates is not None:
            bad = [t for t in certificates if t < 1]
            if bad:
                raise InputError(f"token ids start at 1, not {bad[0]}", token_id=bad[0])
        start, end, head, notes = self._range(from_block, to_block)
        header = self.client.block(end)
        at = datetime.fromtimestamp(header.timestamp, tz=UTC)
        token_ids: list[int] | None = None
        if certificates is not None or certificate_numbers is not None:
            token_ids = sorted(
                set(certificates or ()) | set(self._resolve(certificate_numbers or (), end))
            )
        checked, skipped, certificate_drifts = self._certificates(end, at, token_ids)
        if skipped:
            notes.append(
                f"{len(skipped)} certificate(s) changed in the mirror after block {end} and were "
                f"not compared at that block (token ids {', '.join(map(str, skipped))}); audit "
                "up to the indexed head to include them"
            )

        event_drifts: list[EventDrift] = []
        mismatched: list[BlockDigest] = []
        mirror_hash = chain_hash = range_seed(chain_id, start, end)
        events_on_chain = events_in_mirror = blocks = 0
        chunk = self.log_range
        for low in range(start, end + 1, chunk):
            high = min(end, low + chunk - 1)
            logs = self._logs(low, high)
            rows = raw_events_between(self.engine, chain_id, low, high)
            events_on_chain += len(logs)
            events_in_mirror += len(rows)
            event_drifts += compare_logs(rows, logs)
            by_block: dict[int, tuple[list[ChainLog], list[ChainLog]]] = defaultdict(
                lambda: ([], [])
            )
            for row in rows:
                by_block[row.block_number][0].append(row)
            for log in logs:
                by_block[log.block_number][1].append(log)
            for number in sorted(by_block):
                mine, theirs = by_block[number]
                digests = BlockDigest(
                    number,
                    block_digest(number, mine) if mine else None,
                    block_digest(number, theirs) if theirs else None,
                )
                if digests.mirror is not None:
                    mirror_hash = chain_digest(mirror_hash, number, digests.mirror)
                if digests.chain is not None:
                    chain_hash = chain_digest(chain_hash, number, digests.chain)
                if not digests.matches:
                    mismatched.append(digests)
            blocks += len(by_block)

        again = self.client.block(end)
        if again.hash != header.hash:
            raise ChainError(
                f"block {end} changed from {header.hash} to {again.hash} while it was audited "
                "(the chain reorganised); run the audit again",
                block=end,
            )
        return AuditReport(
            chain_id=chain_id,
            contracts=tuple(c.address for c in self.manifest.contracts.values()),
            from_block=start,
            to_block=end,
            requested_to_block=to_block,
            indexed_head=head,
            as_of_block=end,
            as_of_time=at,
            certificates_checked=checked,
            certificates_skipped=skipped,
            events_on_chain=events_on_chain,
            events_in_mirror=events_in_mirror,
            blocks_compared=blocks,
            certificate_drifts=tuple(certificate_drifts),
            event_drifts=tuple(event_drifts),
            block_digests=tuple(mismatched),
            mirror_digest=mirror_hash,
            chain_digest=chain_hash,
            notes=tuple(notes),
        )
