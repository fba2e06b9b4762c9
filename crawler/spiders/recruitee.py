"""Recruitee: every offer in one `GET /api/offers` on the company's own careers host."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.extract.recruitee import extract_recruitee
from crawler.items import RawPosting
from crawler.spiders.base import BoardSpider, base_url


class RecruiteeSpider(BoardSpider):
    name = "recruitee"
    # The host is per company; custom careers domains go in `api_base`.
    default_api_base = "https://{board}.recruitee.com"

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base.format(board=source.board))}/api/offers"

    @property
    def api_base(self) -> str:
        return base_url(self.source, self.default_api_base.format(board=self.source.board))

    async def start(self) -> AsyncIterator[Any]:
        url = self.listing_url(self.source)
        yield scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed)

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            result = extract_recruitee(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(result)
        self.listing_complete = True
