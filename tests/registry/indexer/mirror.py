"""What the mirror tests share: syncing a context's chain into a database, and dumping every
mirror table to compare two mirrors (the cursor without its wall-clock ``updated_at``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from registry.context import RegistryContext
from registry.db.models import MIRROR_TABLES, cursor_table
from registry.indexer.follow import Indexer


def sync(ctx: RegistryContext, engine: Engine | None = None, **kwargs: Any) -> int:
    return Indexer(ctx.client, ctx.manifest, engine or ctx.engine, **kwargs).sync_once()


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every mirror table, in a stable order."""
    with engine.connect() as connection:
        out = {}
        for table in MIRROR_TABLES:
            columns = [c for c in table.c if not (table is cursor_table and c.name == "updated_at")]
            rows = connection.execute(select(*columns)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
