"""Lever: pure extraction on every recorded payload, normalization, and the spider over local HTTP."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config
from crawler.extract.lever import extract_lever
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer
from tests.conftest import crawl_source, real_payload, stored_postings

SECURITY_PARTNER = "0bbfd4f4-41ff-4ec6-b73f-5200efd5d4d3"
FELLOWSHIP = "0ccbe620-a3ef-41d1-a5c4-68e56b3c91d0"


def test_extracts_idealist_consulting_remote_contract_postings() -> None:
    result = extract_lever(real_payload("lever/idealist-consulting-postings.json"), company="Idealist")
    assert result.dropped == [] and result.incomplete_reason is None
    first, second = result.postings
    assert first.external_id == "a24ec4e5-5caa-473d-abd4-b71f09a8167b"
    assert first.title == "(1099 Contract) Nonprofit Salesforce Consultant: Enterprise Project Manager"
    assert first.url == "https://jobs.lever.co/idealistconsulting/a24ec4e5-5caa-473d-abd4-b71f09a8167b"
    assert first.company == "Idealist"
    assert first.locations == ["Chicago, IL"]
    assert first.department == "Services Team"
    assert first.employment_type == "Contract"
    assert first.workplace == "remote"
    # createdAt 1764205361939 is epoch milliseconds.
    assert first.posted_at == "2025-11-27T01:02:41.939+00:00"
    assert second.title == "(1099 Contract) Salesforce for Nonprofits: Solution Architect"
    assert second.locations == ["Washington, D.C."]
    assert second.posted_at == "2023-01-29T02:28:23.769+00:00"


def test_extracts_every_matchgroup_posting_with_its_structured_pay() -> None:
    result = extract_lever(real_payload("lever/matchgroup-postings.json"))
    assert len(result.postings) == 82 and result.dropped == []
    assert Counter(p.workplace for p in result.postings) == {"hybrid": 81, "onsite": 1}
    assert sum(1 for p in result.postings if p.salary) == 48
    by_id = {p.external_id: p for p in result.postings}

    android = by_id["3414ba28-35f7-45d3-8e13-35c883959635"]
    assert android.title == "Android Engineer III"
    # `team` is the function; `department` on this board is the brand ("Hinge").
    assert android.department == "Engineering"
    assert android.employment_type == "Full-time"
    assert android.salary == {"min": 150000, "max": 180000, "currency": "USD", "period": "year"}
    assert android.salary_text is not None and android.salary_text.startswith("Factors such as scope")

    vancouver = by_id["fba8cbfe-cbdb-4e66-b94a-57bcb0025e22"]
    assert vancouver.salary == {"min": 55000, "max": 60000, "currency": "CAD", "period": "year"}
    assert vancouver.locations == ["Vancouver, British Columbia"]
    marcomms = by_id["4f97f35d-9c74-42a2-92b7-fbfcaab5f122"]
    assert marcomms.salary == {"min": 130000, "max": 145000, "currency": "AUD", "period": "year"}
    assert marcomms.locations == ["Melbourne", "Sydney"]
    assert marcomms.salary_text is None  # this posting has a range but no salary description
    ios = by_id["d209b937-de44-4e0b-a678-ea0815751448"]
    assert ios.locations == [
        "New York, New York",
        "San Francisco, California",
        "Palo Alto, California",
        "Los Angeles, California",
    ]
    workshop = by_id["d74b426e-3da3-44e1-a510-76610d7a6df3"]
    assert workshop.workplace == "onsite" and workshop.locations == ["Tokyo"]
    assert workshop.employment_type == "Internship"
    assert by_id["fba1fb55-a29f-47e8-93d1-b0c60993aff5"].employment_type is None


def test_the_two_palantir_captures_agree_on_the_postings_they_share() -> None:
    early = extract_lever(real_payload("lever/palantir-postings.json"))
    later = extract_lever(real_payload("lever/palantir-postings-2026-08-17.json"))
    assert len(early.postings) == 2 and len(later.postings) == 10
    later_by_id = {p.external_id: p for p in later.postings}
    for posting in early.postings:
        assert later_by_id[posting.external_id] == posting
    assert Counter(p.workplace for p in later.postings) == {"hybrid": 7, "onsite": 2, "remote": 1}
    fellowship = later_by_id[FELLOWSHIP]
    assert fellowship.title == "American Tech Fellowship"
    assert fellowship.locations == ["North America"]
    assert fellowship.employment_type == "Scholarship"
    assert fellowship.department == "Business Development"
    defense = later_by_id["1345438c-ebfc-4fa5-b545-30c1414f317c"]
    assert (defense.title, defense.locations, defense.workplace) == (
        "Backend Software Engineer - Defense",
        ["Washington, D.C."],
        "onsite",
    )


def test_description_carries_the_lists_and_the_additional_section() -> None:
    payload = real_payload("lever/palantir-postings-2026-08-17.json")
    posting = next(p for p in extract_lever(payload).postings if p.external_id == SECURITY_PARTNER)
    assert posting.title == "Administrative Business Partner - Security"
    html = posting.description_html or ""
    assert html.startswith('<div><strong><span style="font-size: 18px;">A World-Changing Company')
    job = next(j for j in payload if j["id"] == SECURITY_PARTNER)
    assert f"<h3>{job['lists'][0]['text']}</h3>" in html
    # Palantir states pay only in `additional`.
    assert "$60,000 - $97,000/year" in html
    assert posting.salary is None


def test_normalize_reads_structured_pay_and_pay_in_the_text() -> None:
    matchgroup = extract_lever(real_payload("lever/matchgroup-postings.json")).postings
    android = normalize(next(p for p in matchgroup if p.title == "Android Engineer III"))
    assert (android.salary_min, android.salary_max) == (150000.0, 180000.0)
    assert (android.salary_currency, android.salary_period) == ("USD", "year")
    assert android.workplace == ["hybrid"]

    palantir = extract_lever(real_payload("lever/palantir-postings-2026-08-17.json")).postings
    security = normalize(next(p for p in palantir if p.external_id == SECURITY_PARTNER))
    assert (security.salary_min, security.salary_max, security.salary_currency) == (60000.0, 97000.0, "USD")
    assert normalize(next(p for p in palantir if p.external_id == FELLOWSHIP)).workplace == ["remote"]


def test_postings_without_id_or_title_are_dropped_with_a_reason() -> None:
    payload = [{"id": "a", "text": "SRE"}, {"id": "b"}, {"text": "No id"}, "junk"]
    result = extract_lever(payload)
    assert [p.external_id for p in result.postings] == ["a"]
    assert result.dropped == ["[1]: missing title", "[2]: missing id", "[3]: not an object"]


@pytest.mark.parametrize(
    "payload", [{"ok": False, "error": "Document not found"}, {"postings": []}, "[]", None]
)
def test_a_payload_that_is_not_a_list_is_rejected(payload: Any) -> None:
    with pytest.raises(ValueError, match="not a list of postings"):
        extract_lever(payload)


def test_pay_with_an_hourly_interval_or_a_one_time_amount() -> None:
    def job(job_id: str, low: int, high: int, interval: str) -> dict[str, Any]:
        pay = {"min": low, "max": high, "currency": "USD", "interval": interval}
        return {"id": job_id, "text": "Support Engineer", "salaryRange": pay}

    hourly, once = job("h", 20, 25, "per-hour-wage"), job("o", 500, 500, "one-time")
    postings = extract_lever([hourly, once]).postings
    assert postings[0].salary == {"min": 20, "max": 25, "currency": "USD", "period": "hour"}
    assert postings[1].salary is None


def test_spider_crawls_the_site_over_http_and_stores_every_posting(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set(
        "/v0/postings/palantir", json.dumps(real_payload("lever/palantir-postings-2026-08-17.json"))
    )
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: palantir
    type: lever
    board: palantir
    company: Palantir
    api_base: {board_server.url}
"""
    )
    open_database(database_url).dispose()

    outcome = crawl_source(config, "palantir", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result
    assert outcome.result["new"] == 10
    assert ("GET", "/v0/postings/palantir?mode=json") in board_server.requests
    stored = stored_postings(database_url)
    assert len(stored) == 10
    security = stored[SECURITY_PARTNER]
    assert security["title"] == "Administrative Business Partner - Security"
    assert security["company"] == "Palantir"
    assert security["locations"] == ["Palo Alto, CA"]
    assert security["workplace"] == ["hybrid"]
    assert (security["salary_min"], security["salary_max"], security["salary_period"]) == (
        60000,
        97000,
        "year",
    )
    assert stored[FELLOWSHIP]["workplace"] == ["remote"]
    assert stored[FELLOWSHIP]["posted_at"] == "2025-06-17T00:16:14.985+00:00"
