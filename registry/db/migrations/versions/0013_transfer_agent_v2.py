"""TransferAgent v2 (contracts v2): who acted, settled pledges, consent deadlines, spent
approvals and the exporter a cross-border record names.

``transfer.actor`` (who moved: holder, regulator, pledgee); ``pledge.end_status`` (the
certificate's end that settled a pledge); ``pledge_event.actor`` and ``pledge_event.deadline``
(who granted, used or withdrew a consent, and until when a granted one runs);
``transfer_approval.from_address``, ``used_at`` and ``used_by`` (the exporter an approval is
bound to, and the move that spent it); ``cross_border_record.exporter``. Every new column is
nullable: rows mirrored before v2 have none of these facts.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import ADDRESS, WHEN

revision = "0013"  # created 2026-12-07
down_revision = "0012"

#: (table, column, type) added by this revision, in order.
COLUMNS: tuple[tuple[str, str, sa.types.TypeEngine[Any]], ...] = (
    ("transfer", "actor", ADDRESS),
    ("pledge", "end_status", sa.String(length=16)),
    ("pledge_event", "actor", ADDRESS),
    ("pledge_event", "deadline", WHEN),
    ("transfer_approval", "from_address", ADDRESS),
    ("transfer_approval", "used_at", WHEN),
    ("transfer_approval", "used_by", ADDRESS),
    ("cross_border_record", "exporter", ADDRESS),
)


def upgrade() -> None:
    """Add the columns (nullable)."""
    for table, column, type_ in COLUMNS:
        op.add_column(table, sa.Column(column, type_, nullable=True))


def downgrade() -> None:
    """Drop them."""
    for table, column, _ in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
