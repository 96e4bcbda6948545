"""Regulator tools over the SQL mirror: provenance timelines, lineage, chain of custody, tracing.

Everything here reads the mirror only (never the chain) and answers "as of" a block, which
:func:`registry.mirror.resolve_as_of` finds from ``as_of_block`` / ``as_of_time``:

* :mod:`.timeline` lists every event about one asset in chain order;
* :mod:`.lineage` walks the product -> resource graph (``registration.parents``) both ways;
* :mod:`.tracing` derives the chain of custody of an asset and everything a party ever held,
  licensed or pledged, with periods and filters;
* :mod:`.exports` writes those answers as JSON and CSV (columns in ``docs/provenance.md``).
"""

from registry.provenance.lineage import Lineage, LineageEdge, LineageNode, lineage
from registry.provenance.timeline import Asset, Timeline, TimelineEntry, find_asset, timeline
from registry.provenance.tracing import (
    Custody,
    CustodyPeriod,
    PartyTrace,
    TraceEntry,
    TraceFilter,
    custody,
    trace_party,
)

__all__ = [
    "Asset",
    "Custody",
    "CustodyPeriod",
    "Lineage",
    "LineageEdge",
    "LineageNode",
    "PartyTrace",
    "Timeline",
    "TimelineEntry",
    "TraceEntry",
    "TraceFilter",
    "custody",
    "find_asset",
    "lineage",
    "timeline",
    "trace_party",
]
