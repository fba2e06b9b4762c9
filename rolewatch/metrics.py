"""Prometheus metrics read from the store at scrape time: a custom collector, so every figure
is what the database holds when Prometheus asks, whichever process crawled or mailed it.

`/metrics` on `rolewatch serve` and `rolewatch daemon --metrics-port` both expose it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.models import CrawlRun, Digest, Event, OutboxItem, Posting, Source
from pipeline.states import CrawlHealth, OutboxStatus, PostingStatus, RunStatus

log = logging.getLogger(__name__)

# A failure's kind is how the board answered; a run stored before that was kept, and ended
# failed or incomplete, is a failure of kind "unknown". An incomplete run whose board answered
# well (a configured limit reached) is no failure.
FAILED_HEALTH = (CrawlHealth.BLOCKED, CrawlHealth.BROKEN, CrawlHealth.GONE)
UNSETTLED = (RunStatus.INCOMPLETE, RunStatus.FAILED)


@dataclass
class LastCrawl:
    duration_seconds: float
    seen: int
    finished_at: float  # Unix time


@dataclass
class Figures:
    """What the store says at one moment, as plain data."""

    crawls: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, status)
    last_crawls: dict[str, LastCrawl] = field(default_factory=dict)
    failures: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, kind)
    open_postings: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    digests: dict[str, int] = field(default_factory=dict)
    outbox_pending: int = 0
    # None: no queue configured; -1 would lie, so an unreachable queue is its own gauge.
    queue_depth: int | None = None
    queue_reachable: bool | None = None


def failure_kind(status: RunStatus, health: CrawlHealth | None) -> str | None:
    """What kind of failure a run was, or None for a run that was none."""
    if health in FAILED_HEALTH:
        return str(health)
    return "unknown" if health is None and status in UNSETTLED else None


def read_figures(session: Session) -> Figures:
    """The store's figures, each one grouped query."""
    figures = Figures()
    by_source = select(Source.name, CrawlRun.status, CrawlRun.health, func.count()).join(CrawlRun.source)
    grouped = by_source.group_by(Source.name, CrawlRun.status, CrawlRun.health)
    for name, status, health, count in session.execute(grouped):
        figures.crawls[(name, str(status))] = figures.crawls.get((name, str(status)), 0) + count
        kind = failure_kind(status, health)
        if kind is not None:
            figures.failures[(name, kind)] = figures.failures.get((name, kind), 0) + count
    latest = (
        select(func.max(CrawlRun.id))
        .where(CrawlRun.finished_at.is_not(None))
        .group_by(CrawlRun.source_id)
        .scalar_subquery()
    )
    last = select(Source.name, CrawlRun.started_at, CrawlRun.finished_at, CrawlRun.seen).join(CrawlRun.source)
    for name, started, finished, seen in session.execute(last.where(CrawlRun.id.in_(latest))):
        if finished is not None:  # always, by `latest`; said for the type checker
            duration = (finished - started).total_seconds()
            figures.last_crawls[name] = LastCrawl(duration, seen, finished.timestamp())
    open_postings = (
        select(Source.name, func.count())
        .join(Posting.source)
        .where(Posting.status == PostingStatus.OPEN)
        .group_by(Source.name)
    )
    figures.open_postings = {name: count for name, count in session.execute(open_postings)}
    events = select(Event.type, func.count()).group_by(Event.type)
    figures.events = {str(kind): count for kind, count in session.execute(events)}
    digests = select(Digest.status, func.count()).group_by(Digest.status)
    figures.digests = {str(status): count for status, count in session.execute(digests)}
    pending = select(func.count()).select_from(OutboxItem).where(OutboxItem.status == OutboxStatus.PENDING)
    figures.outbox_pending = session.scalar(pending) or 0
    return figures


def metric_families(figures: Figures) -> list[Metric]:
    """The figures as Prometheus metric families (names as the README lists them)."""
    crawls = CounterMetricFamily(
        "rolewatch_crawls", "Crawl runs by source and status.", labels=["source", "status"]
    )
    for (source, status), count in sorted(figures.crawls.items()):
        crawls.add_metric([source, status], count)
    failures = CounterMetricFamily(
        "rolewatch_crawl_failures", "Crawls the board failed, by source and kind (blocked, broken, gone).",
        labels=["source", "kind"],
    )  # fmt: skip
    for (source, kind), count in sorted(figures.failures.items()):
        failures.add_metric([source, kind], count)
    duration = GaugeMetricFamily(
        "rolewatch_last_crawl_duration_seconds", "How long each source's last finished crawl took.",
        labels=["source"],
    )  # fmt: skip
    seen = GaugeMetricFamily(
        "rolewatch_last_crawl_postings_seen",
        "Postings each source's last finished crawl saw.",
        labels=["source"],
    )
    finished = GaugeMetricFamily(
        "rolewatch_last_crawl_finished_timestamp_seconds", "When each source's last crawl ended (Unix time).",
        labels=["source"],
    )  # fmt: skip
    for source, last in sorted(figures.last_crawls.items()):
        duration.add_metric([source], last.duration_seconds)
        seen.add_metric([source], last.seen)
        finished.add_metric([source], last.finished_at)
    open_postings = GaugeMetricFamily(
        "rolewatch_open_postings", "Open postings by source.", labels=["source"]
    )
    for source, count in sorted(figures.open_postings.items()):
        open_postings.add_metric([source], count)
    events = CounterMetricFamily("rolewatch_events", "Events recorded, by type.", labels=["type"])
    for kind, count in sorted(figures.events.items()):
        events.add_metric([kind], count)
    digests = CounterMetricFamily("rolewatch_digests", "Digest deliveries by status.", labels=["status"])
    for status, count in sorted(figures.digests.items()):
        digests.add_metric([status], count)
    pending = GaugeMetricFamily("rolewatch_outbox_pending", "Outbox items waiting for a digest.")
    pending.add_metric([], figures.outbox_pending)
    families: list[Metric] = [
        crawls,
        failures,
        duration,
        seen,
        finished,
        open_postings,
        events,
        digests,
        pending,
    ]
    if figures.queue_reachable is not None:
        reachable = GaugeMetricFamily(
            "rolewatch_queue_reachable", "1 when the shared queue answered the scrape."
        )
        reachable.add_metric([], 1 if figures.queue_reachable else 0)
        families.append(reachable)
    if figures.queue_depth is not None:
        depth = GaugeMetricFamily("rolewatch_queue_depth", "Crawl requests waiting in the shared queue.")
        depth.add_metric([], figures.queue_depth)
        families.append(depth)
    return families


def queue_depth_reader(url: str) -> Callable[[], int]:
    """Requests waiting in the shared queue at `url`, read on each call."""
    from crawler.fleet import Fleet
    from crawler.sealing import Seal

    # Counting requests opens no message, so a key of its own does: a web view needs no secret.
    fleet = Fleet(url, seal=Seal(secrets.token_bytes(32)))
    return fleet.queued


class StoreCollector(Collector):
    """Reads the figures from the database (and the queue, when one is given) on every scrape."""

    def __init__(self, sessions: sessionmaker[Session], queue_depth: Callable[[], int] | None = None) -> None:
        self.sessions = sessions
        self.queue_depth = queue_depth

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            figures = read_figures(session)
        if self.queue_depth is not None:
            import redis

            try:
                figures.queue_depth = self.queue_depth()
                figures.queue_reachable = True
            except redis.RedisError as error:
                log.warning("metrics: the queue did not answer: %s", error)
                figures.queue_reachable = False
        yield from metric_families(figures)


def store_registry(sessions: sessionmaker[Session], queue: str | None) -> CollectorRegistry:
    """A registry of the store's figures only (no process metrics: they would say which
    process answered the scrape, not how rolewatch is doing)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(sessions, queue_depth_reader(queue) if queue else None))
    return registry


def metrics_answer(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The exposition text of a scrape and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(registry), CONTENT_TYPE_LATEST


def serve_metrics(database: str, queue: str | None, port: int) -> Callable[[], None]:
    """prometheus_client's own HTTP server on 127.0.0.1:`port`, in a thread; returns what stops it."""
    from prometheus_client import start_http_server

    from pipeline.db import open_current, session_factory

    engine = open_current(database)
    server, thread = start_http_server(
        port, addr="127.0.0.1", registry=store_registry(session_factory(engine), queue)
    )
    log.info("metrics on http://127.0.0.1:%d/metrics", port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()
        engine.dispose()

    return stop
