"""Inclusion proofs for ``dfp1`` fingerprints and their offline verifier.

A proof shows, without the rest of the dataset, that

* a member file (its relative path, size and content root) is an entry of a directory
  fingerprint, and/or
* one chunk of a file belongs to that file's content root (and so to the fingerprint).

Proofs travel as JSON (:meth:`InclusionProof.to_json`); the format is specified in
``docs/fingerprint.md`` so that a third party can verify it with its own tool.

The module uses the standard library only.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from registry.errors import (
    InputError,
    MalformedProofError,
    PathNotFoundError,
    UnsupportedFileError,
)
from registry.evidence.fingerprint import (
    ALGORITHM,
    CHUNK_SIZE,
    FileEntry,
    audit_path,
    chunk_count,
    chunk_leaf_hashes,
    directory_fingerprint,
    entry_leaf,
    file_fingerprint,
    file_root,
    leaf_hash,
    list_entries,
    merkle_root,
    root_from_audit_path,
)

PROOF_TYPE = "dareg-inclusion-proof"
"""Value of the ``type`` member of every proof document."""

_HEX32 = re.compile(r"0x[0-9a-f]{64}")
_U64_LIMIT = 1 << 64
_U32_LIMIT = 1 << 32


@dataclass(frozen=True)
class MemberProof:
    """The file being proved and, for a directory, its audit path in the entry tree.

    For a single-file dataset ``path`` is ``""``, ``index`` 0, ``entry_count`` 1 and
    ``audit_path`` empty: the fingerprint commits to ``size`` and ``file_root`` directly.
    """

    path: str
    size: int
    file_root: bytes
    index: int
    entry_count: int
    audit_path: tuple[bytes, ...]


@dataclass(frozen=True)
class ChunkProof:
    """One chunk of the member file: its leaf hash and audit path in the file's chunk tree."""

    index: int
    count: int
    leaf_hash: bytes
    audit_path: tuple[bytes, ...]


@dataclass(frozen=True)
class InclusionProof:
    """A self-contained proof that a file, a chunk, or a chunk of a file is in a fingerprint.

    Construction validates the shape (types, lengths, ranges, algorithm) and raises
    :class:`MalformedProofError`; whether the hashes actually fold to the fingerprint is decided
    by :func:`verify`.
    """

    fingerprint: str
    kind: Literal["file", "directory"]
    member: MemberProof
    chunk: ChunkProof | None = None
    algorithm: str = ALGORITHM

    def __post_init__(self) -> None:
        if self.algorithm != ALGORITHM:
            raise MalformedProofError(
                f"The proof uses algorithm {self.algorithm!r}, but only {ALGORITHM!r} is known."
            )
        if not isinstance(self.fingerprint, str) or not _HEX32.fullmatch(self.fingerprint):
            raise MalformedProofError(
                "The proof's fingerprint is not 0x followed by 64 lowercase hex digits."
            )
        _kind(self.kind)
        _check_member(self.member, self.kind)
        if self.chunk is not None:
            _check_chunk(self.chunk)

    @property
    def fingerprint_bytes(self) -> bytes:
        """The fingerprint as its 32 bytes."""
        return bytes.fromhex(self.fingerprint[2:])

    def to_json(self) -> dict[str, Any]:
        """The proof as a JSON-compatible dict (the format of ``docs/fingerprint.md``)."""
        member = self.member
        chunk = self.chunk
        return {
            "type": PROOF_TYPE,
            "algorithm": self.algorithm,
            "chunk_size": CHUNK_SIZE,
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "member": {
                "path": member.path,
                "size": member.size,
                "file_root": _hex(member.file_root),
                "index": member.index,
                "entry_count": member.entry_count,
                "audit_path": [_hex(node) for node in member.audit_path],
            },
            "chunk": None
            if chunk is None
            else {
                "index": chunk.index,
                "count": chunk.count,
                "leaf_hash": _hex(chunk.leaf_hash),
                "audit_path": [_hex(node) for node in chunk.audit_path],
            },
        }

    @classmethod
    def from_json(cls, document: object) -> InclusionProof:
        """Parses a proof document; raises :class:`MalformedProofError` on a wrong shape."""
        top = _object(
            document,
            "the proof",
            required={"type", "algorithm", "chunk_size", "fingerprint", "kind", "member"},
            optional={"chunk"},
        )
        if top["type"] != PROOF_TYPE:
            raise MalformedProofError(f"The document's type is not {PROOF_TYPE!r}.")
        algorithm = _string(top["algorithm"], "algorithm")
        if _integer(top["chunk_size"], "chunk_size", 0, _U64_LIMIT) != CHUNK_SIZE:
            raise MalformedProofError(f"The proof's chunk_size is not {CHUNK_SIZE} as dfp1 fixes.")
        kind = _kind(top["kind"])
        raw_member = _object(
            top["member"],
            "member",
            required={"path", "size", "file_root", "index", "entry_count", "audit_path"},
        )
        member = MemberProof(
            path=_string(raw_member["path"], "member.path"),
            size=_integer(raw_member["size"], "member.size", 0, _U64_LIMIT),
            file_root=_hash(raw_member["file_root"], "member.file_root"),
            index=_integer(raw_member["index"], "member.index", 0, _U64_LIMIT),
            entry_count=_integer(raw_member["entry_count"], "member.entry_count", 1, _U64_LIMIT),
            audit_path=_hash_list(raw_member["audit_path"], "member.audit_path"),
        )
        chunk = None
        if top.get("chunk") is not None:
            raw_chunk = _object(
                top["chunk"], "chunk", required={"index", "count", "leaf_hash", "audit_path"}
            )
            chunk = ChunkProof(
                index=_integer(raw_chunk["index"], "chunk.index", 0, _U64_LIMIT),
                count=_integer(raw_chunk["count"], "chunk.count", 1, _U64_LIMIT),
                leaf_hash=_hash(raw_chunk["leaf_hash"], "chunk.leaf_hash"),
                audit_path=_hash_list(raw_chunk["audit_path"], "chunk.audit_path"),
            )
        return cls(
            fingerprint=_string(top["fingerprint"], "fingerprint"),
            kind=kind,
            member=member,
            chunk=chunk,
            algorithm=algorithm,
        )


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of :func:`verify`: ``ok`` and one sentence saying why."""

    ok: bool
    reason: str


# --- shape checks -------------------------------------------------------------------------------


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _object(
    value: object,
    name: str,
    *,
    required: set[str],
    optional: Set[str] = frozenset(),
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise MalformedProofError(f"The proof's {name} is not a JSON object.")
    missing = sorted(required - value.keys())
    if missing:
        raise MalformedProofError(f"The proof's {name} lacks {', '.join(missing)}.")
    unknown = sorted(value.keys() - required - optional)
    if unknown:
        raise MalformedProofError(f"The proof's {name} has unknown members {', '.join(unknown)}.")
    return value


def _kind(value: object) -> Literal["file", "directory"]:
    if value == "file":
        return "file"
    if value == "directory":
        return "directory"
    raise MalformedProofError(f"The proof's kind {value!r} is neither 'file' nor 'directory'.")


def _string(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise MalformedProofError(f"The proof's {name} is not a string.")
    return value


def _integer(value: object, name: str, low: int, limit: int) -> int:
    if type(value) is not int or not low <= value < limit:
        raise MalformedProofError(
            f"The proof's {name} is not an integer from {low} to {limit - 1}."
        )
    return value


def _hash(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise MalformedProofError(
            f"The proof's {name} is not 0x followed by 64 lowercase hex digits."
        )
    return bytes.fromhex(value[2:])


def _hash_list(value: object, name: str) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise MalformedProofError(f"The proof's {name} is not a JSON array.")
    return tuple(_hash(item, f"{name}[{position}]") for position, item in enumerate(value))


def _check_hashes(values: Sequence[bytes], name: str) -> None:
    if not all(isinstance(value, bytes) and len(value) == 32 for value in values):
        raise MalformedProofError(f"The proof's {name} holds a value that is not 32 bytes.")


def _check_member(member: MemberProof, kind: str) -> None:
    if not isinstance(member.path, str):
        raise MalformedProofError("The proof's member.path is not a string.")
    _integer(member.size, "member.size", 0, _U64_LIMIT)
    _integer(member.entry_count, "member.entry_count", 1, _U64_LIMIT)
    _integer(member.index, "member.index", 0, member.entry_count)
    _check_hashes((member.file_root, *member.audit_path), "member")
    if kind == "file":
        if member.path or member.index or member.entry_count != 1 or member.audit_path:
            raise MalformedProofError(
                "A single-file proof's member must have an empty path, index 0, entry_count 1 "
                "and an empty audit path."
            )
    elif not member.path or len(member.path.encode("utf-8", "surrogatepass")) >= _U32_LIMIT:
        raise MalformedProofError("A directory proof's member.path must be a non-empty string.")


def _check_chunk(chunk: ChunkProof) -> None:
    _integer(chunk.count, "chunk.count", 1, _U64_LIMIT)
    _integer(chunk.index, "chunk.index", 0, chunk.count)
    _check_hashes((chunk.leaf_hash, *chunk.audit_path), "chunk")


# --- proving ------------------------------------------------------------------------------------


def _escapes(relative: str) -> bool:
    """Whether a path relative to the dataset is the dataset itself or lies outside it."""
    return relative in (os.curdir, os.pardir) or relative.startswith(os.pardir + os.sep)


def _inside(dataset: Path, path: Path) -> bool:
    """Whether ``path`` (which exists) lies inside the directory ``dataset``."""
    if not _escapes(os.path.relpath(os.path.abspath(path), os.path.abspath(dataset))):
        return True
    resolved = Path(os.path.realpath(path.parent)) / path.name
    return not _escapes(os.path.relpath(resolved, os.path.realpath(dataset)))


def _member_path(dataset: Path, member: Path) -> Path:
    """The file ``member`` names: an absolute path; else a path relative to ``dataset``, or
    one relative to the current directory that lies inside it (``prove data/ --member
    data/a.csv``, as a shell completes it). When both exist and differ, the name is ambiguous."""
    if member.is_absolute():
        return member
    in_dataset = dataset / member
    here = member
    here_fits = os.path.lexists(here) and _inside(dataset, here)
    if not os.path.lexists(in_dataset):
        return here if here_fits else in_dataset
    if here_fits and os.path.realpath(here) != os.path.realpath(in_dataset):
        raise InputError(
            f"--member {member} names two files, {in_dataset} and {here} (from the current "
            "directory): give the member's absolute path",
            path=str(member),
        )
    return in_dataset


def _relative_member(dataset: Path, member: Path) -> tuple[str, Path]:
    """The dfp1 relative path and real path of ``member`` inside the directory ``dataset``."""
    candidate = _member_path(dataset, member)
    if not os.path.lexists(candidate):
        raise PathNotFoundError(f"{candidate} does not exist.", path=str(candidate))
    relative = os.path.relpath(os.path.abspath(candidate), os.path.abspath(dataset))
    if _escapes(relative):
        # The two paths may reach the same place through different symlinked ancestors.
        resolved = Path(os.path.realpath(candidate.parent)) / candidate.name
        relative = os.path.relpath(resolved, os.path.realpath(dataset))
    if _escapes(relative):
        raise PathNotFoundError(
            f"{candidate} is not inside the dataset {dataset}.", path=str(candidate)
        )
    normalised = unicodedata.normalize("NFC", relative.replace(os.sep, "/"))
    return normalised, candidate


def _check_chunk_index(chunk: int, count: int, file_path: Path) -> None:
    if not 0 <= chunk < count:
        raise InputError(
            f"Chunk {chunk} does not exist in {file_path}, which has {count} chunk(s).",
            path=str(file_path),
        )


def _chunk_proof(hashes: Sequence[bytes], chunk: int, file_path: Path) -> ChunkProof:
    _check_chunk_index(chunk, len(hashes), file_path)
    return ChunkProof(
        index=chunk,
        count=len(hashes),
        leaf_hash=hashes[chunk],
        audit_path=tuple(audit_path(hashes, chunk)),
    )


def _prove_file(dataset: Path, member: Path | None, chunk: int | None) -> InclusionProof:
    if not os.path.lexists(dataset):
        raise PathNotFoundError(f"{dataset} does not exist.", path=str(dataset))
    if member is not None:
        candidate = member if member.is_absolute() else dataset.parent / member
        if not (os.path.lexists(candidate) and os.path.samefile(candidate, dataset)):
            raise InputError(
                f"{dataset} is a single file, so it has no member {member}.", path=str(dataset)
            )
    if chunk is not None:
        _check_chunk_index(chunk, chunk_count(os.lstat(dataset).st_size), dataset)
    hashes, size = chunk_leaf_hashes(dataset)
    root = merkle_root(hashes)
    return InclusionProof(
        fingerprint=_hex(file_fingerprint(size, root)),
        kind="file",
        member=MemberProof(
            path="", size=size, file_root=root, index=0, entry_count=1, audit_path=()
        ),
        chunk=None if chunk is None else _chunk_proof(hashes, chunk, dataset),
    )


def _prove_directory(dataset: Path, member: Path, chunk: int | None) -> InclusionProof:
    relative, candidate = _relative_member(dataset, member)
    listing = list_entries(dataset)
    position = next((i for i, (path, _) in enumerate(listing) if path == relative), None)
    if position is None:
        raise UnsupportedFileError(
            f"{candidate} is not a regular file of the dataset {dataset}.", path=str(candidate)
        )
    if chunk is not None:
        member_path = listing[position][1]
        _check_chunk_index(chunk, chunk_count(os.lstat(member_path).st_size), member_path)
    entries: list[FileEntry] = []
    chunk_part: ChunkProof | None = None
    for index, (path, real) in enumerate(listing):
        if index == position and chunk is not None:
            hashes, size = chunk_leaf_hashes(real)
            root = merkle_root(hashes)
            chunk_part = _chunk_proof(hashes, chunk, real)
        else:
            root, size = file_root(real)
        entries.append(FileEntry(path=path, size=size, file_root=root))
    leaves = [leaf_hash(entry_leaf(entry)) for entry in entries]
    target = entries[position]
    return InclusionProof(
        fingerprint=_hex(directory_fingerprint(len(entries), merkle_root(leaves))),
        kind="directory",
        member=MemberProof(
            path=target.path,
            size=target.size,
            file_root=target.file_root,
            index=position,
            entry_count=len(entries),
            audit_path=tuple(audit_path(leaves, position)),
        ),
        chunk=chunk_part,
    )


def prove(dataset: Path, *, member: Path | None = None, chunk: int | None = None) -> InclusionProof:
    """Builds an inclusion proof against the dfp1 fingerprint of ``dataset``.

    For a directory, ``member`` (absolute, relative to ``dataset``, or relative to the current
    directory and inside ``dataset``) names the file to prove,
    and ``chunk`` optionally one of its chunks. For a single file, ``chunk`` names the chunk to
    prove; ``member``, if given, must be that same file. The whole dataset is read once.
    """
    if os.path.isdir(dataset) and not os.path.islink(dataset):
        if member is None:
            raise InputError(
                f"{dataset} is a directory, so a member file is needed to prove inclusion.",
                path=str(dataset),
            )
        return _prove_directory(dataset, member, chunk)
    return _prove_file(dataset, member, chunk)


# --- verifying ----------------------------------------------------------------------------------


def _expected_chunk_length(size: int, index: int) -> int:
    return max(0, min(CHUNK_SIZE, size - index * CHUNK_SIZE))


def _verify_chunk(
    proof: InclusionProof, chunk: ChunkProof, chunk_bytes: bytes | None
) -> str | None:
    """Checks the chunk part against the member's file root; returns a failure reason or None."""
    member = proof.member
    expected_count = chunk_count(member.size)
    if chunk.count != expected_count:
        return (
            f"The proof claims {chunk.count} chunk(s), but a file of {member.size} bytes has "
            f"{expected_count}."
        )
    if chunk_bytes is not None:
        expected_length = _expected_chunk_length(member.size, chunk.index)
        if len(chunk_bytes) != expected_length:
            return (
                f"The chunk given has {len(chunk_bytes)} bytes, but chunk {chunk.index} of a "
                f"file of {member.size} bytes has {expected_length}."
            )
        if leaf_hash(chunk_bytes) != chunk.leaf_hash:
            return f"The chunk given does not hash to the proof's leaf hash of chunk {chunk.index}."
    try:
        root = root_from_audit_path(chunk.leaf_hash, chunk.index, chunk.count, chunk.audit_path)
    except ValueError as exc:
        return f"The chunk audit path does not fit its position: {exc}."
    if root != member.file_root:
        return f"The chunk audit path of chunk {chunk.index} does not lead to the file root."
    return None


def _fingerprint_of(proof: InclusionProof) -> bytes:
    """Folds the member part up to a fingerprint; raises ValueError on a misfitting path."""
    member = proof.member
    if proof.kind == "file":
        return file_fingerprint(member.size, member.file_root)
    leaf = leaf_hash(entry_leaf(FileEntry(member.path, member.size, member.file_root)))
    root = root_from_audit_path(leaf, member.index, member.entry_count, member.audit_path)
    return directory_fingerprint(member.entry_count, root)


def verify(
    proof: InclusionProof, member_file: Path | None = None, chunk_bytes: bytes | None = None
) -> VerificationResult:
    """Checks ``proof`` offline, without the rest of the dataset.

    If ``member_file`` is given its content root and size are recomputed and compared with the
    proof's; if ``chunk_bytes`` is given its leaf hash is recomputed and compared. The audit
    path(s) are then folded up and the result compared with the proof's fingerprint. Errors
    reading ``member_file`` are raised (as :class:`registry.errors.InputError` subclasses), not
    reported as a failed verification.
    """
    member = proof.member
    if member_file is not None:
        actual_root, actual_size = file_root(member_file)
        if actual_size != member.size:
            return VerificationResult(
                False, f"{member_file} has {actual_size} bytes, but the proof says {member.size}."
            )
        if actual_root != member.file_root:
            return VerificationResult(
                False, f"The content of {member_file} does not match the proof's file root."
            )
    if proof.chunk is None:
        if chunk_bytes is not None:
            return VerificationResult(
                False, "Chunk bytes were given, but the proof has no chunk part to check them."
            )
    else:
        failure = _verify_chunk(proof, proof.chunk, chunk_bytes)
        if failure is not None:
            return VerificationResult(False, failure)
    try:
        computed = _fingerprint_of(proof)
    except ValueError as exc:
        return VerificationResult(False, f"The member audit path does not fit its position: {exc}.")
    if computed != proof.fingerprint_bytes:
        return VerificationResult(
            False, f"The member audit path does not lead to the fingerprint {proof.fingerprint}."
        )
    return VerificationResult(True, _success_reason(proof, member_file, chunk_bytes))


def _success_reason(
    proof: InclusionProof, member_file: Path | None, chunk_bytes: bytes | None
) -> str:
    """One sentence saying what a successful verification established."""
    member = proof.member
    if proof.kind == "directory":
        claim = (
            f"the file {member.path!r} ({member.size} bytes) is entry {member.index} of "
            f"{member.entry_count} of fingerprint {proof.fingerprint}"
        )
    else:
        claim = f"the file ({member.size} bytes) has fingerprint {proof.fingerprint}"
    if proof.chunk is not None:
        claim = f"chunk {proof.chunk.index} of {proof.chunk.count} belongs to {claim}"
    checked = [
        text
        for text, given in (
            ("the member file's content", member_file is not None),
            ("the chunk's bytes", chunk_bytes is not None),
        )
        if given
    ]
    suffix = f", and {' and '.join(checked)} matched" if checked else ""
    return f"Verified: {claim}{suffix}."
