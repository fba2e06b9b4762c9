"""Boards that fetch one more page per posting after the listing (its detail)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.schema import SourceConfig
from crawler.boards.base import Board, failure_reason
from crawler.faults import failure_kind
from crawler.items import ExtractResult, RawPosting
from pipeline.ingest import raw_hash

# A detail answering so says the job is gone, whatever the listing read a moment earlier said.
GONE = (404, 410)


class DetailBoard(Board):
    """A posting whose detail cannot be fetched is not silently dropped: it is a problem, so
    the crawl is incomplete and nothing is closed because of the gap. What the listing gave
    of it (title, place, link), passed as the request's `listed` keyword, is stored when the
    job is new; a job stored already keeps its stored version.

    Boards that ask for details through `detail_unless_known` fetch one only for a job that
    is new, closed, or whose listing entry changed since its detail was read: the digest of
    the entry is the job's raw hash (`RawPosting.listing_key`), and a job listed as it was is
    given as its listing has it, and kept as stored."""

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.listing_only: set[str] = set()
        # The raw hash of each job stored open, set by the crawl before it starts.
        self.known_raws: Mapping[str, str] = {}

    def detail_unless_known(
        self, listed: RawPosting, url: str, callback: Callable[..., Iterator[Any]]
    ) -> Iterator[Any]:
        """The request for a listed job's detail (its callback gets the keyed `listed`), or,
        when the job is stored open as listed now, the listed job itself: seen, as stored."""
        keyed = replace(listed, listing_key=raw_hash(replace(listed, listing_key=None), self.source.company))
        if self.known_raws.get(keyed.external_id) == keyed.listing_key:
            self.listing_only.add(keyed.external_id)
            yield from self.emit(ExtractResult(postings=[keyed]))
            return
        yield scrapy.Request(url, callback=callback, errback=self.detail_failed, cb_kwargs={"listed": keyed})

    def detail_failed(self, failure: Failure) -> Iterator[RawPosting]:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        self.record_problem(
            f"posting {url} failed: {failure_reason(failure)}", failure_kind(failure, listing=False)
        )
        if isinstance(failure.value, HttpError) and failure.value.response.status in GONE:
            return  # the job was taken down since the listing was read: nothing to store
        listed = request.cb_kwargs.get("listed") if request is not None else None
        raw = self.from_listing(listed) if listed is not None else None
        if raw is not None:
            self.listing_only.add(raw.external_id)
            yield from self.emit(ExtractResult(postings=[raw]))

    @staticmethod
    def extract_detail(payload: Any, listed: RawPosting) -> RawPosting:
        """A listed job completed from its detail's payload (ValueError when it cannot be read);
        boards whose details are read so name their extraction function here."""
        raise NotImplementedError

    def parse_detail(self, response: Response, listed: RawPosting) -> Iterator[RawPosting]:
        """A job's detail, as JSON, completing what its listing gave (`extract_detail`)."""
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            posting = self.extract_detail(payload, listed)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(postings=[posting]))

    def from_listing(self, listed: Any) -> RawPosting | None:
        """The posting as its listing entry gave it (boards whose listing has no such entry:
        None)."""
        return listed if isinstance(listed, RawPosting) else None
