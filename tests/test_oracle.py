"""Oracle Recruiting Cloud: pure extraction on the recorded requisition lists and detail, and the
real spider over local HTTP paging by limit/offset up to TotalJobsCount, with details only for
requisitions new or listed otherwise, closings and a board not found."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.oracle import extract_oracle_detail, extract_oracle_list
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

EJOV = "oracle/ejov-cx-requisitions-trimmed.json"
UL = "oracle/ulsolutions-recruitingCEJobRequisitions-trimmed.json"
DETAIL = "oracle/ulsolutions-requisition-details-trimmed.json"
REST = "/hcmRestApi/resources/latest"
JOB = "https://fa-eups-saasfaprod1.fa.ocs.oraclecloud.com/hcmUI/CandidateExperience/en/sites/ULSolutionsCareers/job/{id}"


def test_extracts_the_recorded_ul_solutions_requisitions() -> None:
    page = extract_oracle_list(real_payload(UL), JOB)
    assert (page.listed, page.total) == (4, 4)
    assert page.result.dropped == []
    raleigh, heat_pumps, wiring, project = page.result.postings
    assert raleigh.external_id == "10139"
    assert raleigh.title == "Engineer - Electrical Distribution"
    assert raleigh.url == JOB.format(id="10139")
    assert raleigh.locations == ["Raleigh, NC, United States"]
    assert raleigh.posted_at == "2026-10-05"
    assert raleigh.workplace is None and raleigh.department is None  # WorkplaceType "", Department null
    assert heat_pumps.title == "Senior Project Engineer - Heat Pumps"
    # The primary location and every secondary one.
    assert wiring.locations == [
        "Northbrook, IL, United States",
        "Raleigh, NC, United States",
        "Melville, NY, United States",
    ]
    assert project.external_id == "11129"


def test_extracts_the_recorded_ejov_requisitions_without_a_total() -> None:
    page = extract_oracle_list(real_payload(EJOV), "https://ejov/job/{id}")
    assert (page.listed, page.total) == (2, None)
    inspector, leader = page.result.postings
    assert (inspector.external_id, inspector.title) == ("25587", "Bridge Inspector")
    assert inspector.locations == ["PERTH, WESTERN AUSTRALIA, Australia"]
    assert leader.title == "Technology and Communications Sector Leader"
    assert leader.locations[0] == "SAN FRANCISCO, CA, United States" and len(leader.locations) == 5
    assert leader.posted_at == "2026-08-07"


def test_the_recorded_detail_completes_the_listed_requisition() -> None:
    listed = extract_oracle_list(real_payload(UL), JOB).result.postings[0]
    posting = extract_oracle_detail(real_payload(DETAIL), listed)
    assert (posting.external_id, posting.url) == ("10139", listed.url)
    assert posting.title == "Engineer - Electrical Distribution"
    assert posting.department == "Engineering"  # its Category: Department and Organization are null
    assert posting.posted_at == "2026-10-05T17:23:26+00:00"  # ExternalPostedStartDate
    assert posting.locations == ["Raleigh, NC, United States"]
    text = normalize(posting).description
    # Responsibilities and qualifications first, then what UL Solutions says of itself.
    assert text.startswith("Determines project scope, develops a preliminary plan of investigation")
    assert "University Degree in Engineering" in text
    assert text.index("University Degree") < text.index("A global leader in applied safety science")
    assert "electri\ufb01ed transportation" in text


def test_a_detail_of_another_requisition_or_without_items_is_rejected() -> None:
    listed = extract_oracle_list(real_payload(UL), JOB).result.postings[1]
    with pytest.raises(ValueError, match="not of requisition 10947"):
        extract_oracle_detail(real_payload(DETAIL), listed)
    with pytest.raises(ValueError):
        extract_oracle_detail({"items": []}, listed)
    with pytest.raises(ValueError):
        extract_oracle_list({"items": [{"TotalJobsCount": 3}]}, JOB)


def test_workplace_schedule_and_department_are_read_when_the_tenant_fills_them() -> None:
    row = {"Id": "1", "Title": "SRE", "WorkplaceTypeCode": "ORA_HYBRID", "WorkplaceType": "Hybrid",
           "JobSchedule": "Full time", "Organization": "Platform"}  # fmt: skip
    (posting,) = extract_oracle_list({"items": [{"requisitionList": [row]}]}, JOB).result.postings
    assert (posting.workplace, posting.employment_type, posting.department) == (
        "hybrid",
        "Full time",
        "Platform",
    )
    assert normalize(posting).workplace == ["hybrid"]


def test_a_source_needs_the_tenants_host() -> None:
    with pytest.raises(ValueError, match="needs 'board'.*'api_base'"):
        SourceConfig(name="ul", type="oracle", board="CX_1")
    source = SourceConfig(name="ul", type="oracle", board="CX_1", api_base="ejov.fa.ca2.oraclecloud.com")
    assert listing_url(source) == (
        "https://ejov.fa.ca2.oraclecloud.com/hcmRestApi/resources/latest/recruitingCEJobRequisitions"
        "?onlyData=true&expand=requisitionList.workLocation,requisitionList.secondaryLocations"
        "&finder=findReqs;siteNumber=CX_1,limit=200,offset=0,sortBy=POSTING_DATES_DESC"
    )


def _finder(request: Incoming) -> dict[str, str]:
    name, _, rest = request.query["finder"][0].partition(";")
    return {"finder": name, **dict(part.split("=", 1) for part in rest.split(","))}


class Site:
    """A site of requisitions served as Oracle pages them: `page_size` at most per answer
    (fewer than the limit asked for), TotalJobsCount with each page, and one detail each."""

    def __init__(self, server: BoardServer, page_size: int = 2) -> None:
        recorded = real_payload(UL)
        self.envelope = recorded
        self.rows: list[dict[str, Any]] = copy.deepcopy(recorded["items"][0]["requisitionList"])
        self.page_size = page_size
        self.details: dict[str, dict[str, Any]] = {}
        server.handle(f"{REST}/recruitingCEJobRequisitions", self.page)
        server.handle(f"{REST}/recruitingCEJobRequisitionDetails", self.detail)

    def page(self, request: Incoming) -> str:
        finder = _finder(request)
        assert finder["finder"] == "findReqs" and finder["siteNumber"] == "ULSolutionsCareers"
        offset, limit = int(finder["offset"]), min(int(finder["limit"]), self.page_size)
        search = {**self.envelope["items"][0], "Offset": offset, "Limit": limit}
        search["requisitionList"] = self.rows[offset : offset + limit]
        search["TotalJobsCount"] = len(self.rows)
        return json.dumps({**self.envelope, "items": [search], "hasMore": True})  # hasMore is not trusted

    def detail(self, request: Incoming) -> Reply | str:
        finder = _finder(request)
        job_id = finder["Id"].strip('"')
        row = next((row for row in self.rows if row["Id"] == job_id), None)
        if row is None:
            return Reply(b'{"items": []}', status=404)
        detail = copy.deepcopy(real_payload(DETAIL))
        detail["items"][0].update(Id=job_id, Title=row["Title"], PrimaryLocation=row["PrimaryLocation"])
        return json.dumps(detail)


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: ul
    type: oracle
    board: ULSolutionsCareers
    api_base: {url}
"""
    )


def _offsets(server: BoardServer) -> list[int]:
    return [int(m.group(1)) for _, path in server.requests if (m := re.search(r"offset(?:=|%3D)(\d+)", path))]


def _details(server: BoardServer) -> list[str]:
    found = (
        re.search(r"Id(?:=|%3D)(?:%22|\")(\d+)", path) for _, path in server.requests if "Details" in path
    )
    return sorted(m.group(1) for m in found if m)


def test_spider_pages_to_the_total_and_fetches_details_only_for_new_or_relisted_requisitions(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    site = Site(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "ul").result
    assert (first["status"], first["new"]) == ("complete", 4), first
    assert sorted(_offsets(board_server)) == [0, 2]  # 2 a page, up to TotalJobsCount 4
    assert _details(board_server) == ["10139", "10947", "11068", "11129"]
    stored = stored_postings(database_url)
    assert stored["11068"]["title"] == "Engineer - Wiring Devices"
    assert stored["11068"]["department"] == "Engineering"
    assert "University Degree in Engineering" in stored["11068"]["description"]
    assert stored["11068"]["url"].endswith("/hcmUI/CandidateExperience/en/sites/ULSolutionsCareers/job/11068")

    before = version_and_event_counts(database_url)
    board_server.requests.clear()
    again = crawl_source(config, "ul").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert _details(board_server) == []
    assert version_and_event_counts(database_url) == before

    site.rows[2]["Title"] = "Senior Engineer - Wiring Devices"
    board_server.requests.clear()
    retitled = crawl_source(config, "ul").result
    assert (retitled["status"], retitled["changed"]) == ("complete", 1), retitled
    assert _details(board_server) == ["11068"]

    del site.rows[0]
    assert crawl_source(config, "ul").result["closed"] == 0
    twice = crawl_source(config, "ul").result
    assert (twice["status"], twice["closed"]) == ("complete", 1)


def test_a_page_short_of_the_total_leaves_the_crawl_incomplete_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    site = Site(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "ul").result["new"] == 4

    # The second page comes back empty: the requisitions past the first are not read.
    def short(request: Incoming) -> str:
        first = "offset=0," in request.query["finder"][0]
        return json.dumps(
            {"items": [{"requisitionList": site.rows[:2] if first else [], "TotalJobsCount": 4}]}
        )

    board_server.handle(f"{REST}/recruitingCEJobRequisitions", short)
    for _ in range(2):
        outcome = crawl_source(config, "ul").result
        assert (outcome["status"], outcome["closed"]) == ("incomplete", 0), outcome
        assert any("is empty but TotalJobsCount is 4" in problem for problem in outcome["problems"])


def test_a_tenant_that_does_not_know_the_board_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    Site(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "ul").result["new"] == 4

    board_server.handle(
        f"{REST}/recruitingCEJobRequisitions", lambda _: Reply(b"not found", 404, "text/plain")
    )
    for _ in range(2):
        outcome = crawl_source(config, "ul").result
        assert (outcome["status"], outcome["closed"]) == ("incomplete", 0), outcome
        assert any(problem.startswith("board not found") for problem in outcome["problems"]), outcome
    assert len(stored_postings(database_url)) == 4
