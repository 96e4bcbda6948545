"""The regulator's statistics routes over REST, on the seeded market of the report tests."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image

from api.main import create_app
from registry.context import RegistryContext
from tests.registry.reports.scenario import Market, build

V1 = "/api/v1/regulator/statistics"


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


@pytest.fixture
def market(ctx: RegistryContext) -> Market:
    return build(ctx)


def test_report_now_and_before_the_sale(client: TestClient, market: Market) -> None:
    now = client.get(V1)
    assert now.status_code == 200, now.text
    body = now.json()
    assert body["as_of_block"] == market.final
    assert (body["certificates"], body["pledged"], body["frozen"]) == (4, 1, 1)
    assert body["valuation"] == {"CNY": "18000000.00"}
    status = {g["key"]: g["certificates"] for g in body["groups"]["status"]}
    assert status == {"issued": 2, "expired": 1, "cancelled": 1}
    assert body["lenders"][0]["secured"] == {"CNY": "5000000.00"}
    before = client.get(V1, params={"as_of_block": market.valued}).json()
    assert before["as_of_block"] == market.valued
    assert before["lenders"] == []
    classes = {g["key"]: g["certificates"] for g in before["groups"]["accounting_class"]}
    assert classes == {"intangible_asset": 1, "inventory": 1, "none": 2}


def test_csv_and_xlsx_downloads(client: TestClient, market: Market) -> None:
    months = client.get(V1, params={"format": "csv", "table": "months"})
    assert months.status_code == 200, months.text
    assert months.headers["content-type"].startswith("text/csv")
    assert f"statistics-{market.final}-months.csv" in months.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(months.text)))
    assert sum(int(r["issued"]) for r in rows) == 4
    groups = list(csv.DictReader(io.StringIO(client.get(V1, params={"format": "csv"}).text)))
    assert {r["dimension"] for r in groups} >= {"industry", "registrar", "accounting_class"}
    book = client.get(V1, params={"format": "xlsx"})
    assert book.status_code == 200
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(book.content))["行业 Industry"]
    assert [r[:4] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("交通运输", "交通运输", "交通运输", 2),
        ("医疗健康", "医疗健康", "医疗健康", 1),
        ("金融", "金融", "金融", 1),
    ]


def test_charts_as_png_and_svg(client: TestClient, market: Market) -> None:
    del market
    png = client.get(f"{V1}/charts/industry.png")
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.format == "PNG"
    svg = client.get(f"{V1}/charts/monthly.svg", params={"as_of_block": 1})
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("", {"format": "pdf"}),
        ("", {"table": "everything"}),
        ("", {"as_of_block": 10**9}),
        ("", {"as_of_block": 1, "as_of_time": "2026-01-01T00:00:00+08:00"}),
        ("/charts/pie.png", {}),
        ("/charts/industry.gif", {}),
    ],
)
def test_bad_requests_get_a_stable_error(
    client: TestClient, path: str, params: dict[str, object]
) -> None:
    answer = client.get(V1 + path, params=params)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["error"]["code"] in ("invalid_input", "invalid_request")


def test_the_web_page_shows_totals_tables_charts_and_downloads(
    client: TestClient, market: Market
) -> None:
    page = client.get("/regulator/statistics", params={"as_of_block": market.valued})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert f"as of block {market.valued}" in html
    assert "<td>4</td><td>2</td><td>CNY 18,000,000.00</td><td>0</td><td>0</td>" in html
    assert "<td>广东省</td><td>440000</td><td>2</td>" in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 6  # every chart, drawn from the page's own report
    for image in images:
        with Image.open(io.BytesIO(base64.b64decode(image))) as png:
            assert png.format == "PNG"
    for chart in ("industry", "monthly", "lenders"):
        href = f"/api/v1/regulator/statistics/charts/{chart}.svg?as_of_block={market.valued}"
        assert f'href="{href}"' in html
        assert client.get(href).headers["content-type"].startswith("image/svg+xml")
    assert "format=xlsx" in html
    assert "统计" in client.get("/").text
    assert client.get("/regulator/statistics", params={"as_of_block": -1}).status_code == 422
