"""Personio: every position in one XML feed, `GET /xml?language=en` on the company's jobs host."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.boards.tenant import TenantBoard
from crawler.extract.personio import extract_personio, job_page
from crawler.items import RawPosting


class PersonioBoard(TenantBoard, OneRequestBoard):
    """`board` is the jobs subdomain (`acme` for acme.jobs.personio.de); a tenant on the `.com`
    host, or a custom domain, goes in `api_base` (https://acme.jobs.personio.com). Without
    `language=` a feed may hold one language only; English is asked for. An unknown board is
    redirected to Personio's home page, and a tenant without the feed answers 404."""

    name = "personio"
    default_api_base = "https://{board}.jobs.personio.de"
    extract = staticmethod(extract_personio)

    @classmethod
    def site(cls, source: SourceConfig) -> str:
        return base_url(source, cls.default_api_base.format(board=board_token(source)))

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{cls.site(source)}/xml?language=en"

    def decode(self, response: Response) -> bytes:
        return response.body  # XML: parsed by the extraction

    def parse_listing(self, response: Response) -> Iterator[RawPosting]:
        if not self.board_found(response):
            return
        # The feed links no job: each one's page is on the board's own host.
        site = self.site(self.source)
        for posting in super().parse_listing(response):
            yield replace(posting, url=posting.url or job_page(site, posting.external_id))
