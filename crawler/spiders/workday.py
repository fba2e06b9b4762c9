"""Workday CXS: listing pages of 20 by `offset` (POST), then one detail GET per posting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import JsonRequest, Response

from config.schema import SourceConfig
from crawler.extract.workday import (
    PAGE_SIZE,
    TOTAL_CAP,
    ListedJob,
    extract_workday_detail,
    extract_workday_list,
    page_offsets,
)
from crawler.items import ExtractResult, RawPosting
from crawler.spiders.base import base_url
from crawler.spiders.detail import DetailSpider


class WorkdaySpider(DetailSpider):
    """`board` is `tenant/site` and `api_base` the careers host, both read off the careers
    URL: https://nvidia.wd5.myworkdayjobs.com/NVIDIAExternalCareerSite gives
    `board: nvidia/NVIDIAExternalCareerSite`, `api_base: https://nvidia.wd5.myworkdayjobs.com`.

    Workday reports at most 2,000 jobs and wraps offsets past that; such a listing is read up
    to the cap and recorded as possibly partial, so the crawl never closes postings.
    """

    name = "workday"

    def __init__(self, source: SourceConfig, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.pages_expected = 1
        self.pages_done = 0
        self.listed_paths: set[str] = set()
        self.expected_jobs = 0

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{cls._cxs_base(source)}/jobs"

    @staticmethod
    def _cxs_base(source: SourceConfig) -> str:
        tenant, site = (source.board or "").split("/", 1)
        return f"{base_url(source, '')}/wday/cxs/{tenant}/{site}"

    async def start(self) -> AsyncIterator[Any]:
        yield self._page_request(0)

    def _page_request(self, offset: int) -> JsonRequest:
        body = {"appliedFacets": {}, "limit": PAGE_SIZE, "offset": offset, "searchText": ""}
        return JsonRequest(
            self.listing_url(self.source),
            data=body,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"offset": offset},
        )

    def parse_listing(self, response: Response, offset: int) -> Iterator[Any]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            page = extract_workday_list(payload)
        except ValueError as error:
            self.record_problem(f"{response.url} offset {offset}: {error}")
            return
        yield from self.emit(ExtractResult(dropped=page.dropped))
        if offset == 0:
            # Only the first page's `total` is relied on: the pages follow from it at once.
            offsets, partial = page_offsets(page.total)
            if partial:
                self.record_problem(partial)
            self.pages_expected += len(offsets)
            self.expected_jobs = min(page.total, TOTAL_CAP)
            for next_offset in offsets:
                yield self._page_request(next_offset)
        if not page.jobs and offset < self.expected_jobs:
            self.record_problem(f"listing page at offset {offset} is empty")
        for job in page.jobs:
            self.listed_paths.add(job.external_path)
            yield scrapy.Request(
                self._cxs_base(self.source) + job.external_path,
                headers={"Accept": "application/json"},
                callback=self.parse_posting,
                errback=self.detail_failed,
                cb_kwargs={"listed": job},
            )
        self.pages_done += 1
        if self.pages_done == self.pages_expected:
            self._finish_listing()

    def _finish_listing(self) -> None:
        if len(self.listed_paths) < self.expected_jobs:
            # Postings shifted between pages while paging (or offsets wrapped): some were missed.
            self.record_problem(f"listing gave {len(self.listed_paths)} postings of {self.expected_jobs}")
            return
        self.listing_complete = True

    def parse_posting(self, response: Response, listed: ListedJob) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            return
        site = (self.source.board or "").split("/", 1)[1]
        try:
            posting = extract_workday_detail(payload, listed, self.source.company, f"{self.api_base}/{site}")
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(postings=[posting]))
