"""Full-text search over 600,000 stored postings, on SQLite and on PostgreSQL, beside the floor:
the bare FTS5 / tsvector query on the same index, ranked the same way, without joins or filters.

The postings are the recorded boards' real postings (Greenhouse, Lever, Ashby), repeated with a
level before their titles ("Senior ...") over 2,000 sources and a year of first sightings, one
in ten closed. They are written with bulk SQL, and indexed with the SQL migration 0009 fills
the index with (`pipeline.search.fill_index`). Each search runs once to warm up, then five
times; the median counts.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, text

from bench.workers import schema
from config.loader import parse_config
from config.schema import Config, MinSalary
from crawler.extract.ashby import extract_ashby
from crawler.extract.greenhouse import extract_greenhouse
from crawler.extract.lever import extract_lever
from pipeline.db import open_database, session_factory
from pipeline.models import Source, UTCDateTime, utcnow
from pipeline.normalize import normalize
from pipeline.search import (
    FTS5_WEIGHTS,
    INDEX_TABLE,
    INDEXED_CHARS,
    PG_CONFIG,
    PG_WEIGHTS,
    fill_index,
    pg_document,
)
from pipeline.states import PostingStatus
from rolewatch.search import SearchFilter, SearchHit, search_postings
from rolewatch.search_text import parse_query

POSTINGS = 600_000
SOURCES = 2_000
LIMIT = 50
RUNS = 5
REAL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "real"
DEMO = Path(__file__).resolve().parent.parent / "rolewatch" / "demo_data"
BOARDS = [
    (extract_greenhouse, DEMO / "stripe-jobs-content-2026-08-04.json", None),
    (extract_greenhouse, REAL / "greenhouse" / "smarterdx-jobs-content.json", None),
    (extract_lever, REAL / "lever" / "palantir-postings-2026-08-17.json", "Palantir"),
    (extract_lever, REAL / "lever" / "matchgroup-postings.json", "Match Group"),
    (extract_ashby, REAL / "ashby" / "etched-job-board.json", "Etched"),
    (extract_ashby, REAL / "ashby" / "openevidence-job-board.json", "OpenEvidence"),
]
CONFIG = """
database: sqlite:///unused.db
mail: {transport: stdout}
sources: [{name: board00000, type: greenhouse, board: b}]
watches: [{name: infra, extends: infrastructure}]
recipients: [{email: me@example.com, watches: [infra]}]
"""


@dataclass(frozen=True)
class Case:
    label: str
    query: str
    where: SearchFilter = SearchFilter()


CASES = [
    Case("rare word: ASIC", "ASIC"),
    Case('phrase: "distributed systems"', '"distributed systems"'),
    Case("two words: backend engineer", "backend engineer"),
    Case("common word: engineer", "engineer"),
    Case(
        "engineer, open, remote, pay >= 150k USD",
        "engineer",
        SearchFilter(status=PostingStatus.OPEN, workplace=("remote",), min_pay=MinSalary(amount=150_000)),
    ),
    Case("engineer, --place SF", "engineer", SearchFilter(places=("SF",))),
    Case("kubernetes, --watch infra (preset)", "kubernetes", SearchFilter(watch="infra")),
]


def templates() -> list[dict[str, Any]]:
    """The recorded boards' postings, normalized as a crawl stores them."""
    found = []
    for extract, path, company in BOARDS:
        for raw in extract(json.loads(path.read_text(encoding="utf-8")), company).postings:
            found.append(normalize(raw, company).as_dict())
    return found


def generate(engine: Engine, count: int) -> float:
    """`count` postings, their versions and their index, in bulk SQL; returns the seconds taken."""
    started = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"
    rows = templates()
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            insert(Source),
            [{"id": n, "name": f"board{n:05d}", "type": "greenhouse"} for n in range(1, SOURCES + 1)],
        )
        connection.execute(text("CREATE TEMPORARY TABLE bench_templates (n INTEGER PRIMARY KEY, data TEXT)"))
        connection.execute(
            text("INSERT INTO bench_templates (n, data) VALUES (:n, :data)"),
            [{"n": n, "data": json.dumps(data)} for n, data in enumerate(rows)],
        )
        _insert(connection, sqlite, count, len(rows), now)
        if sqlite:
            fill_index(connection)
        else:
            _fill_postgresql_index(connection, count, len(rows))
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


NUMBERS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
LEVEL = "CASE i % 4 WHEN 0 THEN 'Senior ' WHEN 1 THEN 'Staff ' WHEN 2 THEN '' ELSE 'Lead ' END"


def _insert(connection: Connection, sqlite: bool, count: int, kinds: int, now: Any) -> None:
    if sqlite:
        first_seen = "datetime(:now, '-' || (i % 365) || ' days')"
        data = (
            "json_set(t.data, '$.external_id', CAST(i AS TEXT),"
            f" '$.title', {LEVEL} || json_extract(t.data, '$.title'))"
        )
    else:
        first_seen = "CAST(:now AS timestamptz) - (i % 365) * interval '1 day'"
        data = (
            "CAST(CAST(t.data AS jsonb) || jsonb_build_object('external_id', CAST(i AS TEXT),"
            f" 'title', {LEVEL} || (CAST(t.data AS jsonb) ->> 'title')) AS json)"
        )
    postings = (
        f"{NUMBERS}INSERT INTO postings (id, source_id, external_id, fingerprint, status, first_seen,"
        " last_seen, missing_count, current_hash, version_count)"
        f" SELECT i, 1 + i % {SOURCES}, CAST(i AS TEXT), 'f' || CAST(i AS TEXT),"
        f" CASE WHEN i % 10 = 0 THEN 'closed' ELSE 'open' END, {first_seen}, :now, 0,"
        " 'h' || CAST(i AS TEXT), 1 FROM n"
    )
    versions = (
        f"{NUMBERS}INSERT INTO posting_versions (id, posting_id, number, content_hash, data, seen_at)"
        f" SELECT i, i, 1, 'h' || CAST(i AS TEXT), {data}, :now"
        f" FROM n JOIN bench_templates t ON t.n = i % {kinds}"
    )
    stamp = bindparam("now", type_=UTCDateTime())
    for sql in (postings, versions):
        connection.execute(text(sql).bindparams(stamp), {"count": count, "now": now})


def _fill_postgresql_index(connection: Connection, count: int, kinds: int) -> None:
    """What `fill_index` writes, each distinct text's tsvector made once and copied: PostgreSQL
    makes a tsvector of a few kilobytes in milliseconds, so 600,000 would take half an hour."""
    document = pg_document(
        f"({LEVEL.replace('i % 4', 'k')}) || (CAST(t.data AS json) ->> 'title')",
        "CAST(t.data AS json) ->> 'department'",
        f"left(CAST(t.data AS json) ->> 'description', {INDEXED_CHARS})",
    )
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE bench_documents AS SELECT t.n, levels.k, {document} AS document"
            " FROM bench_templates t CROSS JOIN (VALUES (0), (1), (2), (3)) AS levels(k)"
        )
    )
    connection.execute(
        text(
            f"{NUMBERS}INSERT INTO {INDEX_TABLE} (posting_id, document) SELECT i, d.document"
            f" FROM n JOIN bench_documents d ON d.n = i % {kinds} AND d.k = i % 4"
        ),
        {"count": count},
    )


def floor_query(engine: Engine, query: str) -> tuple[str, dict[str, Any]]:
    """The bare index query for `query`: its `LIMIT` best, ranked as rolewatch ranks."""
    phrases = parse_query(query).phrases
    if engine.dialect.name == "sqlite":
        weights = ", ".join(str(weight) for weight in FTS5_WEIGHTS)
        match = " ".join(f'"{phrase}"' for phrase in phrases)
        sql = (
            f"SELECT rowid FROM {INDEX_TABLE} WHERE {INDEX_TABLE} MATCH :match"
            f" ORDER BY bm25({INDEX_TABLE}, {weights}) LIMIT {LIMIT}"
        )
        return sql, {"match": match}
    tsquery = " && ".join(f"phraseto_tsquery('{PG_CONFIG}', :p{at})" for at in range(len(phrases)))
    sql = (
        f"SELECT posting_id FROM {INDEX_TABLE}, (SELECT {tsquery}) AS q(query) WHERE document @@ query"
        f" ORDER BY ts_rank('{PG_WEIGHTS}'::float4[], document, query) DESC LIMIT {LIMIT}"
    )
    return sql, {f"p{at}": phrase for at, phrase in enumerate(phrases)}


def median_seconds(step: Callable[[], object]) -> float:
    step()  # warm the caches
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


@dataclass(frozen=True)
class Row:
    database: str
    case: str
    found: int
    rolewatch: float
    floor: float


def measure(engine: Engine, label: str, config: Config) -> list[Row]:
    sessions = session_factory(engine)
    rows = []
    with engine.connect() as connection, sessions() as session:
        for case in CASES:
            sql, params = floor_query(engine, case.query)

            def search(case: Case = case) -> list[SearchHit]:
                return search_postings(session, case.query, case.where, LIMIT, config)

            def floor(sql: str = sql, params: dict[str, Any] = params) -> object:
                return connection.execute(text(sql), params).all()

            found = len(search())
            seconds, bare = median_seconds(search), median_seconds(floor)
            rows.append(Row(label, case.label, found, seconds, bare))
            print(
                f"search {label}: {case.label}: {seconds * 1000:.0f} ms (floor {bare * 1000:.0f} ms)",
                flush=True,
            )
    return rows


@contextmanager
def databases() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as folder, schema() as postgres:
        yield f"sqlite:///{Path(folder) / 'search.db'}", postgres


def bench_search(count: int = POSTINGS) -> list[Row]:
    config = parse_config(CONFIG, "bench.yaml")
    rows: list[Row] = []
    with databases() as (sqlite, postgres):
        for label, url in (("SQLite", sqlite), ("PostgreSQL", postgres)):
            engine = open_database(url)
            try:
                seconds = generate(engine, count)
                print(f"search {label}: {count:,} postings stored and indexed in {seconds:.0f} s", flush=True)
                rows += measure(engine, label, config)
            finally:
                engine.dispose()
    print(table(rows, count))
    return rows


def table(rows: list[Row], count: int) -> str:
    lines = [
        f"search over {count:,} postings, the {LIMIT} best (median of {RUNS} runs):",
        "",
        "| database | search | found | rolewatch ms | floor ms | x floor |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row.rolewatch / row.floor if row.floor else float("inf")
        figures = f"{row.found} | {row.rolewatch * 1000:.0f} | {row.floor * 1000:.0f} | {ratio:.1f}"
        lines.append(f"| {row.database} | {row.case} | {figures} |")
    return "\n".join(lines)
