"""Selector-described HTML pages: the seed aggregator copy of Stripe's "Backend Engineer, Core
Technology" ad, read with CSS/XPath selectors so only the ad's own text is kept, and the real
spider crawling such a site over local HTTP.

The aggregator page is BUILT HERE from the seed text (rolewatch/demo_data/
stripe-backend-engineer-core-technology.txt, a scrape of a third-party aggregator page): its
lines are wrapped in markup such a site uses, with the aggregator's own header ("Job
Overview", "Who's the hiring manager?", the sign-up pitch) and tail ("Key skills", "How to Get
Hired at Stripe", "Frequently Asked Questions") around the ad. The markup is ours, the words
are the seed's.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import select

from config.loader import ConfigError, parse_config
from config.schema import Config, SelectorSpec
from crawler.extract.selectors import extract_selectors
from pipeline.db import open_database, session_factory
from pipeline.models import PostingVersion
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import seed_description_html
from tests.conftest import crawl_source

SEED_TEXT = (
    resources.files("rolewatch")
    .joinpath("demo_data", "stripe-backend-engineer-core-technology.txt")
    .read_text()
)
SEED_LINES = [line.strip() for line in SEED_TEXT.splitlines() if line.strip()]
AD_START, TAIL_START = SEED_LINES.index("About Stripe"), SEED_LINES.index("Key skills/competency")
JOB_PATH = "/jobs/stripe/backend-engineer-core-technology"

SPEC = SelectorSpec(
    title="article.job header h1",
    company="article.job header .company",
    location="article.job .job-location",
    description="xpath://section[@id='job-description']/div[@class='job-ad']",
    salary="xpath://section[@id='job-description']//p[contains(., 'base salary range')]",
)


def _lines_html(lines: list[str]) -> str:
    """Seed lines as the aggregator shows them: "- " items as list entries, others as paragraphs."""
    parts = []
    for line in lines:
        if line.startswith("- "):
            parts.append(f"<li>{html.escape(line[2:])}</li>")
        else:
            parts.append(f"<p>{html.escape(line)}</p>")
    return "\n".join(parts)


def aggregator_page() -> str:
    title, company, overview, manager, pitch, description_heading = SEED_LINES[:AD_START]
    return f"""<!doctype html>
<html><head><title>{html.escape(title)} at {company} | PitchMeAI</title>
<link rel="canonical" href="{JOB_PATH}"></head>
<body>
<nav class="site-nav"><a href="/">Home</a> <a href="/signup">Sign up</a></nav>
<article class="job">
  <header><h1>{html.escape(title)}</h1><span class="company">{company}</span></header>
  <section class="overview"><h2>{overview}</h2><h3>{html.escape(manager)}</h3>
    <p class="pitch">{html.escape(pitch)} <a href="/signup">Sign up</a></p></section>
  <section id="job-description"><h2>{description_heading}</h2>
    <div class="job-ad">
{seed_description_html(SEED_TEXT)}
    </div>
  </section>
  <aside class="advice">
{_lines_html(SEED_LINES[TAIL_START:])}
  </aside>
</article>
<footer>© PitchMeAI</footer>
</body></html>"""


def test_selectors_keep_only_the_ad_and_normalize_to_the_seed_posting() -> None:
    result = extract_selectors(aggregator_page(), "https://aggregator.example" + JOB_PATH, SPEC)
    (raw,) = result.postings
    assert raw.title == "Backend Engineer, Core Technology"
    assert raw.company == "Stripe"
    assert raw.external_id == raw.url == "https://aggregator.example" + JOB_PATH
    assert raw.salary_text is not None and "$155,700 - $285,600" in raw.salary_text

    posting = normalize(raw)
    assert posting.title == "Backend Engineer, Core Technology"
    assert posting.company == "Stripe"
    assert (posting.salary_min, posting.salary_max) == (155700, 285600)
    assert (posting.salary_currency, posting.salary_period) == ("USD", "year")
    assert {"hybrid", "remote"} <= set(posting.workplace)
    # The ad's text, from "About Stripe" to the pay paragraph, and none of the site's own.
    assert posting.description.startswith("About Stripe\n")
    assert posting.description.rstrip().endswith(SEED_LINES[TAIL_START - 1])
    boilerplate_phrases = (
        "Job Overview", "hiring manager", "Sign up to PitchMeAI", "Key skills/competency",
        "How to Get Hired at Stripe", "Frequently Asked Questions", "Explore similar",
    )  # fmt: skip
    for boilerplate in boilerplate_phrases:
        assert boilerplate in SEED_TEXT and boilerplate not in posting.description
    for line in SEED_LINES[AD_START:TAIL_START]:
        assert line.removeprefix("- ") in posting.description


def test_pages_without_a_title_give_nothing_and_a_missing_description_is_dropped() -> None:
    listing = "<html><body><h2>Open roles</h2><a href='/jobs/1'>SRE</a></body></html>"
    assert extract_selectors(listing, "https://example.com/jobs", SPEC).postings == []
    no_ad = "<html><body><article class='job'><header><h1>SRE</h1></header></article></body></html>"
    result = extract_selectors(no_ad, "https://example.com/jobs/1", SPEC)
    assert result.postings == []
    assert result.dropped == ["https://example.com/jobs/1: title 'SRE' found but no description"]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "selectors: {title: h1}",
            "bad.yaml:2:5: sources[0]: a 'selectors' source needs 'selectors' "
            "with at least title and description",
        ),
        (
            "selectors: {title: '//h1[', description: div}",
            "bad.yaml:5:17: sources[0].selectors.title: invalid XPath selector '//h1[': "
            "XPath error: Invalid expression in //h1[",
        ),
        (
            "follow: ['(']",
            "bad.yaml:5:5: sources[0].follow: invalid regular expression '(': "
            "missing ), unterminated subpattern at position 0",
        ),
    ],
)
def test_selector_settings_are_checked_when_the_config_loads(source: str, problem: str) -> None:
    text = f"sources:\n  - name: a\n    type: selectors\n    urls: [http://x]\n    {source}\n"
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "bad.yaml", env={})
    assert problem in raised.value.problems


def _serve_site(server: BoardServer) -> None:
    html_type = "text/html; charset=utf-8"
    listing = (
        "<html><body><article class='job'><header><h1>Jobs at Stripe</h1></header></article>"
        f"<a href='{JOB_PATH}'>Backend Engineer</a> <a href='/jobs/stripe/gone-role'>Gone</a>"
        "<a href='/signup'>Sign up</a></body></html>"
    )
    server.set("/companies/stripe", Reply(listing.encode(), content_type=html_type))
    server.set(JOB_PATH, Reply(aggregator_page().encode(), content_type=html_type))
    server.set(
        "/jobs/stripe/gone-role", Reply(b"<html><body>Not found</body></html>", content_type=html_type)
    )


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: stripe-aggregator
    type: selectors
    urls: ["{url}/companies/stripe"]
    follow: ["/jobs/"]
    selectors:
      title: "article.job header h1"
      company: "article.job header .company"
      description: "xpath://section[@id='job-description']/div[@class='job-ad']"
      salary: "xpath://section[@id='job-description']//p[contains(., 'base salary range')]"
"""
    )


def test_spider_follows_the_listing_and_stores_the_ad_without_boilerplate(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    _serve_site(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "stripe-aggregator", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result
    # The listing's own heading is not a job; the page without the layout gives nothing.
    assert outcome.result["new"] == 1
    assert "/signup" not in {path for _, path in board_server.requests}
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        (stored,) = session.scalars(select(PostingVersion.data))
    engine.dispose()
    assert stored["title"] == "Backend Engineer, Core Technology"
    assert stored["company"] == "Stripe"
    assert (stored["salary_min"], stored["salary_max"], stored["salary_currency"]) == (155700, 285600, "USD")
    assert "How to Get Hired" not in stored["description"]


def test_a_failed_job_page_makes_the_crawl_incomplete(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/rw.db"
    _serve_site(board_server)
    board_server.set(JOB_PATH, Reply(b"busy", status=503, content_type="text/plain"))
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "stripe-aggregator", timeout=120)

    assert outcome.result["status"] == "incomplete"
    assert any(f"{JOB_PATH} failed: HTTP 503" in problem for problem in outcome.result["problems"])
