"""BambooHR: the careers list in one request, then a detail for each job that is new, closed or
listed otherwise since its detail was read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import base_url, board_token
from crawler.boards.detail import DetailBoard
from crawler.boards.tenant import TenantBoard
from crawler.extract.bamboohr import extract_bamboohr_detail, extract_bamboohr_list
from crawler.items import ExtractResult

# Hosts of BambooHR itself, never a company's careers site.
NOT_TENANTS = frozenset({"api", "app", "www"})


class BambooHRBoard(TenantBoard, DetailBoard):
    """`board` is the tenant (`acme` for acme.bamboohr.com/careers)."""

    name = "bamboohr"
    extract_detail = staticmethod(extract_bamboohr_detail)
    default_api_base = "https://{board}.bamboohr.com"

    @classmethod
    def site(cls, source: SourceConfig) -> str:
        return base_url(source, cls.default_api_base.format(board=board_token(source)))

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{cls.site(source)}/careers/list"

    def start(self) -> Iterator[scrapy.Request]:
        if (self.source.board or "").lower() in NOT_TENANTS:
            self.record_problem(f"{self.source.board!r} is a BambooHR host, not a company's careers site")
            return
        yield scrapy.Request(
            self.listing_url(self.source), callback=self.parse_listing, errback=self.listing_failed
        )

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not self.board_found(response):
            return
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            page = extract_bamboohr_list(payload, self.source.company, self.site(self.source))
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(dropped=page.result.dropped, unreadable=page.result.unreadable))
        site = self.site(self.source)
        for listed in page.result.postings:
            url = f"{site}/careers/{quote(listed.external_id, safe='')}/detail"
            yield from self.detail_unless_known(listed, url, self.parse_detail)
        listed_count = len(page.result.postings) + len(page.result.dropped) + len(page.result.unreadable)
        if page.total is not None and listed_count < page.total:
            self.record_problem(f"careers list gave {listed_count} jobs but its totalCount is {page.total}")
            return
        self.listing_complete = True
