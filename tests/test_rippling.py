"""Rippling: pure extraction on the recorded list, paged list and detail payloads, and the real
spider over local HTTP: details only for jobs new or listed otherwise, closings, a board not
found."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.rippling import extract_rippling_detail, extract_rippling_list
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

LIST = "rippling/blackrockneurotech-board-jobs.json"
PAGED = "rippling/rippling-own-board-paginated-items.json"
DETAIL = "rippling/blackrockneurotech-job-detail-trimmed.json"
JOBS = "/platform/api/ats/v1/board/blackrockneurotech/jobs"


def test_extracts_the_recorded_board_list() -> None:
    page = extract_rippling_list(real_payload(LIST))
    assert page.next_page is None and page.result.dropped == []
    engineer, clinical, software = page.result.postings
    assert engineer.external_id == "25f3fc2a-b77e-430b-9144-8cc3bb1531c9"
    assert engineer.title == "AI/ML Training Performance Engineer"  # the trailing blank dropped
    assert (
        engineer.url
        == "https://ats.rippling.com/blackrockneurotech/jobs/25f3fc2a-b77e-430b-9144-8cc3bb1531c9"
    )
    assert engineer.locations == ["Salt Lake City, UT"]
    assert engineer.department == "BCI Neuralace"
    assert (clinical.title, clinical.department) == ("Director, Clinical Affairs", "Central Services")
    assert (software.title, software.department) == ("Director, Software Engineering", "BCI")
    # The list carries no text, pay or dates: those come from the detail.
    assert all(
        p.description_html is None and p.salary is None and p.posted_at is None for p in page.result.postings
    )


def test_the_paged_list_gives_a_job_listed_once_per_location_as_one_job() -> None:
    page = extract_rippling_list(real_payload(PAGED))
    assert page.next_page == 1  # page 0 of 315
    (manager,) = page.result.postings
    assert manager.external_id == "84d388b6-7656-434c-8862-0312eb6b97ac"
    assert manager.title == "Business Operations Manager"
    assert manager.locations == ["San Francisco, CA", "New York, NY"]
    assert manager.department == "Bizops"
    assert manager.workplace == "onsite"  # workplaceType ON_SITE
    last = extract_rippling_list({**real_payload(PAGED), "page": 314})
    assert last.next_page is None


def test_the_recorded_detail_completes_the_listed_job() -> None:
    listed = extract_rippling_list(real_payload(LIST)).result.postings[0]
    posting = extract_rippling_detail(real_payload(DETAIL), listed)
    assert posting.external_id == listed.external_id and posting.url == listed.url
    assert posting.title == "AI/ML Training Performance Engineer"
    assert posting.company == "Blackrock Neurotech"
    assert posting.locations == ["Salt Lake City, UT"]
    # The list's department (the board's top level) is kept; the detail's is "BCI Data Science".
    assert posting.department == "BCI Neuralace"
    assert posting.salary is None and posting.employment_type is None  # not in this capture
    normalized = normalize(posting)
    # The role's section comes before the company's.
    assert normalized.description == "The Role\n\nBuild the systems that expand human capability"


def _detail(uuid: str, name: str, **fields: Any) -> dict[str, Any]:
    """The recorded detail, for another job of the board."""
    return {**real_payload(DETAIL), "uuid": uuid, "name": name, **fields}


PAY = {
    "employmentType": {"label": "SALARIED_FT", "id": "Salaried, full-time"},
    "createdOn": "2026-09-14T17:02:11.000Z",
    "payRangeDetails": [
        {"location": "Salt Lake City, UT", "currency": "USD", "frequency": "YEAR", "rangeStart": 150000,
         "rangeEnd": 190000, "isRemote": False},
        {"location": "Remote (US)", "currency": "USD", "frequency": "YEAR", "rangeStart": 140000,
         "rangeEnd": 180000, "isRemote": True},
        {"location": "Remote (UK)", "currency": "GBP", "frequency": "YEAR", "rangeStart": 90000,
         "rangeEnd": 120000, "isRemote": True},
    ],
}  # fmt: skip


def test_pay_bands_in_one_currency_make_one_range_and_the_employment_type_is_read() -> None:
    listed = extract_rippling_list(real_payload(LIST)).result.postings[2]
    posting = extract_rippling_detail(_detail(listed.external_id, listed.title, **PAY), listed)
    assert posting.salary == {"min": 140000.0, "max": 190000.0, "currency": "USD", "period": "year"}
    assert posting.employment_type == "Salaried, full-time"
    assert posting.posted_at == "2026-09-14T17:02:11.000Z"
    assert posting.workplace is None  # some bands remote, some not: the text decides
    hourly = {"currency": "USD", "frequency": "HOUR", "rangeStart": 18, "rangeEnd": 25, "isRemote": True}
    remote = extract_rippling_detail(
        _detail(listed.external_id, listed.title, payRangeDetails=[hourly]), listed
    )
    assert remote.salary == {"min": 18.0, "max": 25.0, "currency": "USD", "period": "hour"}
    assert remote.workplace == "remote"
    assert normalize(remote).salary_period == "hour"


def test_bad_payloads_are_rejected_and_jobs_without_id_or_name_dropped() -> None:
    with pytest.raises(ValueError):
        extract_rippling_list({"jobs": []})
    with pytest.raises(ValueError):
        extract_rippling_list({"items": [], "page": None})
    empty = extract_rippling_list({"items": [], "page": 2, "totalPages": 5})
    assert empty.result.incomplete_reason == "list page 2 is empty but totalPages is 5"
    page = extract_rippling_list([{"uuid": "a", "name": "SRE"}, {"uuid": "b"}, "junk"])
    assert [p.external_id for p in page.result.postings] == ["a"]
    assert page.result.dropped == ["jobs[1]: missing title", "jobs[2]: not an object"]
    listed = page.result.postings[0]
    with pytest.raises(ValueError):
        extract_rippling_detail({"uuid": "a"}, listed)


def test_the_listing_lives_on_the_api_host_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="b", type="rippling", board="blackrockneurotech")
    assert listing_url(source) == f"https://api.rippling.com{JOBS}"
    local = SourceConfig(
        name="b", type="rippling", board="blackrockneurotech", api_base="http://127.0.0.1:9/"
    )
    assert listing_url(local) == f"http://127.0.0.1:9{JOBS}"


def _serve(server: BoardServer, jobs: list[dict[str, Any]]) -> None:
    server.set(JOBS, json.dumps(jobs))
    for job in jobs:
        extra = PAY if job["uuid"].startswith("955c") else {}
        server.set(f"{JOBS}/{job['uuid']}", json.dumps(_detail(job["uuid"], job["name"], **extra)))


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: blackrock
    type: rippling
    board: blackrockneurotech
    api_base: {url}
"""
    )


def _detail_requests(server: BoardServer) -> list[str]:
    return [path for _, path in server.requests if path.startswith(f"{JOBS}/")]


def test_details_are_fetched_only_for_jobs_new_or_listed_otherwise_and_closings_wait_for_complete_crawls(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    jobs = real_payload(LIST)
    _serve(board_server, jobs)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "blackrock").result
    assert (first["status"], first["new"]) == ("complete", 3), first
    assert sorted(_detail_requests(board_server)) == sorted(f"{JOBS}/{job['uuid']}" for job in jobs)
    stored = stored_postings(database_url)
    software = stored["955c62ae-f68c-4644-9060-3fe0f8c24ae5"]
    assert software["company"] == "Blackrock Neurotech" and software["department"] == "BCI"
    assert (software["salary_min"], software["salary_max"], software["salary_currency"]) == (
        140000,
        190000,
        "USD",
    )
    assert software["employment_type"]
    assert "Build the systems that expand human capability" in software["description"]

    # The same list again: no detail is asked for, and nothing new is stored.
    before = version_and_event_counts(database_url)
    board_server.requests.clear()
    again = crawl_source(config, "blackrock").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert _detail_requests(board_server) == []
    assert version_and_event_counts(database_url) == before

    # One job retitled in the list: only its detail is fetched, and it is changed.
    retitled = [{**jobs[1], "name": "Director, Clinical Affairs and Quality"}, jobs[0], jobs[2]]
    _serve(board_server, retitled)
    board_server.requests.clear()
    changed = crawl_source(config, "blackrock").result
    assert (changed["status"], changed["changed"]) == ("complete", 1), changed
    assert _detail_requests(board_server) == [f"{JOBS}/{jobs[1]['uuid']}"]
    assert stored_postings(database_url)[jobs[1]["uuid"]]["title"] == "Director, Clinical Affairs and Quality"

    # A job gone from the list is closed after two complete crawls without it.
    _serve(board_server, retitled[:2])
    missing_once = crawl_source(config, "blackrock").result
    assert (missing_once["status"], missing_once["closed"]) == ("complete", 0)
    missing_twice = crawl_source(config, "blackrock").result
    assert (missing_twice["status"], missing_twice["closed"]) == ("complete", 1)

    # Back in the list, it is fetched again (it is closed) and reopened.
    _serve(board_server, retitled)
    board_server.requests.clear()
    back = crawl_source(config, "blackrock").result
    assert (back["status"], back["reopened"]) == ("complete", 1), back
    assert _detail_requests(board_server) == [f"{JOBS}/{jobs[2]['uuid']}"]


def test_a_failed_detail_leaves_the_crawl_incomplete_and_the_job_is_fetched_again(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    jobs = real_payload(LIST)
    _serve(board_server, jobs)
    board_server.set(f"{JOBS}/{jobs[0]['uuid']}", Reply(b"down", status=503, content_type="text/plain"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "blackrock").result
    assert (first["status"], first["new"]) == ("incomplete", 3)
    assert stored_postings(database_url)[jobs[0]["uuid"]]["description"] == ""

    _serve(board_server, jobs)
    board_server.requests.clear()
    second = crawl_source(config, "blackrock").result
    assert (second["status"], second["changed"]) == ("complete", 0), second
    # Only the job stored from its listing alone is asked for again.
    assert _detail_requests(board_server) == [f"{JOBS}/{jobs[0]['uuid']}"]
    assert "The Role" in stored_postings(database_url)[jobs[0]["uuid"]]["description"]


def test_a_paged_list_is_read_to_its_last_page(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    recorded = real_payload(PAGED)
    second = {
        **recorded["items"][0],
        "id": "0d4cbbf1-1111-4e0a-9a53-5c4f3d7f0a01",
        "name": "Site Reliability Engineer",
    }

    def pages(request: Incoming) -> str:
        page = int(request.query.get("page", ["0"])[0])
        items = recorded["items"] if page == 0 else [second]
        return json.dumps({**recorded, "items": items, "page": page, "totalPages": 2, "totalItems": 3})

    board_server.handle(JOBS, pages)
    for job_id, name in (
        (recorded["items"][0]["id"], recorded["items"][0]["name"]),
        (second["id"], second["name"]),
    ):
        board_server.set(f"{JOBS}/{job_id}", json.dumps(_detail(job_id, name, workLocations=[])))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "blackrock").result
    assert (outcome["status"], outcome["new"]) == ("complete", 2), outcome
    assert ("GET", f"{JOBS}?page=1") in board_server.requests
    manager = stored_postings(database_url)[recorded["items"][0]["id"]]
    assert manager["locations"] == ["San Francisco, CA", "New York, NY"]
    assert manager["workplace"] == ["onsite"]


def test_a_board_rippling_does_not_know_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    _serve(board_server, real_payload(LIST))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "blackrock").result["new"] == 3

    body = b'{"error_code": "RESOURCE_NOT_FOUND", "message": "Job Board not found", "resource": null}'
    board_server.set(JOBS, Reply(body, status=404))
    for _ in range(2):
        gone = crawl_source(config, "blackrock").result
        assert (gone["status"], gone["closed"]) == ("incomplete", 0)
        assert any(problem.startswith("board not found") for problem in gone["problems"]), gone
    assert len(stored_postings(database_url)) == 3
