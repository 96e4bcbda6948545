"""scripts/check-upgrades: CI fails on an upgrade-unsafe contract or an incompatible layout.

The script is run as CI runs it (``node scripts/check-upgrades.js``, on the build the session
compiled; ``scripts/check-upgrades`` only compiles first), on the real build-info.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from registry.artifacts import DEPLOYED_CONTRACTS, FORWARDER_CONTRACT

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check-upgrades.js"
NODE = shutil.which("node")
AUTHORITY = "contracts/governance/RegistryAuthority.sol:RegistryAuthority"
NAMESPACE = "erc7201:dareg.storage.RegistryAuthority"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(NODE is None, reason="node is not installed")]


def check(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, str(SCRIPT), *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_upgradeable_contract_is_upgrade_safe(tmp_path: Path) -> None:
    result = check("--references", tmp_path / "none")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in DEPLOYED_CONTRACTS:
        if name != FORWARDER_CONTRACT:
            assert f":{name}\n" in result.stdout, name  # detected as upgradeable, and passed
    assert "UnsafeUpgradeFixture" not in result.stdout  # the deliberately unsafe fixture: left out


def test_an_unsafe_contract_fails_the_check() -> None:
    """A state variable assigned where it is declared never reaches the proxy's storage."""
    result = check("--contract", "UnsafeUpgradeFixture")
    assert result.returncode == 1
    assert "UnsafeUpgradeFixture" in result.stdout
    assert "Variable `_limit` is assigned an initial value" in result.stdout
    assert "FAILED" in result.stdout


def test_a_recorded_release_holds_every_upgradeable_contract_but_test_only_ones(
    tmp_path: Path,
) -> None:
    result = check("--references", tmp_path, "--record", "v2.0.0")
    assert result.returncode == 0, result.stdout + result.stderr
    release = json.loads((tmp_path / "v2.0.0.json").read_text(encoding="utf-8"))
    assert release["release"] == "v2.0.0"
    names = sorted(name.split(":")[1] for name in release["contracts"])
    assert names == sorted(n for n in DEPLOYED_CONTRACTS if n != FORWARDER_CONTRACT)
    assert NAMESPACE in release["contracts"][AUTHORITY]["namespaces"]
    # the same build is compatible with it; a release is recorded once
    again = check("--references", tmp_path)
    assert again.returncode == 0, again.stdout
    assert f"✔ {AUTHORITY}: storage layout compatible with v2.0.0" in again.stdout
    twice = check("--references", tmp_path, "--record", "v2.0.0")
    assert twice.returncode == 1
    assert "a release is recorded once" in twice.stderr


def test_a_layout_incompatible_with_a_recorded_release_fails_the_check(tmp_path: Path) -> None:
    """As if the current version had dropped the first field of the authority's namespace (or
    inserted one before the others): every later field would read another's slot."""
    assert check("--references", tmp_path, "--record", "v2.0.0").returncode == 0
    path = tmp_path / "v2.0.0.json"
    release = json.loads(path.read_text(encoding="utf-8"))
    fields = release["contracts"][AUTHORITY]["namespaces"][NAMESPACE]
    fields.insert(0, {**fields[0], "label": "retiredCodes", "type": "t_uint16"})
    path.write_text(json.dumps(release), encoding="utf-8")
    result = check("--references", tmp_path)
    assert result.returncode == 1
    assert f"✘ {AUTHORITY}: storage layout incompatible with v2.0.0" in result.stdout
    assert "Deleted `retiredCodes`" in result.stdout


def test_a_released_contract_that_disappears_fails_the_check(tmp_path: Path) -> None:
    assert check("--references", tmp_path, "--record", "v2.0.0").returncode == 0
    path = tmp_path / "v2.0.0.json"
    release = json.loads(path.read_text(encoding="utf-8"))
    release["contracts"]["contracts/Gone.sol:Gone"] = release["contracts"][AUTHORITY]
    path.write_text(json.dumps(release), encoding="utf-8")
    result = check("--references", tmp_path)
    assert result.returncode == 1
    assert "contracts/Gone.sol:Gone (released in v2.0.0) is gone" in result.stdout
