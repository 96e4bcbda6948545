"""Charts render to real PNG and SVG files, with the Chinese labels drawn by the font."""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image

from registry.certificates.pdf import certificate_fonts
from registry.context import RegistryContext
from registry.errors import InputError
from registry.reports.charts import CHARTS, main_currency, render_chart, write_charts
from tests.registry.reports.scenario import Market, build
from tests.registry.reports.test_statistics import report


@pytest.fixture
def market(ctx: RegistryContext) -> Market:
    return build(ctx)


def test_every_chart_renders_to_png_and_svg_files(
    ctx: RegistryContext, market: Market, tmp_path: Path
) -> None:
    del market
    stats = report(ctx)
    assert main_currency(stats) == "CNY"
    font = certificate_fonts(ctx.settings).regular
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from the font would warn
        pngs = write_charts(stats, tmp_path / "png", "png", font)
        svgs = write_charts(stats, tmp_path / "svg", "svg", font)
    assert [p.name for p in pngs] == [f"{c}.png" for c in CHARTS]
    for path in pngs:
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG"
            assert image.size[0] >= 1000
            assert image.size[1] >= 600
    for path in svgs:
        root = ElementTree.parse(path).getroot()
        assert root.tag.endswith("svg")
        assert "<text" not in path.read_text()  # text drawn as paths: no font needed to view
    # deterministic: the same report draws the same bytes
    again = render_chart(stats, "industry", "svg", font)
    assert again == (tmp_path / "svg" / "industry.svg").read_bytes()


def test_an_empty_report_draws_no_data_and_bad_names_are_refused(ctx: RegistryContext) -> None:
    stats = report(ctx)
    assert stats.certificates == 0
    font = certificate_fonts(ctx.settings).regular
    png = render_chart(stats, "lenders", "png", font)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
    with pytest.raises(InputError, match="unknown chart"):
        render_chart(stats, "pie", "png", font)
    with pytest.raises(InputError, match="unknown chart format"):
        render_chart(stats, "industry", "gif", font)
