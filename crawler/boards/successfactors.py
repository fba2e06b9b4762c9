"""SAP SuccessFactors: every job in one `GET /googlefeed.xml` on the company's careers host."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url
from crawler.boards.tenant import TenantBoard
from crawler.extract.successfactors import extract_successfactors
from crawler.items import RawPosting

NEEDS_HOST = "a 'successfactors' source needs 'api_base': its careers host (https://careers.acme.com)"


class SuccessFactorsBoard(TenantBoard, OneRequestBoard):
    """`board` names the company; `api_base`, its careers host, is required: branded hosts
    carry no vendor name, so none can be derived. The feed gives no total: read whole, it is
    the listing. A host without the feed answers 404, or redirects to its home page."""

    name = "successfactors"
    extract = staticmethod(extract_successfactors)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, 'https://{careers host}')}/googlefeed.xml"

    def start(self) -> Iterator[scrapy.Request]:
        if not self.source.api_base:
            self.record_problem(NEEDS_HOST)
            return
        yield from super().start()

    def decode(self, response: Response) -> bytes:
        return response.body  # XML: parsed by the extraction

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        if self.board_found(response):
            yield from super().parse_listing(response)
