"""The read side of the chain mirror: every query the API, the CLI and the services make of it.

The rule: the mirror has one writer, :mod:`registry.indexer` (fetch -> decode -> store, with
its reorganisation journal), and everything else reads through this package, which never
writes and never imports :mod:`registry.indexer`. What both sides share (the tables in
:mod:`registry.db.models`, the JSON codec of row images in :mod:`registry.db.rows`) lives in
:mod:`registry.db`. ``tests/test_architecture.py`` enforces the rule on every module, and the
API is tested to answer every GET over a read-only connection.

The package is split by concern:

- :mod:`.head`: how far the mirror has read the chain;
- :mod:`.common`: page limits, addresses, the time a query is judged at, :func:`row_of`;
- :mod:`.evidence`, :mod:`.registrations`, :mod:`.rights`, :mod:`.valuations`: the current
  state, as row dataclasses;
- :mod:`.history`: rows and certificates as of a block or a time; :mod:`.asof` resolves the
  block a regulator's answer is as of;
- :mod:`.snapshot`: the audit's consistent read of the certificates and the raw events;
- :mod:`.standings`: the standing of a registrar's certificates at the indexed head (what the
  status lists are made of).

Readers import from the package (``from registry.mirror import registration_by_number``):
every query, row type and constant of the modules above is re-exported here (the helpers of
:mod:`.common` that only the queries use are not). Modules inside the package import from each
other's modules, never from the package.
"""

from registry.mirror.asof import AsOf, block_time, resolve_as_of
from registry.mirror.common import MAX_PAGE, normalise_address, row_of
from registry.mirror.evidence import (
    anchors_of_fingerprint,
    count_evidence,
    evidence_by_fingerprint,
    list_evidence,
)
from registry.mirror.head import head_in, indexer_head
from registry.mirror.history import (
    CertificateAsOf,
    block_at_time,
    certificate_as_of,
    row_as_of,
    rows_as_of,
)
from registry.mirror.registrations import (
    STATUS_FILTERS,
    AssetVersionRow,
    ObjectionRow,
    RegistrarRow,
    RegistrationRow,
    count_registrations,
    effective_status,
    list_registrations,
    objection_row,
    objections_of,
    registrars,
    registration_by_number,
    registration_row,
    versions_of,
)
from registry.mirror.rights import (
    CrossBorderRow,
    FreezeEventRow,
    FreezeRow,
    LicenceRow,
    PledgeEventRow,
    PledgeRow,
    TransferApprovalRow,
    TransferRow,
    count_licences,
    cross_border_records,
    freeze_of,
    licence_by_voucher_number,
    licences_of_token,
    party_country,
    pledges_of_holder,
    pledges_of_token,
    public_licences,
    transfer_approvals,
    transfers_of_token,
)
from registry.mirror.snapshot import (
    SNAPSHOT_ATTEMPTS,
    CertificateSnapshot,
    MirroredCertificate,
    MirroredPledge,
    certificate_snapshot,
    raw_events_between,
)
from registry.mirror.standings import MirroredStanding, MirroredStandings, standings_at_head
from registry.mirror.valuations import (
    AppraiserRow,
    ValuationRow,
    accounting_class_of,
    appraiser_row,
    latest_valuation_of_token,
    valuation_row,
    valuations_of_token,
)

__all__ = [
    "MAX_PAGE",
    "SNAPSHOT_ATTEMPTS",
    "STATUS_FILTERS",
    "AppraiserRow",
    "AsOf",
    "AssetVersionRow",
    "CertificateAsOf",
    "CertificateSnapshot",
    "CrossBorderRow",
    "FreezeEventRow",
    "FreezeRow",
    "LicenceRow",
    "MirroredCertificate",
    "MirroredPledge",
    "MirroredStanding",
    "MirroredStandings",
    "ObjectionRow",
    "PledgeEventRow",
    "PledgeRow",
    "RegistrarRow",
    "RegistrationRow",
    "TransferApprovalRow",
    "TransferRow",
    "ValuationRow",
    "accounting_class_of",
    "anchors_of_fingerprint",
    "appraiser_row",
    "block_at_time",
    "block_time",
    "certificate_as_of",
    "certificate_snapshot",
    "count_evidence",
    "count_licences",
    "count_registrations",
    "cross_border_records",
    "effective_status",
    "evidence_by_fingerprint",
    "freeze_of",
    "head_in",
    "indexer_head",
    "latest_valuation_of_token",
    "licence_by_voucher_number",
    "licences_of_token",
    "list_evidence",
    "list_registrations",
    "normalise_address",
    "objection_row",
    "objections_of",
    "party_country",
    "pledges_of_holder",
    "pledges_of_token",
    "public_licences",
    "raw_events_between",
    "registrars",
    "registration_by_number",
    "registration_row",
    "resolve_as_of",
    "row_as_of",
    "row_of",
    "rows_as_of",
    "standings_at_head",
    "transfer_approvals",
    "transfers_of_token",
    "valuation_row",
    "valuations_of_token",
    "versions_of",
]
