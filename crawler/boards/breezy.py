"""Breezy HR: every position of a portal in one `GET https://{portal}.breezy.hr/json`, then the
page of each position new or listed otherwise than when its page was last read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import OneRequestBoard, base_url, board_token
from crawler.boards.detail import DetailBoard
from crawler.boards.tenant import TenantBoard
from crawler.extract.breezy import extract_breezy, extract_breezy_detail
from crawler.items import ExtractResult, RawPosting


class BreezyBoard(TenantBoard, DetailBoard, OneRequestBoard):
    """`board` is the portal (`acme` for acme.breezy.hr); a custom careers domain goes in
    `api_base`, and position pages are read there too."""

    name = "breezy"
    default_api_base = "https://{board}.breezy.hr"
    extract = staticmethod(extract_breezy)

    @classmethod
    def portal(cls, source: SourceConfig) -> str:
        return base_url(source, cls.default_api_base.format(board=board_token(source)))

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{cls.portal(source)}/json"

    def parse_listing(self, response: Response) -> Iterator[Any]:
        if self.board_found(response):
            yield from super().parse_listing(response)

    def listed(self, result: ExtractResult) -> Iterator[Any]:
        yield from self.emit(ExtractResult(dropped=result.dropped, unreadable=result.unreadable))
        for listed in result.postings:
            url = self.page_url(listed)
            if url is None:  # no page to read: stored as listed
                yield from self.emit(ExtractResult(postings=[listed]))
            else:
                yield from self.detail_unless_known(listed, url, self.parse_posting)

    def page_url(self, listed: RawPosting) -> str | None:
        """The position's page: its link, on the `api_base` host when one is set (a custom
        domain or a proxy serves the portal's paths)."""
        if not listed.url or not self.source.api_base:
            return listed.url
        link = urlsplit(listed.url)
        return f"{self.portal(self.source)}{link.path}" + (f"?{link.query}" if link.query else "")

    def parse_posting(self, response: Response, listed: RawPosting) -> Iterator[RawPosting]:
        try:
            posting = extract_breezy_detail(response.text, response.url, listed)
        except ValueError as error:
            # Stored as listed, and its page asked for again next crawl.
            self.record_problem(f"{response.url}: {error}")
            self.listing_only.add(listed.external_id)
            posting = listed
        yield from self.emit(ExtractResult(postings=[posting]))
