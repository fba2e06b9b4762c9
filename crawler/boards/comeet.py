"""Comeet: every position in one hosted careers page, `GET /jobs/{company}/{uid}`."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url
from crawler.boards.tenant import TenantBoard
from crawler.extract.comeet import extract_comeet_page
from crawler.items import RawPosting


class ComeetBoard(TenantBoard, OneRequestBoard):
    """`board` is `{company}/{uid}` as in the page's address (`cheq/65.005`). The page embeds
    the whole board: read, it is the listing. An unknown board answers 404 or redirects to
    Comeet's home page."""

    name = "comeet"
    default_api_base = "https://www.comeet.com"
    extract = staticmethod(extract_comeet_page)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        path = "/".join(quote(part, safe="") for part in (source.board or "").split("/"))
        return f"{base_url(source, cls.default_api_base)}/jobs/{path}"

    def decode(self, response: Response) -> bytes:
        return response.body  # HTML: its scripts are read by the extraction

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        if self.board_found(response):
            yield from super().parse_listing(response)
