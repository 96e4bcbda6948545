"""Sample datasets of the demo registry: deterministic CSV files written from a seeded RNG."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

Writer = Callable[[Path, random.Random], None]


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)


def port_throughput(root: Path, rng: random.Random) -> None:
    berths = ["南沙一期", "南沙二期", "黄埔新港", "新沙港区"]
    for month in range(1, 13):
        rows: list[list[object]] = [
            [f"2025-{month:02d}-{day:02d}", berth, rng.randint(800, 5200), rng.randint(3, 19)]
            for day in range(1, 29)
            for berth in berths
        ]
        _csv(root / f"2025-{month:02d}.csv", ["日期", "泊位", "集装箱吞吐量_TEU", "靠泊船次"], rows)


def vessel_calls(root: Path, rng: random.Random) -> None:
    start = date(2025, 1, 1)
    rows: list[list[object]] = [
        [
            f"V{100000 + i}",
            (start + timedelta(hours=rng.randint(0, 8700))).isoformat(),
            rng.choice(["集装箱船", "散货船", "滚装船", "油轮"]),
            rng.randint(5_000, 220_000),
        ]
        for i in range(4000)
    ]
    _csv(root / "vessel_calls_2025.csv", ["航次", "到港时间", "船型", "载重吨"], rows)


def clinic_stats(root: Path, rng: random.Random) -> None:
    departments = ["内科", "外科", "儿科", "妇产科", "眼科", "口腔科"]
    rows: list[list[object]] = [
        [f"2025-W{week:02d}", dept, rng.randint(200, 3000), round(rng.uniform(8, 45), 1)]
        for week in range(1, 53)
        for dept in departments
    ]
    _csv(root / "outpatient_weekly.csv", ["周次", "科室", "门诊人次", "平均候诊分钟"], rows)
    (root / "数据字典.md").write_text(
        "# 脱敏门诊统计 数据字典\n\n已按《个人信息保护法》去标识化处理，仅含聚合统计。\n",
        encoding="utf-8",
    )


def weather(root: Path, rng: random.Random) -> None:
    stations = ["珠海香洲", "珠海斗门", "中山石岐", "江门蓬江"]
    rows: list[list[object]] = []
    for hour in range(24 * 120):
        for station in stations:
            rows.append(
                [
                    hour,
                    station,
                    round(rng.gauss(24, 5), 1),
                    rng.randint(40, 100),
                    round(max(0.0, rng.gauss(0.4, 1.5)), 1),
                ]
            )
    _csv(
        root / "hourly_observations.csv",
        ["小时序号", "站点", "气温_C", "相对湿度_%", "降水_mm"],
        rows,
    )


def machines(root: Path, rng: random.Random) -> None:
    for line in ("line-a", "line-b"):
        for month in (1, 2, 3):
            rows: list[list[object]] = [
                [
                    f"2025-{month:02d}-{1 + i // 96:02d}T{(i % 96) // 4:02d}:{(i % 4) * 15:02d}",
                    line,
                    round(rng.uniform(60, 98), 2),
                    round(rng.uniform(0.1, 3.5), 3),
                ]
                for i in range(96 * 28)
            ]
            _csv(
                root / line / f"2025-{month:02d}.csv",
                ["时间", "产线", "设备综合效率_%", "振动_mm_s"],
                rows,
            )


def table(
    header: list[str], row: Callable[[random.Random, int], list[object]], count: int, name: str
) -> Writer:
    """A writer of one CSV file of ``count`` rows made by ``row``."""

    def write(root: Path, rng: random.Random) -> None:
        _csv(root / name, header, [row(rng, i) for i in range(count)])

    return write


def vessel_calls_v2(root: Path, rng: random.Random) -> None:
    """The second version of the vessel-call records: the year completed with Q4 calls."""
    vessel_calls(root, rng)
    start = date(2025, 10, 1)
    extra: list[list[object]] = [
        [
            f"V{200000 + i}",
            (start + timedelta(hours=rng.randint(0, 2200))).isoformat(),
            "集装箱船",
            rng.randint(5_000, 220_000),
        ]
        for i in range(900)
    ]
    with (root / "vessel_calls_2025.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(extra)
