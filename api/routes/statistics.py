"""The regulator's statistics (数据资产统计) over the SQL mirror, as of a block or a time:
the report as JSON, CSV or XLSX, and its charts as PNG or SVG (docs/reports.md).

Every route depends on :func:`api.deps.require_regulator`, the one place the role is checked.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from api.deps import AnswerAsOf, Registry, RegulatorOnly, download
from api.schemas import ErrorPublic, StatisticsPublic
from registry.certificates.pdf import certificate_fonts
from registry.reports import market_statistics
from registry.reports.charts import CHARTS, MEDIA_TYPES, render_chart
from registry.reports.exports import (
    XLSX_MEDIA_TYPE,
    statistics_csv,
    statistics_json,
    statistics_xlsx,
)

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
