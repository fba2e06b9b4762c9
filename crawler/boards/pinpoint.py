"""Pinpoint: every posting in one `GET /postings.json` on the company's Pinpoint host."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.boards.tenant import TenantBoard
from crawler.extract.pinpoint import extract_pinpoint
from crawler.items import RawPosting


class PinpointBoard(TenantBoard, OneRequestBoard):
    """`board` is the subdomain (`acme` for acme.pinpointhq.com); a custom careers domain
    (jobs.acme.org) goes in `api_base`. The feed names no company: set `company`."""

    name = "pinpoint"
    default_api_base = "https://{board}.pinpointhq.com"
    extract = staticmethod(extract_pinpoint)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base.format(board=board_token(source)))}/postings.json"

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        if self.board_found(response):
            yield from super().parse_listing(response)
