"""Comeet: pure extraction on the recorded hosted careers page and careers-API positions, and
the spider reading a hosted page over local HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.comeet import extract_comeet_page, extract_comeet_positions, page_globals
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import REAL, crawl_source, real_payload, stored_postings, version_and_event_counts

CHEQ = REAL / "comeet" / "cheq-careers-page-positions-reduced.html"
WILIOT = "comeet/wiliot-careers-api-positions.json"
PAGE = "/jobs/cheq/65.005"


def test_extracts_the_three_positions_of_the_recorded_cheq_page() -> None:
    result = extract_comeet_page(CHEQ.read_bytes())
    assert result.dropped == [] and result.unreadable == {}
    engineer, new_york, london = result.postings
    assert engineer.external_id == "DD.B6F"
    assert engineer.title == "AI Engineer"
    assert engineer.url == "https://www.comeet.com/jobs/cheq/65.005/ai-engineer/DD.B6F"
    assert engineer.company == "CHEQ"
    assert engineer.locations == ["Tel Aviv-Yafo, IL"]  # city and country, not the office's name
    assert engineer.department == "Data & Analytics"
    assert engineer.workplace == "hybrid"
    assert engineer.employment_type is None
    assert engineer.updated_at == "2026-10-07T20:34:57Z" and engineer.posted_at is None
    html = engineer.description_html or ""
    assert html.startswith("<h2>Description</h2>\n<p>CHEQ is the Intelligence Standard")
    assert "<h2>Requirements</h2>\n<ul><li>3 + years of hands-on experience" in html
    assert (new_york.department, new_york.locations) == ("Sales, NA", ["New York, US"])
    assert (london.employment_type, london.locations) == ("Full-time", ["London, GB"])
    assert page_globals(CHEQ.read_bytes())["COMPANY_DATA"]["company_uid"] == "65.005"


def test_extracts_the_recorded_wiliot_api_positions_one_per_location() -> None:
    result = extract_comeet_positions(real_payload(WILIOT), company="Wiliot Inc")
    new_york, plano = result.postings
    assert new_york.external_id == "18.767"
    assert plano.external_id == "18.767-9B.20A"
    assert new_york.title == plano.title == "Forward Deployed Engineer"
    assert new_york.url == "https://www.wiliot.com/positions/position-18_767"  # url_active_page
    assert new_york.company == "Wiliot"  # the position's company_name
    assert new_york.locations == ["New York, NY, US"]
    assert plano.locations == ["Plano, TX, US"]
    assert new_york.workplace == "onsite"  # "On-site"
    assert new_york.department is None
    # Sections with no text (null, "<p><br></p><p>&nbsp;</p>") are left out.
    html = new_york.description_html or ""
    assert html.startswith("<h2>Description</h2>\n<p>Wiliot was founded")
    assert "Responsibilities" not in html and "Requirements" not in html
    assert normalize(new_york).description.startswith("Description\n")


def test_remote_places_section_order_and_dropped_positions() -> None:
    result = extract_comeet_positions(
        [
            {"uid": "A1.1", "name": "SRE", "location": {"name": "Anywhere", "is_remote": True},
             "details": [{"name": "Requirements", "value": "<p>Go</p>", "order": 2},
                         {"name": "Description", "value": "<p>Run it</p>", "order": 1}]},
            {"uid": "A1.2"},
            {"name": "No uid"},
        ]
    )  # fmt: skip
    (sre,) = result.postings
    assert sre.locations == ["Anywhere"] and sre.workplace == "remote"
    assert sre.description_html == "<h2>Description</h2>\n<p>Run it</p>\n<h2>Requirements</h2>\n<p>Go</p>"
    assert result.dropped == ["positions[1]: missing title", "positions[2]: missing uid"]


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>Comeet</body></html>", b"<script>COMPANY_POSITIONS_DATA = {};</script>"]
)
def test_a_page_without_a_positions_list_is_rejected(body: bytes) -> None:
    with pytest.raises(ValueError):
        extract_comeet_page(body)


def test_the_board_is_the_hosted_page_of_company_and_uid() -> None:
    source = SourceConfig(name="cheq", type="comeet", board="cheq/65.005")
    assert listing_url(source) == "https://www.comeet.com/jobs/cheq/65.005"


def _page(positions: list[dict[str, Any]]) -> bytes:
    """The recorded page with its positions replaced."""
    recorded = CHEQ.read_text(encoding="utf-8")
    data = json.dumps(positions)
    return re.sub(
        r"COMPANY_POSITIONS_DATA = .*?;\n", lambda _: f"COMPANY_POSITIONS_DATA = {data};\n", recorded
    ).encode()


def _positions(total: int) -> list[dict[str, Any]]:
    recorded = page_globals(CHEQ.read_bytes())["COMPANY_POSITIONS_DATA"]
    positions = []
    for index in range(total):
        position = dict(recorded[index % len(recorded)])
        if index >= len(recorded):
            position["uid"] = f"{position['uid']}-{index}"
        positions.append(position)
    return positions


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: cheq
    type: comeet
    board: cheq/65.005
    api_base: {url}
"""
    )


def test_spider_reads_the_page_recrawls_unchanged_and_closes_after_complete_crawls(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    positions = _positions(12)
    board_server.set(PAGE, Reply(_page(positions), content_type="text/html"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "cheq").result
    assert (first["status"], first["new"]) == ("complete", 12), first
    engineer = stored_postings(database_url)["DD.B6F"]
    assert engineer["title"] == "AI Engineer"
    assert engineer["company"] == "CHEQ"
    assert engineer["workplace"] == ["hybrid"]
    assert engineer["description"].startswith("Description\n")

    before = version_and_event_counts(database_url)
    again = crawl_source(config, "cheq").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert version_and_event_counts(database_url) == before

    # A page that is no board page (maintenance): incomplete, nothing closed.
    gone = positions.pop(0)
    board_server.set(PAGE, Reply(b"<html><body>Be right back</body></html>", content_type="text/html"))
    broken = crawl_source(config, "cheq").result
    assert (broken["status"], broken["closed"]) == ("incomplete", 0)

    board_server.set(PAGE, Reply(_page(positions), content_type="text/html"))
    missed_once = crawl_source(config, "cheq").result
    assert (missed_once["status"], missed_once["closed"]) == ("complete", 0)
    missed_twice = crawl_source(config, "cheq").result
    assert (missed_twice["status"], missed_twice["closed"]) == ("complete", 1)
    assert gone["uid"] in stored_postings(database_url)


def test_a_board_comeet_does_not_know_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set(PAGE, Reply(_page(_positions(3)), content_type="text/html"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "cheq").result["new"] == 3

    del board_server.routes[PAGE]  # the server answers 404
    for _ in range(2):
        missing = crawl_source(config, "cheq").result
        assert (missing["status"], missing["closed"]) == ("incomplete", 0)
        assert missing["problems"] == [f"board not found: listing {board_server.url}{PAGE} answered HTTP 404"]

    board_server.set(PAGE, Reply(b"", status=302, headers={"Location": f"{board_server.url}/"}))
    board_server.set("/", Reply(b"<html><body>Comeet</body></html>", content_type="text/html"))
    redirected = crawl_source(config, "cheq").result
    assert redirected["problems"] == [
        f"board not found: listing {board_server.url}{PAGE} redirects to {board_server.url}/"
    ]
    assert redirected["closed"] == 0
    assert len(stored_postings(database_url)) == 3
