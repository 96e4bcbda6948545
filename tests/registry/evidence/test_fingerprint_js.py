"""Cross-checks the committed dfp1 vectors with the independent Node.js implementation."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tests" / "js" / "fingerprint_dfp1.mjs"
VECTORS = REPO / "tests" / "vectors" / "fingerprint_v1.json"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def run_js(vectors: Path | None = None) -> tuple[int, dict[str, Any]]:
    """Runs the JS checker; returns its exit code and its JSON report."""
    assert NODE is not None
    command = [NODE, str(SCRIPT), *([str(vectors)] if vectors else [])]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.stderr == "", completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return completed.returncode, report


def expected_check_count(vectors: dict[str, Any]) -> int:
    per_case = 5  # fingerprint, root, total_size, entry_count, entries
    merkle = vectors["merkle"]
    return (
        per_case * len(vectors["cases"])
        + len(merkle["roots"])
        + 2 * len(merkle["inclusion"])
        + len(vectors["proofs"])
    )


def test_js_implementation_agrees_with_every_vector() -> None:
    code, report = run_js()
    assert report["failures"] == []
    assert report["ok"] is True
    assert code == 0
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert report["checked"] == expected_check_count(vectors)


def test_js_implementation_detects_wrong_vectors(tmp_path: Path) -> None:
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    case = vectors["cases"][-1]
    case["expected"]["fingerprint"] = "0x" + "00" * 32
    vectors["proofs"][0]["valid"] = False
    vectors["proofs"][-1]["valid"] = True
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(vectors, ensure_ascii=False), encoding="utf-8")
    code, report = run_js(broken)
    assert code == 1
    assert report["ok"] is False
    failed = {failure["check"] for failure in report["failures"]}
    assert failed == {
        f"case {case['name']}: fingerprint",
        f"proof {vectors['proofs'][0]['name']}",
        f"proof {vectors['proofs'][-1]['name']}",
    }
