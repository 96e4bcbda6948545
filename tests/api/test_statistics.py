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
from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.registration.service import REGULATOR_ROLE
from tests.api.actors import sign_in
from tests.registry.reports.scenario import Market, build
from tests.registry.rights.test_service import grant_regulator, regulator

V1 = "/api/v1/regulator/statistics"


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


@pytest.fixture
def market(ctx: RegistryContext) -> Market:
    return build(ctx)


@pytest.fixture
def as_regulator(client: TestClient, ctx: RegistryContext) -> dict[str, str]:
    """The headers of the regulator signed in (the market grants it the role; granted here for
    a test without the market)."""
    if not ctx.registrations.has_role(REGULATOR_ROLE, regulator().address):
        grant_regulator(ctx)
    return sign_in(client, regulator())


def test_report_now_and_before_the_sale(
    client: TestClient, market: Market, as_regulator: dict[str, str]
) -> None:
    now = client.get(V1, headers=as_regulator)
    assert now.status_code == 200, now.text
    body = now.json()
    assert body["as_of_block"] == market.final
    assert (body["certificates"], body["pledged"], body["frozen"]) == (4, 1, 1)
    assert body["valuation"] == {"CNY": "18000000.00"}
    status = {g["key"]: g["certificates"] for g in body["groups"]["status"]}
    assert status == {"issued": 2, "expired": 1, "cancelled": 1}
    assert body["lenders"][0]["secured"] == {"CNY": "5000000.00"}
    before = client.get(V1, params={"as_of_block": market.valued}, headers=as_regulator).json()
    assert before["as_of_block"] == market.valued
    assert before["lenders"] == []
    classes = {g["key"]: g["certificates"] for g in before["groups"]["accounting_class"]}
    assert classes == {"intangible_asset": 1, "inventory": 1, "none": 2}


def test_csv_and_xlsx_downloads(
    client: TestClient, market: Market, as_regulator: dict[str, str]
) -> None:
    months = client.get(V1, params={"format": "csv", "table": "months"}, headers=as_regulator)
    assert months.status_code == 200, months.text
    assert months.headers["content-type"].startswith("text/csv")
    assert f"statistics-{market.final}-months.csv" in months.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(months.text)))
    assert sum(int(r["issued"]) for r in rows) == 4
    groups_csv = client.get(V1, params={"format": "csv"}, headers=as_regulator).text
    groups = list(csv.DictReader(io.StringIO(groups_csv)))
    assert {r["dimension"] for r in groups} >= {"industry", "registrar", "accounting_class"}
    book = client.get(V1, params={"format": "xlsx"}, headers=as_regulator)
    assert book.status_code == 200
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(book.content))["行业 Industry"]
    assert [r[:4] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("交通运输", "交通运输", "交通运输", 2),
        ("医疗健康", "医疗健康", "医疗健康", 1),
        ("金融", "金融", "金融", 1),
    ]


def test_charts_as_png_and_svg(
    client: TestClient, market: Market, as_regulator: dict[str, str]
) -> None:
    del market
    png = client.get(f"{V1}/charts/industry.png", headers=as_regulator)
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.format == "PNG"
    svg = client.get(f"{V1}/charts/monthly.svg", params={"as_of_block": 1}, headers=as_regulator)
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
    client: TestClient, as_regulator: dict[str, str], path: str, params: dict[str, object]
) -> None:
    answer = client.get(V1 + path, params=params, headers=as_regulator)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["error"]["code"] in ("invalid_input", "invalid_request")


def test_the_web_page_shows_totals_tables_charts_and_downloads(
    client: TestClient, market: Market, as_regulator: dict[str, str]
) -> None:
    page = client.get(
        "/regulator/statistics", params={"as_of_block": market.valued}, headers=as_regulator
    )
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
        chart = client.get(href, headers=as_regulator)
        assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "format=xlsx" in html
    assert "统计" in client.get("/").text
    negative = client.get("/regulator/statistics", params={"as_of_block": -1}, headers=as_regulator)
    assert negative.status_code == 422


def test_only_a_regulator_reads_the_statistics(
    client: TestClient, as_regulator: dict[str, str]
) -> None:
    """The API answers 401 without a caller and 403 to an account without the role; the page
    sends an anonymous browser to sign in and back."""
    del as_regulator  # the role exists, held by someone else
    for path in (V1, f"{V1}/charts/industry.svg"):
        anonymous = client.get(path)
        assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (
            401,
            "not_authenticated",
        )
        no_role = client.get(path, headers=sign_in(client, dev_account(1)))
        assert (no_role.status_code, no_role.json()["error"]["code"]) == (403, "role_required")
    page = client.get("/regulator/statistics", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=/regulator/statistics"
