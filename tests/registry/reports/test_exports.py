"""Report exports: JSON, CSV tables, and an XLSX workbook read back with openpyxl."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from registry.context import RegistryContext
from registry.errors import InputError
from registry.reports.exports import (
    CSV_TABLES,
    statistics_csv,
    statistics_json,
    statistics_xlsx,
)
from tests.registry.reports.scenario import Market, build, month
from tests.registry.reports.test_statistics import report
from tests.registry.rights.test_service import bank


@pytest.fixture
def market(ctx: RegistryContext) -> Market:
    return build(ctx)


def test_json_is_exact_and_complete(ctx: RegistryContext, market: Market) -> None:
    answer = json.loads(json.dumps(statistics_json(report(ctx))))
    assert answer["as_of_block"] == market.final
    assert (answer["certificates"], answer["valued"], answer["pledged"], answer["frozen"]) == (
        4,
        2,
        1,
        1,
    )
    assert answer["valuation"] == {"CNY": "18000000.00"}
    assert answer["month_zone"] == "UTC+08:00"
    industry = answer["groups"]["industry"][0]
    assert industry == {
        "key": "交通运输",
        "label": "交通运输",
        "label_en": "交通运输",
        "certificates": 2,
        "valued": 1,
        "valuation": {"CNY": "12000000.00"},
    }
    assert answer["lenders"] == [
        {
            "lender": bank().address,
            "pledges": 1,
            "certificates": 1,
            "secured": {"CNY": "5000000.00"},
            "valuation": {"CNY": "12000000.00"},
        }
    ]
    busy = next(m for m in answer["months"] if m["month"] == month(market.busy_at))
    assert busy["pledged"] == {"CNY": "5000000.00"}


def test_csv_tables(ctx: RegistryContext, market: Market) -> None:
    stats = report(ctx)
    groups = list(csv.DictReader(io.StringIO(statistics_csv(stats, "groups"))))
    assert list(groups[0]) == [
        "as_of_block",
        "dimension",
        "key",
        "label",
        "label_en",
        "certificates",
        "valued",
        "valuation_CNY",
    ]
    province = [r for r in groups if r["dimension"] == "province"]
    assert [(r["key"], r["label"], r["certificates"]) for r in province] == [
        ("440000", "广东省", "2"),
        ("310000", "上海市", "1"),
        ("510000", "四川省", "1"),
    ]
    assert {r["valuation_CNY"] for r in province} == {"12000000.00", "6000000.00", ""}
    assert all(r["as_of_block"] == str(market.final) for r in groups)
    months = list(csv.DictReader(io.StringIO(statistics_csv(stats, "months"))))
    assert sum(int(r["issued"]) for r in months) == 4
    assert [r["pledged_CNY"] for r in months if r["pledges"] == "1"] == ["5000000.00"]
    (lender,) = csv.DictReader(io.StringIO(statistics_csv(stats, "lenders")))
    assert (lender["lender"], lender["secured_CNY"], lender["valuation_CNY"]) == (
        bank().address,
        "5000000.00",
        "12000000.00",
    )
    assert CSV_TABLES == ("groups", "months", "lenders")
    with pytest.raises(InputError, match="unknown table"):
        statistics_csv(stats, "everything")


def test_xlsx_opens_in_a_spreadsheet_reader(ctx: RegistryContext, market: Market) -> None:
    stats = report(ctx)
    book = load_workbook(io.BytesIO(statistics_xlsx(stats)))
    assert book.sheetnames == [
        "概览 Summary",
        "行业 Industry",
        "类别 Category",
        "分级 Classification level",
        "省份 Province",
        "地区 Region",
        "登记机构 Registrar",
        "资产类型 Asset kind",
        "状态 Status",
        "会计确认 Accounting class",
        "月度 Monthly",
        "质押 Lenders",
    ]
    summary = {
        row[0]: row[2] for row in book["概览 Summary"].iter_rows(min_row=2, values_only=True)
    }
    assert summary["as_of_block"] == market.final
    assert summary["certificates"] == 4
    assert Decimal(str(summary["valuation_CNY"])) == Decimal("18000000")
    assert book["概览 Summary"]["C9"].number_format == "#,##0.00"
    rows = list(book["省份 Province"].iter_rows(values_only=True))
    assert rows[0] == ("key", "label", "label_en", "certificates", "valued", "valuation_CNY")
    assert rows[1] == ("440000", "广东省", "Guangdong", 2, 1, 12000000)
    assert book["省份 Province"].freeze_panes == "A2"
    lenders = list(book["质押 Lenders"].iter_rows(values_only=True))
    assert lenders[1] == (bank().address, 1, 1, 5000000, 12000000)
    monthly = list(book["月度 Monthly"].iter_rows(values_only=True))
    assert monthly[0][:6] == ("month", "issued", "transfers", "licences", "sublicences", "pledges")
    assert sum(r[1] for r in monthly[1:]) == 4
