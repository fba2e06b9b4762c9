"""Oracle Recruiting Cloud: a site's requisitions paged by `offset` up to `TotalJobsCount`, then
one detail per requisition that is new or listed otherwise since its detail was read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import board_token
from crawler.boards.detail import DetailBoard
from crawler.boards.tenant import TenantBoard
from crawler.extract.oracle import MAX_OFFSET, extract_oracle_detail, extract_oracle_list
from crawler.items import ExtractResult
from pipeline.health import ProblemKind

PAGE_SIZE = 200
REST = "/hcmRestApi/resources/latest"


class OracleBoard(TenantBoard, DetailBoard):
    """`board` is the site number (`CX_1`, as in `…/sites/CX_1/…`), `api_base` the tenant's
    host (`https://ejov.fa.ca2.oraclecloud.com`). `hasMore` is not trusted: paging ends at
    `TotalJobsCount` (or, in an answer without it, at a page shorter than asked for)."""

    name = "oracle"
    extract_detail = staticmethod(extract_oracle_detail)

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.listed_ids: set[str] = set()
        self.host = self.tenant_host(source)
        self.site = board_token(source)

    @staticmethod
    def tenant_host(source: SourceConfig) -> str:
        if not source.api_base:
            raise ValueError("an 'oracle' source needs 'api_base': the tenant's host")
        host = source.api_base.rstrip("/")
        return host if "://" in host else f"https://{host}"

    @classmethod
    def listing_url(cls, source: SourceConfig, offset: int = 0) -> str:
        finder = f"findReqs;siteNumber={board_token(source)},limit={PAGE_SIZE},offset={offset}"
        expand = "requisitionList.workLocation,requisitionList.secondaryLocations"
        query = f"onlyData=true&expand={expand}&finder={finder},sortBy=POSTING_DATES_DESC"
        return f"{cls.tenant_host(source)}{REST}/recruitingCEJobRequisitions?{query}"

    def detail_url(self, job_id: str) -> str:
        finder = f'ById;Id="{quote(job_id, safe="")}",siteNumber={self.site}'
        return f"{self.host}{REST}/recruitingCEJobRequisitionDetails?expand=all&onlyData=true&finder={finder}"

    def start(self) -> Iterator[scrapy.Request]:
        yield self._list_request(0)

    def _list_request(self, offset: int) -> scrapy.Request:
        url = self.listing_url(self.source, offset)
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.listing_failed, cb_kwargs={"offset": offset}
        )

    def parse_listing(self, response: Response, offset: int = 0) -> Iterator[Any]:
        if not self.board_found(response):
            return
        payload = self.decode_json(response)
        if payload is None:
            return
        job_url = f"{self.host}/hcmUI/CandidateExperience/en/sites/{self.site}/job/{{id}}"
        try:
            page = extract_oracle_list(payload, job_url, self.source.company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(dropped=page.result.dropped, unreadable=page.result.unreadable))
        self.listed_ids |= {p.external_id for p in page.result.postings} | set(page.result.unreadable)
        for listed in page.result.postings:
            yield from self.detail_unless_known(
                listed, self.detail_url(listed.external_id), self.parse_detail
            )
        following = offset + page.listed
        total = page.total
        if total is not None and page.listed == 0 and following < total:
            self.record_problem(
                f"requisitions page at offset {offset} is empty but TotalJobsCount is {total}"
            )
            return
        more = (following < total) if total is not None else (page.listed >= PAGE_SIZE)
        if more and following >= MAX_OFFSET:
            lists = f"{total:,}" if total is not None else f"more than {MAX_OFFSET:,}"
            limit = f"the site lists {lists} jobs; Oracle pages only the first {MAX_OFFSET:,}"
            self.record_problem(limit, ProblemKind.LIMIT)
            return
        if more:
            yield self._list_request(following)
            return
        if total is not None and len(self.listed_ids) + self.dropped < total:
            # Requisitions moved between pages while paging: some were never listed.
            self.record_problem(
                f"list gave {len(self.listed_ids)} requisitions but TotalJobsCount is {total}"
            )
            return
        self.listing_complete = True
