"""BambooHR: pure extraction on the recorded careers list and details, and the spider over local
HTTP fetching a detail only for jobs that are new or listed otherwise."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.bamboohr import extract_bamboohr_detail, extract_bamboohr_list
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

HOLISTIC = "bamboohr/holisticai-list-with-merged-detail.json"
ILLINOIS = "bamboohr/illinois-tenant-careers-list-trimmed.json"
ILLINOIS_97 = "bamboohr/illinois-tenant-careers-detail-97-trimmed.json"
SCOTTSDALE = "bamboohr/scottsdale-careers-list-result-array.json"
SITE = "https://holisticai.bamboohr.com"
LIST = "/careers/list"


def _holistic() -> tuple[dict[str, Any], dict[str, Any]]:
    """The recorded list as BambooHR serves it, and each job's detail response by id: the
    recorder merged every job's `/careers/{id}/detail` jobOpening into the list as `detail`."""
    payload = real_payload(HOLISTIC)
    details = {job["id"]: {"result": {"jobOpening": job.pop("detail")}} for job in payload["result"]}
    return payload, details


def test_extracts_the_recorded_holistic_ai_list() -> None:
    payload, _ = _holistic()
    page = extract_bamboohr_list(payload, "Holistic AI", SITE)
    assert page.total == 12 and page.result.dropped == []
    jobs = {job.external_id: job for job in page.result.postings}
    assert len(jobs) == 12
    director = jobs["89"]
    assert director.title == "Director of Product – London, United Kingdom"
    assert director.url == "https://holisticai.bamboohr.com/careers/89"
    assert director.company == "Holistic AI"
    assert director.locations == ["London"]
    assert director.department == "Product"
    assert director.employment_type == "Full-Time"
    assert director.workplace == "hybrid"  # locationType "2"; isRemote null
    assert director.description_html is None  # the list has no text
    assert jobs["91"].locations == ["Bangalore, India"] and jobs["91"].workplace == "remote"  # atsLocation
    assert jobs["94"].workplace == "onsite"  # locationType "0"


def test_the_recorded_details_complete_their_listed_jobs() -> None:
    payload, details = _holistic()
    listed = {
        job.external_id: job for job in extract_bamboohr_list(payload, "Holistic AI", SITE).result.postings
    }
    sales = extract_bamboohr_detail(details["90"], listed["90"])
    assert sales.title == "Inside Sales Representative – London, UK"
    assert sales.url == "https://holisticai.bamboohr.com/careers/90"  # jobOpeningShareUrl
    assert sales.locations == ["London, United Kingdom"]  # the detail names the country
    assert sales.department == "Sales" and sales.workplace == "hybrid"
    assert sales.posted_at == "2026-09-17"
    assert sales.salary_text == "£50,000–£60,000/ OTE: £100,000–£120,000"
    assert (sales.description_html or "").startswith("<p>This is a quota-carrying position")
    normalized = normalize(sales)
    assert (normalized.salary_min, normalized.salary_max, normalized.salary_currency) == (50000, 60000, "GBP")

    engineer = extract_bamboohr_detail(details["92"], listed["92"])
    assert engineer.locations == ["Rio de Janeiro, Brazil"] and engineer.workplace == "remote"
    assert engineer.salary_text == "$50,000 USD" and engineer.posted_at == "2026-09-18"
    lead = extract_bamboohr_detail(details["100"], listed["100"])
    assert lead.salary_text is None  # no compensation given


def test_extracts_the_recorded_illinois_list_and_detail() -> None:
    page = extract_bamboohr_list(real_payload(ILLINOIS))
    # The recorder kept 3 of the 4 jobs the list reports: the board reads that as partial.
    assert page.total == 4
    specialist, technologies, workforce = page.result.postings
    assert (specialist.external_id, specialist.title) == ("97", "Supply Chain Technical Specialist")
    assert specialist.locations == ["Chicago, Illinois"] and specialist.department == "Client Solutions"
    assert technologies.title == "Digital Technologies Technical Specialist"
    assert workforce.locations == ["Peoria, Illinois, United States"] and workforce.workplace == "remote"
    full = extract_bamboohr_detail(real_payload(ILLINOIS_97), specialist)
    assert full.locations == ["Chicago, Illinois, United States"]
    assert full.workplace == "hybrid"
    assert (full.description_html or "").startswith(
        '<p><span style="font-weight: bold">MUST RESIDE IN ILLINOIS'
    )
    assert "Field-based work environment" in normalize(full).description


def test_extracts_the_recorded_scottsdale_jobs() -> None:
    # The recorder kept the `result` list alone; the site wraps it with `meta`.
    page = extract_bamboohr_list({"result": real_payload(SCOTTSDALE)})
    assert page.total is None
    product, scientist = page.result.postings
    assert product.title == "Product Associate/Manager"
    assert product.locations == ["Scottsdale, Arizona"] and product.workplace == "hybrid"
    assert product.department == "PRO001 - Product"
    assert normalize(product).department == "PRO001 - Product"
    assert scientist.locations == ["Scottsdale, Arizona, United States"] and scientist.workplace == "remote"


def test_bad_payloads_are_rejected_and_jobs_without_id_or_name_dropped() -> None:
    page = extract_bamboohr_list({"result": [{"id": "1", "jobOpeningName": "SRE"}, {"id": "2"}, 7]})
    assert [job.external_id for job in page.result.postings] == ["1"]
    assert page.result.dropped == ["result[1]: missing title", "result[2]: not an object"]
    for bad in ([], {"result": {}}, None):
        with pytest.raises(ValueError, match="no 'result' list"):
            extract_bamboohr_list(bad)
    with pytest.raises(ValueError, match="jobOpening"):
        extract_bamboohr_detail({"result": []}, page.result.postings[0])


def test_the_listing_lives_on_the_tenant_host_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="acme", type="bamboohr", board="acme")
    assert listing_url(source) == "https://acme.bamboohr.com/careers/list"
    local = SourceConfig(name="acme", type="bamboohr", board="acme", api_base="http://127.0.0.1:9/")
    assert listing_url(local) == "http://127.0.0.1:9/careers/list"


def _serve(server: BoardServer, payload: dict[str, Any], details: dict[str, Any]) -> None:
    server.set(LIST, json.dumps(payload))
    for job_id, detail in details.items():
        server.set(f"/careers/{job_id}/detail", json.dumps(detail))


def _config(
    make_config: Callable[..., Config], url: str, database_url: str, board: str = "holisticai"
) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: holistic
    type: bamboohr
    board: {board}
    company: Holistic AI
    api_base: {url}
"""
    )


def _detail_requests(server: BoardServer) -> list[str]:
    return sorted(path for _, path in server.requests if path.endswith("/detail"))


def test_details_are_fetched_only_for_jobs_new_or_listed_otherwise(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    payload, details = _holistic()
    _serve(board_server, payload, details)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "holistic").result
    assert (first["status"], first["new"]) == ("complete", 12), first
    assert _detail_requests(board_server) == sorted(f"/careers/{job_id}/detail" for job_id in details)
    director = stored_postings(database_url)["89"]
    assert director["title"] == "Director of Product – London, United Kingdom"
    assert director["url"] == "https://holisticai.bamboohr.com/careers/89"
    assert director["locations"] == ["London, United Kingdom"] and director["workplace"] == ["hybrid"]
    assert (director["salary_min"], director["salary_currency"]) == (100000, "GBP")
    assert "Director of Product to lead product strategy" in director["description"]

    # The same list again: no detail is asked for, and nothing new is stored.
    before = version_and_event_counts(database_url)
    board_server.requests.clear()
    again = crawl_source(config, "holistic").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert _detail_requests(board_server) == []
    assert version_and_event_counts(database_url) == before

    # One job moved to another department in the list: only its detail is fetched.
    moved = copy.deepcopy(payload)
    moved["result"][1]["departmentLabel"] = "Revenue"
    details["90"]["result"]["jobOpening"]["departmentLabel"] = "Revenue"
    _serve(board_server, moved, details)
    board_server.requests.clear()
    changed = crawl_source(config, "holistic").result
    assert (changed["status"], changed["changed"]) == ("complete", 1), changed
    assert _detail_requests(board_server) == ["/careers/90/detail"]
    assert stored_postings(database_url)["90"]["department"] == "Revenue"

    # A job gone from complete lists is closed after two crawls without it.
    gone = copy.deepcopy(moved)
    gone["result"] = [job for job in gone["result"] if job["id"] != "94"]
    gone["meta"]["totalCount"] = 11
    _serve(board_server, gone, details)
    missing_once = crawl_source(config, "holistic").result
    assert (missing_once["status"], missing_once["closed"]) == ("complete", 0)
    missing_twice = crawl_source(config, "holistic").result
    assert (missing_twice["status"], missing_twice["closed"]) == ("complete", 1)


def test_a_list_short_of_its_total_or_a_board_bamboohr_does_not_know_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    payload, details = _holistic()
    _serve(board_server, payload, details)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "holistic").result["new"] == 12

    short = copy.deepcopy(payload)
    short["result"] = short["result"][:6]  # totalCount still 12
    _serve(board_server, short, details)
    for _ in range(2):  # more than `close_after_missing` crawls
        partial = crawl_source(config, "holistic").result
        assert partial["status"] == "incomplete"
        assert partial["problems"] == ["careers list gave 6 jobs but its totalCount is 12"]
        assert partial["closed"] == 0

    del board_server.routes[LIST]
    missing = crawl_source(config, "holistic").result
    assert missing["status"] == "incomplete"
    assert missing["problems"] == [f"board not found: listing {board_server.url}{LIST} answered HTTP 404"]
    assert missing["closed"] == 0
    assert len(stored_postings(database_url)) == 12


def test_a_bamboohr_host_is_no_tenant_and_is_not_fetched(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    config = _config(make_config, board_server.url, database_url, board="www")
    open_database(database_url).dispose()
    outcome = crawl_source(config, "holistic").result
    assert outcome["status"] == "incomplete"
    assert outcome["problems"] == ["'www' is a BambooHR host, not a company's careers site"]
    assert not any(path.startswith("/careers") for _, path in board_server.requests)
