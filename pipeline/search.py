"""The full-text index of postings: each posting's current version, its title, department and
description, in `posting_search` — an FTS5 table on SQLite, a weighted tsvector with a GIN index
on PostgreSQL. The store keeps it in step as it writes versions; readers ask it through
`IndexQuery`.

The table is made by migration 0009, outside the ORM models (neither an FTS5 table nor a
tsvector has a portable model): `outside_index` tells Alembic to leave it alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    bindparam,
    column,
    func,
    literal_column,
    table,
    text,
)
from sqlalchemy.orm import Session

INDEX_TABLE = "posting_search"
# Only the start of a very long description is indexed: a PostgreSQL tsvector holds at most
# 1 MB, and a normalized description may run to a million characters.
INDEXED_CHARS = 50_000
# SQLite: Porter stemming ("databases" finds "database"), accents folded.
FTS5_TOKENIZE = "porter unicode61 remove_diacritics 2"
# bm25 weight of each column, in the table's column order: a title hit outranks a description hit.
FTS5_WEIGHTS = (10.0, 4.0, 1.0)
# PostgreSQL: English stemming, no stop words (migration 0009 makes the configuration). Text is
# cut into plain words first, on both sides of a match, so "node.js" or a URL is words as it
# is on SQLite, not one token of PostgreSQL's parser.
PG_CONFIG = "rolewatch_english"
_PG_WORDS = r"[^[:alnum:]]+"
# ts_rank's weights for D, C, B, A: title (A) over department (B) over description (C).
PG_WEIGHTS = "{0.05,0.1,0.4,1.0}"


def is_index_table(name: str) -> bool:
    """The index's table, or one of the tables FTS5 keeps it in (`posting_search_data`, ...)."""
    return name == INDEX_TABLE or name.startswith(f"{INDEX_TABLE}_")


def outside_index(name: str | None, kind: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic's `include_name`: every name but the index's tables, which no model describes."""
    return not (kind == "table" and is_index_table(name or ""))


def indexed_text(data: Mapping[str, Any]) -> dict[str, Any]:
    """What of a version's data is indexed. The migration's `fill_index` reads the same out of
    the stored JSON; on SQLite the two must agree exactly, since an entry is removed by
    repeating what was indexed."""
    description = data.get("description")
    return {
        "title": data.get("title"),
        "department": data.get("department"),
        "description": description[:INDEXED_CHARS] if isinstance(description, str) else description,
    }


_FTS5_INSERT = text(
    f"INSERT INTO {INDEX_TABLE} (rowid, title, department, description)"
    " VALUES (:id, :title, :department, :description)"
)
# A contentless FTS5 table forgets a row by being told what it indexed for it.
_FTS5_DELETE = text(
    f"INSERT INTO {INDEX_TABLE} ({INDEX_TABLE}, rowid, title, department, description)"
    " VALUES ('delete', :id, :title, :department, :description)"
)


def _pg_words(value: str) -> str:
    return f"regexp_replace(coalesce({value}, ''), '{_PG_WORDS}', ' ', 'g')"


def pg_document(title: str, department: str, description: str) -> str:
    """The weighted tsvector of three SQL text expressions."""
    parts = zip((title, department, description), "ABC", strict=True)
    return " || ".join(
        f"setweight(to_tsvector('{PG_CONFIG}', {_pg_words(value)}), '{weight}')" for value, weight in parts
    )


_PG_UPSERT = text(
    f"INSERT INTO {INDEX_TABLE} (posting_id, document)"
    f" VALUES (:id, {pg_document(':title', ':department', ':description')})"
    " ON CONFLICT (posting_id) DO UPDATE SET document = excluded.document"
)


def index_new(session: Session, postings: Sequence[tuple[int, Mapping[str, Any]]]) -> None:
    """Index first versions: (posting id, version data) each."""
    if not postings:
        return
    statement = _FTS5_INSERT if _dialect(session) == "sqlite" else _PG_UPSERT
    session.execute(statement, [{"id": posting_id, **indexed_text(data)} for posting_id, data in postings])


def reindex(session: Session, changes: Sequence[tuple[int, Mapping[str, Any], Mapping[str, Any]]]) -> None:
    """Index new current versions in place of their previous ones: (posting id, previous
    version's data, new version's data) each."""
    if not changes:
        return
    if _dialect(session) == "sqlite":
        session.execute(
            _FTS5_DELETE, [{"id": posting_id, **indexed_text(old)} for posting_id, old, _ in changes]
        )
    index_new(session, [(posting_id, new) for posting_id, _, new in changes])


def fill_index(connection: Connection) -> None:
    """Index the current version of every stored posting in bulk, in SQL (the migration that
    makes the index, and the benchmark, call it on an empty index)."""
    current = "FROM postings p JOIN posting_versions v ON v.posting_id = p.id AND v.number = p.version_count"
    if connection.dialect.name == "sqlite":
        connection.execute(
            text(
                f"INSERT INTO {INDEX_TABLE} (rowid, title, department, description)"
                " SELECT p.id, json_extract(v.data, '$.title'), json_extract(v.data, '$.department'),"
                f" substr(json_extract(v.data, '$.description'), 1, {INDEXED_CHARS}) {current}"
            )
        )
        return
    document = pg_document(
        "v.data ->> 'title'", "v.data ->> 'department'", f"left(v.data ->> 'description', {INDEXED_CHARS})"
    )
    connection.execute(
        text(f"INSERT INTO {INDEX_TABLE} (posting_id, document) SELECT p.id, {document} {current}")
    )


@dataclass(frozen=True)
class IndexQuery:
    """A match against the index, to join into a query: `table` holds the rows, `posting_id`
    names the posting of each, `matches` is the condition and `score` the relevance (lower is
    better, so both dialects sort ascending)."""

    table: FromClause
    posting_id: ColumnElement[int]
    matches: ColumnElement[bool]
    score: ColumnElement[float]


def index_query(dialect: str, phrases: Sequence[str]) -> IndexQuery:
    """Postings whose text holds every phrase (words separated by spaces, each phrase's words in
    order). Phrases go in as bound values, so no text can alter the query's syntax; on SQLite
    each must hold only letters, digits and spaces (`rolewatch.search_text` makes them so)."""
    assert phrases, "a search needs at least one phrase"
    if dialect == "sqlite":
        assert all('"' not in phrase for phrase in phrases)
        fts = table(INDEX_TABLE, column("rowid"))
        match = " ".join(f'"{phrase}"' for phrase in phrases)
        whole: ColumnElement[Any] = literal_column(INDEX_TABLE)
        return IndexQuery(
            table=fts,
            posting_id=fts.c.rowid,
            matches=whole.op("MATCH")(bindparam("search_match", match)),
            score=func.bm25(whole, *FTS5_WEIGHTS),
        )
    index = table(INDEX_TABLE, column("posting_id"), column("document"))
    config: ColumnElement[Any] = literal_column(f"'{PG_CONFIG}'::regconfig")
    queries: list[ColumnElement[Any]] = [
        func.phraseto_tsquery(
            config, func.regexp_replace(bindparam(f"search_phrase_{at}", phrase), _PG_WORDS, " ", "g")
        )
        for at, phrase in enumerate(phrases)
    ]
    query = reduce(lambda left, right: left.op("&&")(right), queries)
    return IndexQuery(
        table=index,
        posting_id=index.c.posting_id,
        matches=index.c.document.op("@@")(query),
        score=-func.ts_rank(literal_column(f"'{PG_WEIGHTS}'::float4[]"), index.c.document, query),
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
