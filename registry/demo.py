"""A realistic sample registry for ``dareg up --demo``.

Seeds, once, a handful of registrants with their datasets, fingerprints them and anchors the
evidence on chain. Registrants sign their anchors (EIP-712) and the service relays them, as a
real registrant without gas would. Later features extend the sample with their own objects.
Everything is deterministic: the same seed gives the same files and fingerprints.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.evidence.fingerprint import fingerprint_path

MANIFEST = "registrants.json"


@dataclass(frozen=True)
class DemoDataset:
    name: str
    path: str
    fingerprint: str
    anchored_block: int


@dataclass(frozen=True)
class DemoRegistrant:
    name: str
    region: str
    industry: str
    account_index: int
    address: str
    datasets: list[DemoDataset]


Writer = Callable[[Path, random.Random], None]


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)


def _port_throughput(root: Path, rng: random.Random) -> None:
    berths = ["南沙一期", "南沙二期", "黄埔新港", "新沙港区"]
    for month in range(1, 13):
        rows: list[list[object]] = [
            [f"2025-{month:02d}-{day:02d}", berth, rng.randint(800, 5200), rng.randint(3, 19)]
            for day in range(1, 29)
            for berth in berths
        ]
        _csv(root / f"2025-{month:02d}.csv", ["日期", "泊位", "集装箱吞吐量_TEU", "靠泊船次"], rows)


def _vessel_calls(root: Path, rng: random.Random) -> None:
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


def _clinic_stats(root: Path, rng: random.Random) -> None:
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


def _weather(root: Path, rng: random.Random) -> None:
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


def _machines(root: Path, rng: random.Random) -> None:
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


_REGISTRANTS: list[tuple[str, str, str, int, list[tuple[str, str, Writer]]]] = [
    (
        "广州港航物流数据有限公司",
        "广东省广州市",
        "交通运输",
        1,
        [
            ("港口集装箱吞吐量 2025", "port-throughput-2025", _port_throughput),
            ("船舶到港记录 2025", "vessel-calls-2025", _vessel_calls),
        ],
    ),
    (
        "深圳星河医疗信息科技有限公司",
        "广东省深圳市",
        "卫生健康",
        2,
        [("脱敏门诊统计 2025", "outpatient-stats-2025", _clinic_stats)],
    ),
    (
        "珠海江海气象服务有限公司",
        "广东省珠海市",
        "气象服务",
        3,
        [("华南逐时气象观测", "hourly-weather", _weather)],
    ),
    (
        "佛山智造工业互联网有限公司",
        "广东省佛山市",
        "工业制造",
        4,
        [("设备运行时序数据 2025Q1", "machine-telemetry-2025q1", _machines)],
    ),
]


def seed_demo(context: RegistryContext, directory: Path, seed: int = 2025) -> str | None:
    """Seed the sample once; returns a one-line summary, or ``None`` if it was seeded before."""
    manifest = directory / MANIFEST
    if manifest.exists():
        return None
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not a secret
    registrants: list[DemoRegistrant] = []
    for name, region, industry, index, datasets in _REGISTRANTS:
        account = dev_account(index)
        anchored: list[DemoDataset] = []
        for title, slug, write in datasets:
            root = directory / "datasets" / slug
            write(root, rng)
            target = (
                root if sum(1 for p in root.rglob("*") if p.is_file()) > 1 else next(root.iterdir())
            )
            fingerprint = fingerprint_path(target)
            outcome = context.evidence.sign_and_relay(fingerprint.value, account, context.operator)
            anchored.append(
                DemoDataset(
                    name=title,
                    path=str(target.relative_to(directory)),
                    fingerprint=fingerprint.hex,
                    anchored_block=outcome.record.block_number,
                )
            )
        registrants.append(DemoRegistrant(name, region, industry, index, account.address, anchored))
    manifest.write_text(
        json.dumps([asdict(r) for r in registrants], ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    count = sum(len(r.datasets) for r in registrants)
    return f"{len(registrants)} registrants, {count} datasets anchored (see {manifest})"
