"""Processes starting at once on one database: they migrate a new database once, and two crawls
of one new source do not both store it (the second says the first is at it). On SQLite and on
PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db import is_current, make_engine, open_database, session_factory
from pipeline.models import CrawlRun, Posting
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import board_before

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
STARTERS = 4

# Imports first, then every process opens the database at the same instant.
OPEN_AT = """
import sys, time
from pipeline.db import open_database
url, at = sys.argv[1], float(sys.argv[2])
time.sleep(max(0.0, at - time.time()))
open_database(url).dispose()
"""


def test_processes_starting_at_once_on_a_new_database_migrate_it_once(database_url: str) -> None:
    at = time.time() + 3
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AT, database_url, str(at)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(STARTERS)
    ]
    errors = [starter.communicate(timeout=120)[1] for starter in starters]
    assert [starter.returncode for starter in starters] == [0] * STARTERS, "\n".join(errors)[-3000:]
    engine = make_engine(database_url)
    assert is_current(engine)
    engine.dispose()


def test_two_crawls_of_one_new_source_at_once_store_it_once(tmp_path: Path, database_url: str) -> None:
    config = tmp_path / "rolewatch.yaml"
    with BoardServer() as server:
        # Slow enough that the second crawl starts while the first is fetching.
        server.set("/v1/boards/stripe/jobs", Reply(json.dumps(board_before()).encode(), delay=4))
        config.write_text(
            f'database: "{database_url}"\n'
            f"sources: [{{name: stripe, type: greenhouse, board: stripe, api_base: '{server.url}'}}]\n"
        )
        open_database(database_url).dispose()
        command = [sys.executable, "-m", "rolewatch", "crawl", "--json", "--config", str(config)]
        first = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not server.received and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        out, err = first.communicate(timeout=120)

    assert first.returncode == 0, err[-3000:]
    assert json.loads(out.splitlines()[-1])["status"] == "complete"
    assert second.returncode != 0
    busy = json.loads(second.stdout.splitlines()[-1])
    assert "stripe: already being crawled by " in busy["error"], second.stdout
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        runs = session.execute(select(CrawlRun.status)).scalars().all()
        postings = session.execute(select(Posting.external_id)).scalars().all()
    engine.dispose()
    assert runs == ["complete"]
    assert len(postings) == len(set(postings)) == len(board_before()["jobs"])
    assert [r.path for r in server.received].count("/v1/boards/stripe/jobs?content=true") == 1


# Two processes store two sources listing the same jobs, released at the same instant.
STORE_AT = """
import json, sys, time
from config.schema import SourceConfig
from crawler.extract.greenhouse import extract_greenhouse
from pipeline.db import open_database, session_factory
from pipeline.normalize import normalize
from pipeline.store import CrawlVerdict, begin_crawl, finish_crawl, store_postings

url, name, at = sys.argv[1], sys.argv[2], float(sys.argv[3])
board = json.loads(open(sys.argv[4]).read())
sessions = session_factory(open_database(url))
source = SourceConfig(name=name, type="greenhouse", board=name)
run_id = begin_crawl(sessions, source)
postings = [normalize(raw) for raw in extract_greenhouse(board).postings]
time.sleep(max(0.0, at - time.time()))
seen = store_postings(sessions, run_id, postings)
finish_crawl(sessions, run_id, source, seen, CrawlVerdict())
"""


def test_one_job_on_two_sources_stored_at_once_is_linked_and_announced_once(
    tmp_path: Path, database_url: str
) -> None:
    from pipeline.models import Event

    jobs = board_before()["jobs"]
    open_database(database_url).dispose()
    at = time.time() + 4
    stores = []
    for name, offset in (("stripe", 0), ("stripe-careers", 10**9)):
        board_file = tmp_path / f"{name}.json"
        board_file.write_text(json.dumps({"jobs": [{**job, "id": job["id"] + offset} for job in jobs]}))
        stores.append(
            subprocess.Popen(
                [sys.executable, "-c", STORE_AT, database_url, name, str(at), str(board_file)],
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    errors = [store.communicate(timeout=180)[1] for store in stores]
    assert [store.returncode for store in stores] == [0, 0], "\n".join(errors)[-3000:]
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        copies = session.execute(select(Posting.duplicate_of_id)).scalars().all()
        announced = session.execute(select(Event.announced)).scalars().all()
    engine.dispose()
    assert len(copies) == 2 * len(jobs)
    # Every job has one original and one copy linked to it, whichever source was stored first.
    assert copies.count(None) == len(jobs)
    assert announced.count(True) == len(jobs)


def test_a_database_locked_past_the_busy_timeout_is_one_clear_line_and_the_next_run_recovers(
    tmp_path: Path,
) -> None:
    import sqlite3

    database = tmp_path / "rolewatch.db"
    config = tmp_path / "rolewatch.yaml"
    with BoardServer() as server:
        server.set("/v1/boards/stripe/jobs", Reply(json.dumps(board_before()).encode()))
        config.write_text(
            f'database: "sqlite:///{database}"\n'
            f"sources: [{{name: stripe, type: greenhouse, board: stripe, api_base: '{server.url}'}}]\n"
            f"mail: {{transport: maildir, maildir: {tmp_path / 'mail'}}}\n"
        )
        open_database(f"sqlite:///{database}").dispose()
        command = [sys.executable, "-m", "rolewatch", "run", "--config", str(config)]
        env = {**os.environ, "ROLEWATCH_SQLITE_BUSY_TIMEOUT": "1"}
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another program holding the database
        try:
            locked = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert locked.returncode == 1
        assert "database is locked" in locked.stderr
        assert "Traceback" not in locked.stderr and "[SQL:" not in locked.stderr, locked.stderr

        recovered = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
        assert recovered.returncode == 0, recovered.stderr[-2000:]
    engine = open_database(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        statuses = session.execute(select(CrawlRun.status).order_by(CrawlRun.id)).scalars().all()
    engine.dispose()
    assert statuses[-1] == "complete"
