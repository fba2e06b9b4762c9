"""Recruitee: pure extraction on the recorded payload, normalization, and the spider over local HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.recruitee import extract_recruitee
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer
from tests.conftest import crawl_source, real_payload, stored_postings

PAYLOAD = "recruitee/careerkit-sanitized-offers.json"


def test_extracts_both_recorded_offers_with_their_real_values() -> None:
    result = extract_recruitee(real_payload(PAYLOAD))
    assert result.dropped == [] and result.incomplete_reason is None
    accountant, partner = result.postings
    assert accountant.external_id == "2700825"
    assert accountant.title == "(Senior) Financial Accountant (f/m/d) - Berlin/Brandenburg Region, Germany"
    assert accountant.url == (
        "https://jobs.acme.com/o/senior-financial-accountant-fmd-berlinbrandenburg-region-germany"
    )
    assert accountant.company == "Acme"
    # city "Berlin", state "Berlin", country "Germany": the repeated name is said once.
    assert accountant.locations == ["Berlin, Germany"]
    assert accountant.department == "Finance"
    assert accountant.employment_type == "fulltime_permanent"
    assert accountant.workplace == "hybrid"  # hybrid: true, remote: false, on_site: false
    assert accountant.salary == {"min": 60000.0, "max": 75000.0, "currency": "EUR", "period": "year"}
    assert accountant.posted_at == "2026-08-05T10:10:39+00:00"
    assert accountant.updated_at == "2026-08-05T11:45:30+00:00"
    html = accountant.description_html or ""
    assert html.startswith("<p><strong>How you will make an impact</strong></p>")
    assert "<p><strong>What we expect from you</strong></p>" in html  # from `requirements`

    assert partner.external_id == "2697184"
    assert partner.title == "Partner Development Representative (f/m/d) - Berlin, Germany"
    assert partner.department == "Sales"
    assert partner.salary == {"min": 75000.0, "max": 90000.0, "currency": "EUR", "period": "year"}
    assert partner.posted_at == "2026-07-31T22:26:40+00:00"


def test_normalize_keeps_recruitee_pay_and_workplace() -> None:
    accountant = normalize(extract_recruitee(real_payload(PAYLOAD)).postings[0])
    assert (accountant.salary_min, accountant.salary_max) == (60000.0, 75000.0)
    assert (accountant.salary_currency, accountant.salary_period) == ("EUR", "year")
    assert accountant.workplace == ["hybrid"]
    assert accountant.locations == ["Berlin, Germany"]


def _offer(**fields: Any) -> dict[str, Any]:
    return {"id": 1, "title": "Site Reliability Engineer", **fields}


def test_every_workplace_flag_set_counts_multiple_offices_and_unpublished_pay() -> None:
    offer = _offer(
        remote=True,
        hybrid=True,
        locations=[
            {"city": "Amsterdam", "state": "North Holland", "country": "Netherlands"},
            {"city": "Lisbon", "state": None, "country": "Portugal"},
        ],
        salary={"min": None, "max": None, "currency": "EUR", "period": "year"},
    )
    (posting,) = extract_recruitee({"offers": [offer]}).postings
    # Both flags set: the offer is remote and hybrid, not only the first one named.
    assert posting.workplace == "remote, hybrid"
    assert normalize(posting).workplace == ["hybrid", "remote"]
    assert posting.locations == ["Amsterdam, North Holland, Netherlands", "Lisbon, Portugal"]
    assert posting.salary is None


def test_flat_location_is_used_when_no_offices_are_listed() -> None:
    (posting,) = extract_recruitee({"offers": [_offer(location="Remote, Europe", locations=[])]}).postings
    assert posting.locations == ["Remote, Europe"]
    assert posting.workplace is None


def test_offers_without_id_or_title_are_dropped_with_a_reason() -> None:
    result = extract_recruitee({"offers": [_offer(), {"id": 2}, {"title": "No id"}, None]})
    assert [p.external_id for p in result.postings] == ["1"]
    assert result.dropped == ["offers[1]: missing title", "offers[2]: missing id", "offers[3]: not an object"]


@pytest.mark.parametrize("payload", [[], {"offers": {}}, {"error": "not found"}, None])
def test_a_payload_without_an_offers_list_is_rejected(payload: Any) -> None:
    with pytest.raises(ValueError, match="no 'offers' list"):
        extract_recruitee(payload)


def test_listing_lives_on_the_company_host_unless_api_base_overrides_it() -> None:
    source = SourceConfig(name="acme", type="recruitee", board="acme")
    assert listing_url(source) == "https://acme.recruitee.com/api/offers"
    custom = SourceConfig(name="acme", type="recruitee", board="acme", api_base="https://jobs.acme.com/")
    assert listing_url(custom) == "https://jobs.acme.com/api/offers"


def test_spider_crawls_the_offers_over_http_and_stores_every_posting(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set("/api/offers", json.dumps(real_payload(PAYLOAD)))
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: acme
    type: recruitee
    board: acme
    api_base: {board_server.url}
"""
    )
    open_database(database_url).dispose()

    outcome = crawl_source(config, "acme", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result
    assert outcome.result["new"] == 2
    assert ("GET", "/api/offers") in board_server.requests
    stored = stored_postings(database_url)
    assert set(stored) == {"2700825", "2697184"}
    accountant = stored["2700825"]
    assert accountant["title"] == "(Senior) Financial Accountant (f/m/d) - Berlin/Brandenburg Region, Germany"
    assert accountant["company"] == "Acme"
    assert accountant["department"] == "Finance"
    assert accountant["workplace"] == ["hybrid"]
    assert (accountant["salary_min"], accountant["salary_max"], accountant["salary_currency"]) == (
        60000,
        75000,
        "EUR",
    )
    assert stored["2697184"]["salary_max"] == 90000
