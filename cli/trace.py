"""``dareg trace``: the regulator's provenance tools over the SQL mirror (docs/provenance.md).

    dareg trace NUMBER                      # timeline of a certificate (or registration)
    dareg trace NUMBER --custody --csv      # its holders with periods, as CSV
    dareg trace NUMBER --lineage --json     # products and the assets they derive from
    dareg trace --party 0x... --as-of-time 2026-06-30T00:00:00+08:00

Exit codes as for every command: 0 done, 2 bad input (both as-of options, a malformed number
or address, an unknown filter value), 1 other failures (an unknown number included).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import as_of_block_option, as_of_time_option, emit, open_as_of, parse_time
from registry.domain.numbers import SQL_INTEGER_MAX
from registry.errors import InputError

if TYPE_CHECKING:
    from registry.provenance import Custody, Lineage, PartyTrace, Timeline


def _time(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _until(block: int | None, time: datetime | None) -> str:
    return "now" if block is None else f"block {block} ({_time(time)})"


def timeline_lines(answer: Timeline) -> list[str]:
    a = answer.asset
    lines = [
        f"{a.certificate_number or a.registration_number} {a.name or ''} ({a.kind.value}, "
        f"{a.level.value}): {len(answer.entries)} event(s) as of block {answer.as_of.block} "
        f"({_time(answer.as_of.time)}); holder {a.holder or '-'}, status "
        f"{a.status.value if a.status else '-'}"
    ]
    for e in answer.entries:
        details = json.dumps(e.details, ensure_ascii=False, separators=(",", ":"))
        lines.append(
            f"{e.block_number}:{e.log_index} {_time(e.time)} {e.kind} "
            f"actor={e.actor or '-'} tx={e.tx_hash} {details}"
        )
    return lines


def custody_lines(answer: Custody) -> list[str]:
    a = answer.asset
    lines = [
        f"{a.certificate_number or a.registration_number}: {len(answer.periods)} holder "
        f"period(s) as of block {answer.as_of.block} ({_time(answer.as_of.time)})"
    ]
    for p in answer.periods:
        lines.append(
            f"{p.holder} {p.reason} from block {p.from_block} ({_time(p.from_time)}) to "
            f"{_until(p.to_block, p.to_time)} previous={p.previous_holder or '-'}"
        )
    return lines


def lineage_lines(answer: Lineage) -> list[str]:
    lines = [
        f"lineage of {answer.asset.certificate_number or answer.asset.registration_number}: "
        f"{len(answer.nodes)} node(s), {len(answer.edges)} edge(s) as of block "
        f"{answer.as_of.block}"
    ]
    for n in answer.nodes:
        lines.append(
            f"node {n.id} {n.certificate_number or n.registration_number} {n.relation} "
            f"depth={n.depth} {n.kind} {n.status} {n.name or ''}".rstrip()
        )
    lines += [f"edge {e.from_id} -> {e.to_id}" for e in answer.edges]
    return lines


def trace_lines(answer: PartyTrace) -> list[str]:
    lines = [
        f"{answer.party}: {len(answer.entries)} entry(ies) as of block {answer.as_of.block} "
        f"({_time(answer.as_of.time)})"
    ]
    for e in answer.entries:
        lines.append(
            f"{e.relation} {e.certificate_number or e.registration_number} ({e.level}) from "
            f"block {e.from_block} ({_time(e.from_time)}) to {_until(e.to_block, e.to_time)} "
            f"reason={e.reason or '-'} counterparty={e.counterparty or '-'} "
            f"ref={e.reference or '-'}"
        )
    return lines


def trace(
    number: Annotated[
        str | None,
        typer.Argument(
            help="17-digit certificate number or 16-digit registration number", show_default=False
        ),
    ] = None,
    party: Annotated[
        str | None, typer.Option("--party", help="trace a party (address) instead of an asset")
    ] = None,
    show_timeline: Annotated[
        bool, typer.Option("--timeline", help="every event of the asset (the default)")
    ] = False,
    show_custody: Annotated[
        bool, typer.Option("--custody", help="the holders of the asset with their periods")
    ] = False,
    show_lineage: Annotated[
        bool, typer.Option("--lineage", help="the products and resources it derives from/into")
    ] = False,
    as_of_block: Annotated[int | None, as_of_block_option("answer")] = None,
    as_of_time: Annotated[str | None, as_of_time_option("answer")] = None,
    from_block: Annotated[
        int | None, typer.Option("--from-block", min=0, max=SQL_INTEGER_MAX)
    ] = None,
    to_block: Annotated[int | None, typer.Option("--to-block", min=0, max=SQL_INTEGER_MAX)] = None,
    from_time: Annotated[str | None, typer.Option("--from-time", help="ISO 8601")] = None,
    to_time: Annotated[str | None, typer.Option("--to-time", help="ISO 8601")] = None,
    level: Annotated[
        str | None, typer.Option("--level", help="only assets of this classification level")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="only holdings acquired so (issued, sale, inheritance, ...)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV (not for --lineage)")] = False,
) -> None:
    """Provenance of an asset (timeline, custody, lineage) or everything a party held, licensed
    or pledged, as of a block or a time (regulator; reads the SQL mirror)."""
    from registry.provenance import (
        TraceFilter,
        custody,
        exports,
        lineage,
        timeline,
        trace_party,
    )

    if (number is None) == (party is None):
        raise InputError("give a certificate NUMBER or --party ADDRESS (one of them)")
    if show_timeline + show_custody + show_lineage > 1:
        raise InputError("choose one of --timeline, --custody, --lineage")
    if party is not None and (show_timeline or show_custody or show_lineage):
        raise InputError("--timeline, --custody and --lineage are views of an asset, not a party")
    if as_json and as_csv:
        raise InputError("choose --json or --csv, not both")
    if show_lineage and as_csv:
        raise InputError("the lineage is a graph: use --json, not --csv")
    filters = TraceFilter(
        from_block,
        to_block,
        parse_time(from_time, "--from-time"),
        parse_time(to_time, "--to-time"),
        level,
        reason,
    )
    context, as_of = open_as_of(as_of_block, as_of_time)
    engine, chain_id = context.engine, context.manifest.chain_id
    data: dict[str, Any]
    if party is not None:
        traced = trace_party(engine, chain_id, party, as_of, filters)
        data, text, table = (
            exports.trace_json(traced),
            trace_lines(traced),
            exports.trace_csv(traced),
        )
    elif show_lineage:
        graph = lineage(engine, chain_id, number or "", as_of)
        data, text, table = exports.lineage_json(graph), lineage_lines(graph), ""
    elif show_custody:
        held = custody(engine, chain_id, number or "", as_of, filters)
        data, text, table = (
            exports.custody_json(held),
            custody_lines(held),
            exports.custody_csv(held),
        )
    else:
        events = timeline(engine, chain_id, number or "", as_of)
        data, text = exports.timeline_json(events), timeline_lines(events)
        table = exports.timeline_csv(events) if as_csv else ""
    if as_csv:
        sys.stdout.write(table)
        sys.stdout.flush()
    else:
        emit(data, as_json, text)


def register(app: typer.Typer) -> None:
    app.command("trace")(trace)
