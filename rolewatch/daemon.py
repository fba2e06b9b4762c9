"""`rolewatch daemon`: APScheduler wiring only — one job per source schedule, one per recipient.

What must survive a restart is in the database (when each source was last crawled, which
outbox items are pending), so on start the daemon runs what is overdue and then keeps time.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.crontab import cron_trigger
from config.loader import ConfigError, load_config
from config.schema import Config, Recipient, SourceConfig, shown_address
from rolewatch.cycle import (
    crawl_sources,
    is_source_due,
    last_crawl_starts,
    refresh_feeds,
    send_due_digests,
    settle_interrupted,
)
from rolewatch.lock import cycle_lock

log = logging.getLogger(__name__)

# Immediate recipients are also served right after each crawl; this catches retries and
# items written by crawls from elsewhere (`rolewatch crawl`).
IMMEDIATE_CHECK_SECONDS = 30
# A job that could not start on time (machine asleep, all workers busy) still runs this late.
MISFIRE_GRACE_SECONDS = 15 * 60
WORKERS = 4
# Source jobs due at one moment start a moment apart; the first waits this long for the rest.
GATHER_SECONDS = 1.0


def source_trigger(source: SourceConfig) -> BaseTrigger:
    schedule = source.schedule
    jitter = int(schedule.jitter.total_seconds()) if schedule.jitter else None
    if schedule.every is not None:
        return IntervalTrigger(seconds=schedule.every.total_seconds(), timezone=UTC, jitter=jitter)
    assert schedule.cron is not None
    trigger = cron_trigger(schedule.cron, schedule.timezone)
    trigger.jitter = jitter
    return trigger


def digest_trigger(recipient: Recipient) -> BaseTrigger:
    if recipient.digest.immediate:
        return IntervalTrigger(seconds=IMMEDIATE_CHECK_SECONDS, timezone=UTC)
    assert recipient.digest.cron is not None
    return cron_trigger(recipient.digest.cron, recipient.digest.timezone)


def first_run(source: SourceConfig, last_started: datetime | None, now: datetime) -> datetime | None:
    """Now if the source is overdue per the database; for an interval, one interval after the
    last crawl started; None to let a cron trigger pick its next time."""
    if is_source_due(source, last_started, now):
        return now
    if source.schedule.every is not None and last_started is not None:
        return last_started + source.schedule.every
    return None


class Daemon:
    def __init__(self, config_path: str, config: Config, metrics_port: int | None = None) -> None:
        self.config_path = config_path
        self.config = config
        self.metrics_port = metrics_port
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(WORKERS)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
            timezone=UTC,
        )
        self._digest_locks: dict[str, threading.Lock] = {}
        # Sources whose schedule came round, crawled together by the crawler thread.
        self._due: dict[str, None] = {}
        self._due_config = config
        self._due_lock = threading.Lock()
        self._due_event = threading.Event()
        self._crawler = threading.Thread(target=self._crawl_loop, name="crawler", daemon=True)
        self._crawling = 0  # crawls running now, guarded by _count_lock
        self._count_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop_requested = False
        self._reload_requested = False

    def run(self) -> None:
        """Schedule everything, then sleep until SIGTERM/SIGINT (stop) or SIGHUP (reload)."""
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_reload)
        # Migrates once, before jobs run in parallel, and settles what a killed daemon left "running".
        settle_interrupted(self.config)
        stop_metrics = None
        if self.metrics_port is not None:
            from rolewatch.metrics import serve_metrics

            stop_metrics = serve_metrics(self.config.database, self.config.queue, self.metrics_port)
        self._crawler.start()
        self.scheduler.start()
        self.schedule()
        log.info(
            "daemon started: %d sources, %d recipients", len(self.config.sources), len(self.config.recipients)
        )
        while not self._stop_requested:
            self._wake.wait(timeout=5)
            self._wake.clear()
            if self._reload_requested and not self._stop_requested:
                self._reload_requested = False
                try:
                    self.reload()
                except Exception:  # e.g. the database unreachable: keep running on the old jobs
                    log.exception("config not reloaded")
        log.info("stopping: waiting for running jobs to finish")
        # A running crawl finishes (each source within its own timeout); nothing new starts.
        self.scheduler.shutdown(wait=True)
        self._due_event.set()
        self._crawler.join()
        if stop_metrics is not None:
            stop_metrics()
        log.info("daemon stopped")

    def schedule(self) -> None:
        config = self.config
        now = datetime.now(UTC)
        last = last_crawl_starts(config)  # read first: if the database fails, the old jobs stay
        self.scheduler.remove_all_jobs()
        for source in config.sources:
            when = first_run(source, last.get(source.name), now)
            self._add(self.crawl, source_trigger(source), f"crawl:{source.name}", [config, source.name], when)
        for recipient in config.recipients:
            # Digest due-ness is computed from the database, so asking at once on start is safe.
            job_id = f"digest:{recipient.address}"
            self._add(
                self.scheduled_digest, digest_trigger(recipient), job_id, [config, recipient.address], now
            )

    def _add(
        self, func: Any, trigger: BaseTrigger, job_id: str, args: list[Any], when: datetime | None
    ) -> None:
        # APScheduler reads next_run_time=None as "paused"; leave it out to use the trigger's time.
        extra = {"next_run_time": when} if when is not None else {}
        # The name shows in APScheduler's log lines: a recipient's URL may hold a token.
        name = job_id.partition(":")[0] + ":" + shown_address(job_id.partition(":")[2])
        self.scheduler.add_job(func, trigger, args=args, id=job_id, name=name, **extra)

    def reload(self) -> None:
        try:
            config = load_config(self.config_path)
        except ConfigError as error:
            for problem in error.problems:
                log.error("config not reloaded: %s", problem)
            return
        if config.database != self.config.database:
            log.error("config not reloaded: changing 'database' needs a restart")
            return
        self.config = config
        self.schedule()
        log.warning("config reloaded from %s", self.config_path)

    def crawl(self, config: Config, source_name: str) -> None:
        """A source's schedule came round: the crawler thread crawls it together with every
        other source due by then, in one crawl process (the next one, if a crawl is running).
        The job itself returns at once, so its next firing is never skipped as still running."""
        with self._due_lock:
            self._due[source_name] = None
            self._due_config = config
        self._due_event.set()

    def _crawl_loop(self) -> None:
        while True:
            self._due_event.wait()
            if self._stop_requested:
                return
            time.sleep(GATHER_SECONDS)  # sources due at one moment fire a moment apart
            if self._stop_requested:
                return
            self._due_event.clear()
            try:
                self._crawl_due()
            except Exception:  # e.g. the database unreachable: try again when sources fall due
                log.exception("crawl failed")

    def _crawl_due(self) -> None:
        with self._due_lock:
            config = self._due_config
            known = {source.name for source in config.sources}
            names = [name for name in self._due if name in known]
            self._due.clear()
        if not names:
            return
        with self._count_lock:
            self._crawling += 1
        try:
            crawl_sources(config, names)
            refresh_feeds(config)
        finally:
            with self._count_lock:
                self._crawling -= 1
        for recipient in config.recipients:
            if recipient.digest.immediate:
                self.digest(config, recipient.address)

    def scheduled_digest(self, config: Config, email: str) -> None:
        # An immediate recipient is served when a crawl ends; checking while one is storing its
        # batches could split that crawl's news over two mails.
        recipient = next(r for r in config.recipients if r.address == email)
        if recipient.digest.immediate and self._crawling:
            return
        self.digest(config, email)

    def digest(self, config: Config, email: str) -> None:
        # One sender per recipient at a time: a claimed digest still "sending" would otherwise
        # look retryable to a second sender and go out twice.
        with self._digest_locks.setdefault(email, threading.Lock()):
            chosen = [recipient for recipient in config.recipients if recipient.address == email]
            send_due_digests(config.model_copy(update={"recipients": chosen}))

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stop_requested = True
        self._wake.set()

    def _on_reload(self, signum: int, frame: FrameType | None) -> None:
        self._reload_requested = True
        self._wake.set()


def run_daemon(config_path: str, config: Config, metrics_port: int | None = None) -> None:
    """Run until SIGTERM/SIGINT; raises `AlreadyRunning` if a `run` or another daemon holds the
    lock. With `metrics_port`, Prometheus metrics are served on 127.0.0.1 at that port."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for chatty in ("apscheduler", "alembic"):  # their per-job and per-connection lines only with -vv
            logging.getLogger(chatty).setLevel(logging.WARNING)
    with cycle_lock(config):
        Daemon(config_path, config, metrics_port).run()
