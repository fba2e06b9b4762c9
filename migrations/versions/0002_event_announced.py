"""events on a copy of a job seen first on another source are kept, not announced to all

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain '1' default (true on both databases) lets SQLite add the column in place: an
    # expression would make batch mode rebuild the table, which the outbox's foreign key to
    # its events forbids.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("announced", sa.Boolean(), server_default="1", nullable=False))


def downgrade() -> None:
    # In place as well (SQLite 3.35 and newer drop a column without rebuilding the table).
    with op.batch_alter_table("events", recreate="never") as batch:
        batch.drop_column("announced")
