"""Spiders for sources that are web pages rather than APIs: start from `urls` (listing pages or
sitemap XML), follow links matching `follow` but not `deny`, extract postings from each page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from config.schema import SourceConfig
from crawler.boards.detail import DetailBoard
from crawler.items import ExtractResult

SITEMAP_MAXSIZE = 64 * 1024 * 1024


class PageBoard(DetailBoard):
    """The listing is complete when every start URL (and every sitemap a sitemap index names)
    was fetched; a followed page that fails is a problem like a failed detail.

    Start URLs are listing pages when `follow` is given, posting pages otherwise; sitemap
    entries and followed links are posting pages.
    """

    # Whether listing pages may carry postings too (JSON-LD item lists do; an HTML layout
    # described by selectors would read a listing's heading as a job title).
    extract_from_listing_pages: ClassVar[bool] = True

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.pending_listings = 0
        self.queued_listings: set[str] = set()
        self.links = LinkExtractor(allow=source.follow, deny=source.deny) if source.follow else None

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return source.urls[0]

    def extract_page(self, response: TextResponse) -> ExtractResult:
        raise NotImplementedError

    def start(self) -> Iterator[scrapy.Request]:
        for url in self.source.urls:
            if request := self._listing_request(url):
                yield request

    def _listing_request(self, url: str) -> scrapy.Request | None:
        """A listing page to wait for, once: the dupefilter would drop a repeat without a
        callback, and the crawl would wait for it forever (never complete, never close)."""
        if url in self.queued_listings:
            return None
        self.queued_listings.add(url)
        self.pending_listings += 1
        return scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed, dont_filter=True)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        try:
            sitemap = _sitemap(response.body)
        except (OSError, ValueError) as error:  # a truncated .gz, an oversized sitemap
            self.record_problem(f"{response.url}: unreadable sitemap: {error}")
            return
        if sitemap is not None:
            outputs = list(self._from_sitemap(sitemap, response))
        else:
            outputs = list(self._from_page(response, posting_page=not self.source.follow))
        # Counted only after this page's own requests are known, so nested sitemaps are waited for.
        self.pending_listings -= 1
        if self.pending_listings == 0:
            self.listing_complete = True
        yield from outputs

    def parse_posting_page(self, response: Response) -> Iterator[Any]:
        yield from self._from_page(response, posting_page=True)

    def _from_sitemap(self, sitemap: Sitemap, response: Response) -> Iterator[Any]:
        for entry in sitemap:
            url = response.urljoin(entry["loc"])
            if sitemap.type == "sitemapindex":
                if request := self._listing_request(url):
                    yield request
            elif self._wanted(url):
                yield scrapy.Request(url, callback=self.parse_posting_page, errback=self.detail_failed)

    def _from_page(self, response: Response, posting_page: bool) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.record_problem(f"{response.url}: not an HTML page")
            return
        if posting_page or self.extract_from_listing_pages:
            try:
                result = self.extract_page(response)
            except Exception as error:  # one unreadable page must not end the crawl unnoticed
                self.record_problem(f"{response.url}: cannot extract postings: {error}")
            else:
                yield from self.emit(result)
        for link in self.links.extract_links(response) if self.links else []:
            yield scrapy.Request(link.url, callback=self.parse_posting_page, errback=self.detail_failed)

    def _wanted(self, url: str) -> bool:
        if self.source.follow and not any(re.search(pattern, url) for pattern in self.source.follow):
            return False
        return not any(re.search(pattern, url) for pattern in self.source.deny)


def _sitemap(body: bytes) -> Sitemap | None:
    """The body as a sitemap (gzipped or not), or None when it is an ordinary page."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_size=SITEMAP_MAXSIZE)
    head = body[:1024].lstrip()
    if not head.startswith(b"<?xml") and not head.startswith((b"<urlset", b"<sitemapindex")):
        return None
    sitemap = Sitemap(body)
    return sitemap if sitemap.type in ("urlset", "sitemapindex") else None
