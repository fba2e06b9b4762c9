"""The shared crawl: one Scrapy spider over many sources, each request carrying its source.

A source is begun (its crawl run opened) when Scrapy takes its first requests, and finished —
its postings stored, its closings decided — as soon as its last request has been parsed, or
when its own time budget runs out, or when it brings more than its caps allow (postings, or
megabytes of responses), while the other sources go on. It is stored a step at a time
(`crawler.settle`), so a big board holds back no other, and its budget holds to the last step.
Boards on one host share that host's download slot, so its politeness limits hold for all;
boards on one vendor's hosts share the vendor's. A source behind an open circuit breaker (its
host or vendor failing, `crawler.circuits`) is not crawled: its run ends `skipped`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from config.schema import SourceConfig
from crawler.boards.base import Board
from crawler.boards.detail import DetailBoard
from crawler.circuits import Circuits, Gate
from crawler.faults import is_challenge
from crawler.limits import budget_cut, raw_cap_problem, size_limit
from crawler.middlewares import SOURCE
from crawler.registry import board_for
from crawler.routing import CALLBACK, ERRBACK, board_outputs, routing_meta, url_too_long, verdict_of
from crawler.settings import MB
from crawler.settle import Settling
from pipeline.breakers import Admission, BreakerPolicy
from pipeline.health import ProblemKind
from pipeline.ingest import BEGIN_BATCH, CrawlReport, Ingest, SourceIngest
from pipeline.store import CrawlVerdict

log = logging.getLogger("rolewatch.crawl")

__all__ = [
    "CALLBACK",
    "ERRBACK",
    "BoardsSpider",
    "board_outputs",
    "routing_meta",
    "url_too_long",
    "verdict_of",
]

BUDGET_CHECK_SECONDS = 0.5
# Sources in flight at once, per request the crawl may have in flight: enough to keep every
# download slot busy, few enough that a source's budget is spent on its own requests rather
# than waiting behind thousands of others.
ACTIVE_SOURCES_PER_REQUEST = 2
START_POLL_SECONDS = 0.05
# The share of a source's budget kept for storing what it fetched: fetching stops before it.
STORE_SHARE = 0.1


class CrawlListener(Protocol):
    """Told of each source as soon as it is done, so progress and failures are known at once."""

    def source_done(self, report: CrawlReport) -> None: ...

    def source_failed(self, source: str, reason: str) -> None: ...


@dataclass
class SourceCrawl:
    """One source inside the shared crawl: its board, its ingest and its outstanding requests."""

    board: Board
    ingest: SourceIngest
    started: float
    deadline: float  # of fetching; `ends` of storing too (time.monotonic())
    ends: float
    max_raw_bytes: int
    raw_bytes: int = 0  # of the responses read so far
    outstanding: int = 0
    requested: set[bytes] = field(default_factory=set)
    home: str | None = None  # the URL of its first request: its host's and vendor's breakers
    skipped: Gate | None = None  # not crawled: behind an open circuit breaker


class BoardsSpider(scrapy.Spider):
    name = "rolewatch"

    def __init__(
        self,
        sources: Sequence[SourceConfig],
        ingest: Ingest,
        listener: CrawlListener,
        normalizer: Executor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sources = list(sources)
        self.ingest = ingest
        self.listener = listener
        # Normalizing in another process lets this one go on fetching and parsing meanwhile.
        self.normalizer = normalizer
        self.active: dict[str, SourceCrawl] = {}
        self.finished: set[str] = set()
        self.settling: dict[str, Settling] = {}
        self._budget_timer: LoopingCall | None = None
        self.max_active = 8
        self.max_postings = 20000
        self.max_raw_bytes = 256 * MB
        self.circuits = Circuits(None, BreakerPolicy())
        self.vendors: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        concurrency = crawler.settings.getint("CONCURRENT_REQUESTS")
        spider.max_active = max(8, ACTIVE_SOURCES_PER_REQUEST * concurrency)
        spider.max_postings = crawler.settings.getint("ROLEWATCH_MAX_POSTINGS", spider.max_postings)
        spider.max_raw_bytes = crawler.settings.getint("ROLEWATCH_MAX_RAW_BYTES", spider.max_raw_bytes)
        spider.circuits = Circuits.from_settings(spider.ingest.sessions, crawler.settings)
        spider.vendors = spider.circuits.vendors
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Scrapy reads start() as fast as it yields, so sources are begun only while fewer than
        # `max_active` are in flight (fetching, or being stored): a source's budget
        # starts when it is begun, and memory is bounded by the sources in flight. They are
        # begun in batches (one transaction each) once room for an eighth of them has freed up:
        # sources end one at a time, and a batch of one each time would save nothing.
        sources = list(self.sources)
        begun = 0
        while begun < len(sources):
            least = min(len(sources) - begun, BEGIN_BATCH, max(1, self.max_active // 8))
            while (room := self.max_active - len(self.active) - len(self.settling)) < least:
                await sleep(START_POLL_SECONDS)
            batch = sources[begun : begun + min(room, BEGIN_BATCH)]
            begun += len(batch)
            for request in self._begin(batch):
                yield request

    # -- a source's life: begin, track its requests, finish --------------------------------

    def _begin(self, sources: list[SourceConfig]) -> list[scrapy.Request]:
        boards: dict[str, Board] = {}
        for source in sources:
            try:
                boards[source.name] = board_for(source)
            except Exception as error:
                self._cannot_begin(source, error)
        ingests = self.ingest.begin_many([source for source in sources if source.name in boards])
        requests = []
        for name, board in boards.items():
            ingest = ingests[name]
            if isinstance(ingest, Exception):  # e.g. the database refusing: others go on
                self._cannot_begin(board.source, ingest)
                continue
            try:
                requests += self._started(board, ingest)
            except Exception as error:  # a board's first requests unusable: the others go on
                self.active.pop(name, None)
                self._cannot_begin(board.source, error)
        return requests

    def _cannot_begin(self, source: SourceConfig, error: Exception) -> None:
        log.error("%s: cannot start its crawl", source.name, exc_info=error)
        self.finished.add(source.name)
        # A database error says what the database said, not the statement it refused.
        said = getattr(error, "orig", None) or error
        self.listener.source_failed(source.name, f"cannot start the crawl: {said}")

    def _started(self, board: Board, ingest: SourceIngest) -> list[scrapy.Request]:
        source = board.source
        board.known_listing = ingest.known_listing
        if isinstance(board, DetailBoard):
            board.known_raws = ingest.open_raw_hashes()
        now = time.monotonic()
        budget = source.timeout.total_seconds()
        raw_cap = source.max_raw_mb * MB if source.max_raw_mb else self.max_raw_bytes
        fetching = now + budget * (1 - STORE_SHARE)
        crawl = SourceCrawl(board, ingest, now, deadline=fetching, ends=now + budget, max_raw_bytes=raw_cap)
        board.max_postings = source.max_postings or self.max_postings
        self.active[source.name] = crawl
        requests = list(self._route(crawl, board.start, source.name, counted=False))
        crawl.home = requests[0].url if requests else None
        gate = self.circuits.admit(source.name, crawl.home) if crawl.home else None
        if gate is not None and gate.admission is Admission.SKIP:
            crawl.skipped, crawl.outstanding, requests = gate, 0, []
        if crawl.outstanding == 0:
            self._finish(crawl)
        return requests

    def _track(self, crawl: SourceCrawl, request: scrapy.Request) -> scrapy.Request | None:
        """The request as the shared spider sends it, or None when this source already asked for
        it (Scrapy's duplicate filter would drop it without a callback, and the source would
        wait for it forever)."""
        assert self.crawler is not None
        if url_too_long(crawl.board, request, self.settings.getint("URLLENGTH_LIMIT")):
            return None
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
        if fingerprint in crawl.requested:
            return None
        crawl.requested.add(fingerprint)
        crawl.outstanding += 1
        remaining = crawl.deadline - time.monotonic()
        size = size_limit(crawl.max_raw_bytes - crawl.raw_bytes, crawl.max_raw_bytes, self.settings)
        timeout = self.settings.getfloat("DOWNLOAD_TIMEOUT")
        meta = routing_meta(crawl.board, request, timeout, remaining, size, self.vendors)
        return request.replace(callback=self.on_response, errback=self.on_error, meta=meta, dont_filter=True)

    def _finish(self, crawl: SourceCrawl, cut: str | None = None) -> None:
        name = crawl.board.source.name
        if self.active.get(name) is not crawl:
            return
        del self.active[name]
        self.finished.add(name)
        board = crawl.board
        stats = {
            "requests": len(crawl.requested),
            "postings": board.postings,
            "seconds": round(time.monotonic() - crawl.started, 3),
        }
        if crawl.skipped is not None:
            verdict = CrawlVerdict(
                [crawl.skipped.reason or "not crawled"], health=crawl.skipped.health, skipped=True
            )
        else:
            verdict = verdict_of(board, cut, stats)
            if crawl.home:
                self.circuits.crawled(name, crawl.home, board.problem_kinds)
        if board.same_listing:
            crawl.ingest.same_listing()
        stored, failed = partial(self._stored, name), partial(self._failed, name)
        cut = budget_cut(board.source)
        settling = Settling(crawl.ingest, verdict, crawl.ends, cut, self.normalizer, stored, failed)
        self.settling[name] = settling
        settling.start()

    def _stored(self, name: str, report: CrawlReport) -> None:
        self.settling.pop(name, None)
        self.listener.source_done(report)

    def _failed(self, name: str, reason: str) -> None:
        self.settling.pop(name, None)
        self.listener.source_failed(name, reason)

    # -- Scrapy callbacks: route each response to its source's board -------------------------

    def on_response(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        crawl = self.active.get(response.meta[SOURCE])
        if crawl is None:
            return  # the source was cut by its budget meanwhile
        crawl.raw_bytes += len(response.body)
        if crawl.raw_bytes > crawl.max_raw_bytes:  # not parsed: what it would make is past the cap
            crawl.board.record_problem(raw_cap_problem(crawl.max_raw_bytes, response.url), ProblemKind.LIMIT)
            self._finish(crawl)
            return
        if is_challenge(response):  # not the board: a bot challenge in its place
            problem = f"{response.url[:200]}: a bot challenge page, not the board"
            yield from self._route(
                crawl, partial(crawl.board.record_problem, problem, ProblemKind.CHALLENGE), response.url
            )
            return
        callback = getattr(crawl.board, response.meta[CALLBACK])
        yield from self._route(crawl, lambda: callback(response, **kwargs), response.url)

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        crawl = self.active.get(request.meta[SOURCE])
        if crawl is None:
            return
        name = request.meta.get(ERRBACK)
        errback = getattr(crawl.board, name) if name else crawl.board.listing_failed
        yield from self._route(crawl, lambda: errback(failure), request.url)

    def _route(
        self, crawl: SourceCrawl, call: Callable[[], Iterable[Any] | None], url: str, counted: bool = True
    ) -> Iterator[scrapy.Request]:
        """Run a board callback: its requests go to Scrapy, its postings to the source's ingest.
        When the last of the source's requests has been handled, the source is finished."""
        try:
            requests, raws = board_outputs(crawl.board, call, url)
            for raw in raws:
                crawl.ingest.add(raw)
            if crawl.board.capped:  # past its postings cap: it asks for nothing more
                self._finish(crawl)
                return
            for request in requests:
                if (tracked := self._track(crawl, request)) is not None:
                    yield tracked
        finally:
            if counted:
                crawl.outstanding -= 1
                if crawl.outstanding == 0:
                    self._finish(crawl)

    # -- time budgets and the end of the crawl ------------------------------------------------

    def _opened(self, spider: scrapy.Spider) -> None:
        self._budget_timer = LoopingCall(self._cut_overdue)
        self._budget_timer.start(BUDGET_CHECK_SECONDS, now=False)

    def _cut_overdue(self) -> None:
        now = time.monotonic()
        for crawl in [crawl for crawl in self.active.values() if now >= crawl.deadline]:
            self._finish(crawl, budget_cut(crawl.board.source))

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self._budget_timer is not None and self._budget_timer.running:
            self._budget_timer.stop()
        for crawl in list(self.active.values()):
            self._finish(crawl, f"crawl ended before every request was answered ({reason})")
        # Every request is answered: store what is left now, a step of each source in turn.
        settling = list(self.settling.values())
        while settling:
            settling = [source for source in settling if source.step_now()]


class FinishedSourcesMiddleware:
    """Downloader middleware: a request of a source already finished (cut by its budget) is
    not fetched."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        current = self.crawler.spider
        if isinstance(current, BoardsSpider) and request.meta.get(SOURCE) in current.finished:
            raise IgnoreRequest(f"source {request.meta[SOURCE]} is finished")
