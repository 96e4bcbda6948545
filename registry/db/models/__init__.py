"""Tables of the chain mirror (SQLModel).

The chain is the source of truth; these tables are a rebuildable, queryable copy of it.

* ``indexer_cursor``: per chain, the last block fully mirrored and its hash.
* ``block``: headers of the blocks that hold registry logs (and only those).
* ``raw_event``: every registry log as the node returned it, plus its decoding, keyed by its
  position on chain ``(chain_id, block_number, log_index)``.
* ``evidence``: one row per anchored fingerprint, derived from ``EvidenceAnchored``.
* ``registration``, ``asset_version``, ``objection``, ``registrar``, ``registrar_account``: the
  registration lifecycle of ``DataAssetRegistry``, derived from its events (see
  :mod:`registry.indexer.contracts.registry`).
* ``transfer``, ``pledge``, ``pledge_event``, ``freeze``, ``freeze_event``, ``licence``,
  ``transfer_approval``, ``cross_border_record``, ``party_country``: rights over certificates,
  derived from the events of ``TransferAgent`` and ``LicenceRegistry``.
* ``appraiser``, ``valuation``, ``accounting_class``: appraisers' accreditations, their
  valuations of certificates and holders' accounting classes, derived from the events of
  ``ValuationRegistry``.

Derived rows reference their raw event, and raw events their block, with ``ON DELETE CASCADE``:
rolling back a block range later (reorg handling) is one ``DELETE FROM block`` for rows that one
event created. Rows that later events changed (a registration's status, an objection's ruling, a
registrar's policy) also record the position ``(block, log_index)`` of the last event applied to
them, so a rollback can find every row touched in the rolled-back range and derive it again
from the raw events that remain.

Hashes and fingerprints are ``0x``-prefixed lowercase hex strings; addresses are EIP-55
checksummed strings, as :mod:`registry.chain` produces them. Datetimes are timezone-aware and
stored in UTC. The schema itself is created and changed only by the Alembic migrations under
``registry/db/migrations``; a test checks that they agree with these models.

The models live in one module per concern, all re-exported here:

* :mod:`~registry.db.models.base`: column sizes, :class:`UTCDateTime`, the shared key columns,
  foreign keys and indexes;
* :mod:`~registry.db.models.chain`: cursor, blocks, raw events, evidence;
* :mod:`~registry.db.models.history`: reorg journal (batches, undo entries, rollbacks) and row
  versions;
* :mod:`~registry.db.models.registration`, :mod:`~registry.db.models.rights`,
  :mod:`~registry.db.models.valuation`: the mirror of each contract family;
* :mod:`~registry.db.models.service`: the service's own data (documents, registrar profiles,
  asset facts) and the statistics cache;
* :mod:`~registry.db.models.access`: the append-only access log.
* :mod:`~registry.db.models.privacy`: natural persons' full identifiers and the salts of their
  commitments (``private_identifier``, never public; docs/privacy.md);
* :mod:`~registry.db.models.relay`: the operator's spending the relay quotas count.
* :mod:`~registry.db.models.idempotency`: the answers kept for ``Idempotency-Key`` replays.
"""

from __future__ import annotations

from sqlalchemy import Table

from registry.db.models.access import AccessLogRecord
from registry.db.models.auth import API_KEY_NAME_LENGTH, ApiKey, AuthNonce, AuthSession
from registry.db.models.base import (
    ADDRESS_LENGTH,
    FACT_LENGTH,
    HASH_LENGTH,
    REGISTRAR_NAME_LENGTH,
    UINT64_DIGITS,
    UINT128_DIGITS,
    UTCDateTime,
    table_of,
)
from registry.db.models.chain import Block, Evidence, IndexerCursor, RawEvent
from registry.db.models.history import MirrorBatch, MirrorUndo, ReorgRollback, RowVersion
from registry.db.models.idempotency import IdempotencyRecord
from registry.db.models.privacy import PrivateIdentifier
from registry.db.models.registration import (
    AssetVersion,
    ObjectionRecord,
    RegistrarAccount,
    RegistrarRecord,
    RegistrationRecord,
)
from registry.db.models.relay import RelayUsage
from registry.db.models.rights import (
    CrossBorderRecordRow,
    FreezeEventRecord,
    FreezeRecord,
    LicenceRecord,
    PartyCountry,
    PledgeEventRecord,
    PledgeRecord,
    TransferApprovalRecord,
    TransferRecord,
)
from registry.db.models.service import (
    AssetFacts,
    Document,
    RegistrarProfile,
    ReportCertificate,
    ReportLabel,
    ReportState,
)
from registry.db.models.valuation import (
    AccountingClassRecord,
    AppraiserRecord,
    ValuationRecordRow,
)

__all__ = [
    "ADDRESS_LENGTH",
    "API_KEY_NAME_LENGTH",
    "FACT_LENGTH",
    "HASH_LENGTH",
    "MIRROR_TABLES",
    "REGISTRAR_NAME_LENGTH",
    "UINT64_DIGITS",
    "UINT128_DIGITS",
    "AccessLogRecord",
    "AccountingClassRecord",
    "ApiKey",
    "AppraiserRecord",
    "AssetFacts",
    "AssetVersion",
    "AuthNonce",
    "AuthSession",
    "Block",
    "CrossBorderRecordRow",
    "Document",
    "Evidence",
    "FreezeEventRecord",
    "FreezeRecord",
    "IdempotencyRecord",
    "IndexerCursor",
    "LicenceRecord",
    "MirrorBatch",
    "MirrorUndo",
    "ObjectionRecord",
    "PartyCountry",
    "PledgeEventRecord",
    "PledgeRecord",
    "PrivateIdentifier",
    "RawEvent",
    "RegistrarAccount",
    "RegistrarProfile",
    "RegistrarRecord",
    "RegistrationRecord",
    "RelayUsage",
    "ReorgRollback",
    "ReportCertificate",
    "ReportLabel",
    "ReportState",
    "RowVersion",
    "TransferApprovalRecord",
    "TransferRecord",
    "UTCDateTime",
    "ValuationRecordRow",
    "access_log_table",
    "accounting_class_table",
    "api_key_table",
    "appraiser_table",
    "asset_facts_table",
    "asset_version_table",
    "auth_nonce_table",
    "auth_session_table",
    "block_table",
    "cross_border_record_table",
    "cursor_table",
    "document_table",
    "evidence_table",
    "freeze_event_table",
    "freeze_table",
    "idempotency_table",
    "licence_table",
    "mirror_batch_table",
    "mirror_undo_table",
    "objection_table",
    "party_country_table",
    "pledge_event_table",
    "pledge_table",
    "private_identifier_table",
    "raw_event_table",
    "registrar_account_table",
    "registrar_profile_table",
    "registrar_table",
    "registration_table",
    "relay_usage_table",
    "reorg_rollback_table",
    "report_certificate_table",
    "report_label_table",
    "report_state_table",
    "row_version_table",
    "table_of",
    "transfer_approval_table",
    "transfer_table",
    "valuation_table",
]

access_log_table = table_of(AccessLogRecord)
idempotency_table = table_of(IdempotencyRecord)
cursor_table = table_of(IndexerCursor)
mirror_batch_table = table_of(MirrorBatch)
mirror_undo_table = table_of(MirrorUndo)
reorg_rollback_table = table_of(ReorgRollback)
row_version_table = table_of(RowVersion)
block_table = table_of(Block)
raw_event_table = table_of(RawEvent)
evidence_table = table_of(Evidence)
document_table = table_of(Document)
auth_nonce_table = table_of(AuthNonce)
auth_session_table = table_of(AuthSession)
api_key_table = table_of(ApiKey)
registrar_profile_table = table_of(RegistrarProfile)
private_identifier_table = table_of(PrivateIdentifier)
asset_facts_table = table_of(AssetFacts)
report_label_table = table_of(ReportLabel)
report_certificate_table = table_of(ReportCertificate)
report_state_table = table_of(ReportState)
relay_usage_table = table_of(RelayUsage)
registration_table = table_of(RegistrationRecord)
asset_version_table = table_of(AssetVersion)
objection_table = table_of(ObjectionRecord)
registrar_table = table_of(RegistrarRecord)
registrar_account_table = table_of(RegistrarAccount)
transfer_table = table_of(TransferRecord)
pledge_table = table_of(PledgeRecord)
pledge_event_table = table_of(PledgeEventRecord)
freeze_table = table_of(FreezeRecord)
freeze_event_table = table_of(FreezeEventRecord)
licence_table = table_of(LicenceRecord)
transfer_approval_table = table_of(TransferApprovalRecord)
cross_border_record_table = table_of(CrossBorderRecordRow)
party_country_table = table_of(PartyCountry)
appraiser_table = table_of(AppraiserRecord)
valuation_table = table_of(ValuationRecordRow)
accounting_class_table = table_of(AccountingClassRecord)

#: Every table of the mirror, in an order safe for inserts (referenced tables first).
MIRROR_TABLES: tuple[Table, ...] = (
    cursor_table,
    block_table,
    raw_event_table,
    evidence_table,
    registrar_table,
    registrar_account_table,
    registration_table,
    asset_version_table,
    objection_table,
    transfer_table,
    pledge_table,
    pledge_event_table,
    freeze_table,
    freeze_event_table,
    licence_table,
    transfer_approval_table,
    cross_border_record_table,
    party_country_table,
    appraiser_table,
    valuation_table,
    accounting_class_table,
    row_version_table,
)
