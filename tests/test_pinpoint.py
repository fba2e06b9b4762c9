"""Pinpoint: pure extraction on the recorded postings payloads, and the spider over local HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.pinpoint import extract_pinpoint
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

WORKWITHUS = "pinpoint/pinpoint-workwithus-postings-trimmed.json"
TRILON = "pinpoint/trilongroup-postings-trimmed.json"
MULTI = "pinpoint/multi-board-postings-sample.json"
FEED = "/postings.json"


def _by_id(payload: Any) -> dict[str, Any]:
    result = extract_pinpoint(payload)
    assert result.dropped == [] and result.unreadable == {}
    return {posting.external_id: posting for posting in result.postings}


def test_extracts_pinpoints_own_board_and_hides_pay_it_does_not_show() -> None:
    # The recorder kept the `data` list alone; the feed itself wraps it.
    postings = _by_id({"data": real_payload(WORKWITHUS)})
    counsel, implementation = postings["559663"], postings["567495"]
    assert counsel.title == "Founding Legal Counsel"
    assert counsel.url == "https://workwithus.pinpointhq.com/en/postings/ce6c9e5c-a2d3-42b0-a01e-9edeae315b04"
    assert counsel.company is None  # the feed names none
    # The place is named "Remote": its city is what a watch can match ("London, London" once).
    assert counsel.locations == ["London"]
    assert counsel.department == "Operations"
    assert counsel.employment_type == "Full Time"
    assert counsel.workplace == "remote"
    assert counsel.salary is None and counsel.salary_text is None  # compensation_visible false
    assert counsel.posted_at is None  # the feed has no posting date
    html = counsel.description_html or ""
    assert html.startswith("<div><!--block-->Hi 👋 I'm Ellis, COO at Pinpoint.")
    for heading in ("What you&#x27;ll do", "What you&#x27;ll bring", "What we offer"):
        assert f"<h2>{heading}</h2>" in html

    assert implementation.title == "Enterprise Implementation Manager"
    assert implementation.locations == ["United Kingdom"]
    assert implementation.department == "Implementation"
    assert implementation.salary == {"min": 70000.0, "max": 90000.0, "currency": "GBP", "period": "year"}


def test_extracts_the_recorded_trilon_group_board() -> None:
    postings = _by_id(real_payload(TRILON))
    civil, electrical, chief = postings["547475"], postings["471854"], postings["492852"]
    assert civil.title == "Civil Engineer (PE) - Aviation"
    assert civil.locations == ["Wilmington, NC"]
    assert civil.department == "Engineering"
    assert civil.workplace == "onsite"
    assert civil.salary == {"min": 87500.0, "max": 115000.0, "currency": "USD", "period": "year"}
    assert electrical.locations == ["Remote- USA"]  # trailing blank trimmed
    assert electrical.department == "Electrical/Energy"
    assert electrical.workplace == "remote"
    assert chief.salary == {"min": 30.0, "max": 45.0, "currency": "USD", "period": "hour"}
    assert chief.locations == ["Neptune"]


def test_extracts_the_recorded_multi_board_sample() -> None:
    postings = _by_id(real_payload(MULTI))
    lawyer = postings["492368"]
    assert lawyer.title == "Lawyer"
    assert lawyer.url == "https://jobs.clientearth.org/en/postings/d2b86ef0-8d16-41f6-9962-63a64fdc0631"
    assert lawyer.locations == ["Tokyo"] and lawyer.workplace == "hybrid"
    assert lawyer.department == "Global Impact"
    assert lawyer.employment_type == "Permanent - Full Time"
    assert lawyer.salary == {"min": 13000000.0, "max": 15000000.0, "currency": "JPY", "period": "year"}
    assert postings["491813"].salary == {"min": 12.71, "max": 12.71, "currency": "GBP", "period": "week"}
    assert postings["515905"].salary is None  # hidden
    # Pay given only in words: the words are kept, and normalization reads the range from them.
    lecturer = postings["568794"]
    assert lecturer.salary is None
    assert lecturer.salary_text == "£17,513 - £22,969 per annum, i.e £35,027 - £45,939 pro rata per annum"
    normalized = normalize(lecturer)
    assert (normalized.salary_min, normalized.salary_max, normalized.salary_currency) == (17513, 22969, "GBP")
    assert lecturer.employment_type == "Fixed Term - Part Time"
    # `benefits` null and a place with only a name.
    entry = postings["219939"]
    assert entry.locations == ["New York"] and entry.department == "Technical"
    assert "<h2>Benefits</h2>" not in (entry.description_html or "")


def test_figures_of_a_hidden_salary_are_never_read() -> None:
    item = {
        "id": 1,
        "title": "SRE",
        "compensation": "$150,000 - $200,000 / year",
        "compensation_minimum": 150000,
        "compensation_maximum": 200000,
        "compensation_currency": "USD",
        "compensation_frequency": "year",
        "compensation_visible": False,
        "workplace_type": "hybrid",
    }
    (posting,) = extract_pinpoint({"data": [item]}).postings
    assert posting.salary is None and posting.salary_text is None
    assert normalize(posting).salary_min is None
    (shown,) = extract_pinpoint({"data": [{**item, "compensation_visible": True}]}).postings
    assert shown.salary == {"min": 150000, "max": 200000, "currency": "USD", "period": "year"}


def test_postings_without_id_or_title_are_dropped() -> None:
    result = extract_pinpoint({"data": [{"id": 1, "title": "SRE"}, {"id": 2}, {"title": "x"}, "junk"]})
    assert [p.external_id for p in result.postings] == ["1"]
    assert result.dropped == ["data[1]: missing title", "data[2]: missing id", "data[3]: not an object"]


@pytest.mark.parametrize("payload", [[], {"data": {}}, {"error": "not found"}, None])
def test_a_payload_without_a_data_list_is_rejected(payload: Any) -> None:
    with pytest.raises(ValueError, match="no 'data' list"):
        extract_pinpoint(payload)


def test_listing_lives_on_the_pinpoint_subdomain_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="acme", type="pinpoint", board="acme")
    assert listing_url(source) == "https://acme.pinpointhq.com/postings.json"
    custom = SourceConfig(name="acme", type="pinpoint", board="acme", api_base="https://jobs.acme.org")
    assert listing_url(custom) == "https://jobs.acme.org/postings.json"


def _board(*leave_out: str) -> str:
    """The postings of two recorded boards in one feed, without those left out."""
    data = real_payload(TRILON)["data"] + real_payload(MULTI)["data"]
    return json.dumps({"data": [item for item in data if item["id"] not in leave_out]})


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: trilon
    type: pinpoint
    board: trilongroup
    company: Trilon Group
    api_base: {url}
"""
    )


def test_spider_reads_the_feed_and_an_unchanged_recrawl_stores_nothing_new(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set(FEED, _board())
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "trilon")

    assert first.error is None, first.error
    assert first.result["status"] == "complete", first.result
    assert first.result["new"] == 9
    assert ("GET", FEED) in board_server.requests
    stored = stored_postings(database_url)
    civil = stored["547475"]
    assert civil["title"] == "Civil Engineer (PE) - Aviation"
    assert civil["company"] == "Trilon Group"
    assert civil["workplace"] == ["onsite"] and civil["locations"] == ["Wilmington, NC"]
    assert (civil["salary_min"], civil["salary_max"], civil["salary_currency"]) == (87500, 115000, "USD")
    assert stored["515905"]["salary_min"] is None

    before = version_and_event_counts(database_url)
    again = crawl_source(config, "trilon")
    assert again.result["status"] == "complete", again.result
    assert (again.result["new"], again.result["changed"], again.result["closed"]) == (0, 0, 0)
    assert version_and_event_counts(database_url) == before


def test_a_posting_gone_from_complete_crawls_is_closed(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set(FEED, _board())
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "trilon").result["new"] == 9

    board_server.set(FEED, _board("492852"))
    missed_once = crawl_source(config, "trilon")
    assert (missed_once.result["status"], missed_once.result["closed"]) == ("complete", 0)
    missed_twice = crawl_source(config, "trilon")
    assert (missed_twice.result["status"], missed_twice.result["closed"]) == ("complete", 1)


def test_an_unknown_board_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set(FEED, _board())
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "trilon").result["new"] == 9

    del board_server.routes[FEED]
    for _ in range(2):  # more than `close_after_missing` crawls
        missing = crawl_source(config, "trilon")
        assert missing.result["status"] == "incomplete"
        assert missing.result["problems"] == [
            f"board not found: listing {board_server.url}{FEED} answered HTTP 404"
        ]
        assert missing.result["closed"] == 0
    board_server.set(FEED, Reply(b"", status=302, headers={"Location": f"{board_server.url}/"}))
    board_server.set("/", Reply(b"<html><body>Pinpoint</body></html>", content_type="text/html"))
    redirected = crawl_source(config, "trilon")
    assert redirected.result["problems"] == [
        f"board not found: listing {board_server.url}{FEED} redirects to {board_server.url}/"
    ]
    assert redirected.result["closed"] == 0
    assert len(stored_postings(database_url)) == 9
