"""Charts of a statistics report, as PNG or SVG (matplotlib, no display needed).

:data:`CHARTS`:

* ``industry`` / ``province``: certificates per industry / province (the largest twelve groups,
  the rest as "其他 Other");
* ``composition``: certificates by classification level, asset kind, status and accounting class;
* ``valuation``: total latest valuations per industry, in the report's main currency (the one
  most certificates are valued in);
* ``monthly``: certificates issued, transfers, licences (with sublicences) and pledges per month;
* ``lenders``: amounts secured by live pledges beside the latest valuations of the pledged
  certificates, per lender, in the main currency.

Labels are bilingual and drawn with the certificates' Noto Sans SC font
(:func:`registry.certificates.pdf.certificate_fonts`); SVG text is drawn as paths, so a file
looks the same on a machine without Chinese fonts. Output is deterministic (no timestamps).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Literal

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from registry.errors import InputError
from registry.reports.statistics import DIMENSION_TITLES, Group, Statistics

ChartFormat = Literal["png", "svg"]
CHARTS: tuple[str, ...] = ("industry", "province", "composition", "valuation", "monthly", "lenders")
FORMATS: tuple[str, ...] = ("png", "svg")
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}

NAVY = "#183468"
GOLD = "#B08D3E"
TEAL = "#2A7F8E"
RED = "#B22222"
GREY = "#6E6E6E"
TOP = 12

_registered: set[Path] = set()


def _family(font: Path) -> str:
    if font not in _registered:
        font_manager.fontManager.addfont(str(font))
        _registered.add(font)
    return font_manager.FontProperties(fname=str(font)).get_name()


def main_currency(stats: Statistics) -> str | None:
    """The currency most valued certificates are valued in (ties: alphabetical)."""
    counts: dict[str, int] = {}
    for group in stats.groups["industry"]:
        for currency in group.valuation:
            counts[currency] = counts.get(currency, 0) + group.valued
    if not counts:
        for lender in stats.lenders:
            for currency in lender.secured:
                counts[currency] = counts.get(currency, 0) + lender.pledges
    return min(counts, key=lambda c: (-counts[c], c)) if counts else None


def _top(groups: Sequence[Group]) -> list[tuple[str, int]]:
    shown = [(g.label, g.certificates) for g in groups[:TOP]]
    rest = sum(g.certificates for g in groups[TOP:])
    if rest:
        shown.append(("其他 Other", rest))
    return shown


def _no_data(axes: Axes) -> None:
    axes.text(0.5, 0.5, "无数据 No data", ha="center", va="center", color=GREY, fontsize=14)
    axes.set_axis_off()


def _bars(axes: Axes, items: Sequence[tuple[str, float]], color: str, money: bool = False) -> None:
    if not items:
        _no_data(axes)
        return
    labels = [label for label, _ in items][::-1]
    values = [value for _, value in items][::-1]
    bars = axes.barh(labels, values, color=color)
    axes.bar_label(
        bars,
        labels=[_amount(v) if money else f"{int(v):,}" for v in values],
        padding=3,
        fontsize=8,
    )
    axes.spines[["top", "right"]].set_visible(False)
    axes.margins(x=0.15)
    if money:
        axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _amount(v)))
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def _amount(value: float) -> str:
    """``1.2亿`` / ``350万`` / ``1,200``: amounts as Chinese readers scale them."""
    if abs(value) >= 1e8:
        return f"{value / 1e8:,.2f}亿"
    if abs(value) >= 1e4:
        return f"{value / 1e4:,.1f}万"
    return f"{value:,.0f}"


def _title(zh: str, en: str, stats: Statistics) -> str:
    return f"{zh} {en}  (截至区块 as of block {stats.as_of.block:,})"


def _counts(figure: Figure, stats: Statistics, dimension: str) -> None:
    axes = figure.subplots()
    zh, en = DIMENSION_TITLES[dimension]
    _bars(axes, _top(stats.groups[dimension]), NAVY)
    axes.set_title(_title(f"各{zh}证书数", f"certificates by {en.lower()}", stats), fontsize=11)


def _industry(figure: Figure, stats: Statistics) -> None:
    _counts(figure, stats, "industry")


def _province(figure: Figure, stats: Statistics) -> None:
    _counts(figure, stats, "province")


def _composition(figure: Figure, stats: Statistics) -> None:
    grid = figure.subplots(2, 2)
    for axes, dimension, color in zip(
        grid.flat,
        ("level", "kind", "status", "accounting_class"),
        (RED, NAVY, TEAL, GOLD),
        strict=True,
    ):
        zh, en = DIMENSION_TITLES[dimension]
        _bars(axes, _top(stats.groups[dimension]), color)
        axes.set_title(f"{zh} {en}", fontsize=10)
    figure.suptitle(_title("证书构成", "certificates", stats), fontsize=11)


def _valuation(figure: Figure, stats: Statistics) -> None:
    axes = figure.subplots()
    currency = main_currency(stats)
    items: list[tuple[str, float]] = []
    if currency is not None:
        ranked = sorted(
            (g for g in stats.groups["industry"] if currency in g.valuation),
            key=lambda g: (-g.valuation[currency], g.key),
        )
        items = [(g.label, float(g.valuation[currency])) for g in ranked[:TOP]]
    _bars(axes, items, GOLD, money=True)
    axes.set_title(
        _title(f"各行业最新评估值合计 ({currency or '-'})", "latest valuations by industry", stats),
        fontsize=11,
    )


def _monthly(figure: Figure, stats: Statistics) -> None:
    axes = figure.subplots()
    months = stats.months
    if not months:
        _no_data(axes)
    else:
        x = list(range(len(months)))
        series = (
            ("发证 issued", [m.issued for m in months], NAVY),
            ("转让 transfers", [m.transfers for m in months], TEAL),
            ("许可 licences", [m.licences + m.sublicences for m in months], GOLD),
            ("质押 pledges", [m.pledges for m in months], RED),
        )
        width = 0.8 / len(series)
        for index, (label, values, color) in enumerate(series):
            offset = (index - (len(series) - 1) / 2) * width
            axes.bar([i + offset for i in x], values, width, label=label, color=color)
        step = max(1, len(months) // 12)
        axes.set_xticks(x[::step], [m.month for m in months][::step], rotation=45, ha="right")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(frameon=False, ncols=4, fontsize=8, loc="upper left")
    axes.set_title(_title("月度业务量（北京时间）", "monthly volumes (UTC+8)", stats), fontsize=11)


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def _lenders(figure: Figure, stats: Statistics) -> None:
    axes = figure.subplots()
    currency = main_currency(stats)
    lenders = [e for e in stats.lenders[:TOP] if currency is not None]
    if not lenders or currency is None:
        _no_data(axes)
    else:
        y = list(range(len(lenders)))[::-1]
        secured = [float(e.secured.get(currency, Decimal(0))) for e in lenders]
        valued = [float(e.valuation.get(currency, Decimal(0))) for e in lenders]
        for shift, values, label, color in (
            (0.2, secured, "担保金额 secured", RED),
            (-0.2, valued, "质押物评估值 valuation", GOLD),
        ):
            bars = axes.barh([v + shift for v in y], values, 0.4, label=label, color=color)
            axes.bar_label(bars, labels=[_amount(v) for v in values], padding=3, fontsize=8)
        axes.margins(x=0.15)
        axes.set_yticks(y, [f"{_short(e.lender)} ({e.pledges})" for e in lenders])
        axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _amount(v)))
        axes.spines[["top", "right"]].set_visible(False)
        axes.legend(frameon=False, fontsize=8)
    axes.set_title(
        _title(f"质权人风险敞口 ({currency or '-'})", "pledge exposure by lender", stats),
        fontsize=11,
    )


_DRAW: dict[str, Callable[[Figure, Statistics], None]] = {
    "industry": _industry,
    "province": _province,
    "composition": _composition,
    "valuation": _valuation,
    "monthly": _monthly,
    "lenders": _lenders,
}
_SIZE: dict[str, tuple[float, float]] = {"composition": (11, 7.5), "monthly": (11, 5.5)}


def render_chart(stats: Statistics, chart: str, fmt: str, font: Path) -> bytes:
    """One of :data:`CHARTS` as PNG or SVG bytes; :class:`InputError` for an unknown name or
    format."""
    if chart not in _DRAW:
        raise InputError(f"unknown chart {chart!r}; charts: {', '.join(CHARTS)}", chart=chart)
    if fmt not in FORMATS:
        raise InputError(f"unknown chart format {fmt!r}; formats: png, svg", format=fmt)
    family = _family(font)
    with rc_context({"font.family": [family], "svg.fonttype": "path", "svg.hashsalt": "dareg"}):
        figure = Figure(figsize=_SIZE.get(chart, (10, 6)), dpi=110, layout="constrained")
        _DRAW[chart](figure, stats)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def write_charts(stats: Statistics, directory: Path, fmt: str, font: Path) -> list[Path]:
    """Every chart into ``directory`` (created) as ``<chart>.<fmt>``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in CHARTS:
        path = directory / f"{chart}.{fmt}"
        path.write_bytes(render_chart(stats, chart, fmt, font))
        written.append(path)
    return written
