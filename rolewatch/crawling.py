"""A crawl of many sources in one child process (Scrapy's reactor cannot restart), watched by
the parent.

The parent sends the config and the source names on stdin; the child crawls them all in one
Scrapy engine and prints a line for each source as soon as it is stored. The parent protects
itself: when the child dies, or no source finishes for longer than the longest source budget
plus a grace (a hang), or an overall limit passes, the child's process group is killed and
every source it had not finished gets a failed run with the reason. Nothing is closed for them:
closings are decided only when a source finishes.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from config.schema import Config, SourceConfig
from pipeline.models import utcnow
from pipeline.states import RunStatus
from pipeline.store import BUSY

DONE_PREFIX = "ROLEWATCH-DONE "
FAILED_PREFIX = "ROLEWATCH-FAILED "
# A source's own budget ends it inside the crawl; past the longest budget plus this grace with
# no source finished, the crawl process is taken for hung. Tests shorten it.
KILL_GRACE_ENV = "ROLEWATCH_CRAWL_KILL_GRACE"
DEFAULT_KILL_GRACE = 60.0
# How often the parent checks that the crawl process is still alive.
EXIT_CHECK_SECONDS = 1.0
SUCCEEDED = (RunStatus.COMPLETE, RunStatus.SKIPPED)


@dataclass
class CrawlOutcome:
    """One source's result: `result` is its crawl report, `error` why it has none."""

    source: str
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


OutcomeListener = Callable[[CrawlOutcome], None]


def crawl_in_subprocess(
    config: Config,
    names: Sequence[str],
    timeout: float | None = None,
    on_outcome: OutcomeListener | None = None,
) -> list[CrawlOutcome]:
    """Crawl the named sources together in one child process; an outcome for every name, in
    the order they finished (those the child never finished last)."""
    from pipeline.recovery import fail_unfinished_crawls

    sources = config.sources_named(dict.fromkeys(names))
    if not sources:
        return []
    grace = float(os.environ.get(KILL_GRACE_ENV) or DEFAULT_KILL_GRACE)
    stall_limit = max(source.timeout.total_seconds() for source in sources) + grace
    started_at = utcnow()
    child = subprocess.Popen(
        [sys.executable, "-m", "rolewatch.crawling"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a kill takes the child's whole process group
    )
    lines: queue.Queue[str | None] = queue.Queue()
    errors: deque[str | None] = deque(maxlen=20)  # the tail of the child's stderr
    readers = [
        threading.Thread(target=_pump, args=(child.stdout, lines.put), daemon=True),
        threading.Thread(target=_pump, args=(child.stderr, errors.append), daemon=True),
    ]
    for reader in readers:
        reader.start()
    outcomes: dict[str, CrawlOutcome] = {}
    reason: str | None = None
    try:
        assert child.stdin is not None
        chosen = [source.name for source in sources]
        payload = {"config": config.model_dump(mode="json", by_alias=True), "sources": chosen}
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(json.dumps(payload))
            child.stdin.close()
        reason = _follow(child, lines, outcomes, on_outcome, stall_limit, timeout)
    except BaseException:
        # Ctrl-C or a dying parent: take the child along rather than leave it crawling.
        _kill(child)
        unfinished = _unfinished(sources, outcomes)
        fail_unfinished_crawls(config.database, unfinished, "crawl interrupted", started_at)
        raise
    code = child.wait() if reason is None else None
    # Also takes along what the crawl process left behind (its normalizing workers, when it was
    # killed), which would otherwise hold its output open.
    _kill(child)
    code = child.returncode if code is None else code
    for reader in readers:
        reader.join(timeout=5)
    if reason is None and len(outcomes) < len(sources):
        tail = "; ".join(line.strip() for line in list(errors)[-3:] if line and line.strip())
        reason = f"crawl process exited {code} before finishing" + (f": {tail}" if tail else "")
    # Sources the crawl process could not start or store: their runs are settled here, in one
    # transaction per reason rather than one database connection per source.
    reported: dict[str, list[SourceConfig]] = {}
    for source in sources:
        failed = outcomes.get(source.name)
        # A source another process is crawling keeps that crawl's run, and gets none of its own.
        if failed is not None and failed.error and BUSY not in failed.error:
            reported.setdefault(failed.error, []).append(source)
    for error, failed_sources in reported.items():
        fail_unfinished_crawls(config.database, failed_sources, error, started_at)
    unfinished = _unfinished(sources, outcomes)
    if unfinished:
        assert reason is not None
        fail_unfinished_crawls(config.database, unfinished, reason, started_at)
        for source in unfinished:
            outcome = CrawlOutcome(source.name, False, {}, reason)
            outcomes[source.name] = outcome
            if on_outcome:
                on_outcome(outcome)
    return list(outcomes.values())


def _follow(
    child: subprocess.Popen[str],
    lines: queue.Queue[str | None],
    outcomes: dict[str, CrawlOutcome],
    on_outcome: OutcomeListener | None,
    stall_limit: float,
    timeout: float | None,
) -> str | None:
    """Read the child's lines until it closes its output or exits; the reason to kill it, if any."""
    deadline = time.monotonic() + timeout if timeout is not None else None
    last_progress = time.monotonic()
    while True:
        now = time.monotonic()
        wait = last_progress + stall_limit - now
        if deadline is not None:
            wait = min(wait, deadline - now)
        if wait <= 0:
            if deadline is not None and now >= deadline:
                return f"crawl timed out after {timeout:.0f}s"
            return f"crawl process stopped: no source finished for {stall_limit:.0f}s"
        try:
            line = lines.get(timeout=min(wait, EXIT_CHECK_SECONDS))
        except queue.Empty:
            if child.poll() is None:
                continue
            line = _last_line(lines)  # exited: what it printed before is still to be read
        if line is None:
            return None
        outcome = _parse_line(line)
        if outcome is None:
            continue
        last_progress = time.monotonic()
        outcomes[outcome.source] = outcome
        if on_outcome:
            on_outcome(outcome)


def _last_line(lines: queue.Queue[str | None]) -> str | None:
    try:
        return lines.get(timeout=EXIT_CHECK_SECONDS)
    except queue.Empty:
        return None


def _parse_line(line: str) -> CrawlOutcome | None:
    if line.startswith(DONE_PREFIX):
        report = json.loads(line[len(DONE_PREFIX) :])
        # Skipped (behind an open circuit breaker) is no failure of the source's own.
        return CrawlOutcome(report["source"], report["status"] in SUCCEEDED, report)
    if line.startswith(FAILED_PREFIX):
        failure = json.loads(line[len(FAILED_PREFIX) :])
        return CrawlOutcome(failure["source"], False, {}, failure["reason"])
    return None


def _pump(stream: Any, put: Callable[[str | None], None]) -> None:
    for line in stream:
        put(line.rstrip("\n"))
    put(None)


def _unfinished(sources: Sequence[SourceConfig], outcomes: dict[str, CrawlOutcome]) -> list[SourceConfig]:
    return [source for source in sources if source.name not in outcomes]


def _kill(child: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


class _PrintingListener:
    """The child's side: one line per source on stdout, flushed at once."""

    def source_done(self, report: Any) -> None:
        print(DONE_PREFIX + json.dumps(report.as_dict()), flush=True)

    def source_failed(self, source: str, reason: str) -> None:
        print(FAILED_PREFIX + json.dumps({"source": source, "reason": reason}), flush=True)


def main() -> int:
    """The child: crawl the sources named on stdin, store each as it finishes."""
    from crawler.middlewares import http_cache_root
    from crawler.process import run_crawl
    from notifier.outbox import outbox_hook
    from pipeline.db import make_engine, session_factory
    from pipeline.ingest import Ingest

    payload = json.loads(sys.stdin.read())
    config = Config.model_validate(payload["config"])
    sources = config.sources_named(payload["sources"])
    # The parent brought the schema up to date; the child only opens it, once.
    engine = make_engine(config.database)
    try:
        ingest = Ingest(session_factory(engine), outbox_hook(config))
        with normalizer_pool(len(sources)) as pool:
            cache = http_cache_root(config.database)
            run_crawl(config.crawl, sources, ingest, _PrintingListener(), cache, normalizer=pool)
    finally:
        engine.dispose()
    return 0


@contextlib.contextmanager
def normalizer_pool(sources: int) -> Iterator[Executor | None]:
    """Worker processes that normalize postings while this one fetches, parses and stores: one
    per spare core. A crawl of one source has nothing to overlap and normalizes inline."""
    workers = min(4, (os.cpu_count() or 1) - 1)
    if sources < 2 or workers < 1:
        yield None
        return
    # Spawned, not forked: the crawl process holds a reactor, sockets and a database connection.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


if __name__ == "__main__":
    sys.exit(main())
