"""The regulator's statistics (数据资产统计) over the SQL mirror, as of a block or a time:
the report as JSON, CSV or XLSX, and its charts as PNG or SVG (docs/reports.md).

Every route depends on :func:`api.deps.require_regulator`, the one place the role is checked.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal
from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from api.deps import AnswerAsOf, Registry, RegulatorOnly, download
from api.schemas.common import ErrorPublic
from api.schemas.regulator import StatisticsPublic
from registry.certificates.pdf import certificate_fonts
from registry.reports import market_statistics
from registry.reports.charts import CHARTS, MEDIA_TYPES, render_chart
from registry.reports.exports import (
    CSV_TABLES,
    XLSX_MEDIA_TYPE,
    statistics_csv,
    statistics_json,
    statistics_xlsx,
)
from registry.reports.statistics import DIMENSION_TITLES, DIMENSIONS

router = APIRouter(prefix="/regulator", tags=["regulator"], dependencies=[RegulatorOnly])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorPublic} for code in (403, 422)}
_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}},
        "description": "JSON, or a CSV table with format=csv, or a workbook with format=xlsx",
    }
}
ReportFormat = Annotated[
    Literal["json", "csv", "xlsx"], Query(description="json (default), csv or xlsx")
]
Table = Annotated[
    Literal["groups", "months", "lenders"],
    Query(description="the CSV table: groups (default), months or lenders"),
]
Chart = Annotated[
    Literal["industry", "province", "composition", "valuation", "monthly", "lenders"],
    Path(description="which chart: " + ", ".join(CHARTS)),
]
ChartFormat = Annotated[Literal["png", "svg"], Path(description="png or svg")]


@router.get("/statistics", response_model=StatisticsPublic, responses={**_ERRORS, **_FILES})
def statistics(
    registry: Registry,
    as_of: AnswerAsOf,
    format: ReportFormat = "json",
    table: Table = "groups",
) -> Any:
    """Certificates and the total of their latest valuations by industry, category,
    classification level, province, region, registrar, asset kind, status and accounting class;
    monthly issuance, transfer, licence and pledge volumes; pledge exposure by lender."""
    report = market_statistics(registry.engine, registry.manifest.chain_id, as_of)
    name = f"statistics-{as_of.block}"
    if format == "csv":
        body = statistics_csv(report, table).encode("utf-8")
        return download(body, "text/csv; charset=utf-8", f"{name}-{table}.csv")
    if format == "xlsx":
        return download(statistics_xlsx(report), XLSX_MEDIA_TYPE, f"{name}.xlsx")
    return statistics_json(report)


@router.get(
    "/statistics/charts/{chart}.{fmt}",
    responses={
        **_ERRORS,
        200: {"content": {"image/png": {}, "image/svg+xml": {}}, "description": "the chart"},
    },
)
def statistics_chart(chart: Chart, fmt: ChartFormat, registry: Registry, as_of: AnswerAsOf) -> Any:
    """One chart of the statistics report, as PNG or SVG."""
    report = market_statistics(registry.engine, registry.manifest.chain_id, as_of)
    font = certificate_fonts(registry.settings).regular
    body = render_chart(report, chart, fmt, font)
    return download(body, MEDIA_TYPES[fmt], f"{chart}-{as_of.block}.{fmt}")


page_router = APIRouter(tags=["regulator"], dependencies=[RegulatorOnly])
"""The statistics as a web page (outside ``/api/v1``), for people rather than programs."""


def _money_text(amounts: Mapping[str, Decimal]) -> str:
    return "; ".join(f"{c} {a:,}" for c, a in amounts.items()) or "—"


@page_router.get("/regulator/statistics", response_class=HTMLResponse, include_in_schema=False)
def statistics_page(registry: Registry, as_of: AnswerAsOf) -> str:
    """Totals, every dimension as a table, the charts (SVG) and the downloads, as of a block."""
    report = market_statistics(registry.engine, registry.manifest.chain_id, as_of)
    query = f"as_of_block={as_of.block}"
    api = "/api/v1/regulator/statistics"
    when = "—" if as_of.time is None else f"{as_of.time:%Y-%m-%d %H:%M:%S} UTC"
    parts = [
        f"<h1>数据资产统计 · statistics</h1><p>as of block {as_of.block} ({escape(when)}) · "
        f"chain {report.chain_id}</p>",
        "<table><tr><th>证书 certificates</th><th>有评估 valued</th>"
        "<th>最新评估值合计 latest valuations</th><th>质押中 pledged</th><th>冻结 frozen</th></tr>"
        f"<tr><td>{report.certificates:,}</td><td>{report.valued:,}</td>"
        f"<td>{escape(_money_text(report.valuation))}</td><td>{report.pledged:,}</td>"
        f"<td>{report.frozen:,}</td></tr></table>",
        f'<p>Download: <a href="{api}?{query}&format=xlsx">XLSX</a> · '
        + " · ".join(
            f'<a href="{api}?{query}&format=csv&table={t}">CSV {t}</a>' for t in CSV_TABLES
        )
        + f' · <a href="{api}?{query}">JSON</a></p>',
    ]
    font = certificate_fonts(registry.settings).regular
    for chart in CHARTS:  # drawn from this report: no second report per image
        png = base64.b64encode(render_chart(report, chart, "png", font)).decode("ascii")
        parts.append(
            f'<figure><img alt="{chart}" style="max-width:100%" '
            f'src="data:image/png;base64,{png}"><figcaption>'
            f'<a href="{api}/charts/{chart}.svg?{query}">SVG</a> · '
            f'<a href="{api}/charts/{chart}.png?{query}">PNG</a></figcaption></figure>'
        )
    for dimension in DIMENSIONS:
        zh, en = DIMENSION_TITLES[dimension]
        rows = "".join(
            f"<tr><td>{escape(g.label)}</td><td>{escape(g.key)}</td><td>{g.certificates:,}</td>"
            f"<td>{g.valued:,}</td><td>{escape(_money_text(g.valuation))}</td></tr>"
            for g in report.groups[dimension]
        )
        parts.append(
            f"<h2>{escape(zh)} {escape(en)}</h2><table><tr><th>group</th><th>key</th>"
            f"<th>certificates</th><th>valued</th><th>valuation</th></tr>{rows}</table>"
        )
    return _PAGE.format(body="\n".join(parts))


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>dareg 数据资产统计</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}
table{{border-collapse:collapse;margin:.5rem 0}}td,th{{border:1px solid #ccd;padding:.2rem .5rem}}
th{{background:#183468;color:#fff}}</style></head>
<body>{body}</body></html>
"""
