"""crawl runs name the process that began them, so a restart settles the runs of a killed one

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: runs begun before it have no owner, and are settled by their source's next crawl.
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", recreate="never") as batch:
        batch.drop_column("owner")
