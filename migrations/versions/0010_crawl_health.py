"""crawl runs keep how the board answered (ok, blocked, broken, gone); circuit breakers of hosts
and vendors are kept between runs

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("health", sa.String(10), nullable=True))
    # A complete run met no problem: the board answered. Of the others, what the problems were
    # was never recorded beside their text; they stay unknown.
    op.execute("UPDATE crawl_runs SET health = 'ok' WHERE status = 'complete'")
    op.create_table(
        "circuit_breakers",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("health", sa.String(10), nullable=True),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("probe", sa.String(200), nullable=True),
        sa.Column("probe_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("circuit_breakers")
    op.execute("UPDATE crawl_runs SET status = 'incomplete' WHERE status = 'skipped'")
    with op.batch_alter_table("crawl_runs", recreate="never") as batch:
        batch.drop_column("health")
