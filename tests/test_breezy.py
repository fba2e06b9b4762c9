"""Breezy HR: pure extraction on the recorded portal payloads and on position pages, and the
real spider over local HTTP: position pages read only for positions new or listed otherwise, an
unchanged recrawl, closings after complete crawls, a portal not found."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.breezy import extract_breezy, extract_breezy_detail
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

DEMO = "breezy/breezy-demo-board-json.json"
HEALTHCARE = "breezy/highlights-healthcare-plus-vanguard-ip-json.json"


def test_extracts_the_recorded_healthcare_and_law_firm_positions() -> None:
    result = extract_breezy(real_payload(HEALTHCARE))
    assert result.dropped == [] and result.incomplete_reason is None
    raleigh, remote, durham, patent = result.postings
    assert raleigh.external_id == "9b5dbab30b78"
    assert (
        raleigh.title == "BILINGUAL Board Certified Behavior Analyst (BCBA, LBA) - SIGN ON/RELOCATION $ (RAL)"
    )
    assert raleigh.url and raleigh.url.startswith("https://highlights-healthcare.breezy.hr/p/9b5dbab30b78-")
    assert raleigh.company == "Highlights Healthcare"
    assert raleigh.locations == ["Raleigh, NC"]
    assert (raleigh.department, raleigh.employment_type) == ("Clinician - BCBA", "Full-Time")
    assert raleigh.posted_at == "2026-09-23T14:48:12.535Z"
    assert raleigh.workplace is None  # is_remote false: the text decides
    pay = normalize(raleigh)
    assert (pay.salary_min, pay.salary_max, pay.salary_currency, pay.salary_period) == (
        95000,
        115000,
        "USD",
        "year",
    )
    # "Fully remote, within chosen location(s)", every place remote.
    assert (remote.workplace, remote.locations) == ("remote", ["Mooresville, NC"])
    assert normalize(remote).workplace == ["remote"]
    assert durham.locations == ["Durham, NC"]
    # The second portal of the composite: no department, no pay.
    assert (patent.company, patent.department, patent.salary_text) == ("Vanguard-IP", None, None)
    assert patent.locations == ["San Diego, CA"]


def test_extracts_breezys_own_trial_positions_and_hourly_pay() -> None:
    employee, opening = extract_breezy(real_payload(DEMO)).postings
    assert (employee.external_id, employee.title) == ("98323abf2296", "Employee #12")
    assert (employee.company, employee.locations) == ("MS Breezy Trial", ["Chaos, FL"])
    assert (employee.department, employee.employment_type) == ("Does Not Matter", "Other")
    hourly = normalize(employee)
    assert (hourly.salary_min, hourly.salary_max, hourly.salary_period) == (0.05, 0.06, "hour")
    # Its `locations` are empty: the single `location` stands in.
    assert (opening.locations, opening.employment_type) == (["New York, NY"], "Contract")
    assert opening.posted_at == "2023-04-06T01:32:13.932Z"


def test_hybrid_detail_and_bad_positions() -> None:
    hybrid = {"value": "hybrid", "label": "Hybrid"}
    position = {"id": "x", "name": "SRE", "locations": [{"city": "Lyon", "country": {"name": "France"},
                "is_remote": True, "remote_details": hybrid}]}  # fmt: skip
    result = extract_breezy([position, {"id": "y"}, 3])
    (sre,) = result.postings
    assert (sre.workplace, sre.locations) == ("hybrid", ["Lyon, France"])
    assert result.dropped == ["positions[1]: missing title", "positions[2]: not an object"]
    with pytest.raises(ValueError):
        extract_breezy({"positions": []})


def _position_page(title: str, text: str = "<p>Design behaviour plans.</p>", **more: Any) -> str:
    """A position page as Breezy serves it: the ad as a JobPosting JSON-LD block in its head."""
    posting = {"@context": "https://schema.org", "@type": "JobPosting", "title": title, "description": text,
               "datePosted": "2026-09-23", "employmentType": "FULL_TIME", **more}  # fmt: skip
    block = f'<script type="application/ld+json">{json.dumps(posting)}</script>'
    return f"<html><head><title>{title}</title>{block}</head><body><h1>{title}</h1></body></html>"


def test_a_position_page_gives_the_text_and_what_the_listing_left_out() -> None:
    raleigh, _, _, patent = extract_breezy(real_payload(HEALTHCARE)).postings
    page = _position_page(raleigh.title, "<p>Lead &amp; mentor <b>RBTs</b>.</p>")
    filled = extract_breezy_detail(page, raleigh.url or "", raleigh)
    assert filled.description_html == "<p>Lead & mentor <b>RBTs</b>.</p>"
    assert normalize(filled).description == "Lead & mentor RBTs."
    # What the listing says stands: its id, place, type, date and pay text.
    assert (filled.external_id, filled.locations, filled.department) == (
        "9b5dbab30b78",
        ["Raleigh, NC"],
        "Clinician - BCBA",
    )
    assert (filled.employment_type, filled.posted_at) == ("Full-Time", "2026-09-23T14:48:12.535Z")
    assert filled.salary is None and filled.salary_text == "$95,000 – $115,000 / year"

    # The law firm's listing has no pay: the page's figures fill it in, and its remote flag.
    pay = {"currency": "USD", "value": {"minValue": 180000, "maxValue": 220000, "unitText": "YEAR"}}
    page = _position_page(patent.title, baseSalary=pay, jobLocationType="TELECOMMUTE")
    associate = extract_breezy_detail(page, patent.url or "", patent)
    assert associate.salary == {"min": 180000.0, "max": 220000.0, "currency": "USD", "period": "year"}
    assert associate.workplace == "remote"
    assert associate.description_html == "<p>Design behaviour plans.</p>"


@pytest.mark.parametrize(
    "page",
    [
        "<html><body>Position closed</body></html>",
        '<script type="application/ld+json">{"@type": "JobPosting",</script>',
    ],
)
def test_a_position_page_without_a_readable_job_posting_is_refused(page: str) -> None:
    listed = extract_breezy(real_payload(DEMO)).postings[0]
    with pytest.raises(ValueError):
        extract_breezy_detail(page, "https://ms-breezy-trial.breezy.hr/p/x", listed)


def test_the_listing_lives_on_the_portal_host_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="h", type="breezy", board="highlights-healthcare")
    assert listing_url(source) == "https://highlights-healthcare.breezy.hr/json"
    custom = SourceConfig(name="h", type="breezy", board="h", api_base="https://jobs.example.org/")
    assert listing_url(custom) == "https://jobs.example.org/json"


def _serve(server: BoardServer, positions: list[dict[str, Any]]) -> None:
    """The portal's list and each position's page, at the path its link names."""
    server.set("/json", json.dumps(positions))
    for position in positions:
        page = _position_page(position["name"], f"<p>About {position['id']}.</p>")
        server.set(urlsplit(position["url"]).path, Reply(page.encode(), content_type="text/html"))


def _page_requests(server: BoardServer) -> list[str]:
    return sorted(path for _, path in server.requests if path.startswith("/p/"))


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: highlights
    type: breezy
    board: highlights-healthcare
    api_base: {url}
"""
    )


def test_spider_reads_the_portal_recrawls_it_unchanged_and_closes_a_position_after_complete_crawls(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    positions = real_payload(HEALTHCARE)
    _serve(board_server, positions)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "highlights").result
    assert (first["status"], first["new"]) == ("complete", 4), first
    remote = stored_postings(database_url)["4e5454ff973b"]
    assert remote["workplace"] == ["remote"] and remote["company"] == "Highlights Healthcare"
    assert (remote["salary_min"], remote["salary_max"], remote["salary_currency"]) == (90000, 95000, "USD")
    assert remote["description"] == "About 4e5454ff973b."

    before = version_and_event_counts(database_url)
    board_server.requests.clear()
    again = crawl_source(config, "highlights").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert _page_requests(board_server) == []
    assert version_and_event_counts(database_url) == before

    _serve(board_server, positions[:3])
    assert crawl_source(config, "highlights").result["closed"] == 0
    twice = crawl_source(config, "highlights").result
    assert (twice["status"], twice["closed"]) == ("complete", 1)


@pytest.mark.parametrize("gone", ["404", "redirect"])
def test_a_portal_breezy_does_not_know_is_not_found_and_closes_nothing(
    gone: str, board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    _serve(board_server, real_payload(HEALTHCARE))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "highlights").result["new"] == 4

    if gone == "404":
        board_server.set("/json", Reply(b"not found", status=404, content_type="text/plain"))
    else:  # an unknown portal is sent to Breezy's home page
        board_server.set("/json", Reply(b"", status=302, headers={"Location": f"{board_server.url}/"}))
        board_server.set("/", Reply(b"<html>Breezy HR</html>", content_type="text/html"))
    for _ in range(2):
        outcome = crawl_source(config, "highlights").result
        assert (outcome["status"], outcome["closed"]) == ("incomplete", 0), outcome
        assert any(problem.startswith("board not found") for problem in outcome["problems"]), outcome
    assert len(stored_postings(database_url)) == 4


def test_position_pages_are_read_only_for_positions_new_or_listed_otherwise(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    positions = real_payload(HEALTHCARE)
    _serve(board_server, positions)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "highlights").result
    assert (first["status"], first["new"]) == ("complete", 4), first
    # Each page on the api_base host, at its link's path (the law firm's portal's too).
    assert _page_requests(board_server) == sorted(urlsplit(p["url"]).path for p in positions)
    stored = stored_postings(database_url)
    assert {ext: data["description"] for ext, data in stored.items()} == {
        p["id"]: f"About {p['id']}." for p in positions
    }
    before = version_and_event_counts(database_url)

    # The same positions in another order: the list is read, and no page.
    board_server.requests.clear()
    _serve(board_server, positions[::-1])
    reordered = crawl_source(config, "highlights").result
    assert (reordered["status"], reordered["new"], reordered["changed"]) == ("complete", 0, 0), reordered
    assert _page_requests(board_server) == []
    assert version_and_event_counts(database_url) == before

    # One position retitled in the list: only its page is read again, and its text kept.
    board_server.requests.clear()
    renamed = [dict(positions[0], name="Lead BCBA (RAL)"), *positions[1:]]
    _serve(board_server, renamed)
    changed = crawl_source(config, "highlights").result
    assert (changed["status"], changed["new"], changed["changed"]) == ("complete", 0, 1), changed
    assert _page_requests(board_server) == [urlsplit(positions[0]["url"]).path]
    lead = stored_postings(database_url)["9b5dbab30b78"]
    assert (lead["title"], lead["description"]) == ("Lead BCBA (RAL)", "About 9b5dbab30b78.")


def test_a_position_page_that_fails_leaves_the_crawl_incomplete_and_is_read_next_time(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    positions = real_payload(HEALTHCARE)
    _serve(board_server, positions)
    failing = urlsplit(positions[1]["url"]).path
    board_server.set(failing, Reply(b"<html><body>Maintenance</body></html>", content_type="text/html"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "highlights").result
    assert (first["status"], first["new"]) == ("incomplete", 4), first
    assert first["problems"] == [f"{board_server.url}{failing}: position page has no JobPosting"]
    # Stored as listed meanwhile: its title, place and pay, no text.
    remote = stored_postings(database_url)["4e5454ff973b"]
    assert (remote["title"], remote["description"]) == (positions[1]["name"], "")
    assert remote["salary_min"] == 90000

    _serve(board_server, positions)
    board_server.requests.clear()
    second = crawl_source(config, "highlights").result
    assert (second["status"], second["new"], second["closed"]) == ("complete", 0, 0), second
    # The same list, but the last crawl was not clean: the page missed is read, and only it.
    assert _page_requests(board_server) == [failing]
    assert stored_postings(database_url)["4e5454ff973b"]["description"] == "About 4e5454ff973b."
