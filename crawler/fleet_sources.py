"""A source's crawl through the queue begun (by the scheduler) and finished (by whichever worker
or scheduler holds its state): see crawler/fleet.py."""

from __future__ import annotations

import logging
import time
from contextlib import suppress

import redis

from config.schema import CrawlSettings, SourceConfig
from crawler.crawl import (
    STORE_SHARE,
    verdict_of,
)
from crawler.fleet import (
    Fleet,
    SharedSource,
)
from crawler.limits import budget_cut
from crawler.registry import board_for
from crawler.settings import MB
from crawler.settle import Settling
from pipeline.ingest import CrawlReport, Ingest

log = logging.getLogger("rolewatch.fleet")


def start_source(
    fleet: Fleet,
    source: SourceConfig,
    run_id: int,
    url_limit: int,
    timeout: float,
    limits: CrawlSettings | None = None,
) -> None:
    """The scheduler's side: a source's first requests go to the queue, its state to Redis.
    `limits` are the crawl's caps (`crawl.max_postings`, `crawl.max_raw_mb`), which the
    source's own settings override."""
    limits = limits or CrawlSettings.model_validate({})
    board = board_for(source)
    board.max_postings = source.max_postings or limits.max_postings
    now = time.time()
    state = SharedSource(run_id, board, now, now + source.timeout.total_seconds())
    state.max_raw_bytes = (source.max_raw_mb or limits.max_raw_mb) * MB
    requests = [
        tracked for request in board.start() if (tracked := fleet.track(state, request, url_limit, timeout))
    ]
    if not requests and not state.board.problems:
        state.board.record_problem("the board made no request")
    fleet.begin(state, requests)
    if not requests:  # nothing to wait for: finished by the first worker or scheduler to look
        fleet.due_now(run_id)


def finish_source(fleet: Fleet, ingest: Ingest, state: SharedSource) -> CrawlReport:
    """Store a source whose state was taken (its last request handled, or its budget out) and
    publish its outcome. Only the holder of the state calls this, so it runs once per run; if
    storing fails, the failure is published, so no scheduler waits for the source forever."""
    try:
        report = _stored(fleet, ingest, state)
    except Exception as error:
        with suppress(redis.RedisError):
            fleet.publish(
                state.run_id, {"source": state.source.name, "error": f"storing the crawl failed: {error}"}
            )
        raise
    fleet.publish(state.run_id, report.as_dict())
    return report


def _stored(fleet: Fleet, ingest: Ingest, state: SharedSource) -> CrawlReport:
    board = state.board
    stats = {
        "requests": len(state.requested),
        "postings": board.postings,
        "seconds": round(time.time() - state.started, 3),
    }
    raws, refused = fleet.raws(state.run_id)
    if refused:  # what they held is unknown: the crawl is incomplete, so nothing is closed
        board.record_problem(f"{refused} staged postings in the queue were refused: bad seal")
    verdict = verdict_of(board, state.cut, stats)
    source_ingest = ingest.resume(board.source, state.run_id)
    for raw in raws:
        source_ingest.add(raw)
    if board.same_listing:
        source_ingest.same_listing()
    # Stored a step at a time, within the budget and a share of it more for storing: past that,
    # what is stored stays and the crawl ends incomplete (see crawler/settle.py).
    budget = board.source.timeout.total_seconds()
    store_until = time.monotonic() + max(0.0, state.deadline + STORE_SHARE * budget - time.time())
    outcome: list[CrawlReport | str] = []
    settling = Settling(
        source_ingest, verdict, store_until, budget_cut(board.source), None, outcome.append, outcome.append
    )
    while settling.step_now():
        pass
    if not outcome or isinstance(outcome[0], str):
        raise RuntimeError(outcome[0] if outcome else "storing the crawl did not end")
    return outcome[0]
