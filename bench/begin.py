"""Beginning crawls: a crawl run opened for each of 2,000 sources, one at a time and in the
batches a crawl begins them in, beside the floor: the same 2,000 rows inserted with `sqlite3`
in one transaction. Each way is run three times on one SQLite file; the best time counts."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

from config.schema import SourceConfig
from pipeline.db import open_database, session_factory
from pipeline.ingest import Ingest
from pipeline.models import CrawlRun
from pipeline.states import RunStatus


def best_of(runs: int, step: Callable[[], None], settle: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
        settle()
    return min(times)


def bench_begin(count: int = 2_000) -> None:
    sources = [SourceConfig(name=f"board{i:05d}", type="greenhouse", board=f"b{i}") for i in range(count)]
    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        sessions = session_factory(engine)
        ingest = Ingest(sessions)
        ingest.begin_many(sources)  # the sources' rows exist, as on every crawl but the first

        def settle() -> None:  # the runs finished, so the next crawl may begin them again
            with sessions.begin() as session:
                session.execute(update(CrawlRun).values(status=RunStatus.COMPLETE))

        settle()
        database = engine.url.database or ""
        engine.dispose()
        with sqlite3.connect(database) as raw:
            ids = [row for row in raw.execute("SELECT id FROM sources")]

        def floor() -> None:
            with sqlite3.connect(database) as raw:
                raw.executemany(
                    "INSERT INTO crawl_runs (source_id, started_at, status, seen, dropped, new,"
                    " changed, closed, reopened, owner)"
                    " VALUES (?, datetime('now'), 'running', 0, 0, 0, 0, 0, 0, 'bench')",
                    ids,
                )

        measured = [("floor: sqlite3, one transaction", best_of(3, floor, settle))]
        for size in (1, 8, 50):
            label = "one at a time" if size == 1 else f"batches of {size}"

            def begin(size: int = size) -> None:
                for at in range(0, count, size):
                    if size == 1:
                        ingest.begin(sources[at])
                    else:
                        ingest.begin_many(sources[at : at + size])

            measured.append((f"rolewatch, {label}", best_of(3, begin, settle)))
        engine.dispose()
    floor_seconds = measured[0][1]
    for label, seconds in measured:
        print(
            f"begin {count:,} sources, {label}: {seconds:.3f}s "
            f"({seconds / count * 1000:.3f} ms each, {seconds / floor_seconds:,.0f}x floor)"
        )
