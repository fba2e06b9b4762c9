"""Rippling: the board's job list, then one detail per job that is new or listed otherwise
than when its detail was last read."""

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
from crawler.extract.rippling import extract_rippling_detail, extract_rippling_list
from crawler.items import ExtractResult


class RipplingBoard(TenantBoard, DetailBoard):
    """`board` is the slug of `ats.rippling.com/{slug}/jobs` (case-sensitive)."""

    name = "rippling"
    extract_detail = staticmethod(extract_rippling_detail)
    default_api_base = "https://api.rippling.com"

    @classmethod
    def listing_url(cls, source: SourceConfig, page: int | None = None) -> str:
        base = base_url(source, cls.default_api_base)
        jobs = f"{base}/platform/api/ats/v1/board/{board_token(source)}/jobs"
        return jobs if page is None else f"{jobs}?page={page}"

    def start(self) -> Iterator[scrapy.Request]:
        yield self._list_request(None)

    def _list_request(self, page: int | None) -> scrapy.Request:
        url = self.listing_url(self.source, page)
        return scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if not self.board_found(response):
            return
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            page = extract_rippling_list(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(dropped=page.result.dropped, unreadable=page.result.unreadable))
        if page.result.incomplete_reason:
            self.record_problem(page.result.incomplete_reason)
            return
        jobs = self.listing_url(self.source)
        for listed in page.result.postings:
            url = f"{jobs}/{quote(listed.external_id, safe='')}"
            yield from self.detail_unless_known(listed, url, self.parse_detail)
        if page.next_page is not None:
            yield self._list_request(page.next_page)
            return
        self.listing_complete = True
