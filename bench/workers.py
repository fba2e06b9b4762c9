"""The workers benchmark: one farm, crawled through the Redis queue by 1, 2 and 4 workers.

For each worker count, in one run and against one farm process (bench/farm.py):

- a fresh PostgreSQL schema and an emptied Redis database;
- N `rolewatch worker`s started and seen reporting, then `rolewatch crawl` (the scheduler
  side: it queues every source and waits for the workers' outcomes) timed by wall clock — the
  first crawl, then again on the unchanged farm;
- the workers' summed peak RSS, read from /proc before they are stopped.

Beside them, in the same run: the floor fetch (a bare Scrapy spider) and rolewatch's
one-process crawl into PostgreSQL, so each figure has its floor beside it. Every step is checked
against the farm's request counts and the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.crawl import FarmProcess, Limits, Step, check_crawls, farm, floor_fetch, measured, write_config
from bench.farm import farm_postings
from bench.measure import ROLEWATCH, _high_water_kib

POSTGRES = os.environ.get("ROLEWATCH_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
QUEUE = os.environ.get("ROLEWATCH_BENCH_QUEUE", "redis://127.0.0.1:6379/14")
os.environ.setdefault("ROLEWATCH_QUEUE_KEY", "bench-fleet-key-0123456789abcdef")
WORKER_COUNTS = (1, 2, 4)


@dataclass
class WorkersRow:
    label: str
    step: Step
    stored: int | None  # postings in the database after it
    workers_rss_mib: float | None = None


@contextmanager
def schema() -> Iterator[str]:
    """A private schema on the benchmark's PostgreSQL, as a database URL; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES).set(drivername="postgresql+psycopg")
    admin = create_engine(url)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        scoped = url.update_query_dict({"options": f"-csearch_path={name}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def stored_postings(database: str) -> int:
    from sqlalchemy import create_engine, func, select
    from sqlalchemy.engine import make_url

    from pipeline.models import Posting

    engine = create_engine(make_url(database).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Posting)) or 0)
    finally:
        engine.dispose()


class Workers:
    """N `rolewatch worker` processes on one config; `stop()` ends them with SIGTERM."""

    def __init__(self, config: Path, count: int, log_folder: Path) -> None:
        import redis

        self.children = [
            subprocess.Popen(
                [ROLEWATCH, "worker", "--config", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=(log_folder / f"worker{n}.log").open("wb"),
            )
            for n in range(count)
        ]
        queue = redis.Redis.from_url(QUEUE)
        deadline = time.monotonic() + 120
        while queue.hlen("rolewatch:workers") < count:
            if time.monotonic() > deadline or any(child.poll() is not None for child in self.children):
                self.stop()
                tails = [(log_folder / f"worker{n}.log").read_text()[-1500:] for n in range(count)]
                raise RuntimeError("the workers did not start:\n" + "\n".join(tails))
            time.sleep(0.1)

    def peak_rss_mib(self) -> float:
        return sum(_high_water_kib(child.pid) for child in self.children) / 1024

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def upgrade(config: Path) -> None:
    subprocess.run([ROLEWATCH, "db", "upgrade", "--config", str(config)], check=True, capture_output=True)


def crawl_twice(
    label: str, config: Path, database: str, boards: int, farm_process: FarmProcess, workers: Workers | None
) -> list[WorkersRow]:
    postings = farm_postings(boards)
    crawl = [ROLEWATCH, "crawl", "--config", str(config)]
    rows = []
    for name in ("first crawl", "unchanged recrawl"):
        step, outcome = measured(f"{label} {name}", crawl, postings, farm_process, boards)
        check_crawls(step, outcome, boards)
        stored = stored_postings(database)
        if stored != postings:
            step.problems.append(f"{stored:,} postings stored, expected {postings:,}")
        rows.append(WorkersRow(f"{label}: {name}", step, stored))
    if workers is not None:
        rss = workers.peak_rss_mib()
        for row in rows:
            row.workers_rss_mib = rss
    return rows


def bench_workers(boards: int, counts: list[int], limits: Limits) -> list[WorkersRow]:
    import redis

    queue = redis.Redis.from_url(QUEUE)
    rows: list[WorkersRow] = []
    postings = farm_postings(boards)
    print(f"workers: {boards:,} boards, {postings:,} postings", file=sys.stderr, flush=True)
    with farm(boards) as farm_process, tempfile.TemporaryDirectory(prefix="rolewatch-bench-") as name:
        folder = Path(name)
        fetch, _ = floor_fetch(boards, postings, farm_process, limits)
        rows.append(WorkersRow("floor fetch (bare Scrapy)", fetch, None))

        with schema() as database:
            config = write_config(folder, boards, farm_process.port, limits, database=database)
            upgrade(config)
            rows += crawl_twice("one process", config, database, boards, farm_process, None)

        for count in counts:
            queue.flushdb()
            with schema() as database:
                config = write_config(folder, boards, farm_process.port, limits, database, QUEUE)
                upgrade(config)
                workers = Workers(config, count, folder)
                try:
                    rows += crawl_twice(f"{count} worker(s)", config, database, boards, farm_process, workers)
                finally:
                    workers.stop()
            queue.flushdb()
    print(
        f"workers: {boards:,} Greenhouse boards ({postings:,} postings) on the farm, PostgreSQL {POSTGRES}, "
        f"queue {QUEUE}; limits per worker: concurrency {limits.concurrency}, per host {limits.per_host} "
        "for the whole fleet; x floor = seconds / floor fetch; workers' RSS = sum of their peaks"
    )
    print(table(rows))
    return rows


def table(rows: list[WorkersRow]) -> str:
    header = f"{'step':<32} {'seconds':>9} {'postings/s':>11} {'x floor':>8} {'workers RSS MiB':>16}"
    lines = [header, "-" * len(header)]
    floor = rows[0].step.seconds
    for row in rows:
        step = row.step
        rss = f"{row.workers_rss_mib:.0f}" if row.workers_rss_mib is not None else "-"
        lines.append(
            f"{row.label:<32} {step.seconds:>9.2f} {step.postings / step.seconds:>11,.0f} "
            f"{step.seconds / floor:>8.2f} {rss:>16}"
        )
    lines += [f"  PROBLEM in {row.label}: {problem}" for row in rows for problem in row.step.problems]
    return "\n".join(lines)
