"""Workday CXS: listing pages of 20 by `offset` (POST), then one detail GET per posting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import JsonRequest, Response

from config.schema import SourceConfig
from crawler.boards.base import base_url
from crawler.boards.detail import DetailBoard
from crawler.extract.workday import (
    PAGE_SIZE,
    TOTAL_CAP,
    ListedJob,
    choose_facet_split,
    extract_workday_detail,
    extract_workday_list,
    listed_posting,
    page_offsets,
)
from crawler.items import ExtractResult, RawPosting

Slice = tuple[str, str]  # (facetParameter, value id): one value of the facet a board is split by


class WorkdayBoard(DetailBoard):
    """`board` is `tenant/site` and `api_base` the careers host, both read off the careers
    URL: https://nvidia.wd5.myworkdayjobs.com/NVIDIAExternalCareerSite gives
    `board: nvidia/NVIDIAExternalCareerSite`, `api_base: https://nvidia.wd5.myworkdayjobs.com`.

    Workday reports at most 2,000 jobs and wraps offsets past that. A board at the cap is
    listed slice by slice, one value of a facet at a time (see `choose_facet_split`); with no
    facet to split it by, it is read up to the cap and recorded as possibly partial, so the
    crawl never closes postings.

    A job whose detail fails (or cannot be read) is stored as its listing entry gives it, under
    its path, since only the detail carries its id; `listing_paths` tells the ingest which path
    each job of the crawl was listed under, so that a job stored under its path is re-keyed to
    its id once a crawl gets the detail, and a job stored under its id is found by its path
    while the detail fails (see `pipeline.ingest.SourceIngest.sort_out`).
    """

    name = "workday"

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.pages_expected = 1
        self.pages_done = 0
        self.listed_paths: set[str] = set()
        self.expected_jobs = 0
        # Jobs each listing (None: unfiltered, else a facet slice) reported on its first page.
        self.slice_totals: dict[Slice | None, int] = {}
        # External id of each job stored by this crawl -> the path its listing gave it.
        self.listing_paths: dict[str, str] = {}

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{cls._cxs_base(source)}/jobs"

    @staticmethod
    def _cxs_base(source: SourceConfig) -> str:
        tenant, site = (source.board or "").split("/", 1)
        return f"{base_url(source, '')}/wday/cxs/{tenant}/{site}"

    @property
    def site_url(self) -> str:
        """The board's public site, where a job's page is at its `externalPath`."""
        return f"{self.api_base}/{(self.source.board or '').split('/', 1)[1]}"

    def start(self) -> Iterator[scrapy.Request]:
        yield self._page_request(0)

    def _page_request(self, offset: int, facet: Slice | None = None) -> JsonRequest:
        applied = {facet[0]: [facet[1]]} if facet else {}
        body = {"appliedFacets": applied, "limit": PAGE_SIZE, "offset": offset, "searchText": ""}
        return JsonRequest(
            self.listing_url(self.source),
            data=body,
            callback=self.parse_listing,
            errback=self.listing_failed,
            cb_kwargs={"offset": offset, "facet": facet},
        )

    def parse_listing(self, response: Response, offset: int, facet: Slice | None = None) -> Iterator[Any]:
        payload = self.decode_json(response)
        if payload is None:
            return
        try:
            page = extract_workday_list(payload)
        except ValueError as error:
            self.record_problem(f"{response.url}{_label(facet)} offset {offset}: {error}")
            return
        if offset == 0 and facet is None and page.total >= TOTAL_CAP:
            split = choose_facet_split(payload)
            if split is not None:
                # The slices list this page's jobs too: their details are requested from there.
                self.expected_jobs = split.expected
                if not split.confirmed:
                    self.record_problem(
                        f"board reports {page.total} jobs, Workday's cap; split by {split.parameter}, but no "
                        "other facet confirms the count, so postings are not closed"
                    )
                self.pages_expected += len(split.values)
                for value in split.values:
                    yield self._page_request(0, (split.parameter, value.id))
                self._page_done()
                return
        yield from self.emit(ExtractResult(dropped=page.dropped))
        if offset == 0:
            # Only a listing's first `total` is relied on: its pages follow from it at once.
            offsets, partial = page_offsets(page.total)
            if partial:
                self.record_problem(f"listing{_label(facet)}: {partial}" if facet else partial)
            self.pages_expected += len(offsets)
            self.slice_totals[facet] = min(page.total, TOTAL_CAP)
            if facet is None:
                self.expected_jobs = self.slice_totals[facet]
            for next_offset in offsets:
                yield self._page_request(next_offset, facet)
        if not page.jobs and offset < self.slice_totals.get(facet, 0):
            self.record_problem(f"listing{_label(facet)} page at offset {offset} is empty")
        for job in page.jobs:
            self.listed_paths.add(job.external_path)
            yield scrapy.Request(
                self._cxs_base(self.source) + job.external_path,
                headers={"Accept": "application/json"},
                callback=self.parse_posting,
                errback=self.detail_failed,
                cb_kwargs={"listed": job},
            )
        self._page_done()

    def _page_done(self) -> None:
        self.pages_done += 1
        if self.pages_done == self.pages_expected:
            self._finish_listing()

    def _finish_listing(self) -> None:
        if len(self.listed_paths) < self.expected_jobs:
            # Postings shifted between pages while paging (or offsets wrapped): some were missed.
            # Split by a facet, a job with several of its values also falls short here: safe.
            self.record_problem(f"listing gave {len(self.listed_paths)} postings of {self.expected_jobs}")
            return
        self.listing_complete = True

    def parse_posting(self, response: Response, listed: ListedJob) -> Iterator[RawPosting]:
        payload = self.decode_json(response)
        if payload is None:
            yield from self._listed_instead(listed)
            return
        try:
            posting = extract_workday_detail(payload, listed, self.source.company, self.site_url)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            yield from self._listed_instead(listed)
            return
        self.listing_paths[posting.external_id] = listed.external_path
        yield from self.emit(ExtractResult(postings=[posting]))

    def from_listing(self, listed: Any) -> RawPosting | None:
        if not isinstance(listed, ListedJob):
            return None
        raw = listed_posting(listed, self.source.company, self.site_url)
        if raw is not None:
            self.listing_paths[raw.external_id] = listed.external_path
        return raw

    def _listed_instead(self, listed: ListedJob) -> Iterator[RawPosting]:
        """A detail answered but unreadable (its problem recorded): the job as listed, as for
        a detail that failed."""
        raw = self.from_listing(listed)
        if raw is not None:
            self.listing_only.add(raw.external_id)
            yield from self.emit(ExtractResult(postings=[raw]))


def _label(facet: Slice | None) -> str:
    return f" {facet[0]}={facet[1]}" if facet else ""
