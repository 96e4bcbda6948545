"""``dareg access-log``: the regulator reads the access log, every write recorded (newest first).

    dareg access-log                                   # the latest 50 entries, as a table
    dareg access-log --caller 0x... --outcome 4xx      # one caller's refused requests
    dareg access-log --tx 0x... --json                 # the entry naming a transaction

Exit codes as for every command: 0 done, 2 bad input (a malformed address, hash or time), 1
other failures.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, emit, open_context, parse_time
from registry.domain.numbers import SQL_INTEGER_MAX

if TYPE_CHECKING:
    from registry.domain.access import AccessEntry

_COLUMNS = ("id", "recorded (UTC)", "channel", "caller", "role", "action", "outcome", "tx")


def entry_json(entry: AccessEntry) -> dict[str, Any]:
    data = asdict(entry)
    data["recorded_at"] = entry.recorded_at.isoformat()
    data["tx_hashes"] = list(entry.tx_hashes)
    return data


def table_lines(entries: list[AccessEntry], total: int, offset: int) -> list[str]:
    rows = [
        (
            str(e.id),
            f"{e.recorded_at:%Y-%m-%d %H:%M:%S}",
            e.channel,
            e.caller or "-",
            e.role or "-",
            e.action,
            e.outcome,
            " ".join(e.tx_hashes) or "-",
        )
        for e in entries
    ]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(_COLUMNS)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    shown = f"{offset + 1}-{offset + len(rows)}" if rows else "none"
    return [f"access log: {shown} of {total} entry(ies), newest first", line(_COLUMNS)] + [
        line(r) for r in rows
    ]


def access_log(
    since: Annotated[
        str | None, typer.Option("--since", help="recorded at or after (ISO 8601)")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="recorded before (ISO 8601)")] = None,
    caller: Annotated[str | None, typer.Option("--caller", help="the caller's address")] = None,
    action: Annotated[
        str | None,
        typer.Option("--action", help="exactly this action (`POST /api/v1/relay`, `X.function`)"),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="2xx, 4xx, 5xx (API) or sent, reverted, failed"),
    ] = None,
    tx_hash: Annotated[
        str | None, typer.Option("--tx", help="entries naming this transaction hash")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, max=SQL_INTEGER_MAX)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Every write recorded, newest first: API requests, CLI and demo transactions (regulator;
    reads the database)."""
    from registry.domain.access import AccessFilter, OutcomeClass
    from registry.errors import InputError

    try:
        outcome_class = None if outcome is None else OutcomeClass(outcome)
    except ValueError:
        choices = ", ".join(c.value for c in OutcomeClass)
        raise InputError(f"--outcome {outcome!r} is not one of {choices}") from None
    criteria = AccessFilter(
        parse_time(since, "--since"),
        parse_time(until, "--until"),
        caller,
        action,
        outcome_class,
        tx_hash,
    ).checked()
    context = open_context()
    entries, total = context.access_log.entries(criteria, limit, offset)
    data = {
        "items": [entry_json(e) for e in entries],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
    emit(data, as_json, table_lines(entries, total, offset))


def register(app: typer.Typer) -> None:
    app.command("access-log")(access_log)
