"""The scheduler's side of a fleet of workers: when the config names a `queue`, `crawl`, `run`
and the daemon do not crawl; they open a crawl run per due source, queue its first requests in
Redis for `rolewatch worker`s, and wait for the workers' outcomes.

Sources are queued as there is room (a few per request the fleet may have in flight), since a
source's budget starts when it is queued. A source that no worker finished in its budget plus a
grace (every worker gone, say) is finished here, incomplete, from what the workers staged: its
run never stays "running", and nothing is closed for it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from scrapy.settings.default_settings import URLLENGTH_LIMIT

from config.schema import Config, CrawlSettings, SourceConfig
from crawler.fleet import WORKER_LEASE_SECONDS, Fleet
from crawler.fleet_sources import finish_source, start_source
from crawler.settings import DOWNLOAD_TIMEOUT
from notifier.outbox import outbox_hook
from pipeline.db import make_engine, session_factory
from pipeline.ingest import BEGIN_BATCH, Ingest
from pipeline.models import utcnow
from pipeline.recovery import fail_unfinished_crawls
from pipeline.states import RunStatus
from pipeline.store import BUSY, SourceBusy
from rolewatch.crawling import DEFAULT_KILL_GRACE, KILL_GRACE_ENV, CrawlOutcome, OutcomeListener

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
# Sources queued at once, per request the fleet may have in flight (as in the one-process crawl).
SOURCES_PER_REQUEST = 2
ALREADY_QUEUED = f"{BUSY} by the workers"


def crawl_through_queue(
    config: Config, names: Sequence[str], on_outcome: OutcomeListener | None = None
) -> list[CrawlOutcome]:
    """Queue the named sources for the workers; an outcome for each, in the order they finished."""
    assert config.queue is not None
    sources = config.sources_named(dict.fromkeys(names))
    fleet = Fleet(config.queue)
    grace = float(os.environ.get(KILL_GRACE_ENV) or DEFAULT_KILL_GRACE)
    started_at = utcnow()
    outcomes: dict[str, CrawlOutcome] = {}

    def record(outcome: CrawlOutcome) -> None:
        outcomes[outcome.source] = outcome
        if on_outcome:
            on_outcome(outcome)

    # Named like a worker, since it may finish a source itself and must be seen alive meanwhile.
    me = f"scheduler:{socket.gethostname()}:{os.getpid()}"
    busy = {state.source.name for state in fleet.sources_in_flight()}
    for source in sources:
        if source.name in busy:  # queued once: a second scheduler does not queue it again
            record(CrawlOutcome(source.name, False, {}, ALREADY_QUEUED))
    waiting = deque(source for source in sources if source.name not in busy)
    active: dict[int, SourceConfig] = {}
    engine = make_engine(config.database)  # the caller brought the schema up to date
    try:
        sessions = session_factory(engine)
        ingest = Ingest(sessions, outbox_hook(config))
        while waiting or active:
            fleet.report(me)
            live = sum(1 for last in fleet.workers().values() if last > time.time() - WORKER_LEASE_SECONDS)
            room = SOURCES_PER_REQUEST * config.crawl.concurrency * max(1, live) - len(active)
            while waiting and room > 0:
                # Begun together; a source that is busy or that the database refuses fails alone.
                batch = [waiting.popleft() for _ in range(min(room, len(waiting), BEGIN_BATCH))]
                for name, begun in ingest.begin_many(batch, read_stored=False).items():
                    if isinstance(begun, SourceBusy):
                        record(CrawlOutcome(name, False, {}, str(begun)))
                    elif isinstance(begun, Exception):
                        said = getattr(begun, "orig", None) or begun
                        record(CrawlOutcome(name, False, {}, f"cannot start the crawl: {said}"))
                    elif _queued(fleet, begun.source, begun.run_id, config.crawl, record):
                        active[begun.run_id] = begun.source
                        room -= 1
            for run_id, published in fleet.outcomes(list(active)).items():
                record(_outcome(active.pop(run_id), published))
            for run_id in fleet.overdue(time.time() - grace):
                if run_id in active:
                    _settle_overdue(fleet, ingest, run_id, active[run_id], me)
            if waiting or active:
                time.sleep(POLL_SECONDS)
    finally:  # on Ctrl-C, what is queued stays with the workers; the rest was never begun
        fleet.forget_worker(me)
        engine.dispose()
    failed: dict[str, list[SourceConfig]] = {}
    for source in sources:
        outcome = outcomes.get(source.name)
        # (ALREADY_QUEUED says BUSY too: either way, the run belongs to the crawl under way.)
        if outcome is not None and outcome.error and BUSY not in outcome.error:
            failed.setdefault(outcome.error, []).append(source)
    for reason, failed_sources in failed.items():
        fail_unfinished_crawls(config.database, failed_sources, reason, started_at)
    return list(outcomes.values())


def _settle_overdue(fleet: Fleet, ingest: Ingest, run_id: int, source: SourceConfig, me: str) -> None:
    """No worker finished this source in its budget plus the grace (or its finisher stopped):
    finish it here."""
    state = fleet.claim(run_id, me)
    if state is not None:
        log.warning("%s: no worker finished it in time; finishing it here", source.name)
        try:
            finish_source(fleet, ingest, state)
        except Exception:
            log.exception("%s: storing the crawl failed", source.name)


def _queued(
    fleet: Fleet,
    source: SourceConfig,
    run_id: int,
    limits: CrawlSettings,
    record: Callable[[CrawlOutcome], None],
) -> bool:
    try:
        start_source(fleet, source, run_id, URLLENGTH_LIMIT, DOWNLOAD_TIMEOUT, limits)
    except Exception as error:  # this source fails; the others are queued
        log.exception("%s: cannot queue its crawl", source.name)
        record(CrawlOutcome(source.name, False, {}, f"cannot queue the crawl: {error}"))
        return False
    return True


def _outcome(source: SourceConfig, published: dict[str, Any]) -> CrawlOutcome:
    if "error" in published:
        return CrawlOutcome(source.name, False, {}, str(published["error"]))
    return CrawlOutcome(source.name, published["status"] == RunStatus.COMPLETE, published)
