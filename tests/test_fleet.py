"""Crawling through the queue: a scheduler and three `rolewatch worker`s against the local Redis
and PostgreSQL, one worker SIGKILLed mid-crawl; the result must equal a one-process crawl."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from config.loader import load_config
from crawler.fleet import Fleet
from crawler.fleet_sources import start_source
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Event, OutboxItem, Posting, PostingVersion, Source
from pipeline.store import begin_crawl
from rolewatch.boardserver import BoardServer, Incoming, Reply
from rolewatch.cycle import crawl_sources
from rolewatch.demo_boards import board_before
from tests.conftest import POSTGRES_URL, real_payload

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "redis://127.0.0.1:6379/15"  # a database of its own, emptied by each test
GREENHOUSE_BOARDS = 190
SMARTRECRUITERS_BOARDS = 10
WORKERS = 3
# Each board answers slowly enough that the crawl is still going when a worker is killed.
DELAY = 0.15

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs ROLEWATCH_TEST_POSTGRES_URL (.ci/run sets it)"
)


def greenhouse_board(index: int, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    """A few of Stripe's real jobs as another company's: distinct ids and company name."""
    start = (index * 7) % (len(jobs) - 8)
    chosen = copy.deepcopy(jobs[start : start + 2 + index % 5])
    for job in chosen:
        job["id"] = int(f"{index + 1}{job['id']}")
        job["company_name"] = f"Company {index}"
    return {"jobs": chosen, "meta": {"total": len(chosen)}}


def serve_smartrecruiters(server: BoardServer, index: int) -> int:
    """The recorded Tieto list as company `index`'s, paged two at a time, with details."""
    company = f"Paged{index}"
    items = copy.deepcopy(real_payload("smartrecruiters/tieto-postings.json")["content"])
    for item in items:
        item["id"] = f"{index}{item['id']}"
        item["company"] = {**item.get("company", {}), "name": f"Paged Company {index}"}
    job_ad = real_payload("smartrecruiters/visa-posting-detail.json")["jobAd"]
    path = f"/v1/companies/{company}/postings"

    def list_page(request: Incoming) -> Reply:
        offset = int(request.query["offset"][0])
        page = {"offset": offset, "limit": 2, "totalFound": len(items), "content": items[offset : offset + 2]}
        return Reply(json.dumps(page).encode(), delay=DELAY)

    server.handle(path, list_page)
    for item in items:
        server.set(f"{path}/{item['id']}", Reply(json.dumps({**item, "jobAd": job_ad}).encode(), delay=DELAY))
    return len(items)


def write_config(folder: Path, name: str, database: str, url: str, queue: str | None) -> Path:
    lines = [f'database: "{database}"']
    if queue:
        lines.append(f"queue: {queue}")
    lines += [
        "crawl: {concurrency: 8, per_host: 6, autothrottle: false}",
        "mail: {transport: maildir, maildir: " + str(folder / f"{name}-mail") + "}",
        "sources:",
    ]
    for index in range(GREENHOUSE_BOARDS):
        lines.append(
            f"  - {{name: gh{index:03d}, type: greenhouse, board: gh{index:03d}, api_base: '{url}'}}"
        )
    for index in range(SMARTRECRUITERS_BOARDS):
        lines.append(
            f"  - {{name: sr{index}, type: smartrecruiters, board: Paged{index}, api_base: '{url}'}}"
        )
    lines += [
        "watches: [{name: infra, extends: infrastructure}]",
        "recipients: [{email: ops@example.com, watches: [infra]}]",
    ]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def schemas() -> Iterator[list[str]]:
    """Two private schemas on the test PostgreSQL: the fleet's database and the one-process one."""
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(url)
    names = [f"f_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with admin.begin() as connection:
        for name in names:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield [
            url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
            for name in names
        ]
    finally:
        with admin.begin() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def start_worker(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ROLEWATCH_WORKER_LEASE": "4"}
    return subprocess.Popen(
        [sys.executable, "-m", "rolewatch", "worker", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def wait_for_workers(queue: redis.Redis, workers: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 60
    while queue.hlen("rolewatch:workers") < len(workers):
        if time.monotonic() > deadline or any(worker.poll() is not None for worker in workers):
            tails = [path.read_text()[-2000:] for path in sorted(logs.glob("worker*.log"))]
            pytest.fail("the workers did not start:\n" + "\n".join(tails))
        time.sleep(0.1)


def describe(queue: redis.Redis) -> str:
    """What the queue holds, for a failure message."""
    lines = [
        f"queued requests: {queue.zcard('rolewatch:requests')}",
        f"runs: {queue.zrange('rolewatch:runs', 0, -1, withscores=True)}",
    ]
    for key in queue.scan_iter("rolewatch:run:*"):
        if key.count(b":") == 2:
            state = Fleet(QUEUE).load(int(key.split(b":")[2]))
            if state is None:
                continue
            lines.append(
                f"{state.source.name}: {len(state.pending)} pending, problems {state.board.problems}"
            )
    for key in queue.scan_iter("rolewatch:worker:*"):
        lines.append(f"{key!r}: {queue.hlen(key)} taken")
    lines.append(f"workers: {queue.hgetall('rolewatch:workers')}, now {time.time()}")
    return "\n".join(lines)


def rolewatch(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolewatch", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def queue_status(config: Path) -> dict[str, Any]:
    """The queue's line of `rolewatch status --json`."""
    shown = rolewatch("status", "--json", "--config", str(config))
    assert shown.returncode == 0, shown.stderr[-2000:]
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    return next(line for line in lines if "queue" in line)


def test_status_shows_the_queue_its_sources_and_workers(tmp_path: Path, schemas: list[str]) -> None:
    queue = redis.Redis.from_url(QUEUE)
    queue.flushdb()
    path = write_config(tmp_path, "status", schemas[0], "http://127.0.0.1:9", QUEUE)
    config = load_config(path)
    engine = open_database(schemas[0])
    fleet = Fleet(QUEUE)
    try:
        for source in config.sources[:2]:
            start_source(fleet, source, begin_crawl(session_factory(engine), source), 2083, 30)
        fleet.report("alive-worker")
        queue.hset("rolewatch:workers", "silent-worker", time.time() - 600)
        queue.hset("rolewatch:worker:silent-worker:inflight", "t1", b"request")

        shown = queue_status(path)
        assert shown["queue"] == QUEUE and shown["queued"] == 2
        assert [(s["source"], s["pending"], s["requested"], s["finisher"]) for s in shown["sources"]] == [
            ("gh000", 1, 1, None),
            ("gh001", 1, 1, None),
        ]
        assert [(w["worker"], w["state"], w["in_flight"]) for w in shown["workers"]] == [
            ("alive-worker", "alive", 0),
            ("silent-worker", "silent", 1),
        ]
        table = rolewatch("status", "--config", str(path))
        assert table.returncode == 0, table.stderr
        assert f"queue {QUEUE}: 2 requests waiting, 2 sources in flight" in table.stdout
        rows = [line.split() for line in table.stdout.splitlines()]
        assert ["WORKER", "LAST_REPORT", "STATE", "IN_FLIGHT"] in rows, table.stdout
        silent = next(row for row in rows if row[:1] == ["silent-worker"])
        assert 600 <= float(silent[1]) < 660 and silent[2:] == ["s", "ago", "silent", "1"], table.stdout
    finally:
        engine.dispose()
        queue.flushdb()


def test_status_says_when_the_queue_cannot_be_reached(tmp_path: Path, schemas: list[str]) -> None:
    path = write_config(tmp_path, "away", schemas[0], "http://127.0.0.1:9", "redis://127.0.0.1:9/0")
    open_database(schemas[0]).dispose()
    shown = rolewatch("status", "--config", str(path))
    assert shown.returncode == 1
    assert "error: queue redis://127.0.0.1:9/0: Error" in shown.stderr, shown.stderr
    assert "Traceback" not in shown.stderr


def stored(database: str) -> dict[str, Any]:
    engine = open_database(database)
    with session_factory(engine)() as session:
        events = session.execute(
            select(Source.name, Posting.external_id, Event.type)
            .join(Posting, Posting.id == Event.posting_id)
            .join(Source, Source.id == Posting.source_id)
        ).all()
        runs = session.execute(
            select(Source.name, CrawlRun.status).join(Source, Source.id == CrawlRun.source_id)
        ).all()
        result = {
            "events": sorted(events),
            "postings": session.scalar(select(func.count()).select_from(Posting)),
            "distinct postings": session.scalar(
                select(func.count()).select_from(
                    select(Posting.source_id, Posting.external_id).distinct().subquery()
                )
            ),
            "versions": session.scalar(select(func.count()).select_from(PostingVersion)),
            "outbox": session.scalar(select(func.count()).select_from(OutboxItem)),
            "runs": sorted(runs),
        }
    engine.dispose()
    return result


def test_three_workers_one_killed_crawl_every_board_once_as_one_process_does(
    tmp_path: Path, schemas: list[str]
) -> None:
    fleet_db, single_db = schemas
    queue = redis.Redis.from_url(QUEUE)
    queue.flushdb()
    jobs = board_before()["jobs"]
    with BoardServer() as server:
        for index in range(GREENHOUSE_BOARDS):
            body = json.dumps(greenhouse_board(index, jobs)).encode()
            server.set(f"/v1/boards/gh{index:03d}/jobs", Reply(body, delay=DELAY))
        paged = sum(serve_smartrecruiters(server, index) for index in range(SMARTRECRUITERS_BOARDS))
        expected_postings = (
            sum(len(greenhouse_board(i, jobs)["jobs"]) for i in range(GREENHOUSE_BOARDS)) + paged
        )

        single = load_config(write_config(tmp_path, "single", single_db, server.url, None))
        open_database(single_db).dispose()
        assert all(outcome.ok for outcome in crawl_sources(single))
        served_alone = len(server.received)

        fleet_config = write_config(tmp_path, "fleet", fleet_db, server.url, QUEUE)
        open_database(fleet_db).dispose()
        workers = [start_worker(fleet_config, tmp_path / f"worker{n}.log") for n in range(WORKERS)]
        scheduler: subprocess.Popen[bytes] | None = None
        try:
            wait_for_workers(queue, workers, tmp_path)
            before = len(server.received)
            scheduler = subprocess.Popen(
                [sys.executable, "-m", "rolewatch", "run", "--json", "--config", str(fleet_config)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            # Kill one worker once the crawl is well under way, with requests in its hands.
            deadline = time.monotonic() + 120
            while len(server.received) - before < served_alone // 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            shown = queue_status(fleet_config)
            # The scheduler reports too: it may finish an overdue source itself.
            assert [w["worker"].startswith("scheduler:") for w in shown["workers"]].count(False) == WORKERS
            assert {worker["state"] for worker in shown["workers"]} == {"alive"}
            # In flight: waiting for requests, or (none pending) being stored by its finisher.
            assert any(source["pending"] >= 1 for source in shown["sources"])
            assert all(source["pending"] >= 1 or source["finisher"] for source in shown["sources"])
            workers[0].send_signal(signal.SIGKILL)
            try:
                out, err = scheduler.communicate(timeout=240)
            except subprocess.TimeoutExpired:
                scheduler.kill()
                pytest.fail("the scheduler did not finish: " + describe(queue))
            assert scheduler.returncode == 0, err.decode()[-3000:]

            fleet = stored(fleet_db)
            alone = stored(single_db)
            assert fleet["postings"] == fleet["distinct postings"] == expected_postings, out.decode()[-2000:]
            assert (
                fleet["runs"]
                == alone["runs"]
                == sorted(
                    [(f"gh{i:03d}", "complete") for i in range(GREENHOUSE_BOARDS)]
                    + [(f"sr{i}", "complete") for i in range(SMARTRECRUITERS_BOARDS)]
                )
            )
            assert fleet["events"] == alone["events"]
            assert len(set(fleet["events"])) == len(fleet["events"]) == expected_postings
            assert (fleet["versions"], fleet["outbox"]) == (alone["versions"], alone["outbox"])

            # Unchanged boards, crawled again through the (two remaining) workers: nothing stored.
            second = rolewatch("crawl", "--json", "--config", str(fleet_config), timeout=300)
            assert second.returncode == 0, second.stderr[-3000:]
            again = stored(fleet_db)
            assert (again["versions"], again["events"], again["postings"]) == (
                fleet["versions"],
                fleet["events"],
                fleet["postings"],
            )
            assert [status for _, status in again["runs"]].count("complete") == 2 * len(fleet["runs"])
        finally:
            if scheduler is not None and scheduler.poll() is None:
                scheduler.kill()
            for worker in workers:
                if worker.poll() is None:
                    worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
            queue.flushdb()
