"""`dareg trace` through the real executable against the session chain and a real SQLite
mirror, on the seeded history of the provenance tests."""

from __future__ import annotations

import csv
import io
import json

import pytest

from registry.context import RegistryContext
from tests.cli.conftest import run_dareg as _run
from tests.registry.provenance.scenario import Scenario, build
from tests.registry.rights.test_service import buyer, holder


@pytest.fixture
def s(ctx: RegistryContext) -> Scenario:
    return build(ctx)


def test_timeline_text_json_and_as_of(cli_env: dict[str, str], s: Scenario) -> None:
    text = _run(cli_env, "trace", s.number_a)
    assert text.returncode == 0, text.stderr
    header, *events = text.stdout.splitlines()
    assert header.startswith(f"{s.number_a} ")
    assert f"as of block {s.inherited}" in header
    assert " evidence_anchored " in events[0]
    assert " certificate_transferred " in events[-1]
    before = _run(cli_env, "trace", s.number_a, "--json", "--as-of-block", str(s.sold - 1))
    assert before.returncode == 0, before.stderr
    body = json.loads(before.stdout)
    assert body["as_of_block"] == s.sold - 1
    assert "certificate_transferred" not in [e["kind"] for e in body["entries"]]
    assert body["asset"]["holder"] == holder().address
    after = json.loads(
        _run(cli_env, "trace", s.number_a, "--json", "--as-of-block", str(s.sold)).stdout
    )
    assert after["asset"]["holder"] == buyer().address


def test_custody_csv_lineage_json_and_party(cli_env: dict[str, str], s: Scenario) -> None:
    held = _run(cli_env, "trace", s.number_a, "--custody", "--csv")
    assert held.returncode == 0, held.stderr
    rows = list(csv.DictReader(io.StringIO(held.stdout)))
    assert [(r["holder"], r["reason"]) for r in rows] == [
        (holder().address, "issued"),
        (buyer().address, "sale"),
        (holder().address, "inheritance"),
    ]
    graph = json.loads(_run(cli_env, "trace", s.number_p, "--lineage", "--json").stdout)
    assert {(e["from"], e["to"]) for e in graph["edges"]} == {(s.p, s.a), (s.p, s.b), (s.q, s.p)}
    party = _run(cli_env, "trace", "--party", buyer().address, "--csv")
    assert party.returncode == 0, party.stderr
    entries = list(csv.DictReader(io.StringIO(party.stdout)))
    assert [e["relation"] for e in entries] == ["holder", "pledgor", "licensor"]
    sales = _run(cli_env, "trace", "--party", buyer().address, "--reason", "sale")
    assert sales.returncode == 0, sales.stderr
    assert [line.split()[0] for line in sales.stdout.splitlines()[1:]] == ["holder"]


def test_bad_inputs_exit_2(cli_env: dict[str, str], s: Scenario) -> None:
    both = _run(
        cli_env, "trace", s.number_a, "--as-of-block", "1", "--as-of-time", "2026-01-01T00:00Z"
    )
    assert both.returncode == 2
    assert "not both" in both.stderr
    assert _run(cli_env, "trace", "--party", "0x1234").returncode == 2
    # a mixed-case address whose case is not its EIP-55 checksum: mistyped, one line, exit 2
    address = buyer().address
    letter = next(i for i, c in enumerate(address) if i > 1 and c.isalpha())
    mistyped = address[:letter] + address[letter].swapcase() + address[letter + 1 :]
    checksum = _run(cli_env, "trace", "--party", mistyped)
    assert checksum.returncode == 2
    assert checksum.stderr.count("\n") == 1
    assert "EIP-55 checksum" in checksum.stderr
    assert _run(cli_env, "trace", "--party", address.lower()).returncode == 0
    assert _run(cli_env, "trace").returncode == 2
    assert _run(cli_env, "trace", s.number_a, "--lineage", "--csv").returncode == 2
    naive = _run(cli_env, "trace", s.number_a, "--as-of-time", "2026-01-01T00:00:00")
    assert naive.returncode == 2
    unknown = _run(cli_env, "trace", s.number_a[:-1] + str((int(s.number_a[-1]) + 1) % 10))
    assert unknown.returncode == 2  # a wrong check digit is an input error
