"""`dareg report` through the real executable against the session chain and a real SQLite
mirror, on the seeded market of the report tests."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from registry.context import RegistryContext
from tests.cli.conftest import run_dareg
from tests.registry.reports.scenario import Market, build


@pytest.fixture
def market(ctx: RegistryContext) -> Market:
    return build(ctx)


def test_text_json_and_as_of(cli_env: dict[str, str], market: Market) -> None:
    text = run_dareg(cli_env, "report")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"数据资产统计 statistics as of block {market.final} ")
    assert lines[1] == (
        "certificates 4, valued 2 (latest valuations CNY 18,000,000.00), pledged 1, frozen 1"
    )
    assert any(line.split()[:2] == ["广东省", "(440000)"] for line in lines)
    before = run_dareg(cli_env, "report", "--json", "--as-of-block", str(market.valued))
    assert before.returncode == 0, before.stderr
    body = json.loads(before.stdout)
    assert body["as_of_block"] == market.valued
    assert {g["key"]: g["certificates"] for g in body["groups"]["status"]} == {"issued": 4}


def test_csv_xlsx_and_charts(cli_env: dict[str, str], market: Market, tmp_path: Path) -> None:
    lenders = run_dareg(cli_env, "report", "--csv", "lenders")
    assert lenders.returncode == 0, lenders.stderr
    (row,) = csv.DictReader(io.StringIO(lenders.stdout))
    assert row["secured_CNY"] == "5000000.00"
    book, charts = tmp_path / "out" / "report.xlsx", tmp_path / "charts"
    files = run_dareg(
        cli_env, "report", "--xlsx", str(book), "--charts", str(charts), "--chart-format", "png"
    )
    assert files.returncode == 0, files.stderr
    assert f"wrote {book}" in files.stderr
    summary = load_workbook(book)["概览 Summary"]
    assert summary["C2"].value == market.final
    pngs = sorted(charts.glob("*.png"))
    assert len(pngs) == 6
    for path in pngs:
        with Image.open(path) as image:
            assert image.format == "PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "everything"], "unknown table 'everything'"),
        (["--json", "--csv", "months"], "choose --json or --csv"),
        (["--charts", "x", "--chart-format", "gif"], "unknown chart format 'gif'"),
        (["--as-of-time", "2026-01-01"], "has no offset"),
        (["--as-of-block", "1", "--as-of-time", "2026-01-01T00:00Z"], "not both"),
        (["--as-of-block", "999999999"], "beyond the mirror's indexed head"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    answer = run_dareg(cli_env, "report", *args)
    assert answer.returncode == 2, (answer.stdout, answer.stderr)
    assert message in answer.stderr
    assert len(answer.stderr.strip().splitlines()) == 1
