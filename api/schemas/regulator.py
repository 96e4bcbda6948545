"""The regulator's views of the mirror: the audit against the chain, provenance (timeline,
custody, lineage, party traces) and statistics (数据资产统计)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from api.schemas.common import Page, Public
from registry.domain.audit import AuditReport

# --- the regulator's audit of the mirror ---------------------------------------------------------


class RawEventPublic(Public):
    """One log as the node returns it, or one ``raw_event`` row of the mirror."""

    block_number: int
    log_index: int
    block_hash: str
    tx_hash: str
    address: str
    topics: list[str]
    data: str


class EventDriftPublic(Public):
    block_number: int
    log_index: int
    kind: Literal["missing", "extra", "different"] = Field(
        description="missing: on chain, not in the mirror; extra: in the mirror only; "
        "different: both, with `fields` differing"
    )
    fields: list[str]
    mirror: RawEventPublic | None
    chain: RawEventPublic | None


class CertificateDriftPublic(Public):
    token_id: int
    certificate_number: str | None
    field: str = Field(description="`exists`, or the compared fact (holder, status, frozen, ...)")
    mirror: str | int | bool | None
    chain: str | int | bool | None


class BlockDigestPublic(Public):
    block_number: int
    mirror: str | None = Field(description="digest of the mirror's rows; null: none there")
    chain: str | None = Field(description="digest of the node's logs; null: none there")


class AuditPublic(Public):
    """The mirror compared with the chain over a block range, chain reads as of ``as_of_block``
    (digests: docs/audit.md)."""

    consistent: bool
    chain_id: int
    contracts: list[str]
    from_block: int
    to_block: int = Field(description="never beyond the mirror's indexed head")
    requested_to_block: int | None
    indexed_head: int
    as_of_block: int
    as_of_time: datetime
    certificates_checked: int
    certificates_skipped: list[int] = Field(
        description="token ids the mirror shows changed after to_block (not compared)"
    )
    events_on_chain: int
    events_in_mirror: int
    blocks_compared: int
    drift_count: int
    certificate_drifts: list[CertificateDriftPublic]
    event_drifts: list[EventDriftPublic]
    block_digests: list[BlockDigestPublic] = Field(description="only the blocks that differ")
    mirror_digest: str = Field(description="range digest of the mirror's raw events")
    chain_digest: str = Field(description="range digest of the node's logs")
    notes: list[str]

    @classmethod
    def of(cls, report: AuditReport) -> AuditPublic:
        """``model_validate(report)``, named as ``cli/audit.py`` calls it."""
        return cls.model_validate(report)


# --- provenance (regulator) ----------------------------------------------------------------------


class ProvenanceAssetPublic(Public):
    """The asset a provenance answer is about; ``status``, ``holder`` and ``version`` as of the
    answer's block (null: not submitted yet then)."""

    token_id: int
    registration_number: str
    certificate_number: str | None
    name: str | None
    kind: str
    level: str
    parents: list[int]
    status: str | None
    holder: str | None
    version: int | None


class TimelineEntryPublic(Public):
    kind: str = Field(description="stable snake_case kind (docs/provenance.md)")
    event: str
    contract: str | None
    block_number: int
    log_index: int
    tx_hash: str
    time: datetime
    actor: str | None
    details: dict[str, Any]


class TimelinePublic(Public):
    """Every event about one asset in chain order, up to ``as_of_block``."""

    as_of_block: int
    as_of_time: datetime | None
    asset: ProvenanceAssetPublic
    entries: list[TimelineEntryPublic]


class CustodyPeriodPublic(Public):
    holder: str
    reason: str = Field(description="how the holder acquired it: issued, sale, inheritance, ...")
    previous_holder: str | None
    document_hash: str | None
    from_block: int
    from_time: datetime
    from_tx_hash: str
    to_block: int | None = Field(description="null: still held as of the answer's block")
    to_time: datetime | None


class CustodyPublic(Public):
    as_of_block: int
    as_of_time: datetime | None
    asset: ProvenanceAssetPublic
    periods: list[CustodyPeriodPublic]


class LineageNodePublic(Public):
    id: int
    registration_number: str
    certificate_number: str | None
    name: str | None
    kind: str
    level: str
    status: str
    relation: str = Field(description="subject, ancestor or descendant")
    depth: int


class LineageEdgePublic(Public):
    """``from`` (a product) derives from ``to``."""

    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from")
    to: int


class LineagePublic(Public):
    as_of_block: int
    as_of_time: datetime | None
    asset: ProvenanceAssetPublic
    nodes: list[LineageNodePublic]
    edges: list[LineageEdgePublic]


class TraceEntryPublic(Public):
    relation: str = Field(description="holder, licensor, licensee, pledgor or pledgee")
    token_id: int
    certificate_number: str | None
    registration_number: str
    level: str
    reason: str | None
    counterparty: str | None
    reference: str | None = Field(description="licence voucher number or pledge id")
    from_block: int
    from_time: datetime
    from_tx_hash: str
    to_block: int | None
    to_time: datetime | None
    details: dict[str, Any]


class PartyTracePublic(Public):
    as_of_block: int
    as_of_time: datetime | None
    party: str
    entries: list[TraceEntryPublic]


# --- statistics (regulator) ------------------------------------------------------------------

Amounts = dict[str, str]
"""Money per ISO 4217 currency, major units as exact decimal strings (``{"CNY": "1200.00"}``)."""


class StatisticsGroupPublic(Public):
    key: str = Field(description="stable key: the value grouped by, or 'unknown'")
    label: str
    label_en: str
    certificates: int
    valued: int = Field(description="certificates with a latest valuation")
    valuation: Amounts = Field(description="total of their latest valuations per currency")


class MonthVolumePublic(Public):
    month: str = Field(description="YYYY-MM, Beijing time (UTC+8)")
    issued: int
    transfers: int
    licences: int
    sublicences: int
    pledges: int
    pledged: Amounts = Field(description="amounts secured by the pledges registered")


class LenderExposurePublic(Public):
    lender: str
    pledges: int = Field(description="live pledges held")
    certificates: int
    secured: Amounts
    valuation: Amounts = Field(description="latest valuations of the pledged certificates")


class StatisticsPublic(Public):
    """数据资产统计 as of ``as_of_block`` (docs/reports.md)."""

    as_of_block: int
    as_of_time: datetime | None
    chain_id: int
    month_zone: str
    certificates: int
    valued: int
    valuation: Amounts
    pledged: int
    frozen: int
    groups: dict[str, list[StatisticsGroupPublic]] = Field(
        description="industry, category, level, province, region, registrar, kind, status, "
        "accounting_class"
    )
    months: list[MonthVolumePublic]
    lenders: list[LenderExposurePublic]


# --- the access log ------------------------------------------------------------------------------


class AccessLogEntryPublic(Public):
    """One recorded write: a state-changing API request, or a transaction sent from the CLI or
    by the demo's seeding (append-only, docs in ARCHITECTURE.md)."""

    id: int
    recorded_at: datetime
    channel: str = Field(description="api, cli or demo")
    caller: str | None = Field(
        description="the authenticated address (api); the account that signed the action (cli, "
        "demo: a forward request's signer, not the relaying operator)"
    )
    role: str | None = Field(description="the role the route required (api)")
    via: str | None = Field(description="how the caller authenticated: session or api-key (api)")
    sender: str | None = Field(description="the transaction's sender (cli, demo)")
    client: str = Field(description="the client's IP address; `local` outside the API")
    request_id: str
    idempotency_key: str | None
    action: str = Field(description="`METHOD /route/template` (api) or `Contract.function`")
    outcome: str = Field(
        description="HTTP status and error code (`201`, `422 invalid_request`), or `sent`, "
        "`reverted <code>`, `failed <code>`"
    )
    tx_hashes: list[str] = Field(description="the transactions the write caused")


class AccessLogList(Page[AccessLogEntryPublic]):
    """Entries of the access log, newest first."""
