"""Prometheus metrics read from the store at scrape time: `/metrics` on a real uvicorn server
(behind the web view's token and host rules) and `rolewatch daemon --metrics-port`, parsed
with prometheus_client's own parser and checked against the database."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from config.loader import load_config
from config.schema import Config
from notifier.digest import send_digests
from notifier.transports import MaildirTransport
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Digest, Event, OutboxItem, Posting
from pipeline.states import CrawlHealth, OutboxStatus, PostingStatus, RunStatus
from rolewatch.demo_boards import board_after, board_before
from rolewatch.metrics import failure_kind
from tests.conftest import free_port
from tests.test_web import serving, store

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """\
database: "{database}"
mail: {{transport: maildir, maildir: "{folder}/mail"}}
# Every board on a closed loopback port: a crawl the daemon starts fails there, on this machine.
sources:
  - {{name: stripe, type: greenhouse, board: stripe, close_after_missing: 1, api_base: "{nowhere}",
      schedule: {{every: 12h}}}}
  - {{name: gone, type: greenhouse, board: gone, api_base: "{nowhere}", schedule: {{every: 12h}}}}
  - {{name: odd, type: greenhouse, board: odd, api_base: "{nowhere}", schedule: {{every: 12h}}}}
watches:
  - {{name: infra, extends: infrastructure}}
recipients:
  - {{email: me@example.com, watches: [infra]}}
{extra}"""

NOWHERE = "http://127.0.0.1:9"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def populated(database: str, folder: Path, extra: str = "") -> Config:
    """Two crawls of the demo board with a digest between them (so items wait again after the
    second), a failed crawl, and a source never crawled."""
    path = folder / "rolewatch.yaml"
    path.write_text(CONFIG.format(database=database, folder=folder, nowhere=NOWHERE, extra=extra))
    config = load_config(path)
    store(config, "stripe", board_before())
    engine = open_database(config.database)
    try:
        send_digests(session_factory(engine), config, MaildirTransport(folder / "mail"), dry_run=False)
    finally:
        engine.dispose()
    store(config, "stripe", board_after())
    store(config, "gone", None)
    return config


def scraped(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def assert_figures_match_the_store(samples: Samples, database: str) -> None:
    engine = open_database(database)
    try:
        with session_factory(engine)() as session:
            runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            postings = list(session.scalars(select(Posting)))
            events = Counter(str(event.type) for event in session.scalars(select(Event)))
            digests = Counter(str(digest.status) for digest in session.scalars(select(Digest)))
            pending = sum(item.status == OutboxStatus.PENDING for item in session.scalars(select(OutboxItem)))
            by_run = Counter((run.source.name, str(run.status)) for run in runs)
            last = {run.source.name: run for run in runs if run.finished_at is not None}
            open_by_source = Counter(p.source.name for p in postings if p.status == PostingStatus.OPEN)
    finally:
        engine.dispose()

    def value(name: str, **labels: str) -> float:
        return samples[(name, frozenset(labels.items()))]

    assert by_run == {("stripe", "complete"): 2, ("gone", "failed"): 1}
    for (source, status), count in by_run.items():
        assert value("rolewatch_crawls_total", source=source, status=status) == count
    # The failed crawl's board answered 503: broken.
    assert value("rolewatch_crawl_failures_total", source="gone", kind="broken") == 1
    assert not [
        key
        for key in samples
        if key[0] == "rolewatch_crawl_failures_total" and ("source", "stripe") in key[1]
    ]
    for source, run in last.items():
        assert run.finished_at is not None
        duration = (run.finished_at - run.started_at).total_seconds()
        assert value("rolewatch_last_crawl_duration_seconds", source=source) == pytest.approx(duration)
        assert value("rolewatch_last_crawl_postings_seen", source=source) == run.seen
        finished = run.finished_at.timestamp()
        assert value("rolewatch_last_crawl_finished_timestamp_seconds", source=source) == pytest.approx(
            finished
        )
    assert value("rolewatch_last_crawl_postings_seen", source="stripe") == 267
    assert ("rolewatch_last_crawl_postings_seen", frozenset({("source", "odd")})) not in samples
    assert open_by_source["stripe"] > 0
    for source, count in open_by_source.items():
        assert value("rolewatch_open_postings", source=source) == count
    assert set(events) == {"new", "changed", "closed"}
    for kind, count in events.items():
        assert value("rolewatch_events_total", type=kind) == count
    assert digests == {"sent": 1}
    assert value("rolewatch_digests_total", status="sent") == 1
    assert pending > 0
    assert value("rolewatch_outbox_pending") == pending


def finished_runs(config: Config) -> list[CrawlRun]:
    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            runs = session.scalars(select(CrawlRun).where(CrawlRun.finished_at.is_not(None)))
            return [run for run in runs if run.source.name]  # sources loaded while the session is open
    finally:
        engine.dispose()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers["content-type"], answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["content-type"], error.read().decode()


def test_metrics_on_the_web_view_are_the_stores_figures_at_scrape_time(
    database_url: str, tmp_path: Path
) -> None:
    config = populated(database_url, tmp_path)
    for served in serving(config):
        status, content_type, text = get(served.url + "/metrics")
        assert status == 200 and content_type.startswith("text/plain; version=")
        assert_figures_match_the_store(scraped(text), database_url)
        assert ("rolewatch_queue_depth", frozenset()) not in scraped(text), "no queue configured"

        store(config, "gone", None)  # read at scrape time, not at start
        _, _, again = get(served.url + "/metrics")
        assert (
            scraped(again)[
                ("rolewatch_crawls_total", frozenset({"source": "gone", "status": "failed"}.items()))
            ]
            == 2
        )
        # The web view's rules hold: another name for this machine is refused without a token.
        assert get(served.url + "/metrics", {"Host": "rebind.example"})[0] == 421


def test_metrics_need_the_token_when_the_view_has_one(tmp_path: Path) -> None:
    config = populated(f"sqlite:///{tmp_path / 'rolewatch.db'}", tmp_path)
    for served in serving(config, token="t0ken"):
        assert get(served.url + "/metrics")[0] == 401
        assert get(served.url + "/metrics", {"Authorization": "Bearer wrong"})[0] == 401
        status, _, text = get(served.url + "/metrics", {"Authorization": "Bearer t0ken"})
        assert status == 200
        assert_figures_match_the_store(scraped(text), config.database)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of the test's own on a free loopback port."""
    server = shutil.which("redis-server")
    assert server, "redis-server is needed (apt-get install redis-server)"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def test_the_queue_depth_is_read_from_the_shared_queue(tmp_path: Path, redis_url: str) -> None:
    from crawler.fleet import QUEUE_KEY

    config = populated(f"sqlite:///{tmp_path / 'rolewatch.db'}", tmp_path, extra=f"queue: {redis_url}\n")
    redis.Redis.from_url(redis_url).zadd(QUEUE_KEY, {b"request-1": 0, b"request-2": 0, b"request-3": 1})
    for served in serving(config):
        _, _, text = get(served.url + "/metrics")
        samples = scraped(text)
        assert samples[("rolewatch_queue_depth", frozenset())] == 3
        assert samples[("rolewatch_queue_reachable", frozenset())] == 1


def test_the_daemon_serves_metrics_on_a_loopback_port(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'rolewatch.db'}"
    config = populated(database, tmp_path)
    port = free_port()
    log = tmp_path / "daemon.log"
    with log.open("w") as output:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "rolewatch", "daemon", "--metrics-port", str(port), "--config",
             str(tmp_path / "rolewatch.yaml")],
            cwd=ROOT, stdout=output, stderr=output,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, text = get(f"http://127.0.0.1:{port}/metrics")
                break
            except OSError:
                assert daemon.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"no metrics on port {port}\n{log.read_text()}"
                time.sleep(0.1)
        assert status == 200
        # Every source was crawled within its 12h schedule but `odd` (never), crawled at start:
        # compare once that crawl is over, so both sides read the same runs.
        while "odd" not in {run.source.name for run in finished_runs(config)}:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        _, _, text = get(f"http://127.0.0.1:{port}/metrics")
        samples = scraped(text)
        by_source = Counter[tuple[str, str]]()
        for (name, labels), count in samples.items():
            by_source[(name, dict(labels).get("source", ""))] += int(count)
        stripe = frozenset({"source": "stripe", "status": "complete"}.items())
        assert samples[("rolewatch_crawls_total", stripe)] == 2
        # The daemon's own crawl, of a board refusing connections: counted, and a failure.
        assert by_source[("rolewatch_crawls_total", "odd")] == 1
        assert by_source[("rolewatch_crawl_failures_total", "odd")] == 1
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=90) == 0, log.read_text()


@pytest.mark.parametrize(
    ("status", "health", "kind"),
    [
        (RunStatus.FAILED, CrawlHealth.BROKEN, "broken"),
        (RunStatus.INCOMPLETE, CrawlHealth.BLOCKED, "blocked"),
        (RunStatus.FAILED, CrawlHealth.GONE, "gone"),
        # A configured limit reached: the board answered well.
        (RunStatus.INCOMPLETE, CrawlHealth.OK, None),
        (RunStatus.COMPLETE, CrawlHealth.OK, None),
        (RunStatus.SKIPPED, None, None),
        # Stored before a run's health was kept.
        (RunStatus.FAILED, None, "unknown"),
        (RunStatus.INCOMPLETE, None, "unknown"),
        (RunStatus.COMPLETE, None, None),
    ],
)
def test_a_failures_kind_is_how_the_board_answered(
    status: RunStatus, health: CrawlHealth | None, kind: str | None
) -> None:
    assert failure_kind(status, health) == kind
