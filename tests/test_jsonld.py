"""schema.org JobPosting pages: pure extraction from JSON-LD and microdata, and the real spider
following listing links and a sitemap over local HTTP.

No real JSON-LD job pages were recorded (tests/fixtures/real/SOURCES.md: "Not found"). The
pages below are WRITTEN FOR THESE TESTS, modelled on the JobPosting examples in the
schema.org documentation (schema.org/JobPosting) and Google's JobPosting structured-data
guide: same types and property names, made-up employers and values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from config.schema import Config
from crawler.extract.jsonld import extract_jsonld
from pipeline.db import open_database, session_factory
from pipeline.models import PostingVersion
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import crawl_source

HOURLY_JOB = {
    "@context": "https://schema.org/",
    "@type": "JobPosting",
    "title": "Software Engineer",
    "description": "<p>Example Corp builds maps.</p><ul><li>Write Go services</li></ul>",
    "identifier": {"@type": "PropertyValue", "name": "Example Corp", "value": "1234567"},
    "datePosted": "2026-08-01",
    "validThrough": "2026-10-01T00:00",
    "employmentType": "CONTRACTOR",
    "hiringOrganization": {"@type": "Organization", "name": "Example Corp", "sameAs": "https://example.com"},
    "jobLocation": {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "1600 Example Pkwy",
            "addressLocality": "Mountain View",
            "addressRegion": "CA",
            "postalCode": "94043",
            "addressCountry": "US",
        },
    },
    "baseSalary": {
        "@type": "MonetaryAmount",
        "currency": "USD",
        "value": {"@type": "QuantitativeValue", "value": 40.00, "unitText": "HOUR"},
    },
}

REMOTE_JOB_GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebPage", "@id": "https://jobs.example.org/sre#page", "name": "SRE at Example Org"},
        {
            "@type": "JobPosting",
            "title": "Site Reliability Engineer &amp; On-call Lead",
            "description": "&lt;p&gt;Run our &lt;b&gt;Kubernetes&lt;/b&gt; fleet.&lt;/p&gt;",
            "datePosted": "2026-07-20T09:00:00Z",
            "employmentType": ["FULL_TIME", "CONTRACTOR"],
            "hiringOrganization": {"@type": "Organization", "name": "Example Org"},
            "jobLocationType": "TELECOMMUTE",
            "applicantLocationRequirements": {"@type": "Country", "name": "USA"},
            "baseSalary": {
                "@type": "MonetaryAmount",
                "currency": "USD",
                "value": {
                    "@type": "QuantitativeValue",
                    "minValue": 150000,
                    "maxValue": 190000,
                    "unitText": "YEAR",
                },
            },
        },
    ],
}

MICRODATA_PAGE = """<!doctype html><html><head><title>Data Engineer</title></head><body>
<div itemscope itemtype="https://schema.org/JobPosting">
  <h1 itemprop="title">Data Engineer</h1>
  <meta itemprop="identifier" content="DE-77">
  <span itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">
    <span itemprop="name">Beispiel GmbH</span></span>
  <div itemprop="jobLocation" itemscope itemtype="https://schema.org/Place">
    <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
      <span itemprop="addressLocality">Berlin</span>, <span itemprop="addressRegion">BE</span>
      <meta itemprop="addressCountry" content="DE"></div></div>
  <div itemprop="baseSalary" itemscope itemtype="https://schema.org/MonetaryAmount">
    <meta itemprop="currency" content="EUR">
    <div itemprop="value" itemscope itemtype="https://schema.org/QuantitativeValue">
      <meta itemprop="minValue" content="5000"><meta itemprop="maxValue" content="6500">
      <meta itemprop="unitText" content="MONTH"></div></div>
  <time itemprop="datePosted" datetime="2026-08-03">3 August 2026</time>
  <span itemprop="employmentType">FULL_TIME</span>
  <div itemprop="description"><p>Build pipelines with Spark.</p></div>
</div></body></html>"""


def page(*blocks: object, canonical: str | None = None, body: str = "") -> str:
    """An HTML page carrying each block as a JSON-LD script (strings are used verbatim)."""
    scripts = "".join(
        f'<script type="application/ld+json">{b if isinstance(b, str) else json.dumps(b)}</script>'
        for b in blocks
    )
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"<!doctype html><html><head>{link}{scripts}</head><body>{body}</body></html>"


def test_maps_every_jobposting_field_from_json_ld() -> None:
    (posting,) = extract_jsonld(page(HOURLY_JOB), "https://careers.example.com/jobs/1234567").postings
    assert posting.external_id == "1234567"
    assert posting.title == "Software Engineer"
    assert posting.company == "Example Corp"
    assert posting.locations == ["Mountain View, CA, US"]
    assert posting.salary == {"min": 40.0, "max": 40.0, "currency": "USD", "period": "hour"}
    assert posting.posted_at == "2026-08-01"
    assert posting.employment_type == "CONTRACTOR"
    assert posting.workplace is None
    assert posting.url == "https://careers.example.com/jobs/1234567"
    assert posting.description_html == HOURLY_JOB["description"]


def test_graph_telecommute_range_and_escaped_text() -> None:
    html = page(REMOTE_JOB_GRAPH, canonical="/jobs/sre")
    (posting,) = extract_jsonld(html, "https://jobs.example.org/jobs/sre?utm_source=feed").postings
    # No identifier: the canonical page URL identifies the posting.
    assert posting.external_id == posting.url == "https://jobs.example.org/jobs/sre"
    assert posting.title == "Site Reliability Engineer & On-call Lead"
    assert posting.workplace == "remote"
    assert posting.locations == ["USA"]
    assert posting.employment_type == "FULL_TIME, CONTRACTOR"
    assert posting.salary == {"min": 150000.0, "max": 190000.0, "currency": "USD", "period": "year"}
    assert posting.description_html == "<p>Run our <b>Kubernetes</b> fleet.</p>"
    normal = normalize(posting)
    assert normal.workplace == ["remote"] and normal.description == "Run our Kubernetes fleet."


def test_microdata_job_posting() -> None:
    (posting,) = extract_jsonld(MICRODATA_PAGE, "https://karriere.example.de/jobs/de-77").postings
    assert posting.external_id == "DE-77"
    assert posting.title == "Data Engineer"
    assert posting.company == "Beispiel GmbH"
    assert posting.locations == ["Berlin, BE, DE"]
    assert posting.salary == {"min": 5000.0, "max": 6500.0, "currency": "EUR", "period": "month"}
    assert posting.posted_at == "2026-08-03"
    assert posting.employment_type == "FULL_TIME"
    assert posting.description_text == "Build pipelines with Spark." and posting.description_html is None


def test_same_posting_in_json_ld_and_microdata_counts_once_and_pages_without_postings_give_none() -> None:
    both = page(HOURLY_JOB, body=MICRODATA_PAGE.replace("DE-77", "1234567"))
    assert [p.external_id for p in extract_jsonld(both, "https://example.com/j").postings] == ["1234567"]
    listing = page({"@context": "https://schema.org", "@type": "Organization", "name": "Example Corp"})
    result = extract_jsonld(listing, "https://example.com/careers")
    assert result.postings == [] and result.dropped == [] and result.incomplete_reason is None


def test_broken_json_ld_hiding_a_posting_makes_the_page_incomplete() -> None:
    broken_job = '{"@type": "JobPosting", "title": "SRE",}'
    result = extract_jsonld(page(HOURLY_JOB, broken_job), "https://example.com/j")
    assert [p.title for p in result.postings] == ["Software Engineer"]
    assert (
        result.incomplete_reason is not None
        and "JSON-LD block 2 is not valid JSON" in result.incomplete_reason
    )
    # A broken block about something else is noted, not held against the crawl.
    other = extract_jsonld(page('{"@type": "BreadcrumbList",', HOURLY_JOB), "https://example.com/j")
    assert other.incomplete_reason is None and len(other.dropped) == 1
    # Comment-wrapped JSON-LD, as older sites write it, still reads.
    wrapped = page("<!--" + json.dumps(HOURLY_JOB) + "-->")
    assert [p.external_id for p in extract_jsonld(wrapped, "https://example.com/j").postings] == ["1234567"]


def _serve_site(server: BoardServer) -> None:
    base = server.url
    html = "text/html; charset=utf-8"
    links = "".join(
        f'<a href="{path}">{path}</a>'
        for path in ("/careers/jobs/1", "/careers/jobs/2", "/careers/jobs/1/apply", "/about")
    )
    server.set("/careers", Reply(page(body=f"<h1>Open roles</h1>{links}").encode(), content_type=html))
    server.set("/careers/jobs/1", Reply(page(HOURLY_JOB).encode(), content_type=html))
    server.set("/careers/jobs/2", Reply(page(REMOTE_JOB_GRAPH).encode(), content_type=html))
    server.set("/careers/jobs/3", Reply(MICRODATA_PAGE.encode(), content_type=html))
    # A sitemap index naming the sitemap that lists the posting.
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-jobs.xml</loc></sitemap></sitemapindex>"
    )
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{base}/careers/jobs/3</loc></url><url><loc>{base}/about</loc></url></urlset>"
    )
    server.set("/sitemap.xml", Reply(index.encode(), content_type="application/xml"))
    server.set("/sitemap-jobs.xml", Reply(sitemap.encode(), content_type="application/xml"))


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: example-careers
    type: jsonld
    urls: ["{url}/careers", "{url}/sitemap.xml"]
    follow: ["/careers/jobs/"]
    deny: ["/apply$"]
"""
    )


def test_spider_follows_listing_links_and_the_sitemap(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    _serve_site(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    outcome = crawl_source(config, "example-careers", timeout=120)

    assert outcome.error is None, outcome.error
    assert outcome.result["status"] == "complete", outcome.result["problems"]
    assert outcome.result["new"] == 3
    paths = {path for _, path in board_server.requests}
    assert {"/careers/jobs/1", "/careers/jobs/2", "/careers/jobs/3", "/sitemap-jobs.xml"} <= paths
    # Not matching `follow`, or matching `deny`: never fetched.
    assert "/about" not in paths and "/careers/jobs/1/apply" not in paths
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        versions = {v["title"]: v for v in session.scalars(select(PostingVersion.data))}
    engine.dispose()
    assert set(versions) == {"Software Engineer", "Site Reliability Engineer & On-call Lead", "Data Engineer"}
    assert versions["Site Reliability Engineer & On-call Lead"]["salary_min"] == 150000
    assert versions["Data Engineer"]["company"] == "Beispiel GmbH"


def test_a_failed_posting_page_or_start_page_makes_the_crawl_incomplete(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/rw.db"
    _serve_site(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    board_server.set("/careers/jobs/2", Reply(b"gone wrong", status=500, content_type="text/plain"))
    page_failed = crawl_source(config, "example-careers", timeout=120)
    assert page_failed.result["status"] == "incomplete"
    assert page_failed.result["new"] == 2
    assert any("/careers/jobs/2 failed: HTTP 500" in p for p in page_failed.result["problems"])

    board_server.set("/sitemap-jobs.xml", Reply(b"", status=503, content_type="text/plain"))
    sitemap_failed = crawl_source(config, "example-careers", timeout=120)
    assert sitemap_failed.result["status"] == "incomplete"
    assert any("sitemap-jobs.xml failed: HTTP 503" in p for p in sitemap_failed.result["problems"])


def test_a_listing_named_twice_is_fetched_once_and_the_crawl_still_completes(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path}/rw.db"
    _serve_site(board_server)
    base = board_server.url
    child = f"<sitemap><loc>{base}/sitemap-jobs.xml</loc></sitemap>"
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{child}{child}</sitemapindex>'
    )
    board_server.set("/sitemap.xml", Reply(index.encode(), content_type="application/xml"))
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: example-careers
    type: jsonld
    urls: ["{base}/careers", "{base}/careers", "{base}/sitemap.xml"]
    follow: ["/careers/jobs/"]
    deny: ["/apply$"]
"""
    )
    open_database(database_url).dispose()

    outcome = crawl_source(config, "example-careers", timeout=120)

    assert outcome.result["status"] == "complete", outcome.result["problems"]
    assert outcome.result["new"] == 3
    fetched = [path for _, path in board_server.requests]
    assert fetched.count("/careers") == 1 and fetched.count("/sitemap-jobs.xml") == 1
