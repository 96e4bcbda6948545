"""Report months: calendar months of Beijing time (UTC+8), written ``YYYY-MM``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

#: The time zone months are counted in (Beijing time).
MONTH_ZONE = timezone(timedelta(hours=8), "UTC+08:00")


def month_of(moment: datetime) -> str:
    """``YYYY-MM`` of ``moment`` in Beijing time."""
    local = moment.astimezone(MONTH_ZONE)
    return f"{local.year:04d}-{local.month:02d}"


def month_number(month: str) -> int:
    """``202603`` for ``"2026-03"``."""
    return int(month[:4]) * 100 + int(month[5:])


def month_text(number: int) -> str:
    """``"2026-03"`` for ``202603``."""
    return f"{number // 100:04d}-{number % 100:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included."""
    year, month = int(first[:4]), int(first[5:])
    months = []
    while (current := f"{year:04d}-{month:02d}") <= last:
        months.append(current)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
