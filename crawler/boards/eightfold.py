"""Eightfold: the positions list paged by `start`, ten at a time, then one detail per position
that is new or listed otherwise than when its detail was last read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import base_url
from crawler.boards.detail import DetailBoard
from crawler.boards.tenant import TenantBoard
from crawler.extract.eightfold import extract_eightfold_detail, extract_eightfold_list
from crawler.items import ExtractResult

PAGE_SIZE = 10  # the API's hard cap on `num`


class EightfoldBoard(TenantBoard, DetailBoard):
    """`board` is the company's domain as Eightfold knows it, the `domain=` of its careers
    URLs (`albemarle.com`); the tenant host is `{first label}.eightfold.ai` unless `api_base`
    names another (a custom careers host). The list is complete when it has given `count`
    positions."""

    name = "eightfold"
    extract_detail = staticmethod(extract_eightfold_detail)

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.listed: set[str] = set()

    @classmethod
    def site(cls, source: SourceConfig) -> str:
        tenant = quote((source.board or "").split(".")[0], safe="")
        return base_url(source, f"https://{tenant}.eightfold.ai")

    @classmethod
    def listing_url(cls, source: SourceConfig, start: int = 0) -> str:
        domain = quote(source.board or "", safe="")
        return f"{cls.site(source)}/api/apply/v2/jobs?domain={domain}&start={start}&num={PAGE_SIZE}"

    def start(self) -> Iterator[scrapy.Request]:
        yield self._list_request(0)

    def _list_request(self, start: int) -> scrapy.Request:
        url = self.listing_url(self.source, start)
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.listing_failed, cb_kwargs={"start": start}
        )

    def parse_listing(self, response: Response, start: int = 0) -> Iterator[Any]:
        if not self.board_found(response):
            return
        payload = self.decode_json(response)
        if payload is None:
            return
        site = self.site(self.source)
        try:
            page = extract_eightfold_list(payload, site, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(dropped=page.result.dropped, unreadable=page.result.unreadable))
        ids = {posting.external_id for posting in page.result.postings} | set(page.result.unreadable)
        fresh = ids - self.listed
        self.listed |= ids
        domain = quote(self.source.board or "", safe="")
        for listed in page.result.postings:
            url = f"{site}/api/apply/v2/jobs/{quote(listed.external_id, safe='')}?domain={domain}"
            yield from self.detail_unless_known(listed, url, self.parse_detail)
        end = start + page.rows
        if page.rows and end < page.count:
            if fresh:
                yield self._list_request(end)
            else:  # a page of positions listed already: `start` is ignored, paging would not end
                self.record_problem(f"{response.url}: page repeats positions already listed")
            return
        if len(self.listed) + self.dropped < page.count:
            # Positions moved between pages while paging, or a page came back empty early.
            self.record_problem(f"list gave {len(self.listed)} positions but count is {page.count}")
            return
        self.listing_complete = True
