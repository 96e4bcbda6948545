"""`dareg audit` through the real executable against the session chain and a real SQLite
mirror."""

from __future__ import annotations

import json

from sqlalchemy import update

from registry.context import RegistryContext
from registry.db.models import pledge_table, raw_event_table, registration_table
from registry.mirror import indexer_head
from tests.cli.conftest import run_dareg as _run
from tests.registry.audit.test_service import build_scenario, execute, raw_row
from tests.registry.rights.test_service import bank, holder


def test_consistent_then_drift_exits_3_with_each_drift_on_a_line(
    cli_env: dict[str, str], ctx: RegistryContext
) -> None:
    s = build_scenario(ctx)
    clean = _run(cli_env, "audit")
    assert clean.returncode == 0, clean.stderr
    [verdict] = clean.stdout.splitlines()
    assert verdict.startswith("CONSISTENT: the mirror matches the chain over blocks ")
    assert "2 certificate(s)" in verdict

    execute(
        ctx,
        update(registration_table)
        .where(registration_table.c.id == s.pledged)
        .values(holder=bank().address),
    )
    execute(
        ctx,
        update(pledge_table).where(pledge_table.c.id == s.pledge_id).values(status="released"),
    )
    altered = raw_row(ctx, "CertificateTransferred", 0)
    t = raw_event_table
    execute(
        ctx,
        update(t)
        .where(t.c.block_number == altered["block_number"], t.c.log_index == altered["log_index"])
        .values(tx_hash="0x" + "ee" * 32),
    )
    drift = _run(cli_env, "audit")
    assert drift.returncode == 3, (drift.stdout, drift.stderr)
    lines = drift.stdout.splitlines()
    assert lines[0].startswith("DRIFT: the mirror differs from the chain over blocks ")
    position = f"{altered['block_number']}:{altered['log_index']}"
    assert lines[1:] == [
        f"certificate {s.pledged_number} (token {s.pledged}) holder: "
        f'mirror "{bank().address}", chain "{holder().address}"',
        f"certificate {s.pledged_number} (token {s.pledged}) live_pledge: "
        f"mirror null, chain {s.pledge_id}",
        f"event {position} differs in tx_hash; "
        f"mirror block_hash={altered['block_hash']} tx_hash={'0x' + 'ee' * 32} "
        f"address={altered['address']} topics=[{', '.join(altered['topics'])}] "
        f"data={altered['data']}; "
        f"chain block_hash={altered['block_hash']} tx_hash={altered['tx_hash']} "
        f"address={altered['address']} topics=[{', '.join(altered['topics'])}] "
        f"data={altered['data']}",
        lines[-1],
    ]
    assert lines[-1].startswith(f"block {altered['block_number']} digest: mirror 0x")
    assert drift.stderr.startswith("dareg: the mirror drifts from the chain: 3 drift(s)")
    assert drift.stderr.count("\n") == 1

    as_json = _run(cli_env, "audit", "--json", "--certificate", s.moved_number)
    assert as_json.returncode == 3
    body = json.loads(as_json.stdout)
    assert body["consistent"] is False
    assert body["certificates_checked"] == 1
    assert body["certificate_drifts"] == []
    assert [e["kind"] for e in body["event_drifts"]] == ["different"]


def test_the_range_and_bad_input(cli_env: dict[str, str], ctx: RegistryContext) -> None:
    s = build_scenario(ctx)
    head = indexer_head(ctx.engine, ctx.manifest.chain_id)
    assert head is not None
    clipped = _run(cli_env, "audit", "--to-block", str(head + 5), "--json")
    assert clipped.returncode == 0, clipped.stderr
    body = json.loads(clipped.stdout)
    assert (body["to_block"], body["requested_to_block"]) == (head, head + 5)
    text = _run(cli_env, "audit", "--to-block", str(head + 5))
    assert text.returncode == 0
    assert text.stdout.splitlines()[1].startswith(f"note: to_block {head + 5} is beyond")

    backwards = _run(cli_env, "audit", "--from-block", "9", "--to-block", "3")
    assert backwards.returncode == 2
    assert "after to_block" in backwards.stderr
    assert backwards.stderr.count("\n") == 1
    negative = _run(cli_env, "audit", "--from-block", "-4")
    assert negative.returncode == 2
    assert "must not be negative" in negative.stderr
    assert negative.stderr.count("\n") == 1
    typo = s.moved_number[:-1] + str((int(s.moved_number[-1]) + 1) % 10)
    mistyped = _run(cli_env, "audit", "--certificate", typo)
    assert mistyped.returncode == 2
    assert "mistyped" in mistyped.stderr
    malformed = _run(cli_env, "audit", "--certificate", "not-a-number")
    assert malformed.returncode == 2
