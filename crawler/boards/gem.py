"""Gem: every job post of a board in one `GET /job_board/v0/{board}/job_posts/`."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.boards.tenant import TenantBoard
from crawler.extract.gem import extract_gem
from crawler.items import RawPosting


class GemBoard(TenantBoard, OneRequestBoard):
    """`board` is the slug of `jobs.gem.com/{slug}`."""

    name = "gem"
    default_api_base = "https://api.gem.com"
    extract = staticmethod(extract_gem)

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base)}/job_board/v0/{board_token(source)}/job_posts/"

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        if self.board_found(response):
            yield from super().parse_listing(response)
