"""Durable file writes: a crash leaves either the old file or the new one, complete.

Every file dareg writes that someone relies on (the chain checkpoint and journal, the deployment
manifest, the document-signing key and certificate, a CLI output the user named) goes through
:func:`write_atomically`: the bytes go to a fresh temporary file beside the target (created
exclusively, never through a symbolic link), are synced, then take the target's name in one
step, and the directory is synced so the name survives a power loss too.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def fsync_directory(directory: Path) -> None:
    """Make the directory's entries (a new or renamed file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(
    path: Path, data: bytes, *, mode: int = 0o666, exclusive: bool = False
) -> bool:
    """Write ``data`` to ``path`` atomically and durably; whether this call wrote it.

    ``mode`` is the new file's permission bits (before the umask). By default ``path`` is
    replaced (a symbolic link at ``path`` is replaced, its target untouched). ``exclusive``
    writes only if ``path`` does not exist yet (the temporary file is hard-linked, which fails
    if another process made ``path`` first): ``False`` then, and ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False
        else:
            os.replace(temporary, path)
        fsync_directory(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
