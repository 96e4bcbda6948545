"""${message}"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${repr(up_revision)}  # created ${create_date}
down_revision = ${repr(down_revision)}
% if branch_labels or depends_on:
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}
% endif


def upgrade() -> None:
    """Upgrade the schema."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Downgrade the schema."""
    ${downgrades if downgrades else "pass"}
