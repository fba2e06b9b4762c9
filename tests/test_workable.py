"""Workable: pure extraction on both recorded shapes, normalization, and the spider over local HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from config.schema import Config
from crawler.extract.workable import extract_workable
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer
from tests.conftest import crawl_source, real_payload, stored_postings

WIDGET = "workable/zaelab-widget.json"
V3 = "workable/v3-accounts-jobs-sample.json"


def test_widget_lists_a_job_once_per_location_and_extraction_merges_them() -> None:
    result = extract_workable(real_payload(WIDGET))
    assert result.dropped == [] and result.incomplete_reason is None
    (analyst,) = result.postings
    assert analyst.external_id == "DD136DD7E7"
    assert analyst.title == "Business Analyst - Spanish Speaking"
    assert analyst.company == "Zaelab"  # the widget names the account
    assert analyst.url == "https://apply.workable.com/j/DD136DD7E7"
    assert analyst.locations == ["Spain", "Portugal"]
    assert analyst.department == "Business Consulting"
    assert analyst.workplace == "remote"  # telecommuting: true
    assert analyst.posted_at == "2026-08-05"


def test_v3_results_with_workplace_and_a_partial_listing() -> None:
    result = extract_workable(real_payload(V3), company="Hugging Face")
    assert [p.external_id for p in result.postings] == ["F8427A442D", "CB1DEFE6CE", "97904BAC90"]
    assert [p.title for p in result.postings] == [
        "Senior Python Software Engineer/Open-Source Contributor - US Remote",
        "Senior Python Software Engineer/Open-Source Contributor - EMEA Remote",
        "Data/Infrastructure Advocate Engineer - EMEA Remote",
    ]
    assert [p.locations for p in result.postings] == [
        ["United States"],
        ["France"],
        ["Paris, Île-de-France, France"],
    ]
    assert {(p.workplace, p.department, p.employment_type, p.company) for p in result.postings} == {
        ("remote", "Product", "full", "Hugging Face")
    }
    # v3 gives no job URL; Workable's short link is built from the shortcode.
    assert result.postings[2].url == "https://apply.workable.com/j/97904BAC90"
    assert result.postings[2].posted_at == "2026-05-29T00:00:00.000Z"
    # The capture kept 3 of the 7 results it reports.
    assert result.incomplete_reason == "board reports 7 jobs but listed 3"


def test_normalize_marks_workable_remote_jobs_remote() -> None:
    widget = normalize(extract_workable(real_payload(WIDGET)).postings[0])
    assert widget.workplace == ["remote"]
    assert widget.locations == ["Spain", "Portugal"]
    v3 = normalize(extract_workable(real_payload(V3)).postings[2])
    assert v3.workplace == ["remote"]
    assert v3.locations == ["Paris, Île-de-France, France"]


def test_v3_workplace_values_and_a_page_that_announces_more() -> None:
    page = {
        "total": 3,
        "nextPage": "token",
        "results": [
            {"shortcode": "A", "title": "SRE", "workplace": "on_site", "remote": False},
            {"shortcode": "B", "title": "DBA", "workplace": "hybrid"},
        ],
    }
    result = extract_workable(page)
    assert [p.workplace for p in result.postings] == ["onsite", "hybrid"]
    assert result.incomplete_reason is None  # the caller fetches the next page


def test_widget_details_description_and_employment_type() -> None:
    job = {
        "shortcode": "C",
        "title": "Platform Engineer",
        "employment_type": "Full-time",
        "telecommuting": False,
        "city": "Athens",
        "state": "Attica",
        "country": "Greece",
        "description": "&lt;p&gt;Run our Kubernetes clusters&lt;/p&gt;",
    }
    (posting,) = extract_workable({"name": "Acme", "jobs": [job]}).postings
    assert posting.employment_type == "Full-time"
    assert posting.workplace is None
    assert posting.locations == ["Athens, Attica, Greece"]
    assert posting.description_html == "<p>Run our Kubernetes clusters</p>"


def test_jobs_without_shortcode_or_title_are_dropped_with_a_reason() -> None:
    payload = {
        "name": "Acme",
        "jobs": [{"shortcode": "A", "title": "SRE"}, {"shortcode": "B"}, {"title": "x"}, 1],
    }
    result = extract_workable(payload)
    assert [p.external_id for p in result.postings] == ["A"]
    assert result.dropped == [
        "jobs[1]: missing title",
        "jobs[2]: missing shortcode",
        "jobs[3]: not an object",
    ]


@pytest.mark.parametrize("payload", [[], {"name": "Acme"}, {"results": None}, "jobs"])
def test_a_payload_of_neither_shape_is_rejected(payload: Any) -> None:
    with pytest.raises(ValueError, match="neither a 'jobs' nor a 'results' list"):
        extract_workable(payload)


def test_spider_crawls_the_widget_over_http_and_stores_the_merged_posting(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    path = "/api/v1/widget/accounts/zaelab"
    board_server.set(path, json.dumps(real_payload(WIDGET)))
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: zaelab
    type: workable
    board: zaelab
    api_base: {board_server.url}
"""
    )
    open_database(database_url).dispose()

    outcome = crawl_source(config, "zaelab", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result
    assert outcome.result["new"] == 1
    assert ("GET", f"{path}?details=true") in board_server.requests
    stored = stored_postings(database_url)
    assert list(stored) == ["DD136DD7E7"]
    analyst = stored["DD136DD7E7"]
    assert analyst["title"] == "Business Analyst - Spanish Speaking"
    assert analyst["company"] == "Zaelab"
    assert analyst["locations"] == ["Spain", "Portugal"]
    assert analyst["workplace"] == ["remote"]
    assert analyst["url"] == "https://apply.workable.com/j/DD136DD7E7"
