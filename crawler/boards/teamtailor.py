"""Teamtailor: the RSS job feed, paged by `offset` and `per_page`, on the company's careers host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import base_url, board_token
from crawler.boards.tenant import TenantBoard
from crawler.extract.teamtailor import extract_teamtailor, feed_items
from crawler.middlewares import RETRY_ALSO

PER_PAGE = 100


class TeamtailorBoard(TenantBoard):
    """`board` is the careers subdomain (`acme` for acme.teamtailor.com); a custom careers
    domain goes in `api_base`. The feed gives no total: a page shorter than `per_page` is its
    last, and only reading it makes the listing complete."""

    name = "teamtailor"
    default_api_base = "https://{board}.teamtailor.com"

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.listed: set[str] = set()

    @classmethod
    def listing_url(cls, source: SourceConfig, offset: int = 0) -> str:
        base = base_url(source, cls.default_api_base.format(board=board_token(source)))
        return f"{base}/jobs.rss?offset={offset}&per_page={PER_PAGE}"

    def start(self) -> Iterator[scrapy.Request]:
        yield self._page_request(0)

    def _page_request(self, offset: int) -> scrapy.Request:
        return scrapy.Request(
            self.listing_url(self.source, offset),
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"offset": offset},
            # Healthy feeds answer a transient 400 now and then.
            meta={RETRY_ALSO: [400]},
        )

    def parse_listing(self, response: Response, offset: int = 0) -> Iterator[Any]:
        if not self.board_found(response):
            return
        try:
            result = extract_teamtailor(response.body, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        ids = {posting.external_id for posting in result.postings} | set(result.unreadable)
        fresh = ids - self.listed
        self.listed |= ids
        yield from self.emit(result)
        items = feed_items(result)
        if items < PER_PAGE:
            self.listing_complete = True
        elif ids and not fresh:
            # A full page of jobs read already: the feed ignores `offset`, and paging would not end.
            self.record_problem(f"{response.url}: page repeats jobs already listed; feed not paged")
        else:
            yield self._page_request(offset + items)
