"""A crawl through the queue keeps the same bounds as a one-process crawl: a source past its
postings cap or its raw-size cap ends incomplete with its problem and closes nothing, while the
other sources of the crawl are stored complete."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from config.loader import load_config
from crawler.fleet import Fleet
from crawler.fleet_sources import finish_source, start_source
from pipeline.db import open_database, session_factory
from pipeline.ingest import Ingest
from pipeline.models import CrawlRun, Source
from pipeline.states import RunStatus
from pipeline.store import begin_crawl
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import board_before
from tests.conftest import stored_postings
from tests.test_fleet import QUEUE, rolewatch, schemas, start_worker, wait_for_workers

__all__ = ["schemas"]  # the PostgreSQL fixture, shared with the fleet's other tests


def runs(database: str) -> dict[str, tuple[str, str]]:
    engine = open_database(database)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(Source.name, CrawlRun.status, CrawlRun.problems).join(CrawlRun.source)
            )
            return {name: (RunStatus(status).value, problems or "") for name, status, problems in rows}
    finally:
        engine.dispose()


def test_postings_and_raw_size_caps_hold_for_the_workers(tmp_path: Path, schemas: list[str]) -> None:
    queue = redis.Redis.from_url(QUEUE)
    queue.flushdb()
    jobs = board_before()["jobs"]
    # A board past 1 MB: each job's description padded to 100 KB.
    heavy = copy.deepcopy(jobs)
    for job in heavy:
        job["id"] = int(f"9{job['id']}")
        job["content"] = "&lt;p&gt;" + "x" * 100_000 + "&lt;/p&gt;"
    with BoardServer() as server:
        server.set("/v1/boards/many/jobs", Reply(json.dumps({"jobs": jobs}).encode()))
        server.set("/v1/boards/heavy/jobs", Reply(json.dumps({"jobs": heavy}).encode()))
        small = [{**job, "id": int(f"7{job['id']}")} for job in jobs[:2]]
        server.set("/v1/boards/small/jobs", Reply(json.dumps({"jobs": small}).encode()))
        config = tmp_path / "fleet.yaml"
        base = f"api_base: '{server.url}'"
        config.write_text(
            f'database: "{schemas[0]}"\nqueue: {QUEUE}\ncrawl: {{max_postings: 5}}\n'
            "mail: {transport: maildir, maildir: " + str(tmp_path / "mail") + "}\n"
            "sources:\n"
            f"  - {{name: many, type: greenhouse, board: many, {base}}}\n"
            f"  - {{name: heavy, type: greenhouse, board: heavy, max_postings: 100, max_raw_mb: 1, {base}}}\n"
            f"  - {{name: small, type: greenhouse, board: small, {base}}}\n"
            "watches: [{name: infra, extends: infrastructure}]\n"
        )
        assert rolewatch("db", "upgrade", "--config", str(config)).returncode == 0
        worker = start_worker(config, tmp_path / "worker.log")
        try:
            wait_for_workers(queue, [worker], tmp_path)
            crawled = rolewatch("crawl", "--json", "--config", str(config), timeout=180)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    assert crawled.returncode == 1, crawled.stderr[-3000:]  # two sources are incomplete
    ended = runs(schemas[0])
    assert ended["small"] == ("complete", "")
    assert ended["many"][0] == "incomplete"
    assert "the board lists more than 5 postings: kept the first 5; raise max_postings" in ended["many"][1]
    assert ended["heavy"][0] == "incomplete"
    assert "max_raw_mb" in ended["heavy"][1], ended["heavy"][1]
    stored = stored_postings(schemas[0])
    assert len(stored) == 2 + 5  # small's two and the first five of many; heavy's body was not read
    queue.flushdb()


def test_a_source_whose_store_fails_is_published_failed_not_left_waiting(
    tmp_path: Path, schemas: list[str]
) -> None:
    queue = redis.Redis.from_url(QUEUE)
    queue.flushdb()
    config_path = tmp_path / "fleet.yaml"
    config_path.write_text(
        f'database: "{schemas[0]}"\nqueue: {QUEUE}\n'
        "sources: [{name: acme, type: greenhouse, board: acme, api_base: 'http://127.0.0.1:9'}]\n"
    )
    config = load_config(config_path)
    engine = open_database(schemas[0])
    fleet = Fleet(QUEUE)
    try:
        run_id = begin_crawl(session_factory(engine), config.sources[0])
        start_source(fleet, config.sources[0], run_id, 2083, 30)
        state = fleet.claim(run_id, "worker-1") or fleet.load(run_id)
        assert state is not None
        engine.dispose()
        # The database goes away between the crawl and its store.
        broken = Ingest(session_factory(open_database("sqlite:///" + str(tmp_path / "other.db"))))
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the store raises
            finish_source(fleet, broken, state)
        assert fleet.outcomes([run_id])[run_id]["error"].startswith("storing the crawl failed: ")
        assert not fleet.exists(run_id)  # nothing is left for a scheduler to wait for
    finally:
        queue.flushdb()
