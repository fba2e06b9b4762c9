"""posting_search: the full-text index of each posting's current title, department and
description (FTS5 on SQLite, a weighted tsvector with a GIN index on PostgreSQL), filled from
the postings already stored

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

from pipeline.search import fill_index

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Contentless: the text is in the versions already; the rowid is the posting's id.
        op.execute(
            "CREATE VIRTUAL TABLE posting_search USING fts5(title, department, description,"
            " content='', tokenize='porter unicode61 remove_diacritics 2')"
        )
    else:
        # English stemming without English stop words: "IT support" keeps its "IT", and a
        # query finds what it finds on SQLite.
        op.execute(
            "CREATE TEXT SEARCH DICTIONARY rolewatch_english_stem (TEMPLATE = snowball, LANGUAGE = english)"
        )
        op.execute("CREATE TEXT SEARCH CONFIGURATION rolewatch_english (COPY = pg_catalog.english)")
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION rolewatch_english"
            " ALTER MAPPING REPLACE english_stem WITH rolewatch_english_stem"
        )
        op.create_table(
            "posting_search",
            sa.Column("posting_id", sa.Integer(), sa.ForeignKey("postings.id"), primary_key=True),
            sa.Column("document", TSVECTOR(), nullable=False),
        )
        op.create_index("ix_posting_search_document", "posting_search", ["document"], postgresql_using="gin")
    fill_index(op.get_bind())


def downgrade() -> None:
    op.execute("DROP TABLE posting_search")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TEXT SEARCH CONFIGURATION rolewatch_english")
        op.execute("DROP TEXT SEARCH DICTIONARY rolewatch_english_stem")
