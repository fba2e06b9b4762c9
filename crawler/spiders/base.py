"""What every board spider shares: the source it crawls, error bookkeeping, JSON decoding."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import quote

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.schema import SourceConfig
from crawler.items import ExtractResult, RawPosting
from crawler.middlewares import CONDITIONAL


def base_url(source: SourceConfig, default: str) -> str:
    return (source.api_base or default).rstrip("/")


class BoardSpider(scrapy.Spider):
    """Base for board spiders. A crawl is complete only when `listing_complete` was set after
    the last listing page and no problem was recorded."""

    default_api_base: ClassVar[str] = ""

    def __init__(self, source: SourceConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.problems: list[str] = []
        self.listing_complete = False

    @property
    def api_base(self) -> str:
        return base_url(self.source, self.default_api_base)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        """The first listing URL of a source, for `rolewatch check` and the first request."""
        raise NotImplementedError

    def record_problem(self, message: str) -> None:
        self.problems.append(message)
        self.logger.warning("%s: %s", self.source.name, message)
        if self.crawler.stats:
            self.crawler.stats.inc_value("rolewatch/problems")

    def listing_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        error = failure.value
        if isinstance(error, HttpError):
            reason = f"HTTP {error.response.status}"
        else:
            reason = failure.getErrorMessage() or type(error).__name__
        self.record_problem(f"listing {url} failed: {reason}")

    def decode_json(self, response: Response) -> Any | None:
        try:
            return json.loads(response.body)
        except ValueError as error:
            self.record_problem(f"{response.url}: response is not valid JSON ({error})")
            return None

    def emit(self, result: ExtractResult) -> Iterator[RawPosting]:
        stats = self.crawler.stats
        for reason in result.dropped:
            self.logger.info("%s: dropped posting %s", self.source.name, reason)
        if stats:
            stats.inc_value("rolewatch/dropped", len(result.dropped))
            stats.inc_value("rolewatch/postings", len(result.postings))
        if result.incomplete_reason:
            self.record_problem(result.incomplete_reason)
        yield from result.postings


class OneRequestSpider(BoardSpider):
    """A board that lists every posting in one JSON response: fetch, extract, done.

    Subclasses name the URL (`listing_url`) and the pure extraction function (`extract`).
    """

    @staticmethod
    def extract(payload: Any, company: str | None) -> ExtractResult:
        raise NotImplementedError

    async def start(self) -> AsyncIterator[Any]:
        url = self.listing_url(self.source)
        # Conditional: an unchanged board answers 304 and its stored listing is parsed again.
        yield scrapy.Request(
            url, callback=self.parse_listing, errback=self.listing_failed, meta={CONDITIONAL: True}
        )

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            result = self.extract(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(result)
        self.listing_complete = True


def board_token(source: SourceConfig) -> str:
    """The board token, safe to put in a URL path."""
    return quote(source.board or "", safe="")
