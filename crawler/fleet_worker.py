"""A `rolewatch worker`'s Scrapy side: the queue it takes requests from, its spider, and the
middleware holding every host to the fleet's limits (see crawler/fleet.py)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any, Self
from urllib.parse import urlsplit

import redis
import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy.utils.request import request_from_dict
from scrapy_redis.queue import PriorityQueue
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from crawler.boards.base import Board
from crawler.crawl import (
    CALLBACK,
    ERRBACK,
    board_outputs,
)
from crawler.fleet import (
    KEY,
    QUEUE_KEY,
    REPORT_SECONDS,
    RUN,
    TAKEN,
    Fleet,
    SharedSource,
)
from crawler.fleet_sources import finish_source
from crawler.limits import raw_cap_problem
from crawler.middlewares import SOURCE
from crawler.sealing import MessageKind, RefusedMessage
from pipeline.ingest import Ingest
from pipeline.raw import RawPosting

log = logging.getLogger("rolewatch.fleet")


class FleetQueue(PriorityQueue):
    """scrapy-redis's priority queue, with each request taken listed as the worker's own, and
    every request sealed with the fleet's key (a request whose seal is wrong is dropped)."""

    REFUSED_PER_POP = 100  # refused requests dropped in one pop before it gives the engine a turn

    def _encode_request(self, request: scrapy.Request) -> bytes:
        return self.spider.fleet.encode_request(request)

    def _decode_request(self, encoded_request: bytes) -> scrapy.Request:
        data = self.spider.fleet.seal.open(MessageKind.REQUEST, encoded_request)
        return request_from_dict(data, spider=self.spider)

    def pop(self, timeout: int = 0) -> scrapy.Request | None:
        spider: FleetSpider = self.spider
        for _ in range(self.REFUSED_PER_POP):
            token = uuid.uuid4().hex
            data = spider.fleet.take(spider.worker, token)
            if data is None:
                return None
            try:
                return self._taken(self._decode_request(data), token)
            except RefusedMessage as error:
                spider.fleet.refused(QUEUE_KEY, error)
                spider.fleet.drop_taken(spider.worker, token)
        return None

    def _taken(self, request: scrapy.Request, token: str) -> scrapy.Request:
        spider: FleetSpider = self.spider
        if TAKEN in request.meta:  # a retry or redirect that went back through the queue
            worker, earlier = request.meta[TAKEN]
            spider.fleet.drop_taken(worker, earlier)
        request.meta[TAKEN] = (spider.worker, token)
        return request


class FleetSpider(scrapy.Spider):
    """A worker's spider: no start requests of its own; every response goes to its source's
    shared state. Requests it makes go to the queue, not to this worker's scheduler."""

    name = "rolewatch"

    def __init__(self, fleet: Fleet, ingest: Ingest, worker: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fleet = fleet
        self.ingest = ingest
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self._timer: LoopingCall | None = None
        self._stopped = threading.Event()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> Any:
        return
        yield  # an async generator with nothing in it: requests come from the queue

    def on_response(self, response: Response, **kwargs: Any) -> list[Any]:
        callback = response.meta[CALLBACK]
        self._handle(
            response.meta,
            lambda board: getattr(board, callback)(response, **kwargs),
            response.url,
            len(response.body),
        )
        return []

    def on_error(self, failure: Failure) -> list[Any]:
        request = failure.request  # type: ignore[attr-defined]
        name = request.meta.get(ERRBACK)
        self._handle(
            request.meta,
            lambda board: (getattr(board, name) if name else board.listing_failed)(failure),
            request.url,
        )
        return []

    def _handle(self, meta: dict[str, Any], call: Callable[[Board], Any], url: str, size: int = 0) -> None:
        run_id, key = meta[RUN], meta[KEY]
        taken = (meta[TAKEN][0], meta[TAKEN][1]) if TAKEN in meta else None
        with self.fleet.locked(run_id):
            state = self.fleet.load(run_id)
            if state is None or state.finisher or key not in state.pending:
                if taken:  # its source is finished, or another worker answered it already
                    self.fleet.drop_taken(*taken)
                return
            state.raw_bytes += size
            requests: list[scrapy.Request] = []
            raws: list[RawPosting] = []
            if state.raw_bytes > state.max_raw_bytes:  # not parsed; nothing more is waited for
                state.board.record_problem(raw_cap_problem(state.max_raw_bytes, url))
                state.pending = {key}
            else:
                requests, raws = board_outputs(state.board, lambda: call(state.board), url)
            limit = self.settings.getint("URLLENGTH_LIMIT")
            timeout = self.settings.getfloat("DOWNLOAD_TIMEOUT")
            follow = [
                tracked
                for request in requests
                if (tracked := self.fleet.track(state, request, limit, timeout))
            ]
            last = self.fleet.commit(state, key, raws, follow, taken, self.worker)
        if last:
            self._finish(state)

    def _finish(self, state: SharedSource) -> None:
        try:
            report = finish_source(self.fleet, self.ingest, state)
        except Exception:
            log.exception("%s: storing the crawl failed", state.source.name)
            return
        log.info("%s: %s, %s seen, %s new", report.source, report.status, report.seen, report.new)

    # -- reporting, budgets, idling ----------------------------------------------------------

    def _opened(self, spider: scrapy.Spider) -> None:
        self.fleet.report(self.worker)
        # Reported from a thread of its own, so a long store on the reactor's thread does not
        # make this worker look dead.
        threading.Thread(target=self._report, daemon=True).start()
        self._timer = LoopingCall(self._tick)
        self._timer.start(REPORT_SECONDS, now=False)

    def _report(self) -> None:
        while not self._stopped.wait(REPORT_SECONDS):
            try:
                self.fleet.report(self.worker)
            except redis.RedisError as error:
                log.warning("cannot reach the queue: %s", error)

    def _tick(self) -> None:
        try:
            self.fleet.requeue_silent_workers()
            for run_id in self.fleet.overdue():
                if claimed := self.fleet.claim(run_id, self.worker):
                    self._finish(claimed)
        except redis.RedisError as error:  # Redis away for a moment: try again at the next tick
            log.warning("cannot reach the queue: %s", error)
        except Exception:  # a LoopingCall stops for good on an error: log it and keep ticking
            log.exception("the worker's periodic round failed; trying again at the next")

    def _idle(self, spider: scrapy.Spider) -> None:
        raise DontCloseSpider  # a worker waits for work until it is stopped

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        self._stopped.set()
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.fleet.leave(self.worker)


class FleetGateMiddleware:
    """Downloader middleware: a request of a source already finished is not fetched; the others
    wait for a slot of their host, shared by the whole fleet."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.per_host = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.lease = settings.getfloat("DOWNLOAD_TIMEOUT") + 10

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_request(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        fleet = self._fleet()
        if fleet is None or RUN not in request.meta:
            return
        if not fleet.exists(request.meta[RUN]):
            raise IgnoreRequest(f"source {request.meta.get(SOURCE)} is finished")
        host, token = urlsplit(request.url).netloc, uuid.uuid4().hex
        while (wait := fleet.host_slot(host, self.per_host, self.lease, self.delay, token)) > 0:
            await sleep(min(wait, 0.25))
        request.meta["rolewatch_host_slot"] = (host, token)

    def process_response(
        self, request: scrapy.Request, response: Response, spider: scrapy.Spider | None = None
    ) -> Response:
        self._free(request)
        return response

    def process_exception(
        self, request: scrapy.Request, exception: Exception, spider: scrapy.Spider | None = None
    ) -> None:
        self._free(request)

    def _free(self, request: scrapy.Request) -> None:
        slot, fleet = request.meta.pop("rolewatch_host_slot", None), self._fleet()
        if slot and fleet is not None:
            fleet.free_host_slot(*slot)

    def _fleet(self) -> Fleet | None:
        spider = self.crawler.spider
        return spider.fleet if isinstance(spider, FleetSpider) else None
