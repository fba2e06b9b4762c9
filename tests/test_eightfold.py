"""Eightfold: pure extraction on the recorded list, detail and search payloads, and the real
spider over local HTTP: paging by `start` to the board's count, details only for positions new
or listed otherwise, closings after complete crawls, a board not found."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.boards.eightfold import PAGE_SIZE
from crawler.extract.eightfold import extract_eightfold_detail, extract_eightfold_list
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

LIST = "eightfold/albemarle-apply-v2-jobs.json"
DETAIL = "eightfold/albemarle-apply-v2-job-detail-trimmed.json"
SEARCH = "eightfold/pcsx-search-unnamed-tenant.json"
SITE = "https://albemarle.eightfold.ai"
JOBS = "/api/apply/v2/jobs"


def test_extracts_the_recorded_albemarle_list_page() -> None:
    page = extract_eightfold_list(real_payload(LIST), SITE, "Albemarle")
    assert (page.rows, page.count) == (2, 59)  # the recording kept 2 of 59
    assert page.result.dropped == []
    environmental, electrician = page.result.postings
    assert environmental.external_id == "1099556324897"
    assert environmental.title == "Environmental Professional"
    assert environmental.url == "https://albemarle.eightfold.ai/careers/job/1099556324897"
    assert environmental.company == "Albemarle"
    assert environmental.locations == ["Silver Peak, Nevada, United States of America"]
    assert environmental.department == "Health, Safety & Environment"
    assert environmental.workplace == "onsite"
    assert environmental.posted_at == "2026-09-24T00:00:00+00:00"  # t_create 1790208000
    assert environmental.description_html is None  # the list's job_description is empty
    assert electrician.title == "Industrial Electrician"
    assert electrician.department == "Manufacturing"
    assert electrician.locations == ["Pasadena, Texas, United States of America"]


def test_the_recorded_detail_completes_the_listed_position() -> None:
    listed = extract_eightfold_list(real_payload(LIST), SITE).result.postings[0]
    posting = extract_eightfold_detail(real_payload(DETAIL), listed)
    assert posting.external_id == listed.external_id and posting.url == listed.url
    assert posting.workplace == "onsite"  # the detail's null leaves the list's value
    assert (posting.description_html or "").startswith('<p style="text-align:left">Be an essential element')
    text = normalize(posting).description
    assert text.startswith("Be an essential element to a brighter future.")
    assert "<" not in text


def test_the_recorded_search_payload_reads_the_same_positions_in_camel_case() -> None:
    page = extract_eightfold_list(real_payload(SEARCH), "https://careers.example.org")
    assert (page.rows, page.count) == (3, 1758)
    systems, intern, manager = page.result.postings
    assert systems.external_id == "1443153815392"
    assert systems.title == "Systems Engineer, Mid-level"
    assert systems.url == "https://careers.example.org/careers/job/1443153815392"  # relative positionUrl
    assert systems.locations == ["Sterling, VA, US", "Denver, CO, US"]
    assert systems.department == "Systems Engineering"
    assert systems.posted_at == "2026-09-30T00:00:00+00:00"  # creationTs
    assert intern.department == "Intern/Co-op - Technical"
    assert manager.workplace == "remote"


def test_bad_payloads_are_rejected_and_positions_without_id_or_name_dropped() -> None:
    for payload in ({"positions": []}, {"count": 3}, [], {"positions": "x", "count": 1}):
        with pytest.raises(ValueError):
            extract_eightfold_list(payload, SITE)
    page = extract_eightfold_list({"positions": [{"id": 1, "name": "SRE"}, {"id": 2}, "x"], "count": 3}, SITE)
    assert [p.external_id for p in page.result.postings] == ["1"]
    assert page.result.dropped == ["positions[1]: missing title", "positions[2]: not an object"]
    assert page.result.postings[0].url == f"{SITE}/careers/job/1"
    with pytest.raises(ValueError):
        extract_eightfold_detail({"id": 1}, page.result.postings[0])


def test_the_list_lives_on_the_tenant_host_unless_api_base_names_another() -> None:
    source = SourceConfig(name="a", type="eightfold", board="albemarle.com")
    assert listing_url(source) == f"{SITE}{JOBS}?domain=albemarle.com&start=0&num=10"
    custom = SourceConfig(
        name="a", type="eightfold", board="americanexpress.com", api_base="https://aexp.eightfold.ai"
    )
    assert listing_url(custom) == f"https://aexp.eightfold.ai{JOBS}?domain=americanexpress.com&start=0&num=10"


class Board:
    """`total` positions made of the recorded two (new ids after them), served `num` at a time
    from `start` with the board's `count`; each one's detail beside them."""

    def __init__(self, total: int) -> None:
        recorded = real_payload(LIST)["positions"]
        self.positions: list[dict[str, Any]] = []
        for index in range(total):
            position = dict(recorded[index % 2])
            if index >= 2:
                position["id"] = 1099556400000 + index
                position["name"] = f"{position['name']} {index}"
            self.positions.append(position)
        self.failing: dict[int, list[int]] = {}

    def ids(self) -> list[str]:
        return [str(position["id"]) for position in self.positions]

    def listing(self, request: Incoming) -> Reply:
        assert request.query["domain"] == ["albemarle.com"]
        start, num = int(request.query["start"][0]), int(request.query["num"][0])
        if self.failing.get(start):
            return Reply(b"down", status=self.failing[start].pop(0), content_type="text/plain")
        rows = self.positions[start : start + min(num, PAGE_SIZE)]
        return Reply(json.dumps({"positions": rows, "count": len(self.positions)}).encode())

    def serve(self, server: BoardServer) -> None:
        server.handle(JOBS, self.listing)
        detail = real_payload(DETAIL)
        for position in self.positions:
            body = {**detail, "id": position["id"], "name": position["name"]}
            server.set(f"{JOBS}/{position['id']}", json.dumps(body))


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: albemarle
    type: eightfold
    board: albemarle.com
    company: Albemarle
    api_base: {url}
"""
    )


def _detail_requests(server: BoardServer) -> list[str]:
    return [path.split("?")[0] for _, path in server.requests if path.startswith(f"{JOBS}/")]


def test_pages_to_the_count_and_fetches_details_only_for_positions_new_or_listed_otherwise(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board = Board(total=25)
    board.serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "albemarle").result
    assert (first["status"], first["new"]) == ("complete", 25), first
    starts = [path for _, path in board_server.requests if path.startswith(f"{JOBS}?")]
    assert [p.split("start=")[1].split("&")[0] for p in starts] == ["0", "10", "20"]
    assert sorted(_detail_requests(board_server)) == sorted(f"{JOBS}/{i}" for i in board.ids())
    stored = stored_postings(database_url)
    environmental = stored["1099556324897"]
    assert environmental["title"] == "Environmental Professional"
    assert environmental["department"] == "Health, Safety & Environment"
    assert environmental["workplace"] == ["onsite"]
    assert environmental["description"].startswith("Be an essential element")

    # The same list again: no detail asked for, nothing new stored.
    before = version_and_event_counts(database_url)
    board_server.requests.clear()
    again = crawl_source(config, "albemarle").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert again["unchanged"] == 25
    assert _detail_requests(board_server) == []
    assert version_and_event_counts(database_url) == before

    # One position updated in the list (t_update, title): only its detail is fetched.
    board.positions[3] = {
        **board.positions[3],
        "name": "Senior Industrial Electrician",
        "t_update": 1790300000,
    }
    board.serve(board_server)
    board_server.requests.clear()
    changed = crawl_source(config, "albemarle").result
    assert (changed["status"], changed["changed"]) == ("complete", 1), changed
    assert _detail_requests(board_server) == [f"{JOBS}/{board.ids()[3]}"]
    assert stored_postings(database_url)[board.ids()[3]]["title"] == "Senior Industrial Electrician"


def test_a_position_gone_from_complete_crawls_is_closed_and_a_failed_page_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board = Board(total=15)
    board.serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "albemarle").result["new"] == 15

    gone = board.positions.pop(0)
    board.failing[10] = [500, 500, 500]  # every try of the second page
    failed = crawl_source(config, "albemarle").result
    assert (failed["status"], failed["closed"]) == ("incomplete", 0)
    assert any("start=10" in problem and "HTTP 500" in problem for problem in failed["problems"])

    # A count larger than what the pages give: incomplete, nothing closed.
    board_server.handle(
        JOBS, lambda request: json.dumps({**json.loads(board.listing(request).body), "count": 40})
    )
    short = crawl_source(config, "albemarle").result
    assert (short["status"], short["closed"]) == ("incomplete", 0)
    assert "list gave 14 positions but count is 40" in short["problems"]

    board.serve(board_server)
    missed_once = crawl_source(config, "albemarle").result
    assert (missed_once["status"], missed_once["closed"]) == ("complete", 0)
    missed_twice = crawl_source(config, "albemarle").result
    assert (missed_twice["status"], missed_twice["closed"]) == ("complete", 1)
    assert str(gone["id"]) in stored_postings(database_url)  # closed, its history kept


def test_a_board_eightfold_does_not_know_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    Board(total=3).serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "albemarle").result["new"] == 3

    del board_server.handlers[JOBS]  # the server answers 404
    for _ in range(2):
        gone = crawl_source(config, "albemarle").result
        assert (gone["status"], gone["closed"]) == ("incomplete", 0)
        assert [problem.split(":")[0] for problem in gone["problems"]] == ["board not found"], gone
    assert len(stored_postings(database_url)) == 3
