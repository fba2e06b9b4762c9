"""Gem: pure extraction on the recorded job posts, and the real spider over local HTTP: an
unchanged recrawl, closings after complete crawls, a board not found."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from config.schema import Config, SourceConfig
from crawler.extract.gem import extract_gem
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import crawl_source, real_payload, stored_postings, version_and_event_counts

RESPROP = "gem/resprop-job-posts-trimmed.json"
GEM = "gem/gem-own-job-posts-truncated.json"
ONE_POST = "gem/resprop-job-post-detail-trimmed.json"
POSTS = "/job_board/v0/resprop/job_posts/"


def test_extracts_the_recorded_resprop_posts() -> None:
    result = extract_gem(real_payload(RESPROP))
    assert result.dropped == [] and result.incomplete_reason is None
    program, regional, luxury, grounds = result.postings
    assert program.external_id == "am9icG9zdDpaJBaZcGVWELLEr9w75z1P"
    assert program.title == "Real Estate Operations Leadership Program"
    assert program.url == "https://jobs.gem.com/resprop/am9icG9zdDpaJBaZcGVWELLEr9w75z1P"
    # Every office's place, in the board's order.
    assert len(program.locations) == 9
    assert program.locations[:2] == ["Dallas, Texas, United States", "North Miami, Florida, United States"]
    assert program.department == "BizTech Program"
    assert program.employment_type == "full_time"
    assert program.workplace == "onsite"  # location_type in_office
    assert program.posted_at == "2026-02-04T22:32:13.296Z"  # first_published_at
    assert program.updated_at == "2026-08-18T19:27:48.405Z"
    assert regional.locations == ["Charlotte, NC, United States", "Nashville, United States"]
    # Its office's place is blank: the office's name stands for it.
    assert luxury.locations == ["Miami, FL"] and luxury.department == "Property Management"
    assert (grounds.title, grounds.department) == ("Groundskeeper - South Shore Apartments", "Maintenance")
    normalized = normalize(program)
    assert normalized.workplace == ["onsite"]
    assert normalized.description.startswith("ResProp Management helps people find apartment homes")


def test_extracts_the_recorded_gem_posts_with_numeric_and_encoded_ids() -> None:
    engineer, senior = extract_gem(real_payload(GEM)).postings
    assert (engineer.external_id, senior.external_id) == ("4965519002", "am9icG9zdDqTzmNGwXTdU65YRLOAU6ZL")
    assert engineer.title == "Software Engineer"
    assert engineer.locations == ["San Francisco, United States"]
    assert (engineer.department, engineer.workplace) == ("Engineering", "hybrid")
    assert engineer.posted_at == "2020-11-17T15:37:23.000Z"
    assert senior.title == "Senior Software Engineer - Core ATS"
    normalized = normalize(engineer)
    assert normalized.workplace == ["hybrid"]
    assert normalized.description.startswith("Role Details")
    assert normalized.salary_min is None  # no pay in the (cut) text


def test_the_recorded_single_post_reads_as_the_first_post_of_the_list() -> None:
    (single,) = extract_gem([real_payload(ONE_POST)]).postings
    assert single == extract_gem(real_payload(RESPROP)).postings[0]


def test_plain_text_stands_in_for_missing_html_and_bad_posts_are_dropped() -> None:
    post = {"id": 7, "title": "SRE", "content": None, "content_plain": "Run our fleet. $150,000 - $180,000"}
    result = extract_gem([post, {"id": 8}, "junk"])
    (sre,) = result.postings
    assert sre.description_html is None and sre.description_text == "Run our fleet. $150,000 - $180,000"
    assert (normalize(sre).salary_min, normalize(sre).salary_max) == (150000, 180000)
    assert result.dropped == ["job_posts[1]: missing title", "job_posts[2]: not an object"]
    assert sre.locations == [] and sre.workplace is None
    with pytest.raises(ValueError):
        extract_gem({"job_posts": []})


def test_the_listing_lives_on_gems_api_host_unless_api_base_overrides_it() -> None:
    assert listing_url(SourceConfig(name="r", type="gem", board="resprop")) == f"https://api.gem.com{POSTS}"


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: resprop
    type: gem
    board: resprop
    api_base: {url}
"""
    )


def test_spider_reads_the_board_recrawls_it_unchanged_and_closes_a_post_after_complete_crawls(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    posts = real_payload(RESPROP)
    board_server.set(POSTS, json.dumps(posts))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "resprop").result
    assert (first["status"], first["new"]) == ("complete", 4), first
    program = stored_postings(database_url)[posts[0]["id"]]
    assert program["title"] == "Real Estate Operations Leadership Program"
    assert program["department"] == "BizTech Program" and program["workplace"] == ["onsite"]

    before = version_and_event_counts(database_url)
    again = crawl_source(config, "resprop").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert version_and_event_counts(database_url) == before

    board_server.set(POSTS, json.dumps(posts[1:]))
    once = crawl_source(config, "resprop").result
    assert (once["status"], once["closed"]) == ("complete", 0)
    twice = crawl_source(config, "resprop").result
    assert (twice["status"], twice["closed"]) == ("complete", 1)


@pytest.mark.parametrize("gone", ["404", "redirect"])
def test_a_board_gem_does_not_know_is_not_found_and_closes_nothing(
    gone: str, board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    board_server.set(POSTS, json.dumps(real_payload(RESPROP)))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "resprop").result["new"] == 4

    if gone == "404":
        board_server.set(POSTS, Reply(b'{"error": "not found"}', status=404))
    else:  # to the vendor's home page
        board_server.set(POSTS, Reply(b"", status=302, headers={"Location": f"{board_server.url}/"}))
        board_server.set("/", Reply(b"<html>Gem</html>", content_type="text/html"))
    for _ in range(2):
        outcome = crawl_source(config, "resprop").result
        assert (outcome["status"], outcome["closed"]) == ("incomplete", 0), outcome
        assert any(problem.startswith("board not found") for problem in outcome["problems"]), outcome
    assert len(stored_postings(database_url)) == 4
