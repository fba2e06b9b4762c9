"""JOIN: pure extraction on the recorded company page, and the spider over local HTTP: the slug's
page for its company id (refused when it shows another company), the jobs API paged to its
page count, each job's page only when the job is new or listed otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.join import extract_join_detail, extract_join_jobs, extract_join_page, join_company
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import REAL, crawl_source, stored_postings, version_and_event_counts

BEXIO = REAL / "join" / "bexio-next-data-reduced.html"
SITE = "https://join.com"
COMPANY_PAGE = "/companies/bexio"
JOBS = "/api/public/companies/98765/jobs"


def _recorded_items() -> list[dict[str, Any]]:
    state = json.loads(BEXIO.read_text(encoding="utf-8").split(">", 3)[3].rsplit("</script>", 1)[0])
    items: list[dict[str, Any]] = state["props"]["pageProps"]["initialState"]["jobs"]["items"]
    return items


def test_extracts_the_jobs_the_recorded_bexio_page_embeds() -> None:
    jobs = extract_join_page(BEXIO.read_bytes(), SITE, "bexio")
    assert (jobs.page, jobs.page_count, jobs.total) == (1, 2, 8)  # 5 of 8 embedded
    assert jobs.result.dropped == [] and jobs.pay_hidden == set()
    engineer, supporter, *_ = jobs.result.postings
    assert engineer.external_id == "16789521"
    assert engineer.title == "AI Engineer (m/w/d) 80-100%"
    assert engineer.url == "https://join.com/companies/bexio/16789521-ai-engineer-m-w-d-80-100"
    assert engineer.company == "bexio"
    assert engineer.locations == ["Rapperswil-Jona, Switzerland"]
    assert engineer.department == "IT"
    assert engineer.employment_type == "Employee"
    assert engineer.workplace == "onsite"
    assert engineer.posted_at == "2026-10-05T13:33:03.404Z"
    # The page of a job is named by its idParam, whose number may differ from its id.
    assert supporter.external_id == "16318714"
    assert (
        supporter.url == "https://join.com/companies/bexio/16738632-junior-1st-level-supporter-w-m-d-80-100"
    )
    assert supporter.department == "Customer Service"
    # The reduced page names no company id: it cannot be read on.
    assert join_company(BEXIO.read_bytes()).id is None


def test_pay_hidden_by_the_company_is_left_out_and_bad_payloads_rejected() -> None:
    items = [{**_recorded_items()[0], "settings": {"showSalary": False}}, {"id": 2}]
    jobs = extract_join_jobs(
        {"items": items, "pagination": {"page": 1, "pageCount": 1, "rowCount": 2}}, SITE, "bexio"
    )
    assert jobs.pay_hidden == {"16789521"} and jobs.total == 2
    assert jobs.result.dropped == ["items[1]: missing title"]
    page = _job_page("AI Engineer", salary=True)
    hidden = extract_join_detail(page, f"{SITE}/x", jobs.result.postings[0], pay_hidden=True)
    shown = extract_join_detail(page, f"{SITE}/x", jobs.result.postings[0])
    assert hidden.salary is None
    assert shown.salary == {"min": 110000.0, "max": 130000.0, "currency": "CHF", "period": "year"}
    assert normalize(shown).description == "Build the AI platform."
    for payload in ({"items": []}, [], {"items": "x", "pagination": {}}):
        with pytest.raises(ValueError):
            extract_join_jobs(payload, SITE, "bexio")
    with pytest.raises(ValueError):
        join_company(b"<html><body>JOIN</body></html>")


def test_the_board_is_the_slugs_company_page() -> None:
    assert listing_url(SourceConfig(name="b", type="join", board="bexio")) == f"{SITE}{COMPANY_PAGE}"


def _job_page(title: str, salary: bool = False) -> str:
    posting: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": title,
        "description": "<p>Build the AI platform.</p>",
        "datePosted": "2026-10-05",
    }
    if salary:
        value = {"minValue": 110000, "maxValue": 130000, "unitText": "YEAR"}
        posting["baseSalary"] = {"@type": "MonetaryAmount", "currency": "CHF", "value": value}
    return f'<html><head><script type="application/ld+json">{json.dumps(posting)}</script></head></html>'


def _company_page(company: dict[str, Any]) -> bytes:
    data = {"props": {"pageProps": {"initialState": {"company": company, "jobs": {"items": []}}}}}
    script = f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>'
    return f"<html><body>{script}</body></html>".encode()


class Board:
    """The recorded jobs (and copies under new ids), paged `size` a page by the jobs API."""

    def __init__(self, total: int, size: int = 5) -> None:
        recorded = _recorded_items()
        self.items = []
        for index in range(total):
            item = dict(recorded[index % len(recorded)])
            if index >= len(recorded):
                item["id"] = 17000000 + index
                item["idParam"] = f"{17000000 + index}-copy"
            self.items.append(item)
        self.size = size

    def jobs(self, request: Incoming) -> str:
        page = int(request.query["page"][0])
        pages = max(1, -(-len(self.items) // self.size))
        rows = self.items[(page - 1) * self.size : page * self.size]
        paging = {"page": page, "pageCount": pages, "pageSize": self.size, "total": len(self.items)}
        return json.dumps({"items": rows, "pagination": paging})

    def serve(self, server: BoardServer, company: dict[str, Any] | None = None) -> None:
        owner = company or {"id": 98765, "name": "bexio", "domain": "bexio"}
        server.set(COMPANY_PAGE, Reply(_company_page(owner), content_type="text/html"))
        server.handle(JOBS, self.jobs)
        for item in self.items:
            server.set(
                f"{COMPANY_PAGE}/{item['idParam']}",
                Reply(_job_page(item["title"]).encode(), content_type="text/html"),
            )


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: bexio
    type: join
    board: bexio
    api_base: {url}
"""
    )


def _job_requests(server: BoardServer) -> list[str]:
    return [path for _, path in server.requests if path.startswith(f"{COMPANY_PAGE}/")]


def test_pages_the_jobs_and_reads_job_pages_only_for_jobs_new_or_listed_otherwise(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board = Board(total=12)
    board.serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "bexio").result
    assert (first["status"], first["new"]) == ("complete", 12), first
    assert [path for _, path in board_server.requests if path.startswith(JOBS)] == [
        f"{JOBS}?page={page}&pageSize=100" for page in (1, 2, 3)
    ]
    assert len(_job_requests(board_server)) == 12
    engineer = stored_postings(database_url)["16789521"]
    assert engineer["title"] == "AI Engineer (m/w/d) 80-100%"
    assert engineer["company"] == "bexio"  # the company page's name
    assert engineer["workplace"] == ["onsite"]
    assert engineer["description"] == "Build the AI platform."

    before = version_and_event_counts(database_url)
    board_server.requests.clear()
    again = crawl_source(config, "bexio").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert _job_requests(board_server) == []
    assert version_and_event_counts(database_url) == before

    # One job gone: closed after two complete crawls without it.
    gone = board.items.pop(0)
    assert crawl_source(config, "bexio").result["closed"] == 0
    missed_twice = crawl_source(config, "bexio").result
    assert (missed_twice["status"], missed_twice["closed"]) == ("complete", 1)
    assert str(gone["id"]) in stored_postings(database_url)


def test_a_slug_page_showing_another_company_or_none_is_refused_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board = Board(total=3)
    board.serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "bexio").result["new"] == 3

    # A placeholder page embedding another company's id: that company's jobs are not read.
    board.serve(board_server, {"id": 11111, "name": "Other AG", "domain": "other-ag"})
    board_server.requests.clear()
    other = crawl_source(config, "bexio").result
    assert (other["status"], other["closed"]) == ("incomplete", 0)
    assert other["problems"] == [
        f"board not found: {board_server.url}{COMPANY_PAGE} shows other-ag's board (id 11111), not bexio's"
    ]
    assert not [path for _, path in board_server.requests if path.startswith("/api/")]

    del board_server.routes[COMPANY_PAGE]  # the server answers 404
    for _ in range(2):
        missing = crawl_source(config, "bexio").result
        assert (missing["status"], missing["closed"]) == ("incomplete", 0)
        assert missing["problems"] == [
            f"board not found: listing {board_server.url}{COMPANY_PAGE} answered HTTP 404"
        ]
    assert len(stored_postings(database_url)) == 3
