"""SmartRecruiters: the postings list paged by `offset`, then one detail request per posting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import base_url, board_token
from crawler.boards.detail import DetailBoard
from crawler.extract.smartrecruiters import extract_smartrecruiters_detail, extract_smartrecruiters_list
from crawler.items import ExtractResult, RawPosting

PAGE_SIZE = 100  # the API's maximum `limit`


class SmartRecruitersBoard(DetailBoard):
    """`board` is the company identifier (e.g. `Visa`).

    The public API host's robots.txt disallows crawlers; with `ROBOTSTXT_OBEY` the list
    request is refused and the crawl is recorded as incomplete with "Forbidden by robots.txt".
    Set `api_base` to a mirror you may crawl.
    """

    name = "smartrecruiters"
    default_api_base = "https://api.smartrecruiters.com"

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.listed_ids: set[str] = set()

    @classmethod
    def listing_url(cls, source: SourceConfig, offset: int = 0) -> str:
        base = base_url(source, cls.default_api_base)
        return f"{base}/v1/companies/{source.board}/postings?limit={PAGE_SIZE}&offset={offset}"

    def start(self) -> Iterator[scrapy.Request]:
        yield self._list_request(0)

    def _list_request(self, offset: int) -> scrapy.Request:
        url = self.listing_url(self.source, offset)
        return scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            page = extract_smartrecruiters_list(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        # List items lack the ad's text: the postings themselves come from their details.
        yield from self.emit(ExtractResult(dropped=page.result.dropped))
        if page.result.incomplete_reason:
            self.record_problem(page.result.incomplete_reason)
            return
        for listed in page.result.postings:
            self.listed_ids.add(listed.external_id)
            yield scrapy.Request(
                f"{self.api_base}/v1/companies/{self.source.board}/postings/{listed.external_id}",
                callback=self.parse_posting,
                errback=self.detail_failed,
                # Its title, place and link are stored if the detail cannot be fetched.
                cb_kwargs={"listed": listed},
            )
        if page.next_offset is not None:
            yield self._list_request(page.next_offset)
            return
        if len(self.listed_ids) < page.total:
            # Postings moved between pages while paging: some were never listed.
            self.record_problem(f"list gave {len(self.listed_ids)} postings but totalFound is {page.total}")
            return
        self.listing_complete = True

    def from_listing(self, listed: Any) -> RawPosting | None:
        if not isinstance(listed, RawPosting):
            return None
        # The list gives no link; the public page of a posting is at this address.
        url = (
            listed.url or f"https://jobs.smartrecruiters.com/{board_token(self.source)}/{listed.external_id}"
        )
        return replace(listed, url=url)

    def parse_posting(self, response: Response, listed: RawPosting | None = None) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            posting = extract_smartrecruiters_detail(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(postings=[posting]))
