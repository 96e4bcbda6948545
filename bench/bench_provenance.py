"""Provenance benchmark: the timeline of one asset with 10,000 events, from the SQL mirror.

Builds a fresh SQLite mirror (``registry.db.engine.migrate``) and fills it directly with
synthetic but well-formed rows (blocks, raw events with decoded args and the asset they name,
the derived rows and the row versions the indexer would write): one asset whose life has
``--events`` events (its application, notice and issue, then transfers, pledges registered and
released, licences and freezes), beside ``--other-assets`` other assets with ten events each,
so that the timeline must pick its rows out of a larger mirror. Then, in the same run:

1. **baseline**: a bare ``SELECT count(*)`` over each table the timeline reads (raw_event,
   block, row_version, transfer, pledge_event, freeze_event, licence), median of ``--runs``;
2. **timeline**: :func:`registry.provenance.timeline` of the asset (the entries and the asset's
   state as of the head), median of ``--runs``; its ratio to the baseline; goal <= 50 ms.

    .venv/bin/python bench/bench_provenance.py
    .venv/bin/python bench/bench_provenance.py --events 10000 --runs 9

Exits 1 if the goal is missed.
"""

from __future__ import annotations

import argparse
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
    asset_version_table,
    block_table,
    cursor_table,
    freeze_event_table,
    freeze_table,
    licence_table,
    pledge_event_table,
    pledge_table,
    raw_event_table,
    registration_table,
    row_version_table,
    transfer_table,
)
from registry.db.rows import encode_row, history_key  # noqa: E402
from registry.domain.numbers import certificate_number, registration_number  # noqa: E402
from registry.mirror import resolve_as_of  # noqa: E402
from registry.provenance import timeline  # noqa: E402
from registry.provenance.exports import timeline_json  # noqa: E402

GOAL_MS = 50.0
CHAIN = 31337
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
AGENT = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
LICENCES = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
HOLDERS = [f"0x{i:040x}" for i in range(0x1001, 0x1011)]
BANK = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
REGULATOR = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
PER_BLOCK = 10
TIMELINE_TABLES = (
    raw_event_table,
    block_table,
    row_version_table,
    transfer_table,
    pledge_event_table,
    freeze_event_table,
    licence_table,
)


def _hash(*parts: int) -> str:
    return "0x" + "".join(f"{p:016x}" for p in (*parts, 0, 0, 0))[:64]


def _at(block: int) -> datetime:
    return datetime.fromtimestamp(T0 + 12 * block, tz=UTC)


class Mirror:
    """Collects synthetic mirror rows, then writes them in foreign-key order."""

    def __init__(self) -> None:
        self.block = 0
        self.log = 0
        self.blocks: list[dict[str, Any]] = []
        self.raw: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.registrations: dict[int, dict[str, Any]] = {}

    def position(self) -> tuple[int, int]:
        if not self.blocks or self.log >= PER_BLOCK:
            self.block += 1
            self.log = 0
            self.blocks.append(
                {
                    "chain_id": CHAIN,
                    "number": self.block,
                    "hash": _hash(1, self.block),
                    "parent_hash": _hash(1, self.block - 1),
                    "timestamp": T0 + 12 * self.block,
                }
            )
        found = (self.block, self.log)
        self.log += 1
        return found

    def event(
        self, address: str, contract: str, name: str, args: dict[str, Any]
    ) -> tuple[int, int]:
        b, li = self.position()
        self.raw.append(
            {
                "chain_id": CHAIN,
                "block_number": b,
                "log_index": li,
                "block_hash": _hash(1, b),
                "tx_hash": _hash(2, b, li),
                "address": address,
                "contract": contract,
                "event": name,
                "topic0": _hash(3, len(name)),
                "topics": [_hash(3, len(name))],
                "data": "0x",
                "args": args,
                # the asset the event's record names, as the store keeps it (record_asset)
                "token_id": args["id"] if contract == "DataAssetRegistry" else args["tokenId"],
            }
        )
        return b, li

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def version(
        self, table: str, key: dict[str, Any], row: dict[str, Any], at: tuple[int, int]
    ) -> None:
        self.versions.append(
            {
                "chain_id": CHAIN,
                "table_name": table,
                "row_key": history_key(key),
                "block_number": at[0],
                "log_index": at[1],
                "image": encode_row(row),
            }
        )

    def touch(self, token: int, at: tuple[int, int], **changes: Any) -> None:
        row = self.registrations[token]
        row.update(changes, last_block=at[0], last_log_index=at[1])
        self.version("registration", {"chain_id": CHAIN, "id": token}, dict(row), at)

    def issue(self, token: int, holder: str) -> None:
        """Submit, accept, open the notice and issue ``token`` (four events)."""
        at = self.event(REGISTRY, "DataAssetRegistry", "ApplicationSubmitted", {"id": token})
        fp = _hash(4, token)
        self.registrations[token] = {
            "chain_id": CHAIN,
            "id": token,
            "registration_number": registration_number(T0, 1, 1, token),
            "holder": holder,
            "registrar_code": 440,
            "kind": "resource",
            "rights": 3,
            "level": "general",
            "data_source": 1,
            "applicant_type": 1,
            "source_agreement_end": None,
            "fingerprint": fp,
            "metadata_hash": _hash(5, token),
            "parents": [],
            "relayer": REGULATOR,
            "status": "submitted",
            "submitted_at": _at(at[0]),
            "notice_start": None,
            "notice_end": None,
            "issued_at": None,
            "valid_until": None,
            "certificate_number": None,
            "version": 0,
            "open_objections": 0,
            "submitted_block": at[0],
            "submitted_log_index": at[1],
            "submitted_tx_hash": _hash(2, *at),
            "last_block": at[0],
            "last_log_index": at[1],
        }
        self.version(
            "registration", {"chain_id": CHAIN, "id": token}, dict(self.registrations[token]), at
        )
        at = self.event(
            REGISTRY,
            "DataAssetRegistry",
            "ApplicationAccepted",
            {"id": token, "registrar": REGULATOR},
        )
        self.touch(token, at, status="accepted")
        at = self.event(
            REGISTRY, "DataAssetRegistry", "NoticeOpened", {"id": token, "registrar": REGULATOR}
        )
        self.touch(
            token, at, status="in_notice", notice_start=_at(at[0]), notice_end=_at(at[0] + 1)
        )
        at = self.event(
            REGISTRY,
            "DataAssetRegistry",
            "CertificateIssued",
            {"id": token, "holder": holder, "fingerprint": fp},
        )
        number = certificate_number(T0 + 12 * at[0], 440, token)
        self.touch(
            token,
            at,
            status="issued",
            issued_at=_at(at[0]),
            valid_until=_at(at[0] + 10_000_000),
            certificate_number=number,
            version=1,
        )
        self.add(
            "asset_version",
            {
                "chain_id": CHAIN,
                "registration_id": token,
                "version": 1,
                "fingerprint": fp,
                "metadata_hash": _hash(5, token),
                "correction": False,
                "changed_by": holder,
                "block_number": at[0],
                "log_index": at[1],
                "tx_hash": _hash(2, *at),
                "changed_at": _at(at[0]),
            },
        )

    def transfer(self, token: int, to: str) -> None:
        sender = self.registrations[token]["holder"]
        args = {
            "tokenId": token,
            "from": sender,
            "to": to,
            "reason": 1,
            "documentHash": _hash(6, token),
        }
        at = self.event(AGENT, "TransferAgent", "CertificateTransferred", args)
        self.add(
            "transfer",
            {
                "chain_id": CHAIN,
                "block_number": at[0],
                "log_index": at[1],
                "token_id": token,
                "from_address": sender,
                "to_address": to,
                "reason": "sale",
                "document_hash": _hash(6, token),
                "tx_hash": _hash(2, *at),
                "transferred_at": _at(at[0]),
            },
        )
        self.touch(token, at, holder=to)

    def pledge(self, token: int, pledge_id: int) -> None:
        """Register a pledge of ``token`` and release it (two events)."""
        pledgor = self.registrations[token]["holder"]
        args = {
            "pledgeId": pledge_id,
            "tokenId": token,
            "pledgee": BANK,
            "record": [token, pledgor, BANK, 500_000_000, "0x434e59", 0, 0, 1, _hash(7, pledge_id)],
            "relayer": REGULATOR,
        }
        at = self.event(AGENT, "TransferAgent", "PledgeRegistered", args)
        row = {
            "chain_id": CHAIN,
            "id": pledge_id,
            "token_id": token,
            "pledgor": pledgor,
            "pledgee": BANK,
            "secured_amount": "500000000",
            "currency": "CNY",
            "loan_ref": _hash(7, pledge_id),
            "registered_at": _at(at[0]),
            "maturity": _at(at[0] + 1_000_000),
            "status": "live",
            "relayer": REGULATOR,
            "registered_block": at[0],
            "registered_log_index": at[1],
            "registered_tx_hash": _hash(2, *at),
            "closed_at": None,
            "enforced_to": None,
            "last_block": at[0],
            "last_log_index": at[1],
        }
        self.version("pledge", {"chain_id": CHAIN, "id": pledge_id}, dict(row), at)
        self._pledge_event(at, pledge_id, token, "registered", pledgor)
        at = self.event(
            AGENT,
            "TransferAgent",
            "PledgeReleased",
            {"pledgeId": pledge_id, "tokenId": token, "pledgee": BANK},
        )
        row.update(status="released", closed_at=_at(at[0]), last_block=at[0], last_log_index=at[1])
        self.version("pledge", {"chain_id": CHAIN, "id": pledge_id}, dict(row), at)
        self._pledge_event(at, pledge_id, token, "released", BANK)
        self.add("pledge", row)

    def _pledge_event(
        self, at: tuple[int, int], pledge_id: int, token: int, kind: str, party: str
    ) -> None:
        self.add(
            "pledge_event",
            {
                "chain_id": CHAIN,
                "block_number": at[0],
                "log_index": at[1],
                "pledge_id": pledge_id,
                "token_id": token,
                "kind": kind,
                "action": None,
                "party": party,
                "tx_hash": _hash(2, *at),
                "at": _at(at[0]),
            },
        )

    def licence(self, token: int, licence_id: int) -> None:
        licensor = self.registrations[token]["holder"]
        licensee = HOLDERS[licence_id % len(HOLDERS)]
        args = {
            "licenceId": licence_id,
            "tokenId": token,
            "licensee": licensee,
            "voucherNumber": 2026_2_0_000000000 + licence_id,
            "licence": [
                token,
                0,
                licensor,
                0,
                0,
                licensee,
                0,
                2,
                False,
                True,
                1,
                1,
                1,
                _hash(8, licence_id),
                _hash(9, licence_id),
            ],
            "relayer": REGULATOR,
        }
        at = self.event(LICENCES, "LicenceRegistry", "LicenceGranted", args)
        row = {
            "chain_id": CHAIN,
            "id": licence_id,
            "voucher_number": f"{2026_2_0_000000000 + licence_id:016d}",
            "token_id": token,
            "parent_id": None,
            "licensor": licensor,
            "licensee": licensee,
            "right": "processing_use",
            "exclusive": False,
            "sublicensable": True,
            "purposes": "1",
            "territories": "1",
            "granted_at": _at(at[0]),
            "start": _at(at[0]),
            "end": _at(at[0] + 1_000_000),
            "status": "active",
            "terms_hash": _hash(8, licence_id),
            "fee_terms_hash": None,
            "relayer": REGULATOR,
            "granted_block": at[0],
            "granted_log_index": at[1],
            "granted_tx_hash": _hash(2, *at),
            "terminated_at": None,
            "terminated_by": None,
            "termination_reason_hash": None,
            "last_block": at[0],
            "last_log_index": at[1],
        }
        self.version("licence", {"chain_id": CHAIN, "id": licence_id}, dict(row), at)
        self.add("licence", row)

    def freeze(self, token: int, frozen: bool) -> None:
        name = "CertificateFrozen" if frozen else "CertificateUnfrozen"
        at = self.event(
            AGENT,
            "TransferAgent",
            name,
            {"tokenId": token, "regulator": REGULATOR, "caseRef": _hash(10, token)},
        )
        self.add(
            "freeze_event",
            {
                "chain_id": CHAIN,
                "block_number": at[0],
                "log_index": at[1],
                "token_id": token,
                "frozen": frozen,
                "regulator": REGULATOR,
                "case_ref": _hash(10, token),
                "tx_hash": _hash(2, *at),
                "at": _at(at[0]),
            },
        )
        row = {
            "chain_id": CHAIN,
            "token_id": token,
            "frozen": frozen,
            "since": _at(at[0]) if frozen else None,
            "frozen_by": REGULATOR if frozen else None,
            "case_ref": _hash(10, token) if frozen else None,
            "last_block": at[0],
            "last_log_index": at[1],
        }
        self.version("freeze", {"chain_id": CHAIN, "token_id": token}, row, at)
        self.rows["freeze_state"] = [
            r for r in self.rows.get("freeze_state", []) if r["token_id"] != token
        ] + [row]

    def write(self, engine: Engine) -> None:
        order: list[tuple[Any, list[dict[str, Any]]]] = [
            (block_table, self.blocks),
            (raw_event_table, self.raw),
            (registration_table, list(self.registrations.values())),
            (asset_version_table, self.rows.get("asset_version", [])),
            (transfer_table, self.rows.get("transfer", [])),
            (pledge_table, self.rows.get("pledge", [])),
            (pledge_event_table, self.rows.get("pledge_event", [])),
            (freeze_table, self.rows.get("freeze_state", [])),
            (freeze_event_table, self.rows.get("freeze_event", [])),
            (licence_table, self.rows.get("licence", [])),
            (row_version_table, self.versions),
        ]
        with engine.begin() as connection:
            for table, rows in order:
                for start in range(0, len(rows), 5000):
                    connection.execute(insert(table), rows[start : start + 5000])
            connection.execute(
                insert(cursor_table),
                {
                    "chain_id": CHAIN,
                    "last_block": self.block,
                    "last_block_hash": _hash(1, self.block),
                    "updated_at": _at(self.block),
                },
            )


def build(engine: Engine, events: int, other_assets: int) -> str:
    """Fill the mirror; the certificate number of the asset with ``events`` events."""
    mirror = Mirror()
    subject = 1
    mirror.issue(subject, HOLDERS[0])
    for token in range(2, other_assets + 2):
        mirror.issue(token, HOLDERS[token % len(HOLDERS)])
    made, step, pledge_id, licence_id = 4, 0, 0, 0
    while made < events:
        kind = step % 5
        step += 1
        if kind in (0, 1):
            mirror.transfer(subject, HOLDERS[step % len(HOLDERS)])
            made += 1
        elif kind == 2 and made + 2 <= events:
            pledge_id += 1
            mirror.pledge(subject, pledge_id)
            made += 2
        elif kind == 3:
            licence_id += 1
            mirror.licence(subject, licence_id)
            made += 1
        elif kind == 4 and made + 2 <= events:
            mirror.freeze(subject, True)
            mirror.freeze(subject, False)
            made += 2
        # noise: other assets change hands between the subject's events
        other = 2 + step % max(other_assets, 1)
        if other_assets and step % 2 == 0:
            mirror.transfer(other, HOLDERS[(step + 3) % len(HOLDERS)])
    for token in range(2, other_assets + 2):
        for n in range(6):
            mirror.transfer(token, HOLDERS[(token + n) % len(HOLDERS)])
    mirror.write(engine)
    return str(mirror.registrations[subject]["certificate_number"])


def _median_ms(run: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events of the asset")
    parser.add_argument(
        "--other-assets", type=int, default=1_000, help="other assets (10 events each)"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each query (median)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'mirror.db'}"
        migrate(url)
        engine = make_engine(url)
        started = time.perf_counter()
        number = build(engine, args.events, args.other_assets)
        print(f"mirror built in {time.perf_counter() - started:.1f} s")
        with engine.connect() as connection:
            total = connection.execute(select(func.count()).select_from(raw_event_table)).scalar()
        as_of = resolve_as_of(engine, CHAIN)

        def baseline() -> int:
            with engine.connect() as connection:
                return sum(
                    int(connection.execute(select(func.count()).select_from(t)).scalar() or 0)
                    for t in TIMELINE_TABLES
                )

        def query() -> object:
            return timeline(engine, CHAIN, number, as_of)

        query()  # warm the caches once, as a serving process would be
        base_ms, _ = _median_ms(baseline, args.runs)
        took_ms, answer = _median_ms(query, args.runs)
        full_ms, _ = _median_ms(
            lambda: timeline_json(timeline(engine, CHAIN, number, as_of)), args.runs
        )
        entries = len(answer.entries)  # type: ignore[attr-defined]
        engine.dispose()
    print(f"mirror: {total:,} raw events in {as_of.block:,} blocks; asset {number}")
    runs = f"median of {args.runs}"
    print(
        f"baseline  SELECT count(*) over {len(TIMELINE_TABLES)} tables: {base_ms:8.2f} ms ({runs})"
    )
    print(f"timeline  {entries:,} entries of one asset:    {took_ms:8.2f} ms ({runs})")
    print(f"timeline + JSON export (every entry parsed): {full_ms:8.2f} ms ({runs})")
    print(f"ratio timeline / baseline: {took_ms / base_ms:.1f}; goal: timeline <= {GOAL_MS:.0f} ms")
    if entries != args.events:
        print(f"MISSED: expected {args.events} entries, got {entries}")
        return 1
    if took_ms > GOAL_MS:
        print("MISSED the goal")
        return 1
    print("goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
