"""postings keep a hash of the posting as the board sent it, so an unchanged one is skipped

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: added in place on SQLite; a posting without one is normalized in full
    # at its next crawl and gets one then.
    with op.batch_alter_table("postings") as batch:
        batch.add_column(sa.Column("raw_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("postings", recreate="never") as batch:
        batch.drop_column("raw_hash")
