"""``dareg report``: the regulator's statistics (数据资产统计) over the SQL mirror
(docs/reports.md).

    dareg report                                   # summary in the terminal
    dareg report --as-of-time 2026-06-30T23:59:59+08:00 --json
    dareg report --csv months > months.csv         # one CSV table: groups, months or lenders
    dareg report --xlsx statistics.xlsx --charts charts/ --chart-format svg

Exit codes as for every command: 0 done, 2 bad input (both as-of options, an unknown table or
chart format, a file that cannot be written), 1 other failures.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import as_of_block_option, as_of_time_option, emit, open_as_of, write_output
from registry.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from registry.reports import Statistics


def _money(amounts: Mapping[str, Decimal]) -> str:
    return ", ".join(f"{currency} {amount:,}" for currency, amount in amounts.items()) or "-"


def report_lines(stats: Statistics) -> list[str]:
    """The report as text: totals, each dimension, months and lenders."""
    from registry.reports.statistics import DIMENSION_TITLES, DIMENSIONS

    when = "-" if stats.as_of.time is None else f"{stats.as_of.time:%Y-%m-%d %H:%M:%S} UTC"
    lines = [
        f"数据资产统计 statistics as of block {stats.as_of.block} ({when})",
        f"certificates {stats.certificates}, valued {stats.valued} "
        f"(latest valuations {_money(stats.valuation)}), pledged {stats.pledged}, "
        f"frozen {stats.frozen}",
    ]
    for dimension in DIMENSIONS:
        zh, en = DIMENSION_TITLES[dimension]
        lines.append(f"\n{zh} {en}")
        for g in stats.groups[dimension]:
            label = g.label if g.label == g.key else f"{g.label} ({g.key})"
            lines.append(
                f"  {label:<28} {g.certificates:>7}  valued {g.valued:>6}  {_money(g.valuation)}"
            )
    lines.append("\n月度 months (UTC+8)   issued transfers licences sublicences pledges")
    for m in stats.months:
        lines.append(
            f"  {m.month}         {m.issued:>6} {m.transfers:>9} {m.licences:>8} "
            f"{m.sublicences:>11} {m.pledges:>7}  {_money(m.pledged)}"
        )
    lines.append("\n质押 pledge exposure by lender")
    for e in stats.lenders:
        lines.append(
            f"  {e.lender} pledges {e.pledges} certificates {e.certificates} secured "
            f"{_money(e.secured)} valuation {_money(e.valuation)}"
        )
    return lines


def _write(path: Path, body: bytes) -> None:
    write_output(path, body)


def report(
    as_of_block: Annotated[int | None, as_of_block_option("report")] = None,
    as_of_time: Annotated[str | None, as_of_time_option("report")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    csv_table: Annotated[
        str | None,
        typer.Option("--csv", help="print one CSV table: groups, months or lenders"),
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="write the report as an XLSX workbook")
    ] = None,
    charts: Annotated[
        Path | None, typer.Option("--charts", help="write every chart into this directory")
    ] = None,
    chart_format: Annotated[
        str, typer.Option("--chart-format", help="png or svg (with --charts)")
    ] = "png",
) -> None:
    """Counts and latest valuations of certificates by industry, category, level, province,
    region, registrar, kind, status and accounting class; monthly volumes; pledge exposure by
    lender; as of a block or a time (regulator; reads the SQL mirror)."""
    from registry.certificates.pdf import certificate_fonts
    from registry.reports import market_statistics
    from registry.reports.charts import FORMATS, write_charts
    from registry.reports.exports import (
        CSV_TABLES,
        statistics_csv,
        statistics_json,
        statistics_xlsx,
    )

    if as_json and csv_table is not None:
        raise InputError("choose --json or --csv, not both")
    if csv_table is not None and csv_table not in CSV_TABLES:
        raise InputError(f"unknown table {csv_table!r}; tables: {', '.join(CSV_TABLES)}")
    if chart_format not in FORMATS:
        raise InputError(f"unknown chart format {chart_format!r}; formats: png, svg")
    context, as_of = open_as_of(as_of_block, as_of_time)
    engine, chain_id = context.engine, context.manifest.chain_id
    stats = market_statistics(engine, chain_id, as_of)
    written: list[Path] = []
    if xlsx is not None:
        _write(xlsx, statistics_xlsx(stats))
        written.append(xlsx)
    if charts is not None:
        font = certificate_fonts(context.settings).regular
        try:
            written += write_charts(stats, charts, chart_format, font)
        except OSError as exc:
            raise InputError(f"cannot write charts into {charts}: {exc.strerror}") from exc
    if csv_table is not None:
        sys.stdout.write(statistics_csv(stats, csv_table))
        sys.stdout.flush()
    elif as_json:
        emit(statistics_json(stats), True, [])
    else:
        emit({}, False, report_lines(stats))
    for path in written:
        typer.echo(f"wrote {path}", err=True)  # stdout stays the report (JSON or CSV)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
