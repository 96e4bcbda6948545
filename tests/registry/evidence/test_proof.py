"""Tests of dfp1 inclusion proofs: round trips, tampering, malformed documents, prove errors."""

from __future__ import annotations

import copy
import json
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.errors import (
    InputError,
    MalformedProofError,
    PathNotFoundError,
    UnsupportedFileError,
)
from registry.evidence.fingerprint import CHUNK_SIZE, fingerprint_path
from registry.evidence.proof import (
    ChunkProof,
    InclusionProof,
    MemberProof,
    prove,
    verify,
)

C = CHUNK_SIZE


def counter_bytes(size: int, seed: int = 0) -> bytes:
    period = bytes((i + seed) % 256 for i in range(251))
    return (period * (size // 251 + 1))[:size]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def chunk_of(data: bytes, index: int) -> bytes:
    return data[index * C : (index + 1) * C]


def accepted(document: dict[str, Any], **kwargs: Any) -> bool:
    """Whether a proof document parses and verifies (a malformed one counts as rejected)."""
    try:
        proof = InclusionProof.from_json(document)
    except MalformedProofError:
        return False
    return verify(proof, **kwargs).ok


def json_round_trip(proof: InclusionProof) -> InclusionProof:
    return InclusionProof.from_json(json.loads(json.dumps(proof.to_json())))


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "dataset"
    write(root / "数据" / "客户.csv", "名称,金额\n张三,100\n".encode())
    write(root / "big.bin", counter_bytes(2 * C + 17))
    write(root / "a" / "b.txt", b"bee")
    write(root / "empty", b"")
    return root


# --- round trips ---------------------------------------------------------------------------------


def test_member_file_round_trip(dataset: Path) -> None:
    proof = prove(dataset, member=Path("数据/客户.csv"))
    assert proof.fingerprint == fingerprint_path(dataset).hex
    assert proof.kind == "directory"
    assert proof.member.path == "数据/客户.csv"
    assert proof.member.entry_count == 4
    assert proof.chunk is None
    parsed = json_round_trip(proof)
    assert parsed == proof
    result = verify(parsed, member_file=dataset / "数据" / "客户.csv")
    assert result.ok, result.reason
    assert "'数据/客户.csv'" in result.reason
    assert verify(parsed).ok


def test_member_whose_name_starts_with_two_dots(dataset: Path) -> None:
    write(dataset / "..notes.txt", b"n")
    proof = prove(dataset, member=Path("..notes.txt"))
    assert proof.member.path == "..notes.txt"
    assert verify(proof).ok


def test_member_given_as_absolute_path(dataset: Path) -> None:
    absolute = prove(dataset, member=(dataset / "a" / "b.txt").resolve())
    relative = prove(dataset, member=Path("a/b.txt"))
    assert absolute == relative


@pytest.mark.parametrize("index", [0, 1, 2])
def test_chunk_of_member_round_trip(dataset: Path, index: int) -> None:
    data = (dataset / "big.bin").read_bytes()
    proof = json_round_trip(prove(dataset, member=Path("big.bin"), chunk=index))
    assert proof.chunk is not None
    assert proof.chunk.count == 3
    result = verify(proof, member_file=dataset / "big.bin", chunk_bytes=chunk_of(data, index))
    assert result.ok, result.reason
    assert result.reason.startswith(f"Verified: chunk {index} of 3 belongs to the file 'big.bin'")
    assert not verify(proof, chunk_bytes=chunk_of(data, (index + 1) % 3)).ok


@pytest.mark.parametrize(
    ("size", "index"), [(0, 0), (1, 0), (C, 0), (3 * C + 5, 0), (3 * C + 5, 3)]
)
def test_chunk_of_single_file_round_trip(tmp_path: Path, size: int, index: int) -> None:
    data = counter_bytes(size)
    path = write(tmp_path / "file.bin", data)
    proof = json_round_trip(prove(path, chunk=index))
    assert proof.kind == "file"
    assert proof.fingerprint == fingerprint_path(path).hex
    assert proof.member.path == ""
    result = verify(proof, chunk_bytes=chunk_of(data, index))
    assert result.ok, result.reason
    assert verify(proof, member_file=path, chunk_bytes=chunk_of(data, index)).ok


def test_single_file_without_chunk_and_with_itself_as_member(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", b"1,2\n")
    proof = prove(path, member=path)
    assert proof == prove(path)
    assert verify(proof, member_file=path).ok
    other = write(tmp_path / "g.csv", b"1,3\n")
    result = verify(proof, member_file=other)
    assert not result.ok
    assert result.reason == f"The content of {other} does not match the proof's file root."


@pytest.mark.parametrize("count", [1, 2, 1000])
def test_datasets_of_1_2_and_1000_files(tmp_path: Path, count: int) -> None:
    root = tmp_path / "many"
    for i in range(count):
        write(root / f"part-{i // 100}" / f"{i:04d}.txt", f"row {i}\n".encode())
    expected = fingerprint_path(root).hex
    for i in sorted({0, count // 2, count - 1}):
        member = Path(f"part-{i // 100}/{i:04d}.txt")
        proof = json_round_trip(prove(root, member=member))
        assert proof.fingerprint == expected
        assert proof.member.index == i
        assert proof.member.entry_count == count
        assert len(proof.member.audit_path) <= (count - 1).bit_length()
        assert verify(proof, member_file=root / member).ok


def test_verification_needs_nothing_but_the_proof(tmp_path: Path, dataset: Path) -> None:
    member = write(tmp_path / "copy.csv", (dataset / "数据" / "客户.csv").read_bytes())
    proof = prove(dataset, member=Path("数据/客户.csv"))
    shutil.rmtree(dataset)
    assert verify(proof, member_file=member).ok


def test_nfd_member_name_is_normalised(tmp_path: Path) -> None:
    name = unicodedata.normalize("NFD", "résumé.txt")
    write(tmp_path / "d" / name, b"cv")
    write(tmp_path / "d" / "other", b"x")
    proof = prove(tmp_path / "d", member=Path(name))
    assert proof.member.path == unicodedata.normalize("NFC", name)
    assert verify(proof).ok


def test_json_document_shape(dataset: Path) -> None:
    document = prove(dataset, member=Path("big.bin"), chunk=1).to_json()
    assert set(document) == {
        "type", "algorithm", "chunk_size", "fingerprint", "kind", "member", "chunk"
    }  # fmt: skip
    assert document["type"] == "dareg-inclusion-proof"
    assert document["algorithm"] == "dfp1"
    assert document["chunk_size"] == C
    assert set(document["member"]) == {
        "path", "size", "file_root", "index", "entry_count", "audit_path"
    }  # fmt: skip
    assert set(document["chunk"]) == {"index", "count", "leaf_hash", "audit_path"}
    assert document == json.loads(json.dumps(document, ensure_ascii=False))
    without_chunk = prove(dataset, member=Path("big.bin")).to_json()
    assert without_chunk["chunk"] is None
    del without_chunk["chunk"]
    assert InclusionProof.from_json(without_chunk).chunk is None


# --- tampering -----------------------------------------------------------------------------------


def flip_hex(value: str) -> str:
    return value[:-1] + ("1" if value[-1] == "0" else "0")


Mutation = Callable[[dict[str, Any]], None]

MUTATIONS: dict[str, Mutation] = {
    "member sibling": lambda d: d["member"]["audit_path"].__setitem__(
        0, flip_hex(d["member"]["audit_path"][0])
    ),
    "last member sibling": lambda d: d["member"]["audit_path"].__setitem__(
        -1, flip_hex(d["member"]["audit_path"][-1])
    ),
    "member index": lambda d: d["member"].__setitem__("index", d["member"]["index"] ^ 1),
    "member entry_count": lambda d: d["member"].__setitem__("entry_count", 8),
    "member size": lambda d: d["member"].__setitem__("size", d["member"]["size"] + 1),
    "member path": lambda d: d["member"].__setitem__("path", "big.bim"),
    "member file_root": lambda d: d["member"].__setitem__(
        "file_root", flip_hex(d["member"]["file_root"])
    ),
    "fingerprint": lambda d: d.__setitem__("fingerprint", flip_hex(d["fingerprint"])),
    "dropped member sibling": lambda d: d["member"]["audit_path"].pop(),
    "extra member sibling": lambda d: d["member"]["audit_path"].append(d["fingerprint"]),
    "chunk sibling": lambda d: d["chunk"]["audit_path"].__setitem__(
        0, flip_hex(d["chunk"]["audit_path"][0])
    ),
    "chunk index": lambda d: d["chunk"].__setitem__("index", 0),
    "chunk count": lambda d: d["chunk"].__setitem__("count", 4),
    "chunk leaf hash": lambda d: d["chunk"].__setitem__(
        "leaf_hash", flip_hex(d["chunk"]["leaf_hash"])
    ),
    "kind": lambda d: d.__setitem__("kind", "file"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_tampered_proof_fails(dataset: Path, name: str) -> None:
    original = prove(dataset, member=Path("big.bin"), chunk=1).to_json()
    assert accepted(original)
    tampered = copy.deepcopy(original)
    MUTATIONS[name](tampered)
    assert tampered != original
    assert not accepted(tampered)


@pytest.mark.parametrize("mutation", ["size", "sibling", "index", "fingerprint"])
def test_tampered_single_file_chunk_proof_fails(tmp_path: Path, mutation: str) -> None:
    data = counter_bytes(5 * C + 1)
    document = prove(write(tmp_path / "f", data), chunk=2).to_json()
    if mutation == "size":
        document["member"]["size"] -= 1
    elif mutation == "sibling":
        document["chunk"]["audit_path"][1] = flip_hex(document["chunk"]["audit_path"][1])
    elif mutation == "index":
        document["chunk"]["index"] = 3
    else:
        document["fingerprint"] = flip_hex(document["fingerprint"])
    assert not accepted(document)
    assert not accepted(document, chunk_bytes=chunk_of(data, 2))


def test_failure_reasons_are_single_sentences(dataset: Path) -> None:
    data = (dataset / "big.bin").read_bytes()
    document = prove(dataset, member=Path("big.bin"), chunk=2).to_json()
    proof = InclusionProof.from_json(document)
    short = verify(proof, chunk_bytes=chunk_of(data, 2)[:-1])
    assert short == verify(proof, chunk_bytes=chunk_of(data, 2)[:-1])
    assert not short.ok
    assert (
        short.reason
        == "The chunk given has 16 bytes, but chunk 2 of a file of 2097169 bytes has 17."
    )
    wrong = verify(proof, chunk_bytes=b"x" * 17)
    assert wrong.reason == "The chunk given does not hash to the proof's leaf hash of chunk 2."
    without_chunk = prove(dataset, member=Path("big.bin"))
    stray = verify(without_chunk, chunk_bytes=b"x")
    assert not stray.ok
    assert "no chunk part" in stray.reason
    document["fingerprint"] = flip_hex(document["fingerprint"])
    mismatch = verify(InclusionProof.from_json(document))
    assert mismatch.reason.startswith("The member audit path does not lead to the fingerprint")
    document = prove(dataset, member=Path("big.bin")).to_json()
    document["member"]["size"] += 1
    grown = verify(InclusionProof.from_json(document), member_file=dataset / "big.bin")
    assert grown.reason == f"{dataset / 'big.bin'} has 2097169 bytes, but the proof says 2097170."


def test_entry_count_is_bound_even_where_the_audit_path_fits(tmp_path: Path) -> None:
    """Leaf 0 of 3 and of 4 entries share an audit path; the fingerprint binds the count."""
    for name in "abc":
        write(tmp_path / "d" / name, name.encode())
    document = prove(tmp_path / "d", member=Path("a")).to_json()
    document["member"]["entry_count"] = 4
    result = verify(InclusionProof.from_json(document))
    assert not result.ok
    assert "does not lead to the fingerprint" in result.reason


# --- malformed documents -------------------------------------------------------------------------


def good_document(tmp_path: Path) -> dict[str, Any]:
    write(tmp_path / "d" / "x", b"x")
    write(tmp_path / "d" / "y", counter_bytes(C + 1))
    return prove(tmp_path / "d", member=Path("y"), chunk=1).to_json()


MALFORMATIONS: dict[str, Mutation] = {
    "not an object": lambda d: d.clear(),
    "missing member": lambda d: d.pop("member"),
    "unknown key": lambda d: d.__setitem__("extra", 1),
    "wrong type tag": lambda d: d.__setitem__("type", "something-else"),
    "unknown algorithm": lambda d: d.__setitem__("algorithm", "dfp2"),
    "algorithm not a string": lambda d: d.__setitem__("algorithm", 1),
    "wrong chunk size": lambda d: d.__setitem__("chunk_size", 4096),
    "unknown kind": lambda d: d.__setitem__("kind", "folder"),
    "fingerprint uppercase": lambda d: d.__setitem__("fingerprint", d["fingerprint"].upper()),
    "fingerprint without 0x": lambda d: d.__setitem__("fingerprint", d["fingerprint"][2:]),
    "fingerprint short": lambda d: d.__setitem__("fingerprint", d["fingerprint"][:-2]),
    "fingerprint not hex": lambda d: d.__setitem__("fingerprint", "0x" + "g" * 64),
    "member not an object": lambda d: d.__setitem__("member", []),
    "size as string": lambda d: d["member"].__setitem__("size", "12"),
    "size as bool": lambda d: d["member"].__setitem__("size", True),
    "size negative": lambda d: d["member"].__setitem__("size", -1),
    "size as float": lambda d: d["member"].__setitem__("size", 1.0),
    "size too big": lambda d: d["member"].__setitem__("size", 1 << 64),
    "index out of range": lambda d: d["member"].__setitem__("index", 2),
    "entry_count zero": lambda d: d["member"].__setitem__("entry_count", 0),
    "path not a string": lambda d: d["member"].__setitem__("path", None),
    "empty path in a directory": lambda d: d["member"].__setitem__("path", ""),
    "audit path not a list": lambda d: d["member"].__setitem__("audit_path", "0x00"),
    "audit path item bad": lambda d: d["member"]["audit_path"].__setitem__(0, "0x1234"),
    "file_root bad": lambda d: d["member"].__setitem__("file_root", None),
    "member key missing": lambda d: d["member"].pop("file_root"),
    "chunk not an object": lambda d: d.__setitem__("chunk", "0"),
    "chunk index out of range": lambda d: d["chunk"].__setitem__("index", 2),
    "chunk count zero": lambda d: d["chunk"].__setitem__("count", 0),
    "chunk leaf hash bad": lambda d: d["chunk"].__setitem__("leaf_hash", "0x"),
    "chunk extra key": lambda d: d["chunk"].__setitem__("size", 1),
    "single file with a path": lambda d: d.__setitem__("kind", "file"),
}


@pytest.mark.parametrize("name", list(MALFORMATIONS))
def test_malformed_documents_are_refused(tmp_path: Path, name: str) -> None:
    document = good_document(tmp_path)
    InclusionProof.from_json(copy.deepcopy(document))
    MALFORMATIONS[name](document)
    with pytest.raises(MalformedProofError) as caught:
        InclusionProof.from_json(document)
    assert "\n" not in str(caught.value)
    assert str(caught.value).endswith(".")


@pytest.mark.parametrize("document", [None, [], "proof", 3])
def test_non_object_documents_are_refused(document: object) -> None:
    with pytest.raises(MalformedProofError, match="is not a JSON object"):
        InclusionProof.from_json(document)


def test_direct_construction_is_validated() -> None:
    member = MemberProof("", 1, bytes(32), 0, 1, ())
    with pytest.raises(MalformedProofError, match="algorithm"):
        InclusionProof("0x" + "00" * 32, "file", member, algorithm="sha1")
    with pytest.raises(MalformedProofError, match="32 bytes"):
        InclusionProof("0x" + "00" * 32, "file", MemberProof("", 1, b"short", 0, 1, ()))
    with pytest.raises(MalformedProofError, match=r"chunk\.index"):
        InclusionProof("0x" + "00" * 32, "file", member, ChunkProof(1, 1, bytes(32), ()))
    with pytest.raises(MalformedProofError, match="single-file"):
        InclusionProof("0x" + "00" * 32, "file", MemberProof("x", 1, bytes(32), 0, 1, ()))


# --- prove errors --------------------------------------------------------------------------------


def test_member_outside_the_dataset(tmp_path: Path, dataset: Path) -> None:
    outside = write(tmp_path / "outside.csv", b"x")
    with pytest.raises(PathNotFoundError, match="is not inside the dataset"):
        prove(dataset, member=outside)
    with pytest.raises(PathNotFoundError, match="is not inside the dataset"):
        prove(dataset, member=Path("../outside.csv"))


def test_member_that_is_not_a_regular_file(tmp_path: Path, dataset: Path) -> None:
    with pytest.raises(UnsupportedFileError, match="is not a regular file of the dataset"):
        prove(dataset, member=Path("数据"))
    (dataset / "link").symlink_to(dataset / "empty")
    with pytest.raises(UnsupportedFileError, match="symbolic link"):
        prove(dataset, member=Path("link"))


def test_member_missing(dataset: Path) -> None:
    with pytest.raises(PathNotFoundError, match=r"nope\.csv does not exist"):
        prove(dataset, member=Path("nope.csv"))


def test_directory_without_member(dataset: Path) -> None:
    with pytest.raises(InputError, match="a member file is needed"):
        prove(dataset)
    with pytest.raises(InputError, match="a member file is needed"):
        prove(dataset, chunk=0)


def test_chunk_out_of_range(tmp_path: Path, dataset: Path) -> None:
    with pytest.raises(InputError, match=r"Chunk 3 does not exist in .*big\.bin"):
        prove(dataset, member=Path("big.bin"), chunk=3)
    with pytest.raises(InputError, match="Chunk 1 does not exist"):
        prove(write(tmp_path / "one", b"1"), chunk=1)
    with pytest.raises(InputError, match="Chunk -1 does not exist"):
        prove(write(tmp_path / "one", b"1"), chunk=-1)


def test_single_file_dataset_with_another_member(tmp_path: Path) -> None:
    path = write(tmp_path / "f", b"1")
    write(tmp_path / "g", b"2")
    with pytest.raises(InputError, match="is a single file, so it has no member"):
        prove(path, member=tmp_path / "g")


def test_prove_on_missing_or_empty_dataset(tmp_path: Path) -> None:
    with pytest.raises(PathNotFoundError, match="missing does not exist"):
        prove(tmp_path / "missing")
    with pytest.raises(PathNotFoundError, match="missing does not exist"):
        prove(tmp_path / "missing", member=tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PathNotFoundError):
        prove(tmp_path / "empty", member=Path("x"))
