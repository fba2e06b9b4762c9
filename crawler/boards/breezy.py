"""Breezy HR: every position of a portal in one `GET https://{portal}.breezy.hr/json`."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.boards.tenant import TenantBoard
from crawler.extract.breezy import extract_breezy
from crawler.items import RawPosting


class BreezyBoard(TenantBoard, OneRequestBoard):
    """`board` is the portal (`acme` for acme.breezy.hr); a custom careers domain goes in
    `api_base`."""

    name = "breezy"
    default_api_base = "https://{board}.breezy.hr"
    extract = staticmethod(extract_breezy)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base.format(board=board_token(source)))}/json"

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        if self.board_found(response):
            yield from super().parse_listing(response)
