"""Ashby: the whole board, pay included, in one `GET /posting-api/job-board/{board}`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.extract.ashby import extract_ashby
from crawler.items import RawPosting
from crawler.spiders.base import BoardSpider, base_url


class AshbySpider(BoardSpider):
    name = "ashby"
    default_api_base = "https://api.ashbyhq.com"

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        board = quote(source.board or "", safe="")
        # Ashby leaves pay out unless asked for it.
        query = "includeCompensation=true"
        return f"{base_url(source, cls.default_api_base)}/posting-api/job-board/{board}?{query}"

    async def start(self) -> AsyncIterator[Any]:
        url = self.listing_url(self.source)
        yield scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed)

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            result = extract_ashby(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(result)
        self.listing_complete = True
