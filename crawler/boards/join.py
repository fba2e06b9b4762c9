"""JOIN: the slug's company page for its company id, that company's jobs paged from the public
API, then the page of each job new or listed otherwise than when its page was last read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import scrapy
from scrapy.http import Response

from config.schema import SourceConfig
from crawler.boards.base import base_url, board_token
from crawler.boards.detail import DetailBoard
from crawler.boards.tenant import NOT_FOUND, TenantBoard
from crawler.extract.join import extract_join_detail, extract_join_jobs, join_company
from crawler.items import ExtractResult, RawPosting
from pipeline.health import ProblemKind

PAGE_SIZE = 100


class JoinBoard(TenantBoard, DetailBoard):
    """`board` is the slug of `join.com/companies/{slug}`. A slug JOIN does not know answers
    404; a new one may show a placeholder embedding another company's id, so the page must
    name the slug as its company's before that company's jobs are read."""

    name = "join"
    default_api_base = "https://join.com"

    def __init__(self, source: SourceConfig) -> None:
        super().__init__(source)
        self.listed: set[str] = set()
        self.pay_hidden: set[str] = set()
        self.company_name: str | None = None

    @classmethod
    def listing_url(cls, source: SourceConfig) -> str:
        return f"{base_url(source, cls.default_api_base)}/companies/{board_token(source)}"

    def start(self) -> Iterator[scrapy.Request]:
        url = self.listing_url(self.source)
        yield scrapy.Request(url, callback=self.parse_company, errback=self.listing_failed)

    def parse_company(self, response: Response) -> Iterator[scrapy.Request]:
        if not self.board_found(response):
            return
        try:
            company = join_company(response.body)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        slug = self.source.board or ""
        if company.gone:
            problem = f"{NOT_FOUND}: {response.url} is JOIN's page of a company not found"
            self.record_problem(problem, ProblemKind.NOT_FOUND)
        elif company.id is None:
            self.record_problem(f"{response.url}: the page names no company id")
        elif (company.slug or "").casefold() != slug.casefold():
            # A placeholder page showing another company: its jobs are not this board's.
            owner = company.slug or "a company with no slug"
            shown = f"{owner}'s board (id {company.id})"
            self.record_problem(
                f"{NOT_FOUND}: {response.url} shows {shown}, not {slug}'s", ProblemKind.NOT_FOUND
            )
        else:
            self.company_name = company.name
            yield self._jobs_request(company.id, 1)

    def _jobs_request(self, company_id: str, page: int) -> scrapy.Request:
        jobs = f"{self.api_base}/api/public/companies/{quote(company_id, safe='')}/jobs"
        url = f"{jobs}?page={page}&pageSize={PAGE_SIZE}"
        return scrapy.Request(
            url,
            callback=self.parse_jobs,
            errback=self.listing_failed,
            cb_kwargs={"company_id": company_id, "page": page},
        )

    def parse_jobs(self, response: Response, company_id: str, page: int) -> Iterator[Any]:
        payload = self.decode_json(response)
        if payload is None:
            return
        company = self.source.company or self.company_name
        try:
            jobs = extract_join_jobs(payload, self.api_base, self.source.board or "", company)
        except ValueError as error:
            self.record_problem(f"{response.url}: {error}")
            return
        yield from self.emit(ExtractResult(dropped=jobs.result.dropped, unreadable=jobs.result.unreadable))
        self.pay_hidden |= jobs.pay_hidden
        for listed in jobs.result.postings:
            self.listed.add(listed.external_id)
            yield from self.detail_unless_known(listed, listed.url or "", self.parse_posting)
        if page < jobs.page_count:
            yield self._jobs_request(company_id, page + 1)
            return
        if jobs.total is not None and len(self.listed) + self.dropped < jobs.total:
            self.record_problem(f"list gave {len(self.listed)} jobs but its total is {jobs.total}")
            return
        self.listing_complete = True

    def parse_posting(self, response: Response, listed: RawPosting) -> Iterator[RawPosting]:
        try:
            posting = extract_join_detail(
                response.text, response.url, listed, listed.external_id in self.pay_hidden
            )
        except ValueError as error:
            # Stored as listed, and its page asked for again next crawl.
            self.record_problem(f"{response.url}: {error}")
            self.listing_only.add(listed.external_id)
            posting = listed
        yield from self.emit(ExtractResult(postings=[posting]))
