"""Workable: the account's jobs, with descriptions, in one widget API request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.extract.workable import extract_workable
from crawler.items import RawPosting
from crawler.spiders.base import BoardSpider, base_url


class WorkableSpider(BoardSpider):
    name = "workable"
    default_api_base = "https://apply.workable.com"

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        account = quote(source.board or "", safe="")
        return f"{base_url(source, cls.default_api_base)}/api/v1/widget/accounts/{account}?details=true"

    async def start(self) -> AsyncIterator[Any]:
        url = self.listing_url(self.source)
        yield scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed)

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            result = extract_workable(payload, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(result)
        self.listing_complete = True
