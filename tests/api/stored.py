"""What the service has stored: the row count of every table of the schema and the files under
``var/``, to show that a refused request kept nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select
from sqlmodel import SQLModel

import registry.db.models  # noqa: F401  (every table on the metadata)

#: The SQLite database's own files: they change with every write, the access log's included.
_DATABASE_FILES = ("registry.db", "registry.db-wal", "registry.db-shm", "registry.db-journal")


#: Senders' lock files (``var/nonces/``, registry/chain/transactions.py): empty, they hold no
#: request's data, and the first transaction of a sender creates its own.
_LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class Stored:
    rows: dict[str, int]
    files: dict[str, int]  # path under var/ -> size (the database's files: 0)

    def changes(self, later: Stored) -> dict[str, tuple[int | None, int | None]]:
        """Tables and files whose count or size differs in ``later``: name -> (before, after)."""
        changed: dict[str, tuple[int | None, int | None]] = {}
        for prefix, mine, theirs in (
            ("", self.rows, later.rows),
            ("var/", self.files, later.files),
        ):
            for name in sorted(set(mine) | set(theirs)):
                if mine.get(name) != theirs.get(name):
                    changed[prefix + name] = (mine.get(name), theirs.get(name))
        return changed


def stored(engine: Engine, var_dir: Path) -> Stored:
    """Row counts of every table of the metadata that the database holds, and the files under
    ``var_dir``."""
    present = set(inspect(engine).get_table_names())
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name in present]
    assert tables, "no table of the schema in the database"
    with engine.connect() as connection:
        rows = {
            t.name: int(connection.execute(select(func.count()).select_from(t)).scalar_one())
            for t in tables
        }
    files = {
        str(path.relative_to(var_dir)): 0 if path.name in _DATABASE_FILES else path.stat().st_size
        for path in sorted(var_dir.rglob("*"))
        if path.is_file() and not (path.suffix == _LOCK_SUFFIX and path.stat().st_size == 0)
    }
    return Stored(rows, files)
