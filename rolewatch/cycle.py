"""One cycle of work, as a library: crawl sources, then send the digests that are due.

The CLI, the cron `run` command and the daemon all call these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from config.crontab import cron_trigger
from config.schema import Config, SourceConfig
from notifier.digest import DigestRunResult, send_digests
from notifier.transports import Transport, make_transport
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Source, utcnow
from pipeline.recovery import settle_interrupted_crawls
from pipeline.states import RunStatus
from rolewatch.crawling import CrawlOutcome, OutcomeListener, crawl_in_subprocess

log = logging.getLogger(__name__)


@dataclass
class CycleResult:
    crawls: list[CrawlOutcome] = field(default_factory=list)
    digests: DigestRunResult = field(default_factory=DigestRunResult)

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.crawls) and not self.digests.failed


def crawl_sources(
    config: Config, names: Iterable[str] | None = None, on_outcome: OutcomeListener | None = None
) -> list[CrawlOutcome]:
    """Crawl the named sources (all by default) together: in one crawl process, or through the
    queue by the workers when the config names one."""
    open_database(config.database).dispose()  # migrate once, before the crawl process starts
    chosen = list(names) if names is not None else [source.name for source in config.sources]

    def told(outcome: CrawlOutcome) -> None:
        _log_crawl(outcome)
        if on_outcome:
            on_outcome(outcome)

    if config.queue:  # the workers crawl; this process queues the sources and waits
        from rolewatch.queued import crawl_through_queue

        return crawl_through_queue(config, chosen, on_outcome=told)
    return crawl_in_subprocess(config, chosen, on_outcome=told)


def _log_crawl(outcome: CrawlOutcome) -> None:
    r = outcome.result
    if outcome.error:
        log.warning("crawl %s failed: %s", outcome.source, outcome.error)
    else:
        log.info(
            "crawl %s %s: seen=%s new=%s changed=%s closed=%s reopened=%s dropped=%s",
            outcome.source, r.get("status"), r.get("seen"), r.get("new"), r.get("changed"),
            r.get("closed"), r.get("reopened"), r.get("dropped"),
        )  # fmt: skip


def send_due_digests(
    config: Config, transport: Transport | None = None, dry_run: bool = False
) -> DigestRunResult:
    engine = open_database(config.database)
    try:
        return send_digests(
            session_factory(engine),
            config,
            transport or make_transport(config.mail),
            dry_run=dry_run,
        )
    finally:
        engine.dispose()


def settle_interrupted(config: Config) -> list[str]:
    """Settle the runs a killed rolewatch left "running" (see pipeline/recovery.py); with a
    queue, the runs the workers still crawl are not touched. Names the sources settled."""
    open_database(config.database).dispose()  # brings the schema up to date first
    keep: set[int] = set()
    if config.queue:
        import redis

        from crawler.fleet import Fleet

        try:
            keep = {state.run_id for state in Fleet(config.queue).sources_in_flight()}
        except redis.RedisError as error:  # which runs the workers hold is unknown: settle none
            log.warning("not settling interrupted crawls: cannot reach the queue: %s", error)
            return []
    settled = settle_interrupted_crawls(config.database, keep)
    for name in settled:
        log.warning("%s: its last crawl was interrupted (the process crawling it is gone)", name)
    return settled


def due_sources(config: Config, now: datetime | None = None) -> list[SourceConfig]:
    """Sources whose schedule has come round since their last crawl started."""
    now = now or utcnow()
    last = last_crawl_starts(config)
    return [source for source in config.sources if is_source_due(source, last.get(source.name), now)]


def last_crawl_starts(config: Config) -> dict[str, datetime]:
    """When each source's latest crawl started, by source name. A skipped run (its host left
    alone by a circuit breaker) crawled nothing: the source is due again at the next cycle."""
    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            return dict(
                session.execute(
                    select(Source.name, CrawlRun.started_at)
                    .join(CrawlRun, CrawlRun.source_id == Source.id)
                    .where(CrawlRun.status != RunStatus.SKIPPED)
                    .order_by(CrawlRun.started_at)
                ).all()
            )
    finally:
        engine.dispose()


def is_source_due(source: SourceConfig, last_started: datetime | None, now: datetime) -> bool:
    if last_started is None:
        return True
    schedule = source.schedule
    if schedule.every is not None:
        # A little slack, so a cron run every 2h does not skip a source crawled 2h minus 1s ago.
        return now >= last_started + schedule.every - timedelta(seconds=30)
    assert schedule.cron is not None
    trigger = cron_trigger(schedule.cron, schedule.timezone)
    fire = trigger.get_next_fire_time(None, last_started + timedelta(seconds=1))
    return fire is not None and fire <= now


def run_cycle(
    config: Config,
    transport: Transport | None = None,
    due: list[SourceConfig] | None = None,
    on_outcome: OutcomeListener | None = None,
) -> CycleResult:
    """Crawl the sources that are due (`due`, or worked out now) together, then send due digests."""
    result = CycleResult()
    due = due_sources(config) if due is None else due
    if due:
        result.crawls = crawl_sources(config, [source.name for source in due], on_outcome)
        refresh_feeds(config)
    result.digests = send_due_digests(config, transport)
    return result


def refresh_feeds(config: Config) -> None:
    """Write the Atom feeds, when the config asks for them, after a crawl brought news."""
    if config.feeds is None:
        return
    from notifier.feeds import write_feeds

    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            changed = write_feeds(session, config)
    except Exception:  # a full disk, a folder not writable, odd text: say so, send digests anyway
        log.exception("feeds not written to %s", config.feeds.dir)
        return
    finally:
        engine.dispose()
    if changed:
        log.info("feeds updated: %s", ", ".join(path.name for path in changed))
