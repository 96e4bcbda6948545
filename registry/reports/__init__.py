"""Regulator statistics over the SQL mirror (数据资产统计).

* :mod:`.facts` reads the facts only metadata documents hold (industry, category, region) into
  ``asset_facts``;
* :mod:`.statistics` counts certificates and sums latest valuations by dimension, monthly
  volumes and pledge exposure, as of a block;
* :mod:`.exports` writes a report as JSON, CSV and XLSX; :mod:`.charts` draws it as PNG or SVG;
* :mod:`.regions` names provinces by division code.
"""

from registry.reports.statistics import (
    DIMENSIONS,
    Group,
    LenderExposure,
    MonthVolume,
    Statistics,
    market_statistics,
)

__all__ = [
    "DIMENSIONS",
    "Group",
    "LenderExposure",
    "MonthVolume",
    "Statistics",
    "market_statistics",
]
