"""Gas figures may not grow unexplained; the gas goals hold; every contract is at most 20 KB.

The figures are measured by ``bench/bench_gas.py`` itself (imported, not copied) on its own
pinned-clock anvil, so they are exactly those in the committed ``gas-snapshot.json``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from registry.artifacts import DEPLOYED_CONTRACTS, PROXY_CONTRACT, load_artifact
from registry.chain.client import ChainClient
from registry.domain.deployment import DeploymentManifest
from registry.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SIZE_LIMIT = 20_480  # issue 13: room to grow below EIP-170's 24,576

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
    assert r.licence_500th_vs_1st <= bench.LICENCE_SCALE_GOAL, (
        f"the 500th licence on one certificate costs {figures['grant_licence_500th']} gas, "
        f"the 1st {figures['grant_licence_1st']}: {100 * r.licence_500th_vs_1st:.2f} % apart"
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


def _linked_libraries(name: str) -> set[str]:
    """The libraries ``name``'s artifact links (its deployed code's link references)."""
    found = set()
    for path in (Settings().artifacts_dir / "contracts").rglob(f"{name}.json"):
        references = json.loads(path.read_text(encoding="utf-8")).get("deployedLinkReferences", {})
        found |= {library for libraries in references.values() for library in libraries}
    return found


def _registry_still_compiled_apart() -> bool:
    """DataAssetRegistry's TEMPORARY optimizer override (until its code is split up) is in place."""
    config = (REPO / "hardhat.config.js").read_text(encoding="utf-8")
    return "TEMPORARY" in config and '"contracts/DataAssetRegistry.sol"' in config


def _sized(name: str) -> object:
    if name != "DataAssetRegistry":
        return name
    return pytest.param(
        name,
        marks=pytest.mark.xfail(
            _registry_still_compiled_apart(),
            reason="DataAssetRegistry is split below the limit by its owner's branch",
            strict=True,
            raises=AssertionError,
        ),
    )


@pytest.mark.parametrize("name", [_sized(n) for n in DEPLOYED_CONTRACTS])
def test_every_deployed_contract_is_at_most_20480_bytes(
    name: str, chain: ChainClient, deployment: DeploymentManifest
) -> None:
    """Room to grow: every deployed contract, its proxy and every library it links stay at most
    20,480 bytes (EIP-170 allows 24,576). Behind a proxy it is the implementation that counts."""
    artifacts_dir = Settings().artifacts_dir
    deployed = deployment.contracts[name]
    address = deployed.implementation or deployed.address
    size = len(load_artifact(artifacts_dir, name).deployed_bytecode)
    on_chain = chain.rpc("eth_getCode", [address, "latest"])
    assert (len(on_chain) - 2) // 2 == size  # what was deployed is what is measured
    if deployed.implementation is not None:
        proxy = len(load_artifact(artifacts_dir, PROXY_CONTRACT).deployed_bytecode)
        assert (len(chain.rpc("eth_getCode", [deployed.address, "latest"])) - 2) // 2 == proxy
    for library in _linked_libraries(name):
        library_size = len(load_artifact(artifacts_dir, library).deployed_bytecode)
        assert 0 < library_size <= SIZE_LIMIT, f"{name} links {library}: {library_size} bytes"
    assert 0 < size <= SIZE_LIMIT, f"{name} runtime code is {size} bytes"
