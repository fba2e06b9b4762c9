"""Greenhouse: the whole board in one `GET /v1/boards/{board}/jobs?content=true`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.extract.greenhouse import extract_greenhouse
from crawler.items import RawPosting
from crawler.spiders.base import BoardSpider


class GreenhouseSpider(BoardSpider):
    name = "greenhouse"
    default_api_base = "https://boards-api.greenhouse.io"

    async def start(self) -> AsyncIterator[Any]:
        url = f"{self.api_base}/v1/boards/{self.source.board}/jobs?content=true"
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
