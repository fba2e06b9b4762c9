"""recipients named by a chat or webhook URL are stored under a redacted name, not the URL

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from config.schema import stored_address

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# A name `stored_address` made already ends in " #" and its hash.
_STORED = re.compile(r" #[0-9a-f]{16}$")


def upgrade() -> None:
    """Outbox items and digests stored under a URL as written (a token in it included) are
    renamed to what the code now stores them under, so pending ones are still sent."""
    connection = op.get_bind()
    for table in ("outbox", "digests"):
        found = connection.scalars(
            sa.text(f"SELECT DISTINCT recipient FROM {table} WHERE recipient LIKE '%://%'")
        ).all()
        for old in found:
            if not _STORED.search(old):
                connection.execute(
                    sa.text(f"UPDATE {table} SET recipient = :new WHERE recipient = :old"),
                    {"new": stored_address(old), "old": old},
                )


def downgrade() -> None:
    # The URLs are not kept anywhere to restore: the names stay as they are.
    pass
