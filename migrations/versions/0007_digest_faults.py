"""digests count the attempts in a row that ended without an answer, so one that cannot be built
or keeps killing its run is failed instead of tried forever; outbox items are indexed by digest

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain '0' default lets SQLite add the column in place (see 0002).
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("faults", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_outbox_digest", "outbox", ["digest_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_digest", table_name="outbox")
    with op.batch_alter_table("digests", recreate="never") as batch:
        batch.drop_column("faults")
