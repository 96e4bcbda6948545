"""Exports of a statistics report: a JSON-ready dict, CSV tables and an XLSX workbook.

Money is per currency, in major units, never converted: JSON gives ``{"CNY": "18000000.00"}``
(decimal strings, exact); CSV and XLSX give one column per currency (``valuation_CNY``,
``secured_USD``, ...) for the currencies the report holds. Every CSV row carries the report's
``as_of_block``. CSV tables (:data:`CSV_TABLES`, columns in ``docs/reports.md``):

* ``groups``: one row per group of every dimension;
* ``months``: one row per month (Beijing time), gaps included;
* ``lenders``: one row per lender with live pledges.

The workbook has a summary sheet, one sheet per dimension, and the months and lenders sheets;
numbers are numbers (money with the currency's decimals), headers are frozen.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from registry.domain.money import CURRENCY_EXPONENTS
from registry.errors import InputError
from registry.provenance.exports import as_of_json, csv_text
from registry.reports.months import MONTH_ZONE
from registry.reports.statistics import (
    DIMENSION_TITLES,
    DIMENSIONS,
    Group,
    LenderExposure,
    MonthVolume,
    Statistics,
)

CSV_TABLES: tuple[str, ...] = ("groups", "months", "lenders")

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _money_json(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    return {currency: format(amount, "f") for currency, amount in amounts.items()}


def _row_json(row: Group | MonthVolume | LenderExposure) -> dict[str, Any]:
    """A group, a month or a lender as JSON: its fields in order, each amount per currency (the
    mappings) as :func:`_money_json` writes it."""
    return {
        f.name: _money_json(value) if isinstance(value := getattr(row, f.name), Mapping) else value
        for f in fields(row)
    }


def statistics_json(stats: Statistics) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    return {
        **as_of_json(stats.as_of),
        "chain_id": stats.chain_id,
        "month_zone": str(MONTH_ZONE),
        "certificates": stats.certificates,
        "valued": stats.valued,
        "valuation": _money_json(stats.valuation),
        "pledged": stats.pledged,
        "frozen": stats.frozen,
        "groups": {
            dimension: [_row_json(g) for g in stats.groups[dimension]] for dimension in DIMENSIONS
        },
        "months": [_row_json(m) for m in stats.months],
        "lenders": [_row_json(e) for e in stats.lenders],
    }


# --- tables (shared by CSV and XLSX) ------------------------------------------------------


def _currencies(amounts: Iterable[Mapping[str, Decimal]]) -> list[str]:
    seen: set[str] = set()
    for mapping in amounts:
        seen.update(mapping)
    return sorted(seen)


def _spread(amounts: Mapping[str, Decimal], currencies: Sequence[str]) -> list[Decimal | None]:
    return [amounts.get(c) for c in currencies]


def _group_table(groups: Sequence[Group], currencies: Sequence[str]) -> list[list[Any]]:
    return [
        [g.key, g.label, g.label_en, g.certificates, g.valued, *_spread(g.valuation, currencies)]
        for g in groups
    ]


def group_table(stats: Statistics) -> tuple[list[str], list[list[Any]]]:
    """``groups``: columns and rows (every dimension, in report order)."""
    currencies = _currencies([stats.valuation])
    columns = [
        "as_of_block",
        "dimension",
        "key",
        "label",
        "label_en",
        "certificates",
        "valued",
        *(f"valuation_{c}" for c in currencies),
    ]
    rows = [
        [stats.as_of.block, dimension, *row]
        for dimension in DIMENSIONS
        for row in _group_table(stats.groups[dimension], currencies)
    ]
    return columns, rows


def _record_table(
    stats: Statistics, records: Sequence[Any], fields: Sequence[str], money: Sequence[str]
) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of ``records``: the report's block, the ``fields`` of each record, then
    each of its ``money`` amounts by currency (``<name>_<currency>``, every currency any record
    holds under that name)."""
    currencies = {name: _currencies(getattr(r, name) for r in records) for name in money}
    columns = [
        "as_of_block",
        *fields,
        *(f"{name}_{c}" for name in money for c in currencies[name]),
    ]
    rows = [
        [
            stats.as_of.block,
            *(getattr(r, field) for field in fields),
            *(v for name in money for v in _spread(getattr(r, name), currencies[name])),
        ]
        for r in records
    ]
    return columns, rows


def month_table(stats: Statistics) -> tuple[list[str], list[list[Any]]]:
    """``months``: columns and rows."""
    fields = ("month", "issued", "transfers", "licences", "sublicences", "pledges")
    return _record_table(stats, stats.months, fields, ["pledged"])


def lender_table(stats: Statistics) -> tuple[list[str], list[list[Any]]]:
    """``lenders``: columns and rows."""
    return _record_table(
        stats, stats.lenders, ("lender", "pledges", "certificates"), ["secured", "valuation"]
    )


_TABLES = {"groups": group_table, "months": month_table, "lenders": lender_table}


def statistics_csv(stats: Statistics, table: str) -> str:
    """One of :data:`CSV_TABLES` as CSV text (money as plain decimals, empty when none)."""
    if table not in _TABLES:
        raise InputError(f"unknown table {table!r}; tables: {', '.join(CSV_TABLES)}", table=table)
    columns, rows = _TABLES[table](stats)
    return csv_text(
        columns, ([format(v, "f") if isinstance(v, Decimal) else v for v in row] for row in rows)
    )


# --- XLSX ---------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="183468")


def _money_format(column: str) -> str | None:
    currency = column.rsplit("_", 1)[-1]
    if "_" not in column or len(currency) != 3 or not currency.isupper():
        return None
    decimals = CURRENCY_EXPONENTS.get(currency, 0)
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _sheet(sheet: Worksheet, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    widths = [max(len(c), 8) for c in columns]
    formats = [_money_format(c) for c in columns]
    for row in rows:
        sheet.append(list(row))
        for index, value in enumerate(row):
            widths[index] = max(widths[index], min(len(str(value)) * 2, 60))
    for index, fmt in enumerate(formats, start=1):
        if fmt is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = fmt
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"


def _summary_rows(stats: Statistics) -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["as_of_block", "截至区块", stats.as_of.block],
        [
            "as_of_time",
            "截至时间",
            None if stats.as_of.time is None else stats.as_of.time.isoformat(),
        ],
        ["chain_id", "链 ID", stats.chain_id],
        ["certificates", "证书数", stats.certificates],
        ["valued", "有评估值的证书", stats.valued],
        ["pledged", "质押中", stats.pledged],
        ["frozen", "冻结中", stats.frozen],
    ]
    rows += [
        [f"valuation_{currency}", f"最新评估值合计 ({currency})", amount]
        for currency, amount in stats.valuation.items()
    ]
    return rows


def statistics_xlsx(stats: Statistics) -> bytes:
    """The report as an XLSX workbook (summary, one sheet per dimension, months, lenders)."""
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "概览 Summary"
    _sheet(summary, ["figure", "说明", "value"], _summary_rows(stats))
    for row in summary.iter_rows(min_row=2):
        name = str(row[0].value)
        fmt = _money_format(name)
        if fmt is not None:
            row[2].number_format = fmt
    currencies = _currencies([stats.valuation])
    for dimension in DIMENSIONS:
        zh, en = DIMENSION_TITLES[dimension]
        _sheet(
            workbook.create_sheet(f"{zh} {en}"[:31]),
            ["key", "label", "label_en", "certificates", "valued"]
            + [f"valuation_{c}" for c in currencies],
            _group_table(stats.groups[dimension], currencies),
        )
    for title, table in (("月度 Monthly", month_table), ("质押 Lenders", lender_table)):
        columns, rows = table(stats)
        _sheet(workbook.create_sheet(title), columns[1:], (row[1:] for row in rows))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
