"""Tests of the dfp1 fingerprint: committed vectors, a naive reference, properties and errors.

The committed vectors in ``tests/vectors/fingerprint_v1.json`` are checked three ways: against
the streaming implementation (building every case on disk), against the naive reference below
(in memory, recursive, no streaming) and, in ``test_fingerprint_js.py``, against an independent
Node.js implementation. To regenerate the file after a deliberate change of the case list
(never of the algorithm: dfp1 is frozen), run::

    .venv/bin/python tests/registry/evidence/test_fingerprint.py --write
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
import tempfile
import tracemalloc
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.errors import (
    EmptyDatasetError,
    PathNotFoundError,
    UnreadableFileError,
    UnsupportedFileError,
)
from registry.evidence import fingerprint as fp
from registry.evidence.fingerprint import (
    CHUNK_SIZE,
    FileEntry,
    audit_path,
    directory_entries,
    file_root,
    fingerprint_path,
    list_entries,
    mth,
    root_from_audit_path,
)
from registry.evidence.proof import InclusionProof, prove, verify

VECTORS_PATH = Path(__file__).resolve().parents[2] / "vectors" / "fingerprint_v1.json"
C = CHUNK_SIZE
RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# RFC 6962 reference data (certificate-transparency project test data): leaves, the roots of the
# first n leaves for n = 0..8, and inclusion paths as (index, tree size, path).
RFC6962_LEAVES = [
    bytes.fromhex(x)
    for x in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
RFC6962_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
RFC6962_PATHS = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


# --- the naive reference: in memory, recursive, straight from the specification ---------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def naive_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 MTH, recursively, over leaf data."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:]))


def naive_path(hashes: list[bytes], m: int) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]) over leaf hashes, recursively."""

    def subtree(items: list[bytes]) -> bytes:
        if len(items) == 1:
            return items[0]
        k = 1
        while k * 2 < len(items):
            k *= 2
        return sha256(b"\x01" + subtree(items[:k]) + subtree(items[k:]))

    if len(hashes) == 1:
        return []
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    if m < k:
        return [*naive_path(hashes[:k], m), subtree(hashes[k:])]
    return [*naive_path(hashes[k:], m - k), subtree(hashes[:k])]


def naive_file_root(data: bytes) -> bytes:
    chunks = [data[i : i + C] for i in range(0, len(data), C)] or [b""]
    return naive_mth(chunks)


def naive_fingerprint(files: Mapping[str, bytes], kind: str) -> str:
    """dfp1 from in-memory contents: ``files`` maps relative path to bytes."""
    tag = b"\x02dareg-dfp1"
    if kind == "file":
        (data,) = files.values()
        body = b"\x00" + len(data).to_bytes(8, "big") + naive_file_root(data)
        return "0x" + sha256(tag + body).hex()
    named = sorted(
        (unicodedata.normalize("NFC", path).encode("utf-8"), data) for path, data in files.items()
    )
    leaves = [
        len(name).to_bytes(4, "big") + name + len(data).to_bytes(8, "big") + naive_file_root(data)
        for name, data in named
    ]
    body = b"\x01" + len(leaves).to_bytes(8, "big") + naive_mth(leaves)
    return "0x" + sha256(tag + body).hex()


# --- building vector cases -----------------------------------------------------------------------


def content(spec: Mapping[str, Any]) -> bytes:
    """The bytes a vector file description stands for."""
    if "text" in spec:
        return str(spec["text"]).encode("utf-8")
    size = int(spec["size"])
    if spec["pattern"] == "repeat":
        return bytes([int(spec["byte"])]) * size
    if spec["pattern"] == "counter":
        period = bytes(range(251))
        return (period * (size // 251 + 1))[:size]
    raise ValueError(f"unknown pattern {spec['pattern']!r}")


def case_files(case: Mapping[str, Any]) -> dict[str, bytes]:
    return {str(spec["path"]): content(spec) for spec in case["files"]}


def build_case(case: Mapping[str, Any], base: Path) -> Path:
    """Materialises a vector case under ``base``; returns the dataset path."""
    if case["kind"] == "file":
        (spec,) = case["files"]
        target = base / str(spec["path"])
        target.write_bytes(content(spec))
        return target
    root = base / "dataset"
    root.mkdir()
    for directory in case.get("empty_dirs", []):
        (root / directory).mkdir(parents=True, exist_ok=True)
    for path, data in case_files(case).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def text(path: str, value: str) -> dict[str, Any]:
    return {"path": path, "text": value}


def repeat(path: str, byte: int, size: int) -> dict[str, Any]:
    return {"path": path, "pattern": "repeat", "byte": byte, "size": size}


def counter(path: str, size: int) -> dict[str, Any]:
    return {"path": path, "pattern": "counter", "size": size}


CASE_DEFINITIONS: list[dict[str, Any]] = [
    {"name": "empty file", "kind": "file", "files": [text("empty.bin", "")]},
    {"name": "one byte", "kind": "file", "files": [text("a.txt", "a")]},
    {"name": "short text", "kind": "file", "files": [text("hello.txt", "hello, world\n")]},
    {"name": "chinese name, name not bound", "kind": "file",
     "files": [text("客户.csv", "名称,金额\n张三,100\n")]},
    {"name": "C-1 bytes", "kind": "file", "files": [repeat("c-1.bin", 97, C - 1)]},
    {"name": "C bytes", "kind": "file", "files": [repeat("c.bin", 97, C)]},
    {"name": "C+1 bytes", "kind": "file", "files": [repeat("c+1.bin", 97, C + 1)]},
    {"name": "2C bytes", "kind": "file", "files": [counter("2c.bin", 2 * C)]},
    {"name": "3C+5 bytes", "kind": "file", "files": [counter("3c+5.bin", 3 * C + 5)]},
    {"name": "directory with one file", "kind": "directory", "files": [text("x", "hello")]},
    {
        "name": "nested directory",
        "kind": "directory",
        "files": [
            text("数据/客户.csv", "名称,金额\n张三,100\n李四,250\n"),
            counter("数据/2024/q1.bin", 5000),
            text("README.md", "# Dataset\n"),
            repeat("a/b/c/d.bin", 0, C + 1),
            text("empty.txt", ""),
            text("a/b/empty.txt", ""),
        ],
        "empty_dirs": ["空目录", "a/empty"],
    },
    {
        "name": "byte order of paths",
        "kind": "directory",
        "files": [
            text("a.txt", "1"), text("a/b", "2"), text("A", "3"), text("b", "4"),
            text("é.txt", "5"), text("a-b", "6"), text("Z", "7"), text("数", "8"),
            text("a0", "9"), text(".hidden", "10"), text("_", "11"),
        ],
    },
    {"name": "NFC names", "kind": "directory",
     "files": [text("café/résumé.txt", "cv\n"), text("naïve.txt", "x")]},
    {"name": "NFD names", "kind": "directory",
     "files": [text(unicodedata.normalize("NFD", "café/résumé.txt"), "cv\n"),
               text(unicodedata.normalize("NFD", "naïve.txt"), "x")]},
]  # fmt: skip


def proof_vectors(base: Path) -> list[dict[str, Any]]:
    """Proof documents over some cases, with the expected verification outcome."""
    by_name = {case["name"]: case for case in CASE_DEFINITIONS}
    out: list[dict[str, Any]] = []
    for label, case_name, member, chunk in [
        ("member of a directory", "nested directory", "数据/客户.csv", None),
        ("chunk 1 of a member", "nested directory", "a/b/c/d.bin", 1),
        ("chunk 2 of a single file", "3C+5 bytes", None, 2),
        ("member of 11 entries", "byte order of paths", "a/b", None),
    ]:
        where = base / label
        where.mkdir()
        dataset = build_case(by_name[case_name], where)
        proof = prove(dataset, member=None if member is None else Path(member), chunk=chunk)
        out.append({"name": label, "valid": True, "proof": proof.to_json()})
    tampered = json.loads(json.dumps(out[0]["proof"]))
    tampered["member"]["size"] += 1
    out.append({"name": "tampered size", "valid": False, "proof": tampered})
    tampered = json.loads(json.dumps(out[2]["proof"]))
    first = tampered["chunk"]["audit_path"][0]
    tampered["chunk"]["audit_path"][0] = first[:-1] + ("0" if first[-1] != "0" else "1")
    out.append({"name": "tampered chunk sibling", "valid": False, "proof": tampered})
    return out


def generate_vectors() -> dict[str, Any]:
    """Computes the vector file from :data:`CASE_DEFINITIONS` with the production code."""
    cases = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, case in enumerate(CASE_DEFINITIONS):
            base = Path(scratch) / str(number)
            base.mkdir()
            dataset = build_case(case, base)
            result = fingerprint_path(dataset)
            if case["kind"] == "file":
                root, size = file_root(dataset)
                entries = [FileEntry("", size, root)]
                tree_root = root
            else:
                entries = list(directory_entries(dataset))
                tree_root = mth(fp.entry_leaf(entry) for entry in entries)
            cases.append(
                {
                    **case,
                    "expected": {
                        "fingerprint": result.hex,
                        "root": "0x" + tree_root.hex(),
                        "total_size": result.total_size,
                        "entry_count": result.entry_count,
                        "entries": [
                            {"path": e.path, "size": e.size, "file_root": "0x" + e.file_root.hex()}
                            for e in entries
                        ],
                    },
                }
            )
        proofs = proof_vectors(Path(scratch))
    return {
        "algorithm": "dfp1",
        "chunk_size": C,
        "description": (
            "Test vectors of the dareg dataset fingerprint dfp1 (docs/fingerprint.md). Each case "
            "lists its files; a file's bytes are the UTF-8 of 'text', or 'size' copies of 'byte' "
            "for pattern 'repeat', or byte i = i mod 251 for pattern 'counter'. For kind 'file' "
            "the single file's name is not part of the fingerprint. 'empty_dirs' are created "
            "too and must not change anything. 'merkle' holds RFC 6962 reference data; 'proofs' "
            "holds inclusion proofs with their expected verification outcome."
        ),
        "cases": cases,
        "merkle": {
            "leaves": ["0x" + leaf.hex() for leaf in RFC6962_LEAVES],
            "roots": ["0x" + root for root in RFC6962_ROOTS],
            "inclusion": [
                {"index": i, "size": n, "path": ["0x" + h for h in path]}
                for i, n, path in RFC6962_PATHS
            ],
        },
        "proofs": proofs,
    }


def load_vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


VECTORS = load_vectors() if VECTORS_PATH.exists() else {"cases": [], "proofs": []}


# --- vectors -------------------------------------------------------------------------------------


def test_vector_file_matches_the_case_definitions() -> None:
    """The committed inputs are exactly the definitions (so regeneration is reproducible)."""
    assert VECTORS["algorithm"] == "dfp1"
    assert VECTORS["chunk_size"] == C == 1_048_576
    committed = [{k: v for k, v in case.items() if k != "expected"} for case in VECTORS["cases"]]
    assert committed == CASE_DEFINITIONS


def test_nfd_vector_really_is_decomposed() -> None:
    nfd = next(case for case in VECTORS["cases"] if case["name"] == "NFD names")
    nfc = next(case for case in VECTORS["cases"] if case["name"] == "NFC names")
    for spec in nfd["files"]:
        assert unicodedata.normalize("NFC", spec["path"]) != spec["path"]
    assert nfd["expected"]["fingerprint"] == nfc["expected"]["fingerprint"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_vector_with_streaming_implementation(case: dict[str, Any], tmp_path: Path) -> None:
    dataset = build_case(case, tmp_path)
    expected = case["expected"]
    result = fingerprint_path(dataset)
    assert result.hex == expected["fingerprint"]
    assert result.kind == case["kind"]
    assert result.total_size == expected["total_size"]
    assert result.entry_count == expected["entry_count"]
    if case["kind"] == "file":
        root, size = file_root(dataset)
        entries = [FileEntry("", size, root)]
    else:
        entries = list(directory_entries(dataset))
    got = [{"path": e.path, "size": e.size, "file_root": "0x" + e.file_root.hex()} for e in entries]
    assert got == expected["entries"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda case: case["name"])
def test_vector_with_naive_reference(case: dict[str, Any]) -> None:
    files = case_files(case)
    expected = case["expected"]
    assert naive_fingerprint(files, case["kind"]) == expected["fingerprint"]
    roots = {
        unicodedata.normalize("NFC", path) if case["kind"] == "directory" else "": naive_file_root(
            data
        )
        for path, data in files.items()
    }
    for entry in expected["entries"]:
        assert entry["file_root"] == "0x" + roots[entry["path"]].hex()


def test_vectors_cover_the_required_sizes_and_names() -> None:
    sizes = {len(data) for case in VECTORS["cases"] for data in case_files(case).values()}
    assert {0, 1, C - 1, C, C + 1, 3 * C + 5} <= sizes
    paths = {spec["path"] for case in VECTORS["cases"] for spec in case["files"]}
    assert "数据/客户.csv" in paths


@pytest.mark.parametrize("vector", VECTORS["proofs"], ids=lambda vector: vector["name"])
def test_proof_vectors(vector: dict[str, Any]) -> None:
    assert verify(InclusionProof.from_json(vector["proof"])).ok is vector["valid"]


def test_known_values_of_the_spec_examples() -> None:
    """Values quoted in docs/fingerprint.md, recomputed by the naive reference."""
    assert naive_file_root(b"") == sha256(b"\x00")
    assert sha256(b"\x00").hex() == RFC6962_ROOTS[1]
    empty = next(case for case in VECTORS["cases"] if case["name"] == "empty file")
    assert empty["expected"]["fingerprint"] == naive_fingerprint({"": b""}, "file")


# --- Merkle tree ---------------------------------------------------------------------------------


def test_mth_matches_rfc6962_reference_roots() -> None:
    for n, root in enumerate(RFC6962_ROOTS):
        assert mth(RFC6962_LEAVES[:n]).hex() == root


@pytest.mark.parametrize(("index", "size", "path"), RFC6962_PATHS)
def test_audit_path_matches_rfc6962_reference_paths(index: int, size: int, path: list[str]) -> None:
    hashes = [sha256(b"\x00" + leaf) for leaf in RFC6962_LEAVES[:size]]
    assert [node.hex() for node in audit_path(hashes, index)] == path
    root = root_from_audit_path(hashes[index], index, size, [bytes.fromhex(h) for h in path])
    assert root.hex() == RFC6962_ROOTS[size]


def test_streaming_mth_equals_recursive_definition_for_1_to_70_leaves() -> None:
    leaves = [i.to_bytes(2, "big") * (i % 5) for i in range(70)]
    for n in range(1, 71):
        assert mth(leaves[:n]) == naive_mth(leaves[:n]), n


def test_audit_paths_for_every_leaf_of_trees_up_to_40() -> None:
    for n in range(1, 41):
        hashes = [sha256(b"\x00" + bytes([i])) for i in range(n)]
        root = naive_mth([bytes([i]) for i in range(n)])
        for m in range(n):
            path = audit_path(hashes, m)
            assert path == naive_path(hashes, m)
            assert root_from_audit_path(hashes[m], m, n, path) == root
            if n > 1:
                assert not folds_to(root, hashes[m], (m + 1) % n, n, path)
                # No check of a wrong tree size here: an RFC 6962 path alone does not pin the
                # size (leaf 0 of 3 and of 4 share a path), which is why dfp1 hashes the entry
                # count into the fingerprint and derives the chunk count from the bound size.
                assert not folds_to(root, hashes[(m + 1) % n], m, n, path)


def folds_to(root: bytes, leaf: bytes, index: int, size: int, path: list[bytes]) -> bool:
    try:
        return root_from_audit_path(leaf, index, size, path) == root
    except ValueError:
        return False


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=80))
def test_mth_property(leaves: list[bytes]) -> None:
    assert mth(leaves) == naive_mth(leaves)


def test_root_from_audit_path_rejects_bad_shapes() -> None:
    hashes = [sha256(bytes([i])) for i in range(5)]
    path = audit_path(hashes, 1)
    with pytest.raises(ValueError, match="outside"):
        root_from_audit_path(hashes[1], 5, 5, path)
    with pytest.raises(ValueError, match="longer"):
        root_from_audit_path(hashes[1], 1, 5, [*path, hashes[0]])
    with pytest.raises(ValueError, match="shorter"):
        root_from_audit_path(hashes[1], 1, 5, path[:-1])
    with pytest.raises(ValueError, match="outside"):
        audit_path(hashes, 5)


# --- properties ----------------------------------------------------------------------------------


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_renaming_a_single_file_keeps_its_fingerprint(tmp_path: Path) -> None:
    original = write(tmp_path / "report.csv", b"a,b\n1,2\n")
    before = fingerprint_path(original)
    renamed = original.rename(tmp_path / "other name.txt")
    assert fingerprint_path(renamed) == before
    assert before.kind == "file"
    assert before.entry_count == 1
    assert before.total_size == 8


def test_renaming_or_moving_a_file_in_a_directory_changes_it(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write(root / "a.txt", b"alpha")
    write(root / "sub" / "b.txt", b"beta")
    before = fingerprint_path(root).value
    (root / "a.txt").rename(root / "c.txt")
    renamed = fingerprint_path(root).value
    (root / "c.txt").rename(root / "sub" / "c.txt")
    moved = fingerprint_path(root).value
    assert len({before, renamed, moved}) == 3


@pytest.mark.parametrize("offset", [0, C - 1, C, 2 * C + 2])
def test_one_flipped_byte_changes_it(tmp_path: Path, offset: int) -> None:
    data = bytearray(content({"pattern": "counter", "size": 2 * C + 3}))
    original = fingerprint_path(write(tmp_path / "f.bin", bytes(data)))
    data[offset] ^= 0x01
    assert fingerprint_path(write(tmp_path / "f.bin", bytes(data))) != original
    directory = tmp_path / "d"
    write(directory / "x" / "f.bin", bytes(data))
    before = fingerprint_path(directory)
    data[offset] ^= 0x01
    write(directory / "x" / "f.bin", bytes(data))
    assert fingerprint_path(directory) != before


def test_nfc_and_nfd_names_give_the_same_fingerprint(tmp_path: Path) -> None:
    name = "Übersicht/café résumé.txt"
    write(tmp_path / "nfc" / unicodedata.normalize("NFC", name), b"x")
    write(tmp_path / "nfd" / unicodedata.normalize("NFD", name), b"x")
    assert fingerprint_path(tmp_path / "nfc") == fingerprint_path(tmp_path / "nfd")
    (nfd_entry,) = list_entries(tmp_path / "nfd")
    assert nfd_entry[0] == unicodedata.normalize("NFC", name)


def test_order_of_creation_does_not_matter(tmp_path: Path) -> None:
    names = ["b/2.txt", "a.txt", "b/1.txt", "数据/x", "z", "a/y"]
    for label, order in [("one", names), ("two", list(reversed(names)))]:
        for name in order:
            write(tmp_path / label / name, name.encode())
    assert fingerprint_path(tmp_path / "one") == fingerprint_path(tmp_path / "two")


def test_empty_subdirectories_and_content_of_directories_do_not_count(tmp_path: Path) -> None:
    write(tmp_path / "d" / "f", b"data")
    before = fingerprint_path(tmp_path / "d")
    (tmp_path / "d" / "empty" / "deeper").mkdir(parents=True)
    assert fingerprint_path(tmp_path / "d") == before


def test_file_and_directory_of_that_file_differ(tmp_path: Path) -> None:
    single = write(tmp_path / "d" / "f", b"data")
    assert fingerprint_path(single).value != fingerprint_path(tmp_path / "d").value


def test_list_entries_is_sorted_by_utf8_bytes(tmp_path: Path) -> None:
    for name in ["b", "a/b", "a.txt", "é", "Z", "数"]:
        write(tmp_path / name, b"")
    listed = [relative for relative, _ in list_entries(tmp_path)]
    assert listed == ["Z", "a.txt", "a/b", "b", "é", "数"]
    assert [real for _, real in list_entries(tmp_path)][2] == tmp_path / "a" / "b"


def test_progress_reports_every_byte(tmp_path: Path) -> None:
    write(tmp_path / "d" / "big", content({"pattern": "counter", "size": 3 * C + 5}))
    write(tmp_path / "d" / "small", b"12345")
    seen: list[int] = []
    result = fingerprint_path(tmp_path / "d", on_progress=seen.append)
    assert sum(seen) == result.total_size == 3 * C + 10
    assert max(seen) == C


def test_fingerprint_text_form(tmp_path: Path) -> None:
    result = fingerprint_path(write(tmp_path / "f", b"x"))
    assert result.hex.startswith("0x")
    assert len(result.hex) == 66
    assert result.hex == result.hex.lower()
    assert bytes.fromhex(result.hex[2:]) == result.value


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_worker_count_does_not_change_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    data = content({"pattern": "counter", "size": 9 * C + 7})
    path = write(tmp_path / "f", data)
    monkeypatch.setattr(fp, "_HASH_WORKERS", workers)
    assert fingerprint_path(path).hex == naive_fingerprint({"": data}, "file")


def test_memory_stays_constant_on_a_64_mib_file(tmp_path: Path) -> None:
    size = 64 * C
    sparse = tmp_path / "sparse.bin"
    with sparse.open("wb") as handle:
        handle.truncate(size)
    tracemalloc.start()
    try:
        result = fingerprint_path(sparse)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * C, f"peak allocation {peak} bytes is not constant-memory"
    zero_chunk = bytes(C)
    body = b"\x00" + size.to_bytes(8, "big") + naive_mth([zero_chunk] * 64)
    assert result.value == sha256(b"\x02dareg-dfp1" + body)


# --- errors --------------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(PathNotFoundError, match="nope does not exist"):
        fingerprint_path(missing)


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(EmptyDatasetError, match="contains no regular files"):
        fingerprint_path(tmp_path)


def test_directory_with_only_empty_subdirectories(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "c").mkdir()
    with pytest.raises(EmptyDatasetError, match=re.escape(str(tmp_path))):
        fingerprint_path(tmp_path)


@pytest.mark.skipif(RUNNING_AS_ROOT, reason="root reads files whatever their permissions")
def test_unreadable_file_by_permissions(tmp_path: Path) -> None:
    secret = write(tmp_path / "d" / "secret.csv", b"x")
    secret.chmod(0)
    try:
        with pytest.raises(UnreadableFileError, match=r"secret\.csv"):
            fingerprint_path(tmp_path / "d")
    finally:
        secret.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_permission_denied_on_open_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs as root too: the EACCES an unprivileged user would get is injected into os.open."""
    secret = write(tmp_path / "d" / "secret.csv", b"x")
    write(tmp_path / "d" / "open.csv", b"y")
    real_open = os.open

    def deny(path: Any, flags: int, *args: Any) -> int:
        if Path(path) == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(UnreadableFileError) as caught:
        fingerprint_path(tmp_path / "d")
    assert str(caught.value) == f"{secret} cannot be opened: Permission denied."


@pytest.mark.skipif(RUNNING_AS_ROOT, reason="root lists directories whatever their permissions")
def test_unlistable_directory_by_permissions(tmp_path: Path) -> None:
    write(tmp_path / "d" / "ok", b"x")
    locked = tmp_path / "d" / "locked"
    write(locked / "f", b"x")
    locked.chmod(0)
    try:
        with pytest.raises(UnreadableFileError, match="locked"):
            fingerprint_path(tmp_path / "d")
    finally:
        locked.chmod(stat.S_IRWXU)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_io_error_while_reading() -> None:
    """/proc/self/mem is a regular file whose read at offset 0 fails with EIO, even for root."""
    with pytest.raises(UnreadableFileError, match="/proc/self/mem cannot be read"):
        fingerprint_path(Path("/proc/self/mem"))


def test_file_vanishing_after_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "d" / "a", b"1")
    doomed = write(tmp_path / "d" / "b", b"2")
    real_list_entries = fp.list_entries

    def list_then_delete(directory: Path) -> list[tuple[str, Path]]:
        listing = real_list_entries(directory)
        doomed.unlink()
        return listing

    monkeypatch.setattr(fp, "list_entries", list_then_delete)
    with pytest.raises(UnreadableFileError, match=r"/b disappeared"):
        fingerprint_path(tmp_path / "d")


def test_file_changing_size_while_read(tmp_path: Path) -> None:
    path = write(tmp_path / "growing", bytes(12 * C))
    grown: list[int] = []

    def grow_once(_: int) -> None:
        if not grown:
            grown.append(C)
            with path.open("ab") as handle:
                handle.write(bytes(C))

    with pytest.raises(UnreadableFileError, match="changed size while it was being read"):
        fingerprint_path(path, on_progress=grow_once)


def test_symlinks_are_refused(tmp_path: Path) -> None:
    target = write(tmp_path / "target.txt", b"x")
    write(tmp_path / "d" / "real", b"y")
    (tmp_path / "d" / "link").symlink_to(target)
    with pytest.raises(UnsupportedFileError, match="link is a symbolic link"):
        fingerprint_path(tmp_path / "d")
    with pytest.raises(UnsupportedFileError, match="symbolic link"):
        fingerprint_path(tmp_path / "d" / "link")
    (tmp_path / "d" / "link").unlink()
    (tmp_path / "d" / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(UnsupportedFileError, match="dirlink is a symbolic link"):
        fingerprint_path(tmp_path / "d")


def test_symlink_swapped_in_after_listing_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = write(tmp_path / "d" / "f", b"y")
    outside = write(tmp_path / "outside", b"secret")
    real_list_entries = fp.list_entries

    def list_then_swap(directory: Path) -> list[tuple[str, Path]]:
        listing = real_list_entries(directory)
        victim.unlink()
        victim.symlink_to(outside)
        return listing

    monkeypatch.setattr(fp, "list_entries", list_then_swap)
    with pytest.raises(UnsupportedFileError, match="symbolic link"):
        fingerprint_path(tmp_path / "d")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_are_refused_without_blocking(tmp_path: Path) -> None:
    write(tmp_path / "d" / "f", b"y")
    os.mkfifo(tmp_path / "d" / "pipe")
    with pytest.raises(UnsupportedFileError, match="pipe is a special file"):
        fingerprint_path(tmp_path / "d")
    with pytest.raises(UnsupportedFileError, match="special file"):
        fingerprint_path(tmp_path / "d" / "pipe")
    with pytest.raises(UnsupportedFileError, match="special file"):
        file_root(tmp_path / "d" / "pipe")


def test_device_is_refused() -> None:
    with pytest.raises(UnsupportedFileError, match="/dev/null is a special file"):
        fingerprint_path(Path("/dev/null"))


def test_non_utf8_name_is_refused(tmp_path: Path) -> None:
    directory = write(tmp_path / "d" / "fine", b"x").parent
    try:
        fd = os.open(os.fsencode(directory) + b"/bad\xff.csv", os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError as error:  # some filesystems insist on valid UTF-8 names
        pytest.skip(f"the filesystem refuses non-UTF-8 names: {error}")
    os.close(fd)
    with pytest.raises(UnsupportedFileError, match="not valid UTF-8"):
        fingerprint_path(directory)


def test_names_colliding_after_normalisation_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "d" / unicodedata.normalize("NFC", "café"), b"1")
    try:
        write(tmp_path / "d" / unicodedata.normalize("NFD", "café"), b"2")
    except OSError as error:
        pytest.skip(f"the filesystem normalises names itself: {error}")
    if len(os.listdir(tmp_path / "d")) != 2:
        pytest.skip("the filesystem normalises names itself")
    with pytest.raises(UnsupportedFileError, match="same name after Unicode NFC normalisation"):
        fingerprint_path(tmp_path / "d")


def test_file_root_refuses_directories(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match="is a directory"):
        file_root(tmp_path)
    with pytest.raises(UnsupportedFileError, match="is not a directory"):
        list_entries(write(tmp_path / "f", b""))


def test_errors_are_one_sentence_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(EmptyDatasetError) as caught:
        fingerprint_path(tmp_path)
    message = str(caught.value)
    assert str(tmp_path) in message
    assert message.endswith(".")
    assert "\n" not in message
    assert caught.value.details == {"path": str(tmp_path)}


# --- regenerating the vectors --------------------------------------------------------------------


def _main(arguments: list[str]) -> int:
    if arguments != ["--write"]:
        print(f"usage: {sys.argv[0]} --write")
        return 2
    text = json.dumps(generate_vectors(), ensure_ascii=False, indent=2) + "\n"
    VECTORS_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {VECTORS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
