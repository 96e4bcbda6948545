"""One writer per mirror: a lock an indexer holds while it writes.

Two indexers writing the same database would each apply the same batches and race on the
cursor. The lock makes the second one stop at once with :class:`IndexerLockedError`:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a key derived from the
  chain id, held by a connection kept open for as long as the lock is held; it is released when
  that connection closes, so a killed indexer never leaves it behind;
- SQLite file: an exclusive ``flock`` on ``<database>.indexer.lock`` next to the file (which
  also holds the holder's process id, for the error message); the kernel drops it when the
  process dies;
- in-memory SQLite: nothing to lock (no other process can open that database).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text

from registry.errors import IndexerLockedError


def _advisory_key(chain_id: int) -> int:
    digest = hashlib.sha256(f"dareg-indexer:{chain_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class WriterLock:
    """The lock of the mirror of ``chain_id`` in the database behind ``engine``."""

    def __init__(self, engine: Engine, chain_id: int) -> None:
        self._engine = engine
        self._chain_id = chain_id
        self._connection: Connection | None = None
        self._file: IO[str] | None = None
        self._depth = 0

    def _sqlite_path(self) -> Path | None:
        database = self._engine.url.database
        if self._engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        return Path(database)

    def acquire(self) -> None:
        """Take the lock (re-entrant); :class:`IndexerLockedError` if another holds it."""
        if self._depth:
            self._depth += 1
            return
        if self._engine.dialect.name == "postgresql":
            connection = self._engine.connect()
            key = _advisory_key(self._chain_id)
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()
            if not got:
                connection.close()
                raise IndexerLockedError(
                    f"another indexer is writing the mirror of chain {self._chain_id} in this "
                    "PostgreSQL database; stop it first",
                    chain_id=self._chain_id,
                )
            self._connection = connection
        elif (path := self._sqlite_path()) is not None:
            lock_path = path.with_name(path.name + ".indexer.lock")
            handle = lock_path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                handle.close()
                raise IndexerLockedError(
                    f"another indexer (process {holder}) is writing the mirror in {path}; "
                    "stop it first",
                    chain_id=self._chain_id,
                    holder=holder,
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            self._file = handle
        self._depth = 1

    def release(self) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth:
            return
        if self._connection is not None:
            key = _advisory_key(self._chain_id)
            self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
