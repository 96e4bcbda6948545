"""Dataset fingerprint algorithm ``dfp1`` (specified in ``docs/fingerprint.md``).

A fingerprint is a 32-byte SHA-256 value that commits to the exact bytes of one file or to every
regular file under a directory together with its relative path. It is built from RFC 6962
(Certificate Transparency) Merkle trees so that a single member file, or a single 1 MiB chunk of a
file, can later be shown to belong to a registered fingerprint without revealing the rest of the
dataset (see :mod:`registry.evidence.proof`).

Everything here streams: a file is read chunk by chunk into a few reused buffers and its Merkle
root is folded incrementally, so memory use does not grow with the size of the data. Chunks of
one file are hashed on a small thread pool (``hashlib`` releases the GIL while hashing large
buffers), which lets reading and hashing overlap. Only the sorted list of relative paths of a
directory is held in memory.

The module uses the standard library only.
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from io import FileIO
from pathlib import Path
from typing import Literal

from registry.errors import (
    EmptyDatasetError,
    PathNotFoundError,
    UnreadableFileError,
    UnsupportedFileError,
)

ALGORITHM = "dfp1"
"""Name of the algorithm version implemented here."""

CHUNK_SIZE = 1 << 20
"""Chunk size C of version 1, in bytes (1 MiB). Fixed: changing it changes every fingerprint."""

DOMAIN_TAG = b"dareg-dfp1"
"""ASCII tag bound into every fingerprint so that it cannot be mistaken for another hash."""

KIND_FILE = 0x00
KIND_DIRECTORY = 0x01

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_FINGERPRINT_PREFIX = b"\x02"


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_HASH_WORKERS = min(4, _available_cpus())
"""Threads hashing the chunks of one file (inline hashing when 1); at most one more chunk
buffer than this exists per file being read. Measured on 2 cores: 2 workers hash a cached file
at ~1.8x the single-threaded rate; more workers than cores is slower."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
"""Never follow a symlink swapped in after listing, never block on a FIFO swapped in."""

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class FileEntry:
    """One regular file of a dataset: its normalised relative path, size and content root.

    ``path`` is ``""`` for a single-file dataset (the file name is not part of the fingerprint).
    """

    path: str
    size: int
    file_root: bytes


@dataclass(frozen=True)
class Fingerprint:
    """The ``dfp1`` fingerprint of a file or directory."""

    value: bytes
    kind: Literal["file", "directory"]
    total_size: int
    entry_count: int

    @property
    def hex(self) -> str:
        """The text form: ``0x`` followed by 64 lowercase hex digits (a ``bytes32``)."""
        return "0x" + self.value.hex()


# --- Merkle tree (RFC 6962) ----------------------------------------------------------------------


def leaf_hash(data: bytes | memoryview) -> bytes:
    """The RFC 6962 hash of a leaf: ``H(0x00 || data)``."""
    digest = hashlib.sha256(_LEAF_PREFIX)
    digest.update(data)
    return digest.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node: ``H(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


class _MerkleBuilder:
    """Computes an RFC 6962 Merkle Tree Hash from leaf hashes given one at a time.

    The stack holds the roots of the perfect subtrees seen so far with strictly decreasing
    heights (the binary decomposition of the leaf count), so memory is O(log n).
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.count = 0

    def add(self, hashed_leaf: bytes) -> None:
        """Appends the next leaf, given as its leaf hash."""
        height, value = 0, hashed_leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            height, value = height + 1, node_hash(left, value)
        self._stack.append((height, value))
        self.count += 1

    def root(self) -> bytes:
        """The Merkle Tree Hash of the leaves added so far (``H("")`` for none, as in RFC 6962)."""
        if not self._stack:
            return hashlib.sha256(b"").digest()
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def mth(leaves: Iterable[bytes]) -> bytes:
    """The RFC 6962 Merkle Tree Hash of a sequence of leaf *data*, streaming in O(log n) memory."""
    builder = _MerkleBuilder()
    for data in leaves:
        builder.add(leaf_hash(data))
    return builder.root()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The RFC 6962 Merkle Tree Hash of leaves given as their leaf hashes ``H(0x00 || d)``."""
    builder = _MerkleBuilder()
    for hashed_leaf in leaf_hashes:
        builder.add(hashed_leaf)
    return builder.root()


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    return merkle_root(leaf_hashes[index] for index in range(start, end))


def audit_path(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The RFC 6962 (section 2.1.1) audit path of leaf ``index``, ordered from leaf to root.

    ``leaf_hashes`` are the leaf hashes ``H(0x00 || d)``, not the leaf data.
    """
    if not 0 <= index < len(leaf_hashes):
        raise ValueError(f"leaf index {index} is outside a tree of {len(leaf_hashes)} leaves")
    siblings: list[bytes] = []
    start, end, position = 0, len(leaf_hashes), index
    while end - start > 1:
        split = _largest_power_of_two_below(end - start)
        if position < split:
            siblings.append(_subtree_root(leaf_hashes, start + split, end))
            end = start + split
        else:
            siblings.append(_subtree_root(leaf_hashes, start, start + split))
            start, position = start + split, position - split
    siblings.reverse()
    return siblings


def root_from_audit_path(leaf_hash: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """Folds an audit path up to the tree root (RFC 9162 section 2.1.3.2).

    Raises :class:`ValueError` when ``index`` is not inside a tree of ``size`` leaves or when the
    path has the wrong length for that position; the caller compares the returned root.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn, value = index, size - 1, leaf_hash
    for sibling in path:
        if sn == 0:
            raise ValueError("the audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            value = node_hash(value, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the audit path is shorter than the tree is deep")
    return value


# --- dfp1 encodings ------------------------------------------------------------------------------


def chunk_count(size: int) -> int:
    """Number of chunks of a file of ``size`` bytes (an empty file has one, empty, chunk)."""
    return max(1, -(-size // CHUNK_SIZE))


def entry_leaf(entry: FileEntry) -> bytes:
    """Leaf data of a directory entry: ``u32 len(path) || path || u64 size || file_root``."""
    encoded = entry.path.encode("utf-8")
    return (
        len(encoded).to_bytes(4, "big") + encoded + entry.size.to_bytes(8, "big") + entry.file_root
    )


def file_fingerprint(size: int, root: bytes) -> bytes:
    """``H(0x02 || "dareg-dfp1" || 0x00 || u64 size || file_root)``."""
    return hashlib.sha256(
        _FINGERPRINT_PREFIX + DOMAIN_TAG + bytes([KIND_FILE]) + size.to_bytes(8, "big") + root
    ).digest()


def directory_fingerprint(entry_count: int, root: bytes) -> bytes:
    """``H(0x02 || "dareg-dfp1" || 0x01 || u64 entry_count || dir_root)``."""
    return hashlib.sha256(
        _FINGERPRINT_PREFIX
        + DOMAIN_TAG
        + bytes([KIND_DIRECTORY])
        + entry_count.to_bytes(8, "big")
        + root
    ).digest()


# --- reading files -------------------------------------------------------------------------------


def _unreadable(path: Path | str, what: str, exc: OSError) -> UnreadableFileError:
    """``<path> cannot be <what>: <the system's reason>.``"""
    return UnreadableFileError(f"{path} cannot be {what}: {exc.strerror or exc}.", path=str(path))


@contextmanager
def _accessing(path: Path, what: str) -> Iterator[None]:
    """Turns the ``OSError`` of what the block does to ``path`` into :class:`PathNotFoundError`
    (it is missing) or :class:`UnreadableFileError` (it cannot be ``what``)."""
    try:
        yield
    except FileNotFoundError as exc:
        raise PathNotFoundError(f"{path} does not exist.", path=str(path)) from exc
    except OSError as exc:
        raise _unreadable(path, what, exc) from exc


def _lstat(path: Path) -> os.stat_result:
    with _accessing(path, "examined"):
        return path.lstat()


def _refuse_non_regular(path: Path, mode: int) -> None:
    """Raises :class:`UnsupportedFileError` unless ``mode`` is a regular file's."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISLNK(mode):
        what = "a symbolic link, and dfp1 does not follow symbolic links"
    elif stat.S_ISDIR(mode):
        what = "a directory where a regular file was expected"
    else:
        what = "a special file (device, socket or FIFO), and dfp1 only accepts regular files"
    raise UnsupportedFileError(f"{path} is {what}.", path=str(path))


def _read_chunk(stream: FileIO, buffer: bytearray) -> int:
    """Fills ``buffer`` from ``stream`` until it is full or the file ends; returns the count."""
    view = memoryview(buffer)
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def _hash_buffer(buffer: bytearray, length: int) -> bytes:
    return leaf_hash(memoryview(buffer)[:length])


def _pump_inline(
    stream: FileIO, sink: Callable[[bytes], None], on_progress: ProgressCallback | None
) -> int:
    """Hashes the chunks of ``stream`` on the calling thread; returns the byte count."""
    buffer = bytearray(CHUNK_SIZE)
    total = chunks = 0
    while True:
        length = _read_chunk(stream, buffer)
        if length == 0 and chunks > 0:
            return total
        sink(_hash_buffer(buffer, length))
        total, chunks = total + length, chunks + 1
        if on_progress is not None:
            on_progress(length)
        if length < CHUNK_SIZE:
            return total


def _pump_parallel(
    stream: FileIO,
    sink: Callable[[bytes], None],
    on_progress: ProgressCallback | None,
    workers: int,
) -> int:
    """Reads chunks on this thread while ``workers`` threads hash them; returns the byte count.

    At most ``workers + 1`` chunk buffers exist; leaf hashes reach ``sink`` in chunk order.
    """
    free = [bytearray(CHUNK_SIZE) for _ in range(workers + 1)]
    pending: deque[tuple[Future[bytes], bytearray, int]] = deque()
    total = chunks = 0

    def retire_oldest() -> None:
        future, buffer, length = pending.popleft()
        sink(future.result())
        free.append(buffer)
        if on_progress is not None:
            on_progress(length)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dfp1-hash") as pool:
        while True:
            if not free:
                retire_oldest()
            buffer = free.pop()
            length = _read_chunk(stream, buffer)
            if length == 0 and chunks > 0:
                break
            pending.append((pool.submit(_hash_buffer, buffer, length), buffer, length))
            total, chunks = total + length, chunks + 1
            if length < CHUNK_SIZE:
                break
        while pending:
            retire_oldest()
    return total


def _stream_file(
    path: Path, sink: Callable[[bytes], None], on_progress: ProgressCallback | None
) -> int:
    """Passes the leaf hash of every chunk of the regular file ``path`` to ``sink``, in order.

    Returns the file size. The file is opened without following symlinks and checked to be a
    regular file on the open descriptor, so a path swapped after listing cannot slip through.
    """
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError as exc:
        raise UnreadableFileError(
            f"{path} disappeared before it could be read.", path=str(path)
        ) from exc
    except OSError as exc:
        if os.path.islink(path):
            _refuse_non_regular(path, stat.S_IFLNK)
        raise _unreadable(path, "opened", exc) from exc
    with FileIO(descriptor, "rb") as stream:
        status = os.fstat(descriptor)
        _refuse_non_regular(path, status.st_mode)
        workers = _HASH_WORKERS if status.st_size > CHUNK_SIZE and _HASH_WORKERS > 1 else 0
        try:
            if workers:
                size = _pump_parallel(stream, sink, on_progress, workers)
            else:
                size = _pump_inline(stream, sink, on_progress)
        except OSError as exc:
            raise _unreadable(path, "read", exc) from exc
    if size != status.st_size:
        raise UnreadableFileError(
            f"{path} changed size while it was being read ({status.st_size} bytes expected, "
            f"{size} read).",
            path=str(path),
        )
    return size


def _file_root(path: Path, on_progress: ProgressCallback | None) -> tuple[bytes, int]:
    builder = _MerkleBuilder()
    size = _stream_file(path, builder.add, on_progress)
    return builder.root(), size


def file_root(path: Path) -> tuple[bytes, int]:
    """The content root and size of the regular file ``path``: ``(MTH(chunks), size)``."""
    _refuse_non_regular(path, _lstat(path).st_mode)
    return _file_root(path, None)


def chunk_leaf_hashes(path: Path) -> tuple[list[bytes], int]:
    """The leaf hash of every chunk of the regular file ``path`` and its size (for proofs)."""
    _refuse_non_regular(path, _lstat(path).st_mode)
    hashes: list[bytes] = []
    size = _stream_file(path, hashes.append, None)
    return hashes, size


# --- directories ---------------------------------------------------------------------------------


def _scan(directory: Path) -> list[os.DirEntry[str]]:
    with _accessing(directory, "listed"), os.scandir(directory) as iterator:
        return list(iterator)


def _entry_mode(item: os.DirEntry[str]) -> int:
    try:
        return item.stat(follow_symlinks=False).st_mode
    except OSError as exc:
        raise _unreadable(item.path, "examined", exc) from exc


def list_entries(directory: Path) -> list[tuple[str, Path]]:
    """Every regular file under ``directory``, as ``(relative path, real path)`` in dfp1 order.

    Relative paths use ``/``, are NFC-normalised and are sorted by their UTF-8 bytes. Symlinks,
    special files, names that are not valid UTF-8 and paths that collide after normalisation are
    refused with :class:`UnsupportedFileError`. Directories contribute only through their files.
    """
    mode = _lstat(directory).st_mode
    if not stat.S_ISDIR(mode):
        raise UnsupportedFileError(f"{directory} is not a directory.", path=str(directory))
    found: dict[bytes, tuple[str, Path]] = {}
    pending: list[tuple[Path, str]] = [(directory, "")]
    while pending:
        current, prefix = pending.pop()
        for item in _scan(current):
            real = Path(item.path)
            try:
                item.name.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise UnsupportedFileError(
                    f"{real} has a name that is not valid UTF-8.", path=str(real)
                ) from exc
            relative = prefix + item.name
            item_mode = _entry_mode(item)
            if stat.S_ISDIR(item_mode):
                pending.append((real, relative + "/"))
                continue
            _refuse_non_regular(real, item_mode)
            normalised = unicodedata.normalize("NFC", relative)
            key = normalised.encode("utf-8")
            if key in found:
                raise UnsupportedFileError(
                    f"{real} and {found[key][1]} have the same name after Unicode NFC "
                    "normalisation.",
                    path=str(real),
                    other=str(found[key][1]),
                )
            found[key] = (normalised, real)
    return [found[key] for key in sorted(found)]


def directory_entries(
    directory: Path, *, on_progress: ProgressCallback | None = None
) -> Iterator[FileEntry]:
    """Hashes every regular file under ``directory``, yielding entries in dfp1 order.

    Raises :class:`EmptyDatasetError` when there is no regular file at all.
    """
    listing = list_entries(directory)
    if not listing:
        raise EmptyDatasetError(
            f"{directory} contains no regular files to fingerprint.", path=str(directory)
        )
    for relative, real in listing:
        root, size = _file_root(real, on_progress)
        yield FileEntry(path=relative, size=size, file_root=root)


def fingerprint_path(path: Path, *, on_progress: ProgressCallback | None = None) -> Fingerprint:
    """The dfp1 fingerprint of a regular file or of a directory tree.

    ``on_progress`` is called with the number of bytes just hashed, after every chunk.
    """
    mode = _lstat(path).st_mode
    if stat.S_ISDIR(mode):
        builder = _MerkleBuilder()
        total = 0
        for entry in directory_entries(path, on_progress=on_progress):
            builder.add(leaf_hash(entry_leaf(entry)))
            total += entry.size
        return Fingerprint(
            value=directory_fingerprint(builder.count, builder.root()),
            kind="directory",
            total_size=total,
            entry_count=builder.count,
        )
    _refuse_non_regular(path, mode)
    root, size = _file_root(path, on_progress)
    return Fingerprint(
        value=file_fingerprint(size, root), kind="file", total_size=size, entry_count=1
    )
