"""Authentication: single-use Sign-In with Ethereum nonces, the sessions they open and API
keys (service data; secrets kept only as SHA-256 hashes)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db.migrations.columns import ADDRESS, HASH, WHEN

revision = "0015"  # created 2026-12-07
down_revision = "0014"


def upgrade() -> None:
    """Create ``auth_nonce``, ``auth_session`` and ``api_key`` (empty)."""
    op.create_table(
        "auth_nonce",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("issued_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_table(
        "auth_session",
        sa.Column("token_hash", HASH, nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_auth_session_address", "auth_session", ["address"])
    op.create_table(
        "api_key",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", HASH, nullable=False),
        sa.Column("address", ADDRESS, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.String(length=100), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("last_used_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_index("ix_api_key_address", "api_key", ["address"])


def downgrade() -> None:
    """Drop the authentication tables."""
    op.drop_index("ix_api_key_address", table_name="api_key")
    op.drop_table("api_key")
    op.drop_index("ix_auth_session_address", table_name="auth_session")
    op.drop_table("auth_session")
    op.drop_table("auth_nonce")
