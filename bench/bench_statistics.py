"""Statistics benchmark: a report over 100,000 certificates from a SQLite mirror.

Builds a fresh SQLite mirror (``registry.db.engine.migrate``, foreign keys on) and fills it
directly with synthetic but well-formed rows: ``--certificates`` issued registrations (each with
the raw event it comes from and a stored asset-metadata document) spread over 20 industries,
31 provinces, 3 registrars, both kinds and levels, and with some cancelled, revoked and expired;
about 60 % valued (some twice, some withdrawn; CNY and USD), accounting classes, live and
released pledges with five lenders, freezes, transfers, licences and sublicences over two years.
Then, in the same run:

1. **baseline**: a bare ``SELECT count(*)`` over each table the report reads (the statistics
   cache and its labels, the tables whose changed rows it probes, the event tables, blocks,
   documents and facts, registrar names), summed, median of ``--runs``;
2. the **first refresh** of the derived tables, as the indexer runs it after storing a batch
   (:func:`registry.indexer.derived.refresh`): every metadata document read into
   ``asset_facts`` and the statistics cache (``report_certificate``) built, both once; then the
   first report;
3. the **report** (:func:`registry.reports.market_statistics` at the head: the cache read, every
   dimension, months, lenders), median of ``--runs``; its ratio to the baseline; goal <= 1 s;
4. the XLSX export of that report (for information).

    .venv/bin/python bench/bench_statistics.py
    .venv/bin/python bench/bench_statistics.py --certificates 100000 --runs 7

Exits 1 if the goal is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from registry.db.engine import make_engine, migrate  # noqa: E402
from registry.db.models import (  # noqa: E402
    accounting_class_table,
    asset_facts_table,
    block_table,
    cursor_table,
    document_table,
    freeze_table,
    licence_table,
    pledge_table,
    raw_event_table,
    registrar_profile_table,
    registration_table,
    report_certificate_table,
    report_label_table,
    transfer_table,
    valuation_table,
)
from registry.domain.numbers import certificate_number, registration_number  # noqa: E402
from registry.indexer import derived  # noqa: E402
from registry.mirror import resolve_as_of  # noqa: E402
from registry.reports import market_statistics  # noqa: E402
from registry.reports.exports import statistics_xlsx  # noqa: E402

GOAL_S = 1.0
CHAIN = 31337
T0 = 1_735_689_600  # 2025-01-01T00:00:00Z
SPAN = 2 * 365 * 86_400  # the market's history: two years
PER_BLOCK = 50
ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
INDUSTRIES = [
    "交通运输",
    "金融",
    "医疗健康",
    "能源",
    "制造业",
    "农业",
    "教育",
    "气象",
    "电信",
    "零售",
    "文化旅游",
    "城市治理",
    "环境保护",
    "物流",
    "房地产",
    "互联网",
    "水利",
    "科研",
    "广电",
    "公共安全",
]
PROVINCES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65",
]  # fmt: skip
REGISTRARS = {
    440: "广东省数据资产登记中心",
    310: "上海数据交易所",
    330: "浙江省数据知识产权登记中心",
}
LENDERS = [f"0x{0xB000 + i:040x}" for i in range(5)]
HOLDERS = [f"0x{0xA000 + i:040x}" for i in range(2_000)]


def _hash(*parts: int) -> str:
    return "0x" + "".join(f"{p:016x}" for p in (*parts, 0, 0, 0, 0))[:64]


def _at(second: int) -> datetime:
    return datetime.fromtimestamp(T0 + second, tz=UTC)


class Market:
    """Synthetic mirror rows in foreign-key order; one raw event per recorded position."""

    def __init__(self, certificates: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = certificates
        self.raw: list[dict[str, Any]] = []
        self.blocks: dict[int, int] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.documents: list[dict[str, Any]] = []

    def position(self, second: int) -> tuple[int, int, str]:
        """A new raw event at time ``second`` (events are appended in time order)."""
        index = len(self.raw)
        block = index // PER_BLOCK + 1
        log = index % PER_BLOCK
        self.blocks.setdefault(block, T0 + second)
        tx = _hash(2, block, log)
        self.raw.append(
            {
                "chain_id": CHAIN,
                "block_number": block,
                "log_index": log,
                "block_hash": _hash(1, block),
                "tx_hash": tx,
                "address": ADDRESS,
                "contract": "DataAssetRegistry",
                "event": "Synthetic",
                "topic0": _hash(3),
                "topics": [_hash(3)],
                "data": "0x",
                "args": None,
            }
        )
        return block, log, tx

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def build(self) -> None:
        rng = self.rng
        step = SPAN // (self.n * 3)
        second = 0
        live: set[int] = set()
        valuation_id = pledge_id = licence_id = 0
        for token in range(1, self.n + 1):
            second += step
            block, log, tx = self.position(second)
            province = rng.choice(PROVINCES)
            region = f"{province}{rng.randrange(1, 20):02d}{rng.randrange(0, 10):02d}"
            industry = INDUSTRIES[min(int(rng.expovariate(0.25)), len(INDUSTRIES) - 1)]
            body = json.dumps(
                {
                    "schema": "dareg.asset-metadata/1",
                    "name": f"数据集 {token}",
                    "industry": industry,
                    "category": rng.choice([None, "统计数据", "业务数据", "感知数据"]),
                    "region": region,
                },
                ensure_ascii=False,
            ).encode()
            meta = _hash(5, token)
            self.documents.append(
                {
                    "hash": meta,
                    "media_type": "application/json",
                    "body": body,
                    "created_at": _at(second),
                }
            )
            roll = rng.random()
            status = "cancelled" if roll < 0.05 else "revoked" if roll < 0.07 else "issued"
            valid = second + (rng.randrange(86_400, 60 * 86_400) if roll > 0.92 else SPAN * 3)
            registrar = rng.choice(list(REGISTRARS))
            holder = rng.choice(HOLDERS)
            self.add(
                "registration",
                {
                    "chain_id": CHAIN,
                    "id": token,
                    "registration_number": registration_number(T0 + second, 1, 1, token),
                    "holder": holder,
                    "registrar_code": registrar,
                    "kind": "product" if rng.random() < 0.3 else "resource",
                    "rights": 3,
                    "level": "important" if rng.random() < 0.15 else "general",
                    "data_source": 1,
                    "applicant_type": 1,
                    "source_agreement_end": None,
                    "fingerprint": _hash(4, token),
                    "metadata_hash": meta,
                    "parents": [],
                    "relayer": ADDRESS,
                    "status": status,
                    "submitted_at": _at(second),
                    "notice_start": _at(second),
                    "notice_end": _at(second),
                    "issued_at": _at(second),
                    "valid_until": _at(valid),
                    "certificate_number": certificate_number(T0 + second, registrar, token),
                    "version": 1,
                    "open_objections": 0,
                    "submitted_block": block,
                    "submitted_log_index": log,
                    "submitted_tx_hash": tx,
                    "last_block": block,
                    "last_log_index": log,
                },
            )
            if rng.random() < 0.6:
                for _ in range(1 if rng.random() < 0.8 else 2):
                    second += 1
                    valuation_id += 1
                    vb, vl, vt = self.position(second)
                    currency = "USD" if rng.random() < 0.1 else "CNY"
                    self.add(
                        "valuation",
                        {
                            "chain_id": CHAIN,
                            "id": valuation_id,
                            "token_id": token,
                            "appraiser": ADDRESS,
                            "asset_version": 1,
                            "value": str(rng.randrange(10_000_00, 50_000_000_00)),
                            "currency": currency,
                            "method": "income",
                            "value_type": "market_value",
                            "purpose": "pledge_financing",
                            "base_date": _at(second),
                            "submitted_at": _at(second),
                            "report_hash": _hash(8, valuation_id),
                            "facts_hash": None,
                            "report_uri": None,
                            "status": "withdrawn" if rng.random() < 0.05 else "active",
                            "withdrawn_at": None,
                            "withdraw_reason_hash": None,
                            "submitted_block": vb,
                            "submitted_log_index": vl,
                            "submitted_tx_hash": vt,
                            "last_block": vb,
                            "last_log_index": vl,
                        },
                    )
            if rng.random() < 0.3:
                self.add(
                    "accounting_class",
                    {
                        "chain_id": CHAIN,
                        "token_id": token,
                        "accounting_class": rng.choice(["intangible_asset", "inventory"]),
                        "holder": holder if rng.random() < 0.9 else HOLDERS[0],
                        "set_at": _at(second),
                        "last_block": block,
                        "last_log_index": log,
                    },
                )
            if status == "issued" and rng.random() < 0.15:
                second += 1
                pledge_id += 1
                pb, pl, pt = self.position(second)
                state = "live" if rng.random() < 0.65 else "released"
                if state == "live":
                    live.add(token)
                self.add(
                    "pledge",
                    {
                        "chain_id": CHAIN,
                        "id": pledge_id,
                        "token_id": token,
                        "pledgor": holder,
                        "pledgee": rng.choice(LENDERS),
                        "secured_amount": str(rng.randrange(1_000_000_00, 20_000_000_00)),
                        "currency": "CNY",
                        "loan_ref": _hash(7, pledge_id),
                        "registered_at": _at(second),
                        "maturity": _at(second + 365 * 86_400),
                        "status": state,
                        "relayer": ADDRESS,
                        "registered_block": pb,
                        "registered_log_index": pl,
                        "registered_tx_hash": pt,
                        "closed_at": None,
                        "enforced_to": None,
                        "last_block": pb,
                        "last_log_index": pl,
                    },
                )
            if rng.random() < 0.01:
                self.add(
                    "freeze",
                    {
                        "chain_id": CHAIN,
                        "token_id": token,
                        "frozen": True,
                        "since": _at(second),
                        "frozen_by": ADDRESS,
                        "case_ref": _hash(9, token),
                        "last_block": block,
                        "last_log_index": log,
                    },
                )
            if rng.random() < 0.3 and token not in live:
                second += 1
                tb, tl, tt = self.position(second)
                self.add(
                    "transfer",
                    {
                        "chain_id": CHAIN,
                        "block_number": tb,
                        "log_index": tl,
                        "token_id": token,
                        "from_address": holder,
                        "to_address": rng.choice(HOLDERS),
                        "reason": "sale",
                        "document_hash": None,
                        "tx_hash": tt,
                        "transferred_at": _at(second),
                    },
                )
            if rng.random() < 0.4:
                parent = None
                for _ in range(1 if rng.random() < 0.75 else 2):
                    second += 1
                    licence_id += 1
                    lb, ll, lt = self.position(second)
                    self.add(
                        "licence",
                        {
                            "chain_id": CHAIN,
                            "id": licence_id,
                            "voucher_number": f"L{licence_id:015d}",
                            "token_id": token,
                            "parent_id": parent,
                            "licensor": holder,
                            "licensee": rng.choice(HOLDERS),
                            "right": "processing_use",
                            "exclusive": False,
                            "sublicensable": True,
                            "purposes": "7",
                            "territories": "1",
                            "granted_at": _at(second),
                            "start": _at(second),
                            "end": _at(second + 365 * 86_400),
                            "status": "active",
                            "terms_hash": _hash(10, licence_id),
                            "fee_terms_hash": None,
                            "relayer": ADDRESS,
                            "granted_block": lb,
                            "granted_log_index": ll,
                            "granted_tx_hash": lt,
                            "terminated_at": None,
                            "terminated_by": None,
                            "termination_reason_hash": None,
                            "last_block": lb,
                            "last_log_index": ll,
                        },
                    )
                    parent = licence_id

    def write(self, engine: Engine) -> int:
        head = max(self.blocks)
        tables = [
            (block_table, [
                {"chain_id": CHAIN, "number": b, "hash": _hash(1, b),
                 "parent_hash": _hash(1, b - 1), "timestamp": t}
                for b, t in sorted(self.blocks.items())
            ]),
            (raw_event_table, self.raw),
            (document_table, self.documents),
            (registration_table, self.rows["registration"]),
            (valuation_table, self.rows.get("valuation", [])),
            (accounting_class_table, self.rows.get("accounting_class", [])),
            (pledge_table, self.rows.get("pledge", [])),
            (freeze_table, self.rows.get("freeze", [])),
            (transfer_table, self.rows.get("transfer", [])),
            (licence_table, self.rows.get("licence", [])),
            (registrar_profile_table, [
                {"code": code, "name": name, "region": None, "updated_at": _at(0)}
                for code, name in REGISTRARS.items()
            ]),
        ]  # fmt: skip
        with engine.begin() as connection:
            for table, rows in tables:
                for start in range(0, len(rows), 20_000):
                    connection.execute(insert(table), rows[start : start + 20_000])
            connection.execute(
                insert(cursor_table),
                [
                    {
                        "chain_id": CHAIN,
                        "last_block": head,
                        "last_block_hash": _hash(1, head),
                        "updated_at": _at(SPAN),
                    }
                ],
            )
        return head


def _median_ms(function: Callable[[], object], runs: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'mirror.db'}"
        migrate(url)
        engine = make_engine(url)
        market = Market(args.certificates, args.seed)
        started = time.perf_counter()
        market.build()
        head = market.write(engine)
        counts = {name: len(rows) for name, rows in market.rows.items()}
        print(
            f"mirror: {counts} and {len(market.raw):,} raw events, head block {head:,} "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        read_tables = (
            report_certificate_table,
            report_label_table,
            registration_table,
            valuation_table,
            accounting_class_table,
            freeze_table,
            pledge_table,
            transfer_table,
            licence_table,
            block_table,
            document_table,
            asset_facts_table,
            registrar_profile_table,
        )

        as_of = resolve_as_of(engine, CHAIN)
        started = time.perf_counter()
        derived.refresh_in(engine, CHAIN)  # what the indexer does after each stored batch
        refresh_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        first = market_statistics(engine, CHAIN, as_of)
        first_ms = (time.perf_counter() - started) * 1000
        assert first.certificates == args.certificates, first.certificates

        def baseline() -> None:
            with engine.connect() as connection:
                for table in read_tables:
                    connection.execute(select(func.count()).select_from(table)).scalar_one()

        base_ms = _median_ms(baseline, args.runs)
        report_ms = _median_ms(lambda: market_statistics(engine, CHAIN, as_of), args.runs)
        report = market_statistics(engine, CHAIN, as_of)
        xlsx_ms = _median_ms(lambda: statistics_xlsx(report), max(1, args.runs // 3))
        engine.dispose()

    print(f"baseline: SELECT count(*) over {len(read_tables)} tables     {base_ms:9.1f} ms")
    print(f"first refresh (reads {args.certificates:,} metadata documents) {refresh_ms:9.1f} ms")
    print(f"first report                                    {first_ms:9.1f} ms")
    print(
        f"statistics report, {report.certificates:,} certificates      {report_ms:9.1f} ms  "
        f"({report_ms / base_ms:.1f}x baseline)  goal <= {GOAL_S * 1000:.0f} ms"
    )
    print(f"XLSX export of the report                       {xlsx_ms:9.1f} ms")
    met = report_ms <= GOAL_S * 1000
    print("goal met" if met else "goal MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
