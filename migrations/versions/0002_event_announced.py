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
    # Batch mode: SQLite cannot alter a table in place.
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("announced", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("announced")
