"""Breezy HR: pure extraction on the recorded portal payloads, and the real spider over local
HTTP: an unchanged recrawl, closings after complete crawls, a portal not found."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.breezy import extract_breezy
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


def test_the_listing_lives_on_the_portal_host_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="h", type="breezy", board="highlights-healthcare")
    assert listing_url(source) == "https://highlights-healthcare.breezy.hr/json"


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
    board_server.set("/json", json.dumps(positions))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "highlights").result
    assert (first["status"], first["new"]) == ("complete", 4), first
    remote = stored_postings(database_url)["4e5454ff973b"]
    assert remote["workplace"] == ["remote"] and remote["company"] == "Highlights Healthcare"
    assert (remote["salary_min"], remote["salary_max"], remote["salary_currency"]) == (90000, 95000, "USD")

    before = version_and_event_counts(database_url)
    again = crawl_source(config, "highlights").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert version_and_event_counts(database_url) == before

    board_server.set("/json", json.dumps(positions[:3]))
    assert crawl_source(config, "highlights").result["closed"] == 0
    twice = crawl_source(config, "highlights").result
    assert (twice["status"], twice["closed"]) == ("complete", 1)


@pytest.mark.parametrize("gone", ["404", "redirect"])
def test_a_portal_breezy_does_not_know_is_not_found_and_closes_nothing(
    gone: str, board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set("/json", json.dumps(real_payload(HEALTHCARE)))
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
