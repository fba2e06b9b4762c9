"""Teamtailor: pure extraction on the recorded RSS feeds and JSON Feeds, and the spider paging
the RSS feed by offset over local HTTP."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from config.schema import Config, SourceConfig
from crawler.boards.teamtailor import PER_PAGE
from crawler.extract.teamtailor import extract_teamtailor
from crawler.extract.teamtailor_json import extract_teamtailor_json
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Incoming, Reply
from tests.conftest import REAL, crawl_source, real_payload, stored_postings, version_and_event_counts

UPCLOUD = REAL / "teamtailor" / "upcloud-jobs-rss.xml"
CAREER = REAL / "teamtailor" / "teamtailor-career-jobs-rss.xml"
SLATER_JSON = "teamtailor/slaterconsult-jsonfeed-trimmed.json"
CAREER_JSON = "teamtailor/teamtailor-career-jsonfeed-trimmed.json"
FEED = "/jobs.rss"


def test_extracts_both_recorded_upcloud_jobs() -> None:
    result = extract_teamtailor(UPCLOUD.read_bytes())
    assert result.dropped == [] and result.unreadable == {}
    analyst, developer = result.postings
    assert analyst.external_id == "d8938509-ff5a-4755-a5f7-5f89a0ac791e"
    assert analyst.title == "Business Intelligence Analyst"
    assert analyst.url == "https://upcloud.teamtailor.com/jobs/8323453-business-intelligence-analyst"
    assert analyst.company == "UpCloud"  # the channel's title
    assert analyst.locations == ["Helsinki, Finland"]
    assert analyst.department == "Finance"
    assert analyst.workplace == "hybrid"
    assert analyst.posted_at == "2026-09-04T14:50:13+03:00"
    assert analyst.salary is None and analyst.employment_type is None  # the feed has neither
    # The escaped HTML of <description> is read as HTML.
    assert (analyst.description_html or "").startswith(
        "<p><span>We are looking for a <strong>Business Intelligence Analyst</strong>"
    )

    assert developer.title == "Full Stack Developer"
    assert developer.workplace == "remote"  # remoteStatus "fully"
    # The place named "EU" has a city: the city and country are what a watch can match.
    assert developer.locations == ["Helsinki, Finland"]
    assert developer.department == "Product Engineering"
    assert developer.posted_at == "2026-06-23T16:35:08+03:00"


def test_extracts_the_recorded_teamtailor_career_feed() -> None:
    result = extract_teamtailor(CAREER.read_bytes())
    assert [p.title for p in result.postings] == [
        "Account Executive - UK Enterprise",
        "Mid-Market Account Executive (Outbound) - Madrid",
        "Customer Success Manager - Sydney",
    ]
    executive, madrid, sydney = result.postings
    assert executive.company == "Teamtailor"
    assert executive.locations == ["London, United Kingdom"]
    assert executive.department == "Sales"
    assert executive.posted_at == "2026-07-06T08:58:57+02:00"
    assert madrid.locations == ["Madrid, Spain"] and madrid.workplace == "hybrid"
    assert sydney.locations == ["Sydney, Australia"]
    assert sydney.department == "Customer Success"
    assert sydney.posted_at == "2026-09-21T16:36:16+02:00"
    # "&amp;amp;" in the feed is an "&" in the text, not an entity left behind.
    text = normalize(executive).description
    assert "Mid-Market & Enterprise Account Executives" in text
    assert "<" not in text and "&amp;" not in text


def test_normalize_keeps_teamtailor_workplace_places_and_date() -> None:
    analyst = normalize(extract_teamtailor(UPCLOUD.read_bytes()).postings[0])
    assert analyst.workplace == ["hybrid"]
    assert analyst.locations == ["Helsinki, Finland"]
    assert analyst.description.startswith("We are looking for a Business Intelligence Analyst")


def test_extracts_every_recorded_slater_consult_json_feed_item() -> None:
    result = extract_teamtailor_json(real_payload(SLATER_JSON))
    assert result.dropped == [] and result.unreadable == {}
    lead, controller, engineer, automation = result.postings
    assert lead.external_id == "29913b0e-fd23-4083-8fc6-423d1ba251bf"  # the uuid the RSS guid is
    assert lead.title == "Product Lifecycle Management Lead"
    assert lead.url == "https://slaterconsult.teamtailor.com/jobs/8312455-product-lifecycle-management-lead"
    assert lead.company == "Slater Consult"  # the feed's title, its trailing space dropped
    # Two places; "Poland" as region repeats the country and is left out.
    assert lead.locations == ["Holstebro, DK", "Szczecin, PL"]
    assert lead.posted_at == "2026-09-02T20:27:38+02:00"
    assert (lead.description_html or "").startswith("<p>Jupiter Bach is taking the next step")
    # The JSON Feed has no department, remote status, pay or employment type.
    assert (lead.department, lead.workplace, lead.salary, lead.salary_text, lead.employment_type) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert (controller.title, controller.locations) == ("Controller", ["Panama City, PA"])
    assert controller.posted_at == "2026-09-01T20:52:51+02:00"
    assert (engineer.external_id, engineer.locations) == (
        "483480c4-9e79-4d59-9e34-d1cc431e5a12",
        ["Morrisville, US"],
    )
    assert engineer.posted_at == "2025-10-28T12:37:38+01:00"
    assert (automation.title, automation.locations) == ("Automation Engineer", ["Raleigh, US"])
    assert automation.url == "https://slaterconsult.teamtailor.com/jobs/5583037-automation-engineer"
    assert automation.posted_at == "2025-02-20T09:07:36+01:00"
    text = normalize(engineer).description
    assert text.startswith("Landia has been innovating pump and mixer solutions since 1933")
    assert "&nbsp;" not in text and "<" not in text


def test_extracts_the_recorded_teamtailor_career_json_feed_without_content() -> None:
    result = extract_teamtailor_json(real_payload(CAREER_JSON))
    italy, copenhagen = result.postings
    assert italy.external_id == "20fafb7d-f013-4061-b6de-2894b3e0838b"
    assert italy.title == "Account Executive - Italy (Madrid based)"
    assert italy.url == "https://career.teamtailor.com/jobs/7167985-account-executive-italy-madrid-based"
    assert italy.company == "Teamtailor"
    assert italy.locations == ["Madrid, ES"]  # the region "Europe" is no place to match
    assert italy.posted_at == "2026-02-04T09:26:20+01:00"
    # Trimmed at the source: neither content_html nor a JobPosting description.
    assert italy.description_html is None and italy.department is None
    assert copenhagen.title == "Mid-Market Account Executive - Copenhagen"
    assert copenhagen.locations == ["Stockholm, SE", "København, DK"]
    assert copenhagen.posted_at == "2026-01-18T19:35:57+01:00"


def test_json_feed_fallbacks_dropped_items_and_bodies_that_are_no_feed() -> None:
    places = [{"address": {"addressRegion": "Nordics"}}, "nowhere", {"address": "x"}]
    job = {"description": "<p>Run the fleet.</p>", "datePosted": "2026-10-01",
           "hiringOrganization": {"name": "Acme"}, "jobLocation": places}  # fmt: skip
    feed = {"items": [{"id": "a", "title": "SRE", "_jobposting": job}, {"id": "b"}, {"title": "No id"}, 7]}
    result = extract_teamtailor_json(feed)
    (sre,) = result.postings
    assert (sre.company, sre.description_html, sre.posted_at) == (
        "Acme",
        "<p>Run the fleet.</p>",
        "2026-10-01",
    )
    assert sre.locations == ["Nordics"]  # a region stands in where there is no locality
    assert result.dropped == ["items[1]: missing title", "items[2]: missing id", "items[3]: not an object"]
    assert extract_teamtailor_json(real_payload(SLATER_JSON), limit=1).postings[0].title == (
        "Product Lifecycle Management Lead"
    )
    for body in ([], {}, {"items": {}}, "feed"):
        with pytest.raises(ValueError):
            extract_teamtailor_json(body)


def _feed(items: list[str], title: str = "Acme") -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:tt="https://teamtailor.com/locations">'
        f"<channel><title>{title}</title>{body}</channel></rss>"
    ).encode()


def test_remote_status_values_places_without_city_and_dropped_items() -> None:
    result = extract_teamtailor(
        _feed(
            [
                "<title>SRE</title><guid>a</guid><remoteStatus>none</remoteStatus>"
                "<tt:locations><tt:location><tt:name>Nordics</tt:name></tt:location>"
                "<tt:location><tt:city>Oslo</tt:city><tt:country>Norway</tt:country></tt:location>"
                "</tt:locations>",
                "<title>Platform Engineer</title><guid>b</guid><remoteStatus>temporary</remoteStatus>"
                "<pubDate>not a date</pubDate>",
                "<title>No guid</title>",
                "<guid>c</guid>",
            ]
        )
    )
    sre, platform = result.postings
    assert sre.workplace == "onsite" and sre.locations == ["Nordics", "Oslo, Norway"]
    assert platform.workplace is None  # temporarily remote says nothing lasting
    assert platform.posted_at == "not a date"
    assert result.dropped == ["item[2]: missing guid", "item[3]: missing title"]


@pytest.mark.parametrize("body", [b"", b"{}", b"<html><body>Maintenance</body></html>", b"<rss><channel>"])
def test_a_body_that_is_no_rss_feed_is_rejected(body: bytes) -> None:
    with pytest.raises(ValueError):
        extract_teamtailor(body)


def test_listing_lives_on_the_careers_subdomain_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="acme", type="teamtailor", board="acme")
    assert listing_url(source) == "https://acme.teamtailor.com/jobs.rss?offset=0&per_page=100"
    custom = SourceConfig(name="acme", type="teamtailor", board="acme", api_base="https://careers.acme.com/")
    assert listing_url(custom) == "https://careers.acme.com/jobs.rss?offset=0&per_page=100"


class PagedFeed:
    """The recorded UpCloud and Teamtailor items, plus copies of them under new guids to fill
    more than one page, served `per_page` at a time from `offset` as the feed pages."""

    def __init__(self, total: int) -> None:
        self.root = etree.fromstring(UPCLOUD.read_bytes())
        recorded = self.root.findall("channel/item") + etree.fromstring(CAREER.read_bytes()).findall(
            "channel/item"
        )
        self.items: list[Any] = []
        for index in range(total):
            item = copy.deepcopy(recorded[index % len(recorded)])
            if index >= len(recorded):
                item.find("guid").text = f"{item.find('guid').text}-{index}"
            self.items.append(item)
        # Offset -> statuses to answer for that page before it is served.
        self.failing: dict[int, list[int]] = {}

    def guids(self) -> list[str]:
        return [item.find("guid").text for item in self.items]

    def __call__(self, request: Incoming) -> Reply:
        offset, per_page = int(request.query["offset"][0]), int(request.query["per_page"][0])
        if self.failing.get(offset):
            return Reply(b"failed", status=self.failing[offset].pop(0), content_type="text/plain")
        page = copy.deepcopy(self.root)
        channel = page.find("channel")
        for item in channel.findall("item"):
            channel.remove(item)
        channel.extend(copy.deepcopy(item) for item in self.items[offset : offset + per_page])
        body = etree.tostring(page, xml_declaration=True, encoding="UTF-8")
        return Reply(body, content_type="application/rss+xml; charset=utf-8")


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: upcloud
    type: teamtailor
    board: upcloud
    api_base: {url}
"""
    )


def test_spider_pages_the_feed_and_an_unchanged_recrawl_stores_nothing_new(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    feed = PagedFeed(total=PER_PAGE + 50)
    board_server.handle(FEED, feed)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "upcloud")

    assert first.error is None, first.error
    assert first.result["status"] == "complete", first.result
    assert first.result["new"] == PER_PAGE + 50
    assert ("GET", f"{FEED}?offset=0&per_page=100") in board_server.requests
    assert ("GET", f"{FEED}?offset=100&per_page=100") in board_server.requests
    stored = stored_postings(database_url)
    assert set(stored) == set(feed.guids())
    analyst = stored["d8938509-ff5a-4755-a5f7-5f89a0ac791e"]
    assert analyst["title"] == "Business Intelligence Analyst"
    assert analyst["company"] == "UpCloud"
    assert analyst["department"] == "Finance"
    assert analyst["workplace"] == ["hybrid"]
    assert analyst["locations"] == ["Helsinki, Finland"]

    before = version_and_event_counts(database_url)
    # A transient 400 from a healthy feed is retried, not a failed crawl.
    feed.failing[0] = [400]
    again = crawl_source(config, "upcloud")
    assert again.result["status"] == "complete", again.result
    assert (again.result["new"], again.result["changed"], again.result["closed"]) == (0, 0, 0)
    assert again.result["unchanged"] == PER_PAGE + 50
    assert version_and_event_counts(database_url) == before


def test_a_job_gone_from_complete_crawls_is_closed_and_a_failed_page_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    feed = PagedFeed(total=PER_PAGE + 5)
    board_server.handle(FEED, feed)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "upcloud").result["new"] == PER_PAGE + 5

    gone = feed.items.pop(0).find("guid").text
    # The second page failing: the listing is incomplete, and nothing is closed for it.
    feed.failing[100] = [500, 500, 500]  # every try of it
    failed = crawl_source(config, "upcloud")
    assert failed.result["status"] == "incomplete"
    assert any("offset=100" in problem and "HTTP 500" in problem for problem in failed.result["problems"])
    assert failed.result["closed"] == 0

    missed_once = crawl_source(config, "upcloud")
    assert (missed_once.result["status"], missed_once.result["closed"]) == ("complete", 0)
    missed_twice = crawl_source(config, "upcloud")
    assert (missed_twice.result["status"], missed_twice.result["closed"]) == ("complete", 1)
    assert missed_twice.result["unchanged"] == PER_PAGE + 4
    assert gone in stored_postings(database_url)  # closed, its history kept


def test_an_unknown_board_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.handle(FEED, PagedFeed(total=3))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "upcloud").result["new"] == 3

    del board_server.handlers[FEED]  # the server answers 404
    for _ in range(2):  # more than `close_after_missing` crawls
        missing = crawl_source(config, "upcloud")
        assert missing.result["status"] == "incomplete"
        assert missing.result["problems"] == [
            f"board not found: listing {board_server.url}{FEED}?offset=0&per_page=100 answered HTTP 404"
        ]
        assert missing.result["closed"] == 0

    # Redirected to the vendor's home page: not found either, never an empty board.
    board_server.set(FEED, Reply(b"", status=302, headers={"Location": f"{board_server.url}/"}))
    board_server.set("/", Reply(b"<html><body>Teamtailor</body></html>", content_type="text/html"))
    redirected = crawl_source(config, "upcloud")
    assert redirected.result["status"] == "incomplete"
    listing = f"{board_server.url}{FEED}?offset=0&per_page=100"
    assert redirected.result["problems"] == [
        f"board not found: listing {listing} redirects to {board_server.url}/"
    ]
    assert redirected.result["closed"] == 0
    assert len(stored_postings(database_url)) == 3
