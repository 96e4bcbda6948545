"""The statistics cache's layout, shared by its writer and its reader.

``report_certificate`` holds one row of small integers per certificate, so that a report at the
mirror's head reads it alone: enum columns hold the member's position in the tuples below (a
value this version does not know gets the position past the end, kept apart and never
mislabelled), texts (industry, category, region, currency) are ``report_label`` ids, and
``report_state`` says up to which indexed block the rows are current. The indexer writes it
(:mod:`registry.indexer.derived`, in the transaction of every stored batch);
:mod:`registry.reports.statistics` only reads it.
"""

from __future__ import annotations

from registry.domain.registration import AssetKind, Classification, Status
from registry.domain.valuation import AccountingClass

LEVELS: tuple[str, ...] = tuple(c.value for c in Classification)
KINDS: tuple[str, ...] = tuple(k.value for k in AssetKind)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
CLASSES: tuple[str, ...] = tuple(c.value for c in AccountingClass)
