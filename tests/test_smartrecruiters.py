"""SmartRecruiters: pure extraction on recorded list and detail payloads, and the real spider
paging the list by offset and fetching each posting's detail over local HTTP."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.schema import Config
from crawler.extract.smartrecruiters import extract_smartrecruiters_detail, extract_smartrecruiters_list
from pipeline.db import open_database, session_factory
from pipeline.models import Event, Posting, PostingVersion
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

LIST_PATH = "/v1/companies/Tieto2/postings"


def test_extracts_the_recorded_tieto_list_page() -> None:
    page = extract_smartrecruiters_list(real_payload("smartrecruiters/tieto-postings.json"))
    assert (page.offset, page.total, page.next_offset) == (0, 3, None)
    assert page.result.dropped == [] and page.result.incomplete_reason is None
    first, second, third = page.result.postings
    assert first.external_id == "744000141699866"
    assert first.title == "Test Engineer- Tieto Tech Consulting (m/f/d)"
    assert first.company == "Tieto"
    assert first.locations == ["Szczecin, West Pomeranian Voivodeship, Poland"]
    assert first.employment_type == "Pełny etat"
    assert first.posted_at == "2026-08-05T11:45:06.679Z"
    assert first.workplace is None  # remote and hybrid both false: the text decides
    # "Szczecin, , Poland" in the payload: the empty region slot is dropped.
    assert second.locations == ["Szczecin, Poland"] and second.workplace == "hybrid"
    assert third.locations == ["Brno, South Moravian Region, Czechia"] and third.workplace == "remote"
    # List items carry no ad text; that comes from the detail.
    assert all(p.description_html is None and p.url is None for p in page.result.postings)


def test_extracts_the_recorded_sanitized_list_page() -> None:
    page = extract_smartrecruiters_list(real_payload("smartrecruiters/careerkit-sanitized-postings.json"))
    assert (page.total, page.next_offset) == (1, None)
    (posting,) = page.result.postings
    assert posting.external_id == "743999671674844"
    assert posting.title == "CNA  / LPN - Consistent Hours. Start Next Week."
    assert posting.company == "Knight Gayles"
    assert posting.locations == ["St. Louis, MO, United States"]
    # `department` is empty here; the job function stands in for it.
    assert posting.department == "Health Care Provider"
    assert posting.employment_type == "Part-time"


def test_extracts_the_recorded_visa_detail() -> None:
    posting = extract_smartrecruiters_detail(real_payload("smartrecruiters/visa-posting-detail.json"))
    assert posting.external_id == "744000133907678"
    assert posting.title == "Sr. Manager"
    assert posting.company == "Visa"
    assert posting.url == "https://jobs.smartrecruiters.com/Visa/744000133907678-sr-manager"
    assert posting.locations == ["Austin, TX, United States"]
    assert posting.department == "Software Development/Engineering"
    assert posting.employment_type == "Full-time"
    assert posting.posted_at == "2026-06-24T10:00:11.853Z"
    # Only additionalInformation has text in this capture; empty sections are left out.
    assert posting.description_html == (
        "<h2>Additional Information</h2>\n"
        "<p>All your information will be kept confidential according to EEO guidelines.</p>"
    )


def test_list_paging_and_bad_payloads() -> None:
    payload = {"offset": 100, "limit": 100, "totalFound": 250, "content": [{"id": 1, "name": "SRE"}] * 100}
    assert extract_smartrecruiters_list(payload).next_offset == 200
    empty = extract_smartrecruiters_list({"offset": 100, "totalFound": 250, "content": []})
    assert empty.next_offset is None
    assert empty.result.incomplete_reason == "list page at offset 100 is empty but totalFound is 250"
    dropped = extract_smartrecruiters_list({"totalFound": 2, "content": [{"id": 1}, "junk"]})
    assert dropped.result.dropped == ["content[0]: missing id or name", "content[1]: not an object"]
    with pytest.raises(ValueError):
        extract_smartrecruiters_list({"content": []})
    with pytest.raises(ValueError):
        extract_smartrecruiters_detail({"name": "no id"})


def _serve_board(server: BoardServer, page_size: int = 2) -> list[dict[str, Any]]:
    """Tieto's three recorded list items, served `page_size` at a time (a server may return
    fewer than `limit`), with a detail per posting. No Tieto detail was recorded: each detail
    is the posting's own list item plus the recorded Visa detail's `jobAd` and a posting URL."""
    items = real_payload("smartrecruiters/tieto-postings.json")["content"]
    job_ad = real_payload("smartrecruiters/visa-posting-detail.json")["jobAd"]

    def list_page(request: Incoming) -> str:
        offset = int(request.query["offset"][0])
        limit = min(int(request.query["limit"][0]), page_size)
        content = items[offset : offset + limit]
        return json.dumps({"offset": offset, "limit": limit, "totalFound": len(items), "content": content})

    server.handle(LIST_PATH, list_page)
    for item in items:
        detail = copy.deepcopy(item)
        detail["jobAd"] = job_ad
        detail["postingUrl"] = f"https://jobs.smartrecruiters.com/Tieto2/{item['id']}"
        server.set(f"{LIST_PATH}/{item['id']}", json.dumps(detail))
    return list(items)


def job_ad_of_visa() -> Any:
    return real_payload("smartrecruiters/visa-posting-detail.json")["jobAd"]


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: tieto
    type: smartrecruiters
    board: Tieto2
    api_base: {url}
"""
    )


def test_spider_pages_the_list_by_offset_and_stores_every_detail(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    items = _serve_board(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "tieto", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result
    assert outcome.result["new"] == 3
    assert ("GET", f"{LIST_PATH}?limit=100&offset=0") in board_server.requests
    assert ("GET", f"{LIST_PATH}?limit=100&offset=2") in board_server.requests
    for item in items:
        assert ("GET", f"{LIST_PATH}/{item['id']}") in board_server.requests
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        versions = list(session.scalars(select(PostingVersion.data)))
    engine.dispose()
    assert sorted(v["title"] for v in versions) == sorted(item["name"] for item in items)
    assert all("kept confidential according to EEO guidelines" in v["description"] for v in versions)


def test_a_failed_detail_or_list_page_makes_the_crawl_incomplete(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/rw.db"
    items = _serve_board(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    board_server.set(f"{LIST_PATH}/{items[1]['id']}", Reply(b"down", status=503, content_type="text/plain"))
    detail_failed = crawl_source(config, "tieto", timeout=120)
    assert detail_failed.result["status"] == "incomplete"
    # Every job is stored, the one without its detail as the list gave it; the gap is a problem.
    assert detail_failed.result["new"] == 3
    assert any(f"postings/{items[1]['id']} failed: HTTP 503" in p for p in detail_failed.result["problems"])
    listed_only = stored_postings(database_url)[items[1]["id"]]
    assert listed_only["title"] == items[1]["name"]
    assert listed_only["locations"] == ["Szczecin, Poland"] and listed_only["workplace"] == ["hybrid"]
    assert listed_only["url"] == f"https://jobs.smartrecruiters.com/Tieto2/{items[1]['id']}"
    assert listed_only["description"] == ""

    # Its detail back: the ad's text is added. Then another detail fails: that job, stored
    # already, keeps its version (no "changed" for text the list never has) and stays open.
    board_server.set(f"{LIST_PATH}/{items[1]['id']}", json.dumps({**items[1], "jobAd": {
        "sections": {"jobDescription": {"text": "<p>Build test rigs.</p>"}}}}))  # fmt: skip
    recovered = crawl_source(config, "tieto", timeout=120)
    # Filled in, not changed: the list never has the text.
    assert (recovered.result["status"], recovered.result["changed"]) == ("complete", 0)
    assert "Build test rigs." in stored_postings(database_url)[items[1]["id"]]["description"]
    before = version_and_event_counts(database_url)
    board_server.set(f"{LIST_PATH}/{items[0]['id']}", Reply(b"down", status=503, content_type="text/plain"))
    again = crawl_source(config, "tieto", timeout=120)
    assert again.result["status"] == "incomplete"
    assert (again.result["new"], again.result["changed"], again.result["closed"]) == (0, 0, 0)
    assert version_and_event_counts(database_url) == before
    assert "kept confidential" in stored_postings(database_url)[items[0]["id"]]["description"]
    board_server.set(f"{LIST_PATH}/{items[0]['id']}", json.dumps({**items[0], "jobAd": job_ad_of_visa(),
        "postingUrl": f"https://jobs.smartrecruiters.com/Tieto2/{items[0]['id']}"}))  # fmt: skip

    board_server.handle(
        LIST_PATH,
        lambda request: (
            Reply(b"oops", status=500, content_type="text/plain")
            if request.query["offset"] == ["2"]
            else json.dumps({"offset": 0, "limit": 2, "totalFound": 3, "content": items[:2]})
        ),
    )
    page_failed = crawl_source(config, "tieto", timeout=120)
    assert page_failed.result["status"] == "incomplete"
    assert any("offset=2 failed: HTTP 500" in p for p in page_failed.result["problems"])


def _versions_and_events(database_url: str) -> tuple[dict[str, int], list[tuple[str, str, Any]]]:
    """How many versions each posting has (by id), and every event: (type, posting id, diff)."""
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        rows = session.execute(select(Posting.external_id, Posting.version_count))
        versions = {external_id: count for external_id, count in rows}
        rows = session.execute(
            select(Event.type, Posting.external_id, Event.diff).join(Event.posting).order_by(Event.id)
        )
        events = [(str(kind), external_id, diff) for kind, external_id, diff in rows]
    engine.dispose()
    return versions, events


def test_the_detail_filling_in_a_job_stored_as_listed_is_no_change_but_a_new_title_is(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    items = _serve_board(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    for item in items[1:]:
        board_server.set(f"{LIST_PATH}/{item['id']}", Reply(b"down", status=503, content_type="text/plain"))
    first = crawl_source(config, "tieto", timeout=120)
    assert (first.result["status"], first.result["new"]) == ("incomplete", 3)
    assert all(stored_postings(database_url)[item["id"]]["description"] == "" for item in items[1:])

    # Both details back: the second job's as its list item said, the third one's retitled
    # since its list item was read.
    _serve_board(board_server)
    retitled = {**items[2], "name": "Senior Test Engineer (m/f/d)", "jobAd": job_ad_of_visa()}
    board_server.set(f"{LIST_PATH}/{items[2]['id']}", json.dumps(retitled))
    second = crawl_source(config, "tieto", timeout=120)

    assert second.result["status"] == "complete", second.result
    assert (second.result["new"], second.result["changed"]) == (0, 1)
    stored = stored_postings(database_url)
    assert all(
        "kept confidential according to EEO guidelines" in stored[item["id"]]["description"] for item in items
    )
    assert stored[items[2]["id"]]["title"] == "Senior Test Engineer (m/f/d)"
    versions, events = _versions_and_events(database_url)
    assert versions == {items[0]["id"]: 1, items[1]["id"]: 2, items[2]["id"]: 2}
    assert [kind for kind, _, _ in events] == ["new", "new", "new", "changed"]
    # The text the detail filled in is not news; the title is.
    assert events[-1][1:] == (
        items[2]["id"],
        {"title": {"old": items[2]["name"], "new": "Senior Test Engineer (m/f/d)"}},
    )

    # From now on the stored versions are the details': a change of their text is news again.
    board_server.set(f"{LIST_PATH}/{items[1]['id']}", json.dumps({**items[1], "jobAd": {
        "sections": {"jobDescription": {"text": "<p>Build test rigs.</p>"}}}}))  # fmt: skip
    third = crawl_source(config, "tieto", timeout=120)
    assert (third.result["status"], third.result["changed"]) == ("complete", 1)
    _, events = _versions_and_events(database_url)
    assert events[-1][1] == items[1]["id"] and "description" in events[-1][2]


def test_robots_txt_that_disallows_the_api_is_obeyed_and_reported(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/rw.db"
    _serve_board(board_server)
    board_server.set("/robots.txt", Reply(b"User-agent: *\nDisallow: /v1/\n", content_type="text/plain"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "tieto", timeout=120)

    assert outcome.result["status"] == "incomplete"
    assert any("Forbidden by robots.txt" in p for p in outcome.result["problems"])
    assert not any(path.startswith(LIST_PATH) for _, path in board_server.requests)
