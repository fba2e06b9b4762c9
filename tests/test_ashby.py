"""Ashby: pure extraction on every recorded payload, normalization, and the spider over local HTTP."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config
from crawler.extract.ashby import extract_ashby
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer
from tests.conftest import crawl_source, real_payload, stored_postings

RECRUITER = "90fb3621-899e-4b59-925d-25080ec91e18"
SRE = "fc2f1f85-46a0-4a31-b165-683e39c07c04"


def test_extracts_every_etched_job_without_compensation() -> None:
    result = extract_ashby(real_payload("ashby/etched-job-board.json"), company="Etched")
    assert len(result.postings) == 10 and result.dropped == []
    assert {p.locations[0] for p in result.postings} == {"San Jose"}
    assert {(p.workplace, p.employment_type) for p in result.postings} == {("onsite", "FullTime")}
    assert Counter(p.department for p in result.postings) == {
        "Platform": 4,
        "Software": 3,
        "ASIC": 2,
        "People": 1,
    }
    # The capture was taken without includeCompensation: no pay anywhere.
    assert all(p.salary is None and p.salary_text is None for p in result.postings)
    infra = next(p for p in result.postings if p.external_id == "1c03c13b-6f2e-44e7-b5bd-b7628412f8b9")
    assert infra.title == "Infrastructure Software Engineer"
    assert infra.company == "Etched"
    assert infra.url == "https://jobs.ashbyhq.com/Etched/1c03c13b-6f2e-44e7-b5bd-b7628412f8b9"
    assert infra.posted_at == "2026-01-20T04:05:35.637+00:00"
    assert infra.description_html is not None
    assert infra.description_html.startswith('<p style="min-height:1.5em"><strong>About Etched</strong></p>')


def test_extracts_highlightta_pay_and_workplace() -> None:
    recruiter, sre = extract_ashby(real_payload("ashby/highlightta-job-board.json")).postings
    assert (recruiter.external_id, recruiter.title) == (RECRUITER, "Senior Technical Recruiter")
    assert recruiter.locations == ["Canada"]
    assert recruiter.workplace == "remote"
    assert recruiter.salary is None and recruiter.salary_text is None
    assert sre.external_id == SRE
    assert sre.title == "Senior Site Reliability Engineer"  # the board's trailing space is dropped
    assert sre.locations == ["Toronto, Ontario"]
    assert sre.department == "HighlightTA Confidential"
    # workplaceType says Hybrid although isRemote is true: the specific field wins.
    assert sre.workplace == "hybrid"
    assert sre.salary == {"min": 102800, "max": 137000, "currency": "CAD", "period": "year"}
    assert sre.salary_text == "CA$102.8K – CA$137K"


def test_extracts_openevidence_with_secondary_locations() -> None:
    result = extract_ashby(real_payload("ashby/openevidence-job-board.json"))
    assert [p.title for p in result.postings] == [
        "Member of Technical Staff",
        "Software Engineer, Data Platform",
    ]
    for posting in result.postings:
        assert posting.locations == ["San Francisco", "Miami"]
        assert posting.department == "Engineering"
        assert posting.workplace == "onsite"
        # Compensation was requested but the board publishes no tiers for these jobs.
        assert posting.salary is None and posting.salary_text is None


def test_normalize_turns_ashby_pay_and_workplace_into_the_common_form() -> None:
    recruiter, sre = extract_ashby(real_payload("ashby/highlightta-job-board.json")).postings
    normalized = normalize(sre)
    assert (normalized.salary_min, normalized.salary_max) == (102800.0, 137000.0)
    assert (normalized.salary_currency, normalized.salary_period) == ("CAD", "year")
    assert normalized.workplace == ["hybrid"]
    assert normalize(recruiter).workplace == ["remote"]
    openevidence = extract_ashby(real_payload("ashby/openevidence-job-board.json")).postings[0]
    assert normalize(openevidence).salary_min is None


def _job(**fields: Any) -> dict[str, Any]:
    return {"id": "j1", "title": "Platform Engineer", **fields}


def test_is_remote_counts_when_no_workplace_type_is_given() -> None:
    remote, unknown = extract_ashby(
        {"jobs": [_job(workplaceType=None, isRemote=True), _job(id="j2", workplaceType=None, isRemote=None)]}
    ).postings
    assert remote.workplace == "remote"
    assert unknown.workplace is None


def test_pay_tiers_in_one_currency_merge_into_one_range() -> None:
    def tier(low: int, high: int, currency: str = "USD") -> dict[str, Any]:
        salary = {"compensationType": "Salary", "interval": "1 YEAR", "currencyCode": currency}
        equity = {"compensationType": "EquityPercentage", "interval": "NONE", "minValue": 0.1}
        return {"components": [equity | {"maxValue": 0.5}, salary | {"minValue": low, "maxValue": high}]}

    compensation = {
        "compensationTiers": [tier(150000, 190000), tier(170000, 220000), tier(90000, 99000, "EUR")]
    }
    (posting,) = extract_ashby({"jobs": [_job(compensation=compensation)]}).postings
    assert posting.salary == {"min": 150000, "max": 220000, "currency": "USD", "period": "year"}


def test_jobs_without_id_or_title_or_unlisted_are_dropped_with_a_reason() -> None:
    payload = {"jobs": [_job(), {"id": "x"}, {"title": "No id"}, _job(id="hidden", isListed=False), 7]}
    result = extract_ashby(payload)
    assert [p.external_id for p in result.postings] == ["j1"]
    assert result.dropped == [
        "jobs[1]: missing title",
        "jobs[2]: missing id",
        "jobs[3]: hidden is unlisted",
        "jobs[4]: not an object",
    ]


@pytest.mark.parametrize("payload", [[], {"jobs": None}, {"success": False}, "jobs"])
def test_a_payload_without_a_jobs_list_is_rejected(payload: Any) -> None:
    with pytest.raises(ValueError, match="no 'jobs' list"):
        extract_ashby(payload)


def test_spider_crawls_the_board_over_http_and_stores_every_posting(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    path = "/posting-api/job-board/HighlightTA"
    board_server.set(path, json.dumps(real_payload("ashby/highlightta-job-board.json")))
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: highlightta
    type: ashby
    board: HighlightTA
    company: HighlightTA
    api_base: {board_server.url}
"""
    )
    open_database(database_url).dispose()

    outcome = crawl_source(config, "highlightta", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result
    assert outcome.result["new"] == 2
    assert ("GET", f"{path}?includeCompensation=true") in board_server.requests
    stored = stored_postings(database_url)
    assert set(stored) == {RECRUITER, SRE}
    sre = stored[SRE]
    assert sre["title"] == "Senior Site Reliability Engineer"
    assert sre["company"] == "HighlightTA"
    assert sre["locations"] == ["Toronto, Ontario"]
    assert sre["workplace"] == ["hybrid"]
    assert (sre["salary_min"], sre["salary_max"], sre["salary_currency"]) == (102800, 137000, "CAD")
    assert stored[RECRUITER]["workplace"] == ["remote"]
    assert stored[RECRUITER]["salary_min"] is None
