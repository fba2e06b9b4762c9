"""Greenhouse: the whole board in one `GET /v1/boards/{board}/jobs?content=true`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.extract.greenhouse import extract_greenhouse
from crawler.items import RawPosting
from crawler.spiders.base import BoardSpider, base_url


class GreenhouseSpider(BoardSpider):
    name = "greenhouse"
    default_api_base = "https://boards-api.greenhouse.io"

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base)}/v1/boards/{source.board}/jobs?content=true"

    async def start(self) -> AsyncIterator[Any]:
        url = self.listing_url(self.source)
        yield scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed)

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            result = extract_greenhouse(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(result)
        self.listing_complete = True
