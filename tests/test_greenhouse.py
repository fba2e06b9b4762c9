"""Greenhouse: pure extraction on recorded payloads, and the real spider over local HTTP."""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from config.schema import Config
from crawler.extract.common import unescape
from crawler.extract.greenhouse import extract_greenhouse
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Posting, PostingVersion
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import crawl_source, real_payload

BOARD_PATH = "/v1/boards/stripe/jobs"


def test_extracts_every_job_of_the_recorded_stripe_board() -> None:
    payload = real_payload("stripe-jobs-content-2026-08-04.json")
    result = extract_greenhouse(payload)
    assert len(result.postings) == 268
    assert result.dropped == []
    # The capture was cut from 547 jobs: the payload itself says the listing is partial.
    assert result.incomplete_reason == "board reports 547 jobs but listed 268"
    job = next(p for p in result.postings if p.external_id == "6042172")
    assert job.title == "Backend Engineer, Core Technology"
    assert job.company == "Stripe"
    assert job.locations == ["US-Remote, Chicago, Seattle, San Francisco"]
    assert job.department == "8127 Core Infrastructure"
    assert job.url == "https://stripe.com/jobs/search?gh_jid=6042172"
    # `content` arrives entity-escaped; extraction hands on real HTML.
    assert job.description_html is not None and job.description_html.startswith("<h2>Who we are</h2>")


def test_a_placeholder_location_falls_back_to_the_offices_the_job_names() -> None:
    payload = real_payload("stripe-jobs-content-2026-08-04.json")
    placeholders = {str(job["id"]): job for job in payload["jobs"] if job["location"]["name"] == "N/A"}
    assert len(placeholders) == 11  # in the recording: "N/A" beside offices "Canada Locations" or "US"
    for posting in extract_greenhouse(payload).postings:
        if posting.external_id in placeholders:
            offices = [office["name"] for office in placeholders[posting.external_id]["offices"]]
            assert posting.locations == offices and "N/A" not in posting.locations


def test_extracts_smarterdx_and_a_board_without_content() -> None:
    smarterdx = extract_greenhouse(real_payload("greenhouse/smarterdx-jobs-content.json"))
    assert [p.title for p in smarterdx.postings] == [
        "Client Support Analyst I",
        *[p.title for p in smarterdx.postings[1:]],
    ]
    assert smarterdx.postings[0].locations == ["Remote (United States)"]
    assert smarterdx.postings[0].company == "SmarterDx"
    homepl = extract_greenhouse(real_payload("greenhouse/homepl-eu-jobs-minimal.json"), company="home.pl")
    assert homepl.postings, "the EU board lists jobs"
    assert all(p.description_html is None for p in homepl.postings)
    assert all(p.company == "home.pl" or p.company for p in homepl.postings)


def test_jobs_without_id_or_title_are_dropped_with_a_reason() -> None:
    payload = {"jobs": [{"id": 1, "title": "SRE"}, {"id": 2}, {"title": "No id"}, "junk"]}
    result = extract_greenhouse(payload)
    assert [p.external_id for p in result.postings] == ["1"]
    assert result.dropped == ["jobs[1]: missing title", "jobs[2]: missing id", "jobs[3]: not an object"]


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: stripe
    type: greenhouse
    board: stripe
    api_base: {url}
"""
    )


def test_spider_crawls_the_board_over_http_and_stores_every_posting(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    payload = real_payload("greenhouse/stripe-jobs-content-trimmed-2026-07.json")
    payload["meta"]["total"] = len(payload["jobs"])
    board_server.set(BOARD_PATH, json.dumps(payload))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "stripe", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete"
    assert outcome.result["new"] == 2
    assert ("GET", f"{BOARD_PATH}?content=true") in board_server.requests
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        titles = sorted(session.scalars(select(PostingVersion.data["title"].as_string())))
        assert titles == ["Account Executive, AI Sales (Grower)", "Account Executive, Billing"]
        assert session.scalar(select(func.count()).select_from(Posting)) == 2
    engine.dispose()


def test_board_answering_500_or_truncated_json_is_an_incomplete_crawl(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: object
) -> None:
    database_url = f"sqlite:///{tmp_path}/rw.db"
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    board_server.set(BOARD_PATH, Reply(b"oops", status=500, content_type="text/plain"))
    failed = crawl_source(config, "stripe", timeout=120)
    assert failed.result["status"] == "incomplete"
    assert any("500" in problem for problem in failed.result["problems"])

    body = json.dumps(real_payload("greenhouse/smarterdx-jobs-content.json"))
    board_server.set(BOARD_PATH, body[: len(body) // 2])
    truncated = crawl_source(config, "stripe", timeout=120)
    assert truncated.result["status"] == "incomplete"
    assert any("not valid JSON" in problem for problem in truncated.result["problems"])

    engine = open_database(database_url)
    with session_factory(engine)() as session:
        statuses = list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    engine.dispose()
    assert statuses == ["incomplete", "incomplete"]


# Entities, their near misses and plain text: the fast path must agree with html.unescape on all.
ENTITY_PIECES = [
    *("&lt;", "&gt;", "&amp;", "&quot;", "&#39;", "&nbsp;", "&amp;lt;"),
    *("&", "amp;", "lt;", "&#", "&ampx", "&lt", "&#039;", "&Auml;", "&AElig", "&#x27;"),
    *("a", " ", ";", "<p>", "é"),
]


@given(st.lists(st.sampled_from(ENTITY_PIECES), max_size=16).map("".join))
def test_unescape_reads_every_text_as_html_unescape_does(text: str) -> None:
    assert unescape(text) == html.unescape(text)


def test_unescape_undoes_a_double_escaped_description_as_html_unescape_does() -> None:
    content = real_payload("greenhouse/stripe-jobs-content-trimmed-2026-07.json")["jobs"][0]["content"]
    once, twice = html.unescape(content), html.unescape(html.unescape(content))
    assert (unescape(content), unescape(once)) == (once, twice)
