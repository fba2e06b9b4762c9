"""What every board shares: the source it reads, its bookkeeping, JSON decoding.

A board is one source's part of the shared crawl (`crawler.crawl.BoardsSpider`): it makes the
source's requests, parses their responses, and keeps what decides its verdict — whether the
listing was read to its end and which problems were met. Its callbacks yield requests (whose
callback and errback are the board's own methods) and `RawPosting`s; the spider routes both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.schema import SourceConfig
from crawler.faults import failure_kind, is_challenge, size_cut
from crawler.items import ExtractResult, RawPosting
from crawler.jsontext import loads_forgiving
from crawler.middlewares import CONDITIONAL
from pipeline.health import ProblemKind
from pipeline.ingest import listing_digest


def base_url(source: SourceConfig, default: str) -> str:
    return (source.api_base or default).rstrip("/")


log = logging.getLogger("rolewatch.crawl")

# Request meta key: the size limit the request's `download_maxsize` is, as a problem names it.
SIZE_LIMIT = "rolewatch_size_limit"


def failure_reason(failure: Failure) -> str:
    """ "HTTP 503", "Forbidden by robots.txt", "TCP connection timed out"..."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}"
    message = failure.getErrorMessage()
    # Scrapy cancels a body past `download_maxsize` saying nothing, or little: name the limit.
    if size_cut(failure):
        request = getattr(failure, "request", None)
        limit = request.meta.get(SIZE_LIMIT) if request is not None else None
        return f"the response was larger than {limit or 'the download limit (DOWNLOAD_MAXSIZE)'}"
    return message or type(error).__name__


class Board:
    """Base for boards. A crawl is complete only when `listing_complete` was set after the last
    listing page and no problem was recorded."""

    name: ClassVar[str] = ""  # the family, as users write it in `type:`
    default_api_base: ClassVar[str] = ""

    def __init__(self, source: SourceConfig) -> None:
        self.source = source
        self.problems: list[str] = []
        # The kind of each problem, in step with `problems`: what the crawl's health is read from.
        self.problem_kinds: list[ProblemKind] = []
        # What was read around without making the crawl incomplete: jobs listed but unreadable
        # (by id: kept as they are stored, never closed for it) and repaired bodies.
        self.unreadable: dict[str, str] = {}
        self.notes: list[str] = []
        self.listing_complete = False
        self.dropped = 0
        self.postings = 0
        # Postings kept at most (the crawl sets it); past it the board is `capped`: incomplete.
        self.max_postings: int | None = None
        self.capped = False
        # Listing digests (see `OneRequestBoard`): the last clean crawl's, and this crawl's.
        self.known_listing: str | None = None
        self.listing: str | None = None
        self.same_listing = False

    def start(self) -> Iterator[scrapy.Request]:
        """The source's first requests."""
        raise NotImplementedError

    @property
    def api_base(self) -> str:
        return base_url(self.source, self.default_api_base)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        """The first listing URL of a source, for `rolewatch check` and the first request."""
        raise NotImplementedError

    def record_problem(self, message: str, kind: ProblemKind = ProblemKind.UNREADABLE) -> None:
        self.problems.append(message)
        self.problem_kinds.append(kind)
        log.warning("%s: %s", self.source.name, message)

    def listing_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        self.record_problem(f"listing {url} failed: {failure_reason(failure)}", failure_kind(failure))

    def decode_json(self, response: Response) -> Any | None:
        try:
            payload, notes = loads_forgiving(response.body)
        except ValueError as error:
            if is_challenge(response, json_expected=True):
                self.record_problem(f"{response.url}: a bot challenge page, not JSON", ProblemKind.CHALLENGE)
            else:
                self.record_problem(f"{response.url}: response is not valid JSON ({error})")
            return None
        for note in notes:
            self.note(f"{response.url}: {note}")
        return payload

    def note(self, message: str) -> None:
        self.notes.append(message)
        log.warning("%s: %s", self.source.name, message)

    def emit(self, result: ExtractResult) -> Iterator[RawPosting]:
        for reason in result.dropped:
            log.info("%s: dropped posting %s", self.source.name, reason)
        for external_id, reason in result.unreadable.items():
            self.unreadable[external_id] = reason
            log.warning("%s: %s", self.source.name, reason)
        self.dropped += len(result.dropped)
        postings = result.postings
        if self.max_postings is not None and self.postings + len(postings) > self.max_postings:
            postings = postings[: max(0, self.max_postings - self.postings)]
            if not self.capped:
                self.capped = True
                cap = self.max_postings
                self.record_problem(
                    f"the board lists more than {cap:,} postings: kept the first {cap:,}; raise max_postings",
                    ProblemKind.LIMIT,
                )
        self.postings += len(postings)
        if result.incomplete_reason:
            self.record_problem(result.incomplete_reason)
        yield from postings

    def room(self) -> int | None:
        """How many more postings may be read to tell the board is past its cap (one more than
        it may keep), or None without a cap."""
        return None if self.max_postings is None else max(0, self.max_postings - self.postings) + 1


class OneRequestBoard(Board):
    """A board that lists every posting in one JSON response: fetch, extract, done.

    Subclasses name the URL (`listing_url`) and the pure extraction function (`extract`). A
    response byte for byte the one the last clean crawl read is not parsed at all: what it
    lists is stored already, exactly (`same_listing`).
    """

    @staticmethod
    def extract(payload: Any, company: str | None, limit: int | None = None) -> ExtractResult:
        raise NotImplementedError

    def decode(self, response: Response) -> Any | None:
        """The payload `extract` reads: the body's JSON (a board of XML hands over the bytes)."""
        return self.decode_json(response)

    def start(self) -> Iterator[scrapy.Request]:
        url = self.listing_url(self.source)
        # Conditional: an unchanged board answers 304 and its stored listing is parsed again.
        yield scrapy.Request(
            url, callback=self.parse_listing, errback=self.listing_failed, meta={CONDITIONAL: True}
        )

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        digest = listing_digest(response.body, self.source)
        if digest == self.known_listing:
            self.listing, self.same_listing, self.listing_complete = digest, True, True
            return
        payload = self.decode(response)
        if payload is None:
            return
        try:
            # A board of a million jobs costs no more to read than its cap allows.
            result = self.extract(payload, self.source.company, self.room())
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.listed(result)
        self.listing, self.listing_complete = digest, True

    def listed(self, result: ExtractResult) -> Iterator[Any]:
        """What the listing's postings make: the postings themselves; a board that reads a
        page per posting asks for those pages instead."""
        yield from self.emit(result)


def board_token(source: SourceConfig) -> str:
    """The board token, safe to put in a URL path."""
    return quote(source.board or "", safe="")
