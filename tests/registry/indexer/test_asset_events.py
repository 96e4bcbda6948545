"""``raw_event.token_id``: the store names the asset of every event whose record is about one,
and an asset's timeline (read through it) is exactly the events its derived rows point to.

The reference below finds an asset's events the long way, from the derived tables: the row
versions of its registration, accounting class, transfer approvals and cross-border records;
its transfers, pledge events and freeze events; the first and last positions of its licences
and valuations; the filing and ruling of its objections; ``StandingGranted`` by its arguments;
and the evidence of its fingerprints. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, select

from registry.context import RegistryContext
from registry.db.models import (
    evidence_table,
    freeze_event_table,
    licence_table,
    objection_table,
    pledge_event_table,
    raw_event_table,
    registration_table,
    row_version_table,
    transfer_table,
    valuation_table,
)
from registry.indexer.follow import Indexer
from registry.mirror import RegistrationRow, registration_by_number
from registry.provenance.timeline import timeline_entries
from tests.registry.indexer import test_rights_mirror, test_valuation_mirror
from tests.registry.provenance.scenario import build

Position = tuple[int, int]

#: Row-versioned tables whose every version is an event about the asset, and its key column.
_VERSIONED = {
    "registration": "id",
    "accounting_class": "token_id",
    "transfer_approval": "token_id",
    "cross_border_record": "token_id",
}
_FINGERPRINT_EVENTS = {
    "ApplicationSubmitted",
    "ApplicationResubmitted",
    "CertificateIssued",
    "AssetChanged",
}


def _args(value: Any) -> dict[str, Any]:
    found = json.loads(value) if isinstance(value, str) else value
    return found if isinstance(found, dict) else {}


def _events_of(connection: Connection, chain_id: int, token: int) -> set[Position]:
    """The asset's events (evidence aside), found through the derived tables."""
    found: set[Position] = set()
    v = row_version_table
    for name, key, number, index in connection.execute(
        select(v.c.table_name, v.c.row_key, v.c.block_number, v.c.log_index).where(
            v.c.chain_id == chain_id, v.c.table_name.in_(list(_VERSIONED))
        )
    ):
        if json.loads(key)[_VERSIONED[name]] == token:
            found.add((number, index))
    for table in (transfer_table, pledge_event_table, freeze_event_table):
        found.update(
            (n, i)
            for n, i in connection.execute(
                select(table.c.block_number, table.c.log_index).where(
                    table.c.chain_id == chain_id, table.c.token_id == token
                )
            )
        )
    pairs = (
        (
            licence_table,
            "token_id",
            ("granted_block", "granted_log_index", "last_block", "last_log_index"),
        ),
        (
            valuation_table,
            "token_id",
            ("submitted_block", "submitted_log_index", "last_block", "last_log_index"),
        ),
        (
            objection_table,
            "registration_id",
            ("filed_block", "filed_log_index", "ruled_block", "ruled_log_index"),
        ),
    )
    for table, column, names in pairs:
        for b1, i1, b2, i2 in connection.execute(
            select(*(table.c[n] for n in names)).where(
                table.c.chain_id == chain_id, table.c[column] == token
            )
        ):
            found.add((b1, i1))
            if b2 is not None:
                found.add((b2, i2))
    r = raw_event_table
    for number, index, args in connection.execute(
        select(r.c.block_number, r.c.log_index, r.c.args).where(
            r.c.chain_id == chain_id, r.c.event == "StandingGranted"
        )
    ):
        if _args(args).get("id") == token:
            found.add((number, index))
    return found


def _evidence_of(
    connection: Connection, chain_id: int, row: RegistrationRow, events: set[Position]
) -> set[Position]:
    """The positions of the evidence of every fingerprint the asset's content had."""
    r = raw_event_table
    fingerprints = {row.fingerprint}
    for number, index, event, args in connection.execute(
        select(r.c.block_number, r.c.log_index, r.c.event, r.c.args).where(r.c.chain_id == chain_id)
    ):
        if (number, index) in events and event in _FINGERPRINT_EVENTS:
            fingerprints.add(str(_args(args)["fingerprint"]).lower())
    e = evidence_table
    return {
        (n, i)
        for n, i in connection.execute(
            select(e.c.block_number, e.c.log_index).where(
                e.c.chain_id == chain_id, e.c.fingerprint.in_(sorted(fingerprints))
            )
        )
    }


def assert_timelines_are_the_derived_rows_events(engine: Engine, chain_id: int) -> int:
    """Every asset's ``token_id``-tagged events are its events by the derived tables, every
    other raw event is untagged, and its timeline as of every mirrored block is those events
    and its evidence by then, in chain order. The number of tagged events."""
    with engine.connect() as connection:
        tagged: dict[Position, int] = {
            (n, i): t
            for n, i, t in connection.execute(
                select(
                    raw_event_table.c.block_number,
                    raw_event_table.c.log_index,
                    raw_event_table.c.token_id,
                ).where(raw_event_table.c.chain_id == chain_id)
            )
            if t is not None
        }
        blocks = sorted(
            {
                n
                for (n,) in connection.execute(
                    select(raw_event_table.c.block_number).where(
                        raw_event_table.c.chain_id == chain_id
                    )
                )
            }
        )
        numbers = [
            str(n)
            for (n,) in connection.execute(
                select(registration_table.c.registration_number).where(
                    registration_table.c.chain_id == chain_id
                )
            )
        ]
        expected_tags: dict[Position, int] = {}
        references = []
        for number in numbers:
            row = registration_by_number(engine, number)
            assert row is not None
            events = _events_of(connection, chain_id, row.id)
            for position in events:
                assert expected_tags.setdefault(position, row.id) == row.id, position
            references.append((row, events | _evidence_of(connection, chain_id, row, events)))
    assert tagged == expected_tags
    for row, positions in references:
        for block in [0, *blocks]:
            got = [
                (e.block_number, e.log_index)
                for e in timeline_entries(engine, chain_id, row, block)
            ]
            assert got == sorted(p for p in positions if p[0] <= block), (row.id, block)
    return len(tagged)


def test_provenance_scenario(ctx: RegistryContext) -> None:
    build(ctx)  # issues, products of parents, evidence, a sale, a pledge, a licence, a freeze
    assert assert_timelines_are_the_derived_rows_events(ctx.engine, ctx.manifest.chain_id) > 20


def test_every_rights_event(ctx: RegistryContext) -> None:
    test_rights_mirror.run_scenario(ctx)
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    assert assert_timelines_are_the_derived_rows_events(ctx.engine, ctx.manifest.chain_id) > 30


def test_every_valuation_event(ctx: RegistryContext) -> None:
    test_valuation_mirror.run_scenario(ctx)
    Indexer(ctx.client, ctx.manifest, ctx.engine).sync_once()
    assert assert_timelines_are_the_derived_rows_events(ctx.engine, ctx.manifest.chain_id) > 10


def test_events_of_no_asset_are_untagged(ctx: RegistryContext) -> None:
    build(ctx)
    r = raw_event_table
    with ctx.engine.connect() as connection:
        rows = connection.execute(select(r.c.event, r.c.token_id)).all()
    by_event: dict[str, set[int | None]] = {}
    for event, token in rows:
        by_event.setdefault(str(event), set()).add(token)
    assert by_event["EvidenceAnchored"] == {None}
    assert None not in by_event["ApplicationSubmitted"]
    assert None not in by_event["CertificateTransferred"]
    assert None not in by_event["LicenceGranted"]
