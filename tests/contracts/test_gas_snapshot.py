"""Gas figures may not grow unexplained; the gas goals hold; every contract fits EIP-170.

The figures are measured by ``bench/bench_gas.py`` itself (imported, not copied) on its own
pinned-clock anvil, so they are exactly those in the committed ``gas-snapshot.json``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from registry.artifacts import DEPLOYED_CONTRACTS, load_artifact
from registry.chain.client import ChainClient
from registry.domain.deployment import DeploymentManifest
from registry.settings import Settings

REPO = Path(__file__).resolve().parents[2]
EIP170_LIMIT = 24_576

pytestmark = pytest.mark.slow


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_gas", REPO / "bench" / "bench_gas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_gas"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.fixture(scope="module")
def figures() -> dict[str, int]:
    measured: dict[str, int] = bench.measure()
    return measured


def test_no_gas_figure_grew_beyond_the_snapshot(figures: dict[str, int]) -> None:
    snapshot = bench.load_snapshot()
    assert snapshot, "gas-snapshot.json is missing: run `bench/bench_gas.py --update`"
    problems = bench.regressions(figures, snapshot)
    assert not problems, (
        f"gas grew beyond gas-snapshot.json (by more than {bench.TOLERANCE_GAS} gas):\n  "
        + "\n  ".join(problems)
        + "\nIf the increase is intended, run `.venv/bin/python bench/bench_gas.py --update` "
        "and explain the increase in the commit message."
    )


def test_the_snapshot_lists_exactly_the_measured_figures(figures: dict[str, int]) -> None:
    assert set(bench.load_snapshot()) == set(figures) == set(bench.LABELS)


def test_gas_goals(figures: dict[str, int]) -> None:
    r = bench.ratios(figures)
    assert r.single_issue_vs_baseline <= bench.SINGLE_ISSUE_GOAL, (
        f"single issuance costs {figures['issue']} gas, "
        f"{r.single_issue_vs_baseline:.3f} x the baseline mint ({figures['baseline_mint']})"
    )
    per_certificate = figures["issueBatch100_one_holder"] / bench.BATCH
    assert r.batch_one_holder_vs_single <= bench.BATCH_GOAL, (
        f"batch issuance costs {per_certificate:.0f} gas per certificate, "
        f"{r.batch_one_holder_vs_single:.3f} x single issuance ({figures['issue']})"
    )


def test_figures_are_internally_consistent(figures: dict[str, int]) -> None:
    parts = ("submitApplication", "accept", "openNotice", "issue")
    assert figures["full_path"] == sum(figures[p] for p in parts)
    # a holder's first certificate pays for a fresh ERC-721 balance slot: SSTORE 0 -> 1 costs
    # 22,100 against 5,000 for 1 -> 2 (give or take the data-dependent check-digit loop)
    assert abs(figures["issue"] - figures["issue_existing_holder"] - 17_100) <= 100
    assert figures["issueBatch100_distinct_holders"] > figures["issueBatch100_one_holder"]


def test_regressions_flags_growth_and_unknown_figures_only() -> None:
    snapshot = {"issue": 100_000, "accept": 30_000}
    within = 100_000 + bench.TOLERANCE_GAS
    assert bench.regressions({"issue": within, "accept": 29_000}, snapshot) == []
    grown = bench.regressions({"issue": within + 1, "accept": 30_000}, snapshot)
    assert len(grown) == 1
    assert grown[0].startswith(f"issue: {within + 1} gas, snapshot 100000 (+{within - 99_999},")
    assert bench.regressions({"openNotice": 1}, snapshot) == [
        "openNotice: 1 is not in the snapshot"
    ]


@pytest.mark.parametrize("name", DEPLOYED_CONTRACTS)
def test_deployed_code_is_below_the_eip170_limit(
    name: str, chain: ChainClient, deployment: DeploymentManifest
) -> None:
    artifact = load_artifact(Settings().artifacts_dir, name)
    size = len(artifact.deployed_bytecode)
    assert 0 < size < EIP170_LIMIT, f"{name} runtime code is {size} bytes"
    on_chain = chain.rpc("eth_getCode", [deployment.address_of(name), "latest"])
    assert (len(on_chain) - 2) // 2 == size  # what was deployed is what was measured
