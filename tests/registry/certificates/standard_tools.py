"""Run credentials through tools nobody on dareg wrote: Veramo's EIP-712 credential verifier and
MetaMask's eth-sig-util (tests/js/veramo_verify.mjs), plus the documented checks (low-s, types
derived from the credential) that the bare tools leave out."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tests" / "js" / "veramo_verify.mjs"

LeafPath = tuple[str | int, ...]


def standard_tools(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per credential: ``veramo`` {verified, error}, ``ethSigUtil`` {recovered, error},
    ``issuer``, ``recovered``, ``lowS``, ``typesMatch`` and ``procedure`` (the documented
    verdict: both tools recover the issuer, low-s, the types are the derived ones)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (scripts/bootstrap installs it)")
    completed = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(credentials, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=REPO,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    assert len(results) == len(credentials)
    return results


def leaves(value: Any, path: LeafPath = ()) -> Iterator[LeafPath]:
    """Paths of every leaf: scalars, and empty lists or objects."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


def altered(value: Any) -> Any:
    """A different value of the same kind (dates stay dates, hex stays hex, numbers numbers)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        for i in range(len(value) - 1, -1, -1):
            if value[i].isdigit():
                return value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :]
        return value + "x"
    if value == []:
        return ["altered"]
    raise AssertionError(f"unexpected leaf {value!r}")


def with_leaf(credential: dict[str, Any], path: LeafPath) -> dict[str, Any]:
    """A copy of ``credential`` with the leaf at ``path`` altered."""
    changed = copy.deepcopy(credential)
    node: Any = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = altered(node[path[-1]])
    return changed
