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
from crawler.extract.workday import (
    TOTAL_CAP,
    FacetValue,
    ListedJob,
    choose_facet_split,
    extract_workday_detail,
    extract_workday_list,
    listed_posting,
    page_offsets,
)
from crawler.items import RawPosting
from pipeline.db import open_database, session_factory
from pipeline.models import Event, OutboxItem, Posting, PostingVersion
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

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


def test_a_capped_board_is_split_by_the_flat_facet_whose_every_value_is_under_the_cap() -> None:
    payload = real_payload("workday/nvidia-cxs-jobs.json")
    facets = {facet["facetParameter"]: facet for facet in payload["facets"]}
    # workerSubType (2334 regular employees) and timeType (2611 full time) each hold a value
    # at the cap; locationMainGroup nests facets instead of values.
    split = choose_facet_split(payload)
    assert split is not None and split.parameter == "jobFamilyGroup"
    assert split.total == split.expected == 2613 and payload["total"] == 2000
    assert split.confirmed  # workerSubType and timeType count 2613 too
    assert len(split.values) == 15
    assert split.values[0] == FacetValue("0c40f6bd1d8f10ae43ffaefd46dc7e78", 1840, "Engineering")
    assert choose_facet_split({**payload, "facets": payload["facets"][::-1]}) == split

    assert choose_facet_split({"total": 2000, "facets": [facets["locationMainGroup"]]}) is None
    engineering_capped = json.loads(json.dumps(facets["jobFamilyGroup"]))
    engineering_capped["values"][0]["count"] = TOTAL_CAP
    every_one_capped = [
        facets["workerSubType"],
        facets["timeType"],
        engineering_capped,
        facets["locationMainGroup"],
    ]
    assert choose_facet_split({**payload, "facets": every_one_capped}) is None
    assert choose_facet_split({"total": 2000, "jobPostings": []}) is None

    # Fewest values first; equal ones by the larger sum, then by name. A facet summing below
    # the board's total (d) leaves jobs out of every slice and is not used; empty values are
    # not slices.
    def facet(name: str, *counts: int) -> dict[str, Any]:
        return {
            "facetParameter": name,
            "values": [{"id": f"{name}{n}", "count": c} for n, c in enumerate(counts)],
        }

    pick = choose_facet_split(
        {
            "total": 2000,
            "facets": [
                facet("b", 1000, 1000),
                facet("a", 1000, 1000),
                facet("c", 1500, 1400),
                facet("d", 1999),
            ],
        }
    )
    assert pick is not None and pick.parameter == "c" and pick.total == 2900
    # Jobs untagged in the chosen facet show in another facet's larger sum: the slices must
    # list that many before the board counts as read whole.
    pick = choose_facet_split({"total": 2000, "facets": [facet("a", 1000, 1100), facet("w", 2300)]})
    assert pick is not None and (pick.parameter, pick.total, pick.expected) == ("a", 2100, 2300)
    assert not pick.confirmed, "only one facet counts 2300"
    alone = choose_facet_split({"total": 2000, "facets": [facet("a", 1000, 1100)]})
    assert alone is not None and not alone.confirmed, "a single facet cannot show untagged jobs"
    pick = choose_facet_split({"total": 2000, "facets": [facet("b", 1000, 1000, 0), facet("a", 1000, 1000)]})
    assert pick is not None and pick.parameter == "a"
    assert choose_facet_split({"total": 2000, "facets": [facet("b", 1000, 1000, 0)]}) == choose_facet_split(
        {"total": 2000, "facets": [facet("b", 1000, 1000)]}
    )


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


def test_a_listed_job_alone_gives_its_title_place_link_and_posted_text_under_its_path() -> None:
    jobs = extract_workday_list(real_payload("workday/nvidia-cxs-jobs.json")).jobs
    site = f"{HOST}/NVIDIAExternalCareerSite"
    path = "/job/US-CA-Santa-Clara/Verification-Engineer---New-College-Grad-2026_JR2021016"
    assert listed_posting(jobs[0], "NVIDIA", site + "/") == RawPosting(
        external_id=path,
        title="Verification Engineer - New College Grad 2026",
        url=site + path,
        company="NVIDIA",
        locations=[],  # "3 Locations" names none
        posted_at="Posted Today",
    )
    remote = listed_posting(jobs[3], site_url=site)
    assert remote is not None and remote.locations == ["US, AR, Remote"]
    assert remote.url == site + jobs[3].external_path
    unlinked = listed_posting(jobs[8])  # no site to link to
    assert unlinked is not None and unlinked.url is None
    assert listed_posting(ListedJob(external_path="/job/untitled")) is None


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


def _serve_board(
    server: BoardServer,
    jobs: list[dict[str, Any]],
    total: int | None = None,
    facets: list[dict[str, Any]] | None = None,
    groups: list[str] | None = None,
) -> None:
    """The listing caps `total` at 2000 and wraps offsets past it, as Workday does; it reports
    `facets` and filters by `appliedFacets` on jobFamilyGroup (`groups`: each job's value)."""

    def listing(request: Incoming) -> Reply | str:
        body = json.loads(request.body)
        applied = body["appliedFacets"]
        if request.method != "POST" or body["limit"] > 20 or set(applied) - {"jobFamilyGroup"}:
            return Reply(b'{"errorCode":"HTTP_400"}', status=400)  # as real boards answer
        wanted = applied.get("jobFamilyGroup")
        matched = [
            job for number, job in enumerate(jobs) if wanted is None or (groups or [])[number] in wanted
        ]
        offset = body["offset"] % TOTAL_CAP
        page = matched[offset : offset + body["limit"]]
        reported = min(len(matched), TOTAL_CAP) if total is None else total
        return json.dumps({"total": reported, "jobPostings": page, "facets": facets or []})

    server.handle(f"{CXS}/jobs", listing)
    for number, job in enumerate(jobs):
        server.set(CXS + job["externalPath"], json.dumps(built_detail(job, number)))


def _config(
    make_config: Callable[..., Config], url: str, database_url: str, source: str = "", rest: str = ""
) -> Config:
    """The NVIDIA board at `url`; `source`: more settings of the source, `rest`: more sections."""
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: nvidia
    type: workday
    board: nvidia/NVIDIAExternalCareerSite
    api_base: {url}
{source}{rest}"""
    )


def test_spider_pages_by_20_and_stores_every_posting_from_its_detail(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    jobs = _board_jobs(45)
    _serve_board(board_server, jobs)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "nvidia", timeout=120)

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
    detail_failed = crawl_source(config, "nvidia", timeout=120)
    assert detail_failed.result["status"] == "incomplete"
    assert detail_failed.result["new"] == 45  # the one without its detail as its listing gave it
    assert any("failed: HTTP 429" in problem for problem in detail_failed.result["problems"])

    board_server.handle(f"{CXS}/jobs", lambda request: Reply(b"oops", status=500, content_type="text/plain"))
    page_failed = crawl_source(config, "nvidia", timeout=120)
    assert page_failed.result["status"] == "incomplete"
    assert any("HTTP 500" in problem for problem in page_failed.result["problems"])

    # The recorded page says total=2000: the listing is read to offset 1980, never past.
    board_server.bodies.clear()
    _serve_board(board_server, _board_jobs(60), total=2000)
    capped = crawl_source(config, "nvidia", timeout=120)
    assert capped.error is None, capped.error
    assert capped.result["status"] == "incomplete"
    assert any("Workday's cap" in problem for problem in capped.result["problems"])
    offsets = sorted(json.loads(body)["offset"] for body in board_server.bodies)
    assert offsets == list(range(0, 2000, 20))


def _recorded_facets() -> dict[str, dict[str, Any]]:
    return {
        facet["facetParameter"]: facet for facet in real_payload("workday/nvidia-cxs-jobs.json")["facets"]
    }


@pytest.mark.parametrize("cross_checked", [True, False])
def test_a_board_past_the_cap_is_listed_slice_by_slice_and_complete_when_facets_agree(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str, cross_checked: bool
) -> None:
    jobs = _board_jobs(2300)
    recorded = _recorded_facets()
    engineering, sales, operations = recorded["jobFamilyGroup"]["values"][:3]
    groups = [engineering["id"]] * 1500 + [sales["id"]] * 300 + [operations["id"]] * 500
    job_families = [
        {**value, "count": groups.count(value["id"])} for value in (engineering, sales, operations)
    ]
    facets = [
        {**recorded["jobFamilyGroup"], "values": job_families},
        recorded["locationMainGroup"],  # nested: ignored
    ]
    if cross_checked:
        # One value, but at the cap: it cannot split the board, but it confirms the count.
        time_type = {"descriptor": "Full time", "id": "ft", "count": 2300}
        facets.insert(0, {"facetParameter": "timeType", "values": [time_type]})
    _serve_board(board_server, jobs, facets=facets, groups=groups)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "nvidia", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["new"] == 2300
    if cross_checked:
        assert outcome.result["status"] == "complete", outcome.result
    else:  # every posting is stored, but a count no other facet confirms closes nothing
        assert outcome.result["status"] == "incomplete"
        assert any("no other facet confirms the count" in p for p in outcome.result["problems"])
    bodies = [json.loads(body) for body in board_server.bodies]
    unfiltered = [body for body in bodies if not body["appliedFacets"]]
    assert unfiltered == [{"appliedFacets": {}, "limit": 20, "offset": 0, "searchText": ""}]
    for value in job_families:
        offsets = sorted(
            body["offset"] for body in bodies if body["appliedFacets"] == {"jobFamilyGroup": [value["id"]]}
        )
        assert offsets == list(range(0, value["count"], 20))
    assert len(bodies) == 1 + (1500 + 300 + 500) // 20
    details = [path for method, path in board_server.requests if method == "GET" and "/job/" in path]
    assert len(details) == len(set(details)) == 2300
    assert len(stored_postings(database_url)) == 2300


def test_a_board_at_the_cap_with_no_facet_under_it_is_read_to_the_cap_and_stays_incomplete(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    # The recorded facets without jobFamilyGroup: each left holds a value at the cap or nests.
    facets = [facet for name, facet in _recorded_facets().items() if name != "jobFamilyGroup"]
    _serve_board(board_server, _board_jobs(60), total=2000, facets=facets)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "nvidia", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "incomplete"
    assert (
        "board reports 2000 jobs, Workday's cap; postings past it cannot be listed"
        in outcome.result["problems"]
    )
    bodies = [json.loads(body) for body in board_server.bodies]
    assert all(body["appliedFacets"] == {} for body in bodies)
    assert sorted(body["offset"] for body in bodies) == list(range(0, 2000, 20))


def _rows(database_url: str) -> dict[str, tuple[int, int]]:
    """Every stored posting: external id -> (row id, how many versions it has)."""
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        rows = session.execute(select(Posting.external_id, Posting.id, Posting.version_count))
        stored = {external_id: (row_id, versions) for external_id, row_id, versions in rows}
    engine.dispose()
    return stored


def _events(database_url: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every event: (type, external id of its posting now, diff), oldest first."""
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Event.type, Posting.external_id, Event.diff).join(Event.posting).order_by(Event.id)
        )
        events = [(str(kind), external_id, diff) for kind, external_id, diff in rows]
    engine.dispose()
    return events


def test_jobs_whose_details_fail_are_stored_as_listed_and_filled_in_by_their_details_later(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    jobs = _board_jobs(12)
    _serve_board(board_server, jobs)
    paths = [job["externalPath"] for job in jobs]
    # Job 0 lists "3 Locations": its detail names them. Job 3's detail links to a localized
    # page. Job 8, the second posting of a requisition, is retitled before its detail is read.
    details = {number: built_detail(job, number) for number, job in enumerate(jobs)}
    details[0] = built_detail(
        jobs[0],
        0,
        location="US, CA, Santa Clara",
        additionalLocations=["US, TX, Austin", "US, OR, Hillsboro"],
    )
    details[3] = built_detail(jobs[3], 3, externalUrl=f"{HOST}/en-US/NVIDIAExternalCareerSite{paths[3]}")
    details[8] = built_detail(jobs[8], 8, title="Staff Site Reliability Engineer in Test, SDET")
    failing = [0, 3, 8]
    for number in failing:
        board_server.set(CXS + paths[number], Reply(b"oops", status=500, content_type="text/plain"))
    board_server.set(CXS + paths[5], "{}")  # answered, but no jobPostingInfo
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "nvidia", timeout=120)

    assert first.error is None, first.error
    assert first.result["status"] == "incomplete"
    assert (first.result["new"], first.result["closed"]) == (12, 0)
    for number in failing:
        assert any(f"{paths[number]} failed: HTTP 500" in p for p in first.result["problems"])
    assert any(f"{paths[5]}: Workday detail has no 'jobPostingInfo'" in p for p in first.result["problems"])
    stored = stored_postings(database_url)
    site = f"{board_server.url}/NVIDIAExternalCareerSite"
    for number in [*failing, 5]:  # under its path, as its listing gave it
        listed = stored[paths[number]]
        assert listed["title"] == jobs[number]["title"]
        assert listed["url"] == site + paths[number]
        assert listed["posted_at"] == "Posted Today" and listed["description"] == ""
    assert stored[paths[0]]["locations"] == []
    assert stored[paths[3]]["locations"] == ["US, AR, Remote"]
    assert stored[paths[8]]["locations"] == ["China, Shanghai"]
    assert "Built description" in stored["built-0001"]["description"]
    before = _rows(database_url)

    # Every detail answers: the jobs stored under their paths are re-keyed to their ids, the
    # same rows; the detail filling them in is no change, the new title of job 8 is one.
    for number in [*failing, 5]:
        board_server.set(CXS + paths[number], json.dumps(details[number]))
    second = crawl_source(config, "nvidia", timeout=120)

    assert second.error is None, second.error
    assert second.result["status"] == "complete", second.result
    counts = [second.result[kind] for kind in ("new", "changed", "closed", "reopened")]
    assert counts == [0, 1, 0, 0]
    after = _rows(database_url)
    assert set(after) == {f"built-{number:04d}" for number in range(12)}
    for number in [*failing, 5]:
        assert after[f"built-{number:04d}"] == (before[paths[number]][0], 2)
    assert sorted(row_id for row_id, _ in after.values()) == sorted(row_id for row_id, _ in before.values())
    stored = stored_postings(database_url)
    assert stored["built-0000"]["locations"] == ["US, CA, Santa Clara", "US, TX, Austin", "US, OR, Hillsboro"]
    for number in [*failing, 5]:
        assert (
            f"Built description for {jobs[number]['bulletFields'][0]}."
            in stored[f"built-{number:04d}"]["description"]
        )
    assert stored["built-0003"]["url"] == f"{HOST}/en-US/NVIDIAExternalCareerSite{paths[3]}"
    events = _events(database_url)
    assert [kind for kind, _, _ in events].count("new") == 12
    changed = [(posting, diff) for kind, posting, diff in events if kind != "new"]
    assert changed == [
        (
            "built-0008",
            {
                "title": {
                    "old": "Senior Site Reliability Engineer in Test, SDET",
                    "new": "Staff Site Reliability Engineer in Test, SDET",
                }
            },
        )
    ]

    # Details failing again for jobs stored under their ids: each is found by its link and
    # seen as stored; nothing new, changed or added, and no row under a path.
    counted = version_and_event_counts(database_url)
    for number in (1, 3):
        board_server.set(CXS + paths[number], Reply(b"oops", status=500, content_type="text/plain"))
    third = crawl_source(config, "nvidia", timeout=120)

    assert third.error is None, third.error
    assert third.result["status"] == "incomplete"
    counts = [third.result[kind] for kind in ("new", "changed", "closed", "reopened")]
    assert counts == [0, 0, 0, 0]
    assert third.result["seen"] == 12
    assert _rows(database_url) == after
    assert version_and_event_counts(database_url) == counted


def _told(database_url: str) -> dict[str, list[tuple[str, str, int]]]:
    """Recipient -> (event type, posting's external id, version number of the event), in order."""
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(OutboxItem.recipient, Event.type, Posting.external_id, PostingVersion.number)
            .join(Event, OutboxItem.event_id == Event.id)
            .join(Posting, Event.posting_id == Posting.id)
            .join(PostingVersion, Event.version_id == PostingVersion.id)
            .order_by(OutboxItem.id)
        )
        told: dict[str, list[tuple[str, str, int]]] = {}
        for recipient, kind, external_id, number in rows:
            told.setdefault(recipient, []).append((str(kind), external_id, number))
    engine.dispose()
    return told


def test_a_job_stored_from_its_listing_is_told_of_in_full_once_its_detail_comes(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    """A watch that reads what only the detail gives (here its text) hears of the job when the
    detail fills it in, as new; a watch told of it from its listing is not told again."""
    jobs = _board_jobs(3)
    _serve_board(board_server, jobs)
    path = jobs[0]["externalPath"]
    board_server.set(CXS + path, Reply(b"oops", status=500, content_type="text/plain"))
    config = _config(
        make_config,
        board_server.url,
        database_url,
        rest="""watches:
  - {name: text, any: ["built description"]}
  - {name: everything}
recipients:
  - {email: reader@example.com, watches: [text], backfill: full}
  - {email: all@example.com, watches: [everything], backfill: full}
""",
    )
    open_database(database_url).dispose()

    assert crawl_source(config, "nvidia").result["status"] == "incomplete"
    told = _told(database_url)
    assert sorted(told["reader@example.com"]) == [("new", "built-0001", 1), ("new", "built-0002", 1)]
    assert ("new", path, 1) in told["all@example.com"] and len(told["all@example.com"]) == 3

    board_server.set(CXS + path, json.dumps(built_detail(jobs[0], 0)))
    assert crawl_source(config, "nvidia").result["status"] == "complete"
    told = _told(database_url)
    # The job's one "new" event now shows its full version, and reaches the reader.
    assert told["reader@example.com"][-1] == ("new", "built-0000", 2)
    assert len(told["reader@example.com"]) == 3
    job = [kind for kind, external_id, _ in told["all@example.com"] if external_id == "built-0000"]
    assert job == ["new"]
    assert len(told["all@example.com"]) == 3


def test_a_closed_job_filled_in_by_its_detail_is_told_of_once_as_reopened_and_a_gone_one_is_not_stored(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    jobs = _board_jobs(3)
    _serve_board(board_server, jobs)
    path, gone = jobs[0]["externalPath"], jobs[2]["externalPath"]
    board_server.set(CXS + path, Reply(b"oops", status=500, content_type="text/plain"))
    board_server.set(CXS + gone, Reply(b"not found", status=404, content_type="text/plain"))
    config = _config(
        make_config,
        board_server.url,
        database_url,
        source="    close_after_missing: 1\n",
        rest="""watches: [{name: text, any: ["built description"]}]
recipients: [{email: reader@example.com, watches: [text], backfill: full}]
""",
    )
    open_database(database_url).dispose()

    first = crawl_source(config, "nvidia").result
    assert first["status"] == "incomplete" and first["new"] == 2  # the gone job is not stored
    assert any(f"{gone} failed: HTTP 404" in problem for problem in first["problems"])
    assert set(_rows(database_url)) == {path, "built-0001"}

    _serve_board(board_server, jobs[1:2])  # job 0 taken down, job 2 gone for good
    board_server.set(CXS + jobs[1]["externalPath"], json.dumps(built_detail(jobs[1], 1)))
    second = crawl_source(config, "nvidia").result
    assert (second["status"], second["closed"]) == ("complete", 1), json.dumps(second)

    _serve_board(board_server, jobs[:2])  # job 0 back, with its detail
    third = crawl_source(config, "nvidia").result
    assert (third["new"], third["reopened"]) == (0, 1)
    told = [(kind, external_id) for kind, external_id, _ in _told(database_url)["reader@example.com"]]
    assert sorted(told) == [("new", "built-0001"), ("reopened", "built-0000")]
