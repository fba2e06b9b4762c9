"""sources keep the digest of the listing their last clean crawl read, so the same bytes again
are not parsed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a source without one has its next listing parsed in full, and gets one then.
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("listing_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources", recreate="never") as batch:
        batch.drop_column("listing_hash")
