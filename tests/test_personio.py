"""Personio: pure extraction on the recorded XML feeds, and the spider over local HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from config.schema import Config, SourceConfig
from crawler.extract.personio import extract_personio
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import REAL, crawl_source, stored_postings, version_and_event_counts

OWN = REAL / "personio" / "personio-own-board-xml.xml"
DUSSELDORF = REAL / "personio" / "dusseldorf-tenant-xml-keywords.xml"
EMPTY = REAL / "personio" / "levanidd-empty-board.xml"


def test_extracts_the_recorded_personio_position_with_its_sections() -> None:
    result = extract_personio(OWN.read_bytes())
    assert result.dropped == [] and result.unreadable == {}
    (engineer,) = result.postings
    assert engineer.external_id == "1834171"
    assert engineer.title == "Staff Software Engineer, Data Platform"
    assert engineer.company == "Personio SE & Co. KG"  # its subcompany
    assert engineer.locations == ["Munich", "Berlin"]  # office, then additionalOffices
    assert engineer.department == "Product and Tech"
    assert engineer.employment_type == "permanent, full-time"
    assert engineer.posted_at == "2024-11-13T14:10:41+00:00"
    assert engineer.salary is None and engineer.workplace is None  # the feed has neither
    assert engineer.url is None  # the board links it to its page on the feed's host
    html = engineer.description_html or ""
    # Each named section under its name, in feed order; "&#039;" read as an apostrophe.
    assert html.startswith("<h2>The Role: How you&#x27;ll make an impact at Personio</h2>\n<strong>")
    headings = ["Role Responsibilities: What you&#x27;ll do", "Role Requirements", "Why Personio"]
    assert all(f"<h2>{heading}" in html for heading in headings)
    text = normalize(engineer).description
    assert text.startswith("The Role: How you'll make an impact at Personio\n")
    assert "This position is hybrid based in either Dublin or Munich locations" in text


def test_extracts_the_recorded_dusseldorf_feed_without_descriptions() -> None:
    result = extract_personio(DUSSELDORF.read_bytes(), company="Acme")
    officer, accountant = result.postings
    assert officer.external_id == "2632185"
    assert officer.title == "Information Security Officer / Information Security Manager (m/f/d)"
    assert officer.company == "Acme"  # no <subcompany>: the source's company
    assert officer.locations == ["Remote / Düsseldorf"]
    assert officer.department == "IT"
    assert officer.posted_at == "2026-05-12T13:50:48+00:00"
    assert officer.description_html is None  # <jobDescriptions></jobDescriptions>
    # No workplace field: the office's name says it.
    assert normalize(officer).workplace == ["remote"]
    assert accountant.title == "Financial Accountant & Controller (m/f/d)"
    assert accountant.department == "L&S Finance"
    assert accountant.locations == ["Amsterdam"]
    assert accountant.employment_type == "permanent, full-time"
    assert accountant.posted_at == "2026-07-24T13:19:09+00:00"


def test_the_recorded_empty_feed_is_an_empty_board_not_an_error() -> None:
    result = extract_personio(EMPTY.read_bytes())
    assert (result.postings, result.dropped, result.incomplete_reason) == ([], [], None)


def test_positions_without_id_or_name_are_dropped_and_other_documents_rejected() -> None:
    feed = b"<workzag-jobs><position><id>1</id><name>SRE</name></position><position><id>2</id></position>"
    result = extract_personio(feed + b"<position><name>No id</name></position></workzag-jobs>")
    assert [p.external_id for p in result.postings] == ["1"]
    assert result.dropped == ["position[1]: missing title", "position[2]: missing id"]
    for body in (b"<html><body>Personio</body></html>", b"", b'{"jobs": []}', b"<workzag-jobs>"):
        with pytest.raises(ValueError):
            extract_personio(body)


def test_listing_is_the_english_feed_on_the_de_host_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="acme", type="personio", board="acme")
    assert listing_url(source) == "https://acme.jobs.personio.de/xml?language=en"
    com = SourceConfig(name="acme", type="personio", board="acme", api_base="https://acme.jobs.personio.com")
    assert listing_url(com) == "https://acme.jobs.personio.com/xml?language=en"


def _board(*leave_out: str) -> bytes:
    """The positions of both recorded feeds in one, without those whose id is left out."""
    root = etree.fromstring(DUSSELDORF.read_bytes())
    root.insert(0, etree.fromstring(OWN.read_bytes()).find("position"))
    for position in root.findall("position"):
        if position.findtext("id") in leave_out:
            root.remove(position)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: acme
    type: personio
    board: acme
    company: Acme
    api_base: {url}
"""
    )


def test_spider_reads_the_feed_and_an_unchanged_recrawl_stores_nothing_new(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set("/xml", Reply(_board(), content_type="text/xml; charset=utf-8"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "acme")

    assert first.error is None, first.error
    assert first.result["status"] == "complete", first.result
    assert first.result["new"] == 3
    assert ("GET", "/xml?language=en") in board_server.requests
    stored = stored_postings(database_url)
    assert set(stored) == {"1834171", "2632185", "2727726"}
    engineer = stored["1834171"]
    assert engineer["url"] == f"{board_server.url}/job/1834171?language=en"
    assert engineer["company"] == "Personio SE & Co. KG"
    assert engineer["locations"] == ["Munich", "Berlin"]
    assert engineer["department"] == "Product and Tech"
    assert stored["2632185"]["company"] == "Acme" and stored["2632185"]["workplace"] == ["remote"]

    before = version_and_event_counts(database_url)
    again = crawl_source(config, "acme")
    assert again.result["status"] == "complete", again.result
    assert (again.result["new"], again.result["changed"], again.result["closed"]) == (0, 0, 0)
    assert version_and_event_counts(database_url) == before


def test_a_position_gone_from_complete_crawls_is_closed(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set("/xml", Reply(_board(), content_type="text/xml"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "acme").result["new"] == 3

    board_server.set("/xml", Reply(_board("2727726"), content_type="text/xml"))
    missed_once = crawl_source(config, "acme")
    assert (missed_once.result["status"], missed_once.result["closed"]) == ("complete", 0)
    missed_twice = crawl_source(config, "acme")
    assert (missed_twice.result["status"], missed_twice.result["closed"]) == ("complete", 1)
    assert missed_twice.result["unchanged"] == 2


def test_an_unknown_board_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set("/xml", Reply(_board(), content_type="text/xml"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "acme").result["new"] == 3
    listing = f"{board_server.url}/xml?language=en"

    # An unknown slug is sent to the vendor's home page.
    board_server.set("/xml", Reply(b"", status=301, headers={"Location": f"{board_server.url}/en-gb"}))
    board_server.set("/en-gb", Reply(b"<html><body>Personio</body></html>", content_type="text/html"))
    for _ in range(2):  # more than `close_after_missing` crawls
        redirected = crawl_source(config, "acme")
        assert redirected.result["status"] == "incomplete"
        assert redirected.result["problems"] == [
            f"board not found: listing {listing} redirects to {board_server.url}/en-gb"
        ]
        assert redirected.result["closed"] == 0

    # A tenant that switched its feed off answers 404.
    del board_server.routes["/xml"]
    switched_off = crawl_source(config, "acme")
    assert switched_off.result["status"] == "incomplete"
    assert switched_off.result["problems"] == [f"board not found: listing {listing} answered HTTP 404"]
    assert switched_off.result["closed"] == 0
    assert len(stored_postings(database_url)) == 3
