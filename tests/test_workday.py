"""Workday CXS: pure extraction on the recorded NVIDIA listing page, and the real spider paging
the listing by 20 (POST) and fetching each posting's detail over local HTTP.

No Workday detail (`jobPostingInfo`) payload was recorded (see tests/fixtures/real/SOURCES.md).
The details used here are BUILT IN THIS FILE from the field names Workday's public CXS
responses use (jobPostingInfo.id, title, jobDescription, location, additionalLocations,
startDate, jobReqId, externalUrl, timeType, remoteType; hiringOrganization.name); their values
are made up, except titles and paths taken from the recorded listing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.loader import ConfigError, parse_config
from config.schema import Config
from crawler.extract.workday import ListedJob, extract_workday_detail, extract_workday_list, page_offsets
from crawler.process import crawl_in_subprocess
from pipeline.db import open_database, session_factory
from pipeline.models import PostingVersion
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import real_payload

CXS = "/wday/cxs/nvidia/NVIDIAExternalCareerSite"
HOST = "https://nvidia.wd5.myworkdayjobs.com"


def built_detail(job: dict[str, Any], number: int, **info: Any) -> dict[str, Any]:
    """A detail response in Workday's documented shape for a listed job (values made up)."""
    req_id = job["bulletFields"][0]
    posting_info = {
        "id": f"built-{number:04d}",
        "title": job["title"],
        "jobDescription": f"<p>Built description for {req_id}.</p><ul><li>Kubernetes</li></ul>",
        "location": job["locationsText"],
        "additionalLocations": [],
        "startDate": "2026-08-17",
        "jobReqId": req_id,
        "externalUrl": f"{HOST}/NVIDIAExternalCareerSite{job['externalPath']}",
        "timeType": "Full time",
        "remoteType": None,
    }
    posting_info.update(info)
    return {"jobPostingInfo": posting_info, "hiringOrganization": {"name": "NVIDIA", "url": ""}}


def test_extracts_the_recorded_nvidia_listing_page() -> None:
    page = extract_workday_list(real_payload("workday/nvidia-cxs-jobs.json"))
    assert page.total == 2000 and page.dropped == [] and len(page.jobs) == 10
    first = page.jobs[0]
    assert first == ListedJob(
        external_path="/job/US-CA-Santa-Clara/Verification-Engineer---New-College-Grad-2026_JR2021016",
        title="Verification Engineer - New College Grad 2026",
        locations_text="3 Locations",
        posted_on="Posted Today",
    )
    assert page.jobs[3].locations_text == "US, AR, Remote"
    # A second posting of one requisition: the path, not the req id, tells them apart.
    assert page.jobs[8].external_path.endswith("_JR2023203-1")


def test_total_at_the_cap_stops_at_2000_and_says_the_listing_may_be_partial() -> None:
    offsets, partial = page_offsets(2000)
    assert offsets[0] == 20 and offsets[-1] == 1980 and len(offsets) == 99
    assert partial == "board reports 2000 jobs, Workday's cap; postings past it cannot be listed"
    assert page_offsets(45) == ([20, 40], None)
    assert page_offsets(20) == ([], None)
    assert page_offsets(0) == ([], None)


def test_detail_fields_and_listing_fallbacks() -> None:
    jobs = real_payload("workday/nvidia-cxs-jobs.json")["jobPostings"]
    listed = extract_workday_list({"jobPostings": jobs, "total": 10}).jobs
    detail = built_detail(
        jobs[0],
        1,
        location="US, CA, Santa Clara",
        additionalLocations=["US, TX, Austin", "US, OR, Hillsboro"],
    )
    posting = extract_workday_detail(detail, listed[0], site_url=f"{HOST}/NVIDIAExternalCareerSite")
    assert posting.external_id == "built-0001"
    assert posting.title == "Verification Engineer - New College Grad 2026"
    assert posting.company == "NVIDIA"
    assert posting.locations == ["US, CA, Santa Clara", "US, TX, Austin", "US, OR, Hillsboro"]
    assert posting.posted_at == "2026-08-17"
    assert posting.employment_type == "Full time"
    assert posting.url == f"{HOST}/NVIDIAExternalCareerSite{jobs[0]['externalPath']}"
    assert posting.description_html is not None and "<li>Kubernetes</li>" in posting.description_html

    # No startDate: the listing's relative "Posted Today" is kept as it is. No detail
    # location: "3 Locations" is a placeholder, not a place. remoteType may be an object.
    sparse = built_detail(
        jobs[0], 2, startDate=None, location=None, externalUrl=None, remoteType={"descriptor": "Hybrid"}
    )
    posting = extract_workday_detail(sparse, listed[0], company="NVIDIA", site_url=f"{HOST}/Site")
    assert posting.posted_at == "Posted Today"
    assert posting.locations == []
    assert posting.workplace == "Hybrid"
    assert posting.url == f"{HOST}/Site{jobs[0]['externalPath']}"
    remote = extract_workday_detail(built_detail(jobs[3], 3, location=None), listed[3])
    assert remote.locations == ["US, AR, Remote"]

    with pytest.raises(ValueError):
        extract_workday_detail({"jobPostingInfo": {"title": "no id"}})
    with pytest.raises(ValueError):
        extract_workday_list({"total": 3})


@pytest.mark.parametrize("board", ["board: nvidia", "board: nvidia/NVIDIAExternalCareerSite"])
def test_a_workday_source_needs_tenant_site_and_its_host(board: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(f"sources:\n  - name: nvidia\n    type: workday\n    {board}\n", "bad.yaml", env={})
    assert raised.value.problems == [
        "bad.yaml:2:5: sources[0]: a 'workday' source needs 'board: tenant/site' and 'api_base' "
        "(the careers host, e.g. https://nvidia.wd5.myworkdayjobs.com)"
    ]


def _board_jobs(count: int) -> list[dict[str, Any]]:
    """`count` listing entries: the 10 recorded NVIDIA ones, then copies of them whose paths
    and titles carry a copy number (the capture has one page only)."""
    recorded = real_payload("workday/nvidia-cxs-jobs.json")["jobPostings"]
    jobs = []
    for number in range(count):
        job = dict(recorded[number % len(recorded)])
        if number >= len(recorded):
            job["externalPath"] += f"-copy{number}"
            job["title"] += f" ({number})"
        jobs.append(job)
    return jobs


def _serve_board(server: BoardServer, jobs: list[dict[str, Any]], total: int | None = None) -> None:
    def listing(request: Incoming) -> Reply | str:
        body = json.loads(request.body)
        if request.method != "POST" or body["limit"] > 20:
            return Reply(b'{"errorCode":"HTTP_400"}', status=400)  # as real boards answer
        offset = body["offset"]
        page = jobs[offset : offset + body["limit"]]
        return json.dumps({"total": len(jobs) if total is None else total, "jobPostings": page})

    server.handle(f"{CXS}/jobs", listing)
    for number, job in enumerate(jobs):
        server.set(CXS + job["externalPath"], json.dumps(built_detail(job, number)))


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: nvidia
    type: workday
    board: nvidia/NVIDIAExternalCareerSite
    api_base: {url}
"""
    )


def test_spider_pages_by_20_and_stores_every_posting_from_its_detail(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    jobs = _board_jobs(45)
    _serve_board(board_server, jobs)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_in_subprocess(config, "nvidia", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result
    assert outcome.result["new"] == 45
    bodies = [json.loads(body) for body in board_server.bodies]
    assert sorted(body["offset"] for body in bodies) == [0, 20, 40]
    assert all(
        body == {"appliedFacets": {}, "limit": 20, "offset": body["offset"], "searchText": ""}
        for body in bodies
    )
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        versions = list(session.scalars(select(PostingVersion.data)))
    engine.dispose()
    assert sorted(v["title"] for v in versions) == sorted(job["title"] for job in jobs)
    assert {v["company"] for v in versions} == {"NVIDIA"}


def test_failed_page_or_detail_and_the_2000_cap_make_the_crawl_incomplete(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/rw.db"
    jobs = _board_jobs(45)
    _serve_board(board_server, jobs)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    board_server.set(CXS + jobs[30]["externalPath"], Reply(b"busy", status=429, content_type="text/plain"))
    detail_failed = crawl_in_subprocess(config, "nvidia", timeout=120)
    assert detail_failed.result["status"] == "incomplete"
    assert detail_failed.result["new"] == 44
    assert any("failed: HTTP 429" in problem for problem in detail_failed.result["problems"])

    board_server.handle(f"{CXS}/jobs", lambda request: Reply(b"oops", status=500, content_type="text/plain"))
    page_failed = crawl_in_subprocess(config, "nvidia", timeout=120)
    assert page_failed.result["status"] == "incomplete"
    assert any("HTTP 500" in problem for problem in page_failed.result["problems"])

    # The recorded page says total=2000: the listing is read to offset 1980, never past.
    board_server.bodies.clear()
    _serve_board(board_server, _board_jobs(60), total=2000)
    capped = crawl_in_subprocess(config, "nvidia", timeout=120)
    assert capped.error is None, capped.error
    assert capped.result["status"] == "incomplete"
    assert any("Workday's cap" in problem for problem in capped.result["problems"])
    offsets = sorted(json.loads(body)["offset"] for body in board_server.bodies)
    assert offsets == list(range(0, 2000, 20))
