"""`dareg access-log` through the real executable: a CLI command's transaction is recorded by
that command's process, and the regulator reads the log as a table or JSON, filtered."""

from __future__ import annotations

import json
from pathlib import Path

from registry.chain.client import dev_account
from tests.cli.conftest import run_dareg as _run
from tests.conftest import admin


def test_a_commands_transaction_is_recorded_and_listed(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    dataset = tmp_path / "data.csv"
    dataset.write_text("港口,吞吐量\n南沙,1\n", encoding="utf-8")
    anchored = _run(cli_env, "anchor", str(dataset), "--json")
    assert anchored.returncode == 0, anchored.stderr
    tx = json.loads(anchored.stdout)["tx_hash"].lower()

    listed = _run(cli_env, "access-log", "--json")
    assert listed.returncode == 0, listed.stderr
    page = json.loads(listed.stdout)
    # the registrar's set-up by the admin (2 transactions), then the anchor, newest first
    assert page["total"] == 3
    newest = page["items"][0]
    assert newest["action"] == "EvidenceRegistry.anchor"
    assert newest["tx_hashes"] == [tx]
    assert newest["caller"] == newest["sender"] == dev_account(0).address  # the operator's own
    assert (newest["channel"], newest["client"], newest["outcome"]) == ("cli", "local", "sent")
    assert {e["caller"] for e in page["items"][1:]} == {admin().address}

    table = _run(cli_env, "access-log", "--tx", tx)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "access log: 1-1 of 1 entry(ies), newest first"
    assert lines[1].split() == [
        "id",
        "recorded",
        "(UTC)",
        "channel",
        "caller",
        "role",
        "action",
        "outcome",
        "tx",
    ]
    assert len(lines) == 3
    assert "EvidenceRegistry.anchor" in lines[2]
    assert tx in lines[2]
    assert " cli " in lines[2]

    admin_only = ("--caller", admin().address, "--limit", "1", "--offset", "1", "--json")
    paged = json.loads(_run(cli_env, "access-log", *admin_only).stdout)
    assert paged["total"] == 2
    assert len(paged["items"]) == 1
    assert paged["items"][0]["action"] == "RegistryAuthority.configureRegistrar"
    assert (
        json.loads(_run(cli_env, "access-log", "--outcome", "4xx", "--json").stdout)["total"] == 0
    )

    wrong = _run(cli_env, "access-log", "--outcome", "maybe")
    assert wrong.returncode == 2
    assert "--outcome 'maybe' is not one of" in wrong.stderr
    assert _run(cli_env, "access-log", "--tx", "0x12").returncode == 2
