"""SuccessFactors: pure extraction on the recorded RSS feed and on the Google-jobs feed shape,
and the spider reading `googlefeed.xml` on a careers host over local HTTP."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from lxml import etree

from config.schema import Config, SourceConfig
from crawler.extract.successfactors import extract_successfactors, split_place
from crawler.registry import listing_url
from pipeline.db import open_database
from pipeline.normalize import normalize
from rolewatch.boardserver import BoardServer, Reply
from tests.conftest import REAL, crawl_source, stored_postings, version_and_event_counts

QORVO = REAL / "successfactors" / "qorvo-rmk-rss-feed.xml"
SEARCH_PAGE = REAL / "successfactors" / "rmk-search-results-trimmed.html"
FEED = "/googlefeed.xml"
G = "http://base.google.com/ns/1.0"


def test_extracts_both_recorded_qorvo_jobs() -> None:
    result = extract_successfactors(QORVO.read_bytes(), company="Qorvo")
    assert result.dropped == [] and result.unreadable == {}
    scientist, designer = result.postings
    # No <g:id>: the requisition number at the end of the job page's path.
    assert scientist.external_id == "1397790900"
    # The place suffix of the title is its location, without the postal code.
    assert scientist.title == "Principal Research Scientist"
    assert scientist.locations == ["Richardson, TX, US"]
    # The feed's query (feedId, utm tracking) is not part of the job's page.
    assert scientist.url == (
        "https://careers.qorvo.com/job/Richardson-Principal-Research-Scientist-TX-75080/1397790900/"
    )
    assert scientist.company == "Qorvo"
    assert scientist.posted_at == "2026-10-02T07:00:00+00:00"
    assert scientist.description_html == "..."  # cut by the recording project
    assert scientist.department is None and scientist.salary is None and scientist.workplace is None

    assert designer.external_id == "1397710500"
    assert designer.title == "Principal Research Scientist -  RF MMIC Design"
    assert designer.locations == ["Richardson, TX, US"]


def _google_feed(items: list[str]) -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:g="{G}"><channel>'
        f"<title>Careers</title>{body}</channel></rss>"
    ).encode()


def test_google_feed_fields_give_id_place_employer_and_department() -> None:
    result = extract_successfactors(
        _google_feed(
            [
                "<title>Site Reliability Engineer (Berlin, DE, 10115)</title>"
                "<link>https://careers.acme.com/job/Berlin-SRE/1403328200/</link>"
                '<guid isPermaLink="false">1403328200</guid><g:id>1403328200</g:id>'
                "<description>&lt;p&gt;Run &amp;amp;amp; scale &lt;b&gt;Kubernetes&lt;/b&gt;&lt;/p&gt;"
                "</description>"
                "<g:employer>Acme GmbH </g:employer><g:job_function>Engineering</g:job_function>"
                "<g:location>Berlin, BE, DE, 10115</g:location><g:job_type>Full time</g:job_type>",
                "<title>Analyst</title><link>https://careers.acme.com/job/Paris-Analyst/77/</link>"
                "<g:id>77</g:id><g:job_function>ATS_WEBFORM</g:job_function>",
                "<title>Backend Engineer (Platform, Payments)</title><g:id>78</g:id>",
                "<title>No id, no link</title>",
                "<g:id>79</g:id>",
            ]
        ),
        company="Acme",
    )
    sre, analyst, backend = result.postings
    assert sre.external_id == "1403328200"
    assert sre.title == "Site Reliability Engineer"
    assert sre.locations == ["Berlin, BE, DE"]  # <g:location> before the title's suffix
    assert sre.company == "Acme GmbH"  # <g:employer> before the source's company
    assert sre.department == "Engineering"
    assert sre.employment_type == "Full time"
    assert normalize(sre).description == "Run & scale Kubernetes"
    assert analyst.department is None  # an internal form's name is no department
    assert analyst.company == "Acme" and analyst.locations == []
    # A parenthesis naming no place stays in the title.
    assert backend.title == "Backend Engineer (Platform, Payments)" and backend.locations == []
    assert result.dropped == ["item[3]: missing id", "item[4]: missing title"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Analyst - Corporate Banking (Abu Dhabi, AE, 939)",
            ("Analyst - Corporate Banking", "Abu Dhabi, AE"),
        ),
        ("Ingenieur (m/w/d)", ("Ingenieur (m/w/d)", None)),
        ("(Tempe, AZ, US, 85288)", ("(Tempe, AZ, US, 85288)", None)),  # nothing but the place
        ("Lead (London, LND, GB)", ("Lead", "London, LND, GB")),
    ],
)
def test_a_title_place_suffix_is_split_off_only_when_it_names_a_place(
    title: str, expected: tuple[str, str | None]
) -> None:
    assert split_place(title) == expected


@pytest.mark.parametrize("body", [SEARCH_PAGE.read_bytes(), b"", b"{}", b"<rss><channel>"])
def test_a_body_that_is_no_feed_is_rejected_not_read_as_an_empty_board(body: bytes) -> None:
    # The recorded search results page is what a host without the feed may answer with.
    with pytest.raises(ValueError):
        extract_successfactors(body)


def test_the_feed_lives_on_the_careers_host_given_as_api_base() -> None:
    source = SourceConfig(
        name="q", type="successfactors", board="qorvo", api_base="https://careers.qorvo.com/"
    )
    assert listing_url(source) == "https://careers.qorvo.com/googlefeed.xml"


class Feed:
    """The recorded Qorvo feed with `total` items: the recorded two, then copies of them under
    new job ids."""

    def __init__(self, total: int) -> None:
        self.root = etree.fromstring(QORVO.read_bytes())
        recorded = self.root.findall("channel/item")
        self.items = []
        for index in range(total):
            item = copy.deepcopy(recorded[index % len(recorded)])
            if index >= len(recorded):
                for field in ("link", "guid"):
                    element = item.find(field)
                    element.text = element.text.replace("/?feedId", f"{index}/?feedId")
            self.items.append(item)

    def ids(self) -> list[str]:
        return [item.find("link").text.split("/")[-2] for item in self.items]

    def body(self) -> bytes:
        page = copy.deepcopy(self.root)
        channel = page.find("channel")
        for item in channel.findall("item"):
            channel.remove(item)
        channel.extend(copy.deepcopy(item) for item in self.items)
        return etree.tostring(page, xml_declaration=True, encoding="UTF-8")

    def serve(self, server: BoardServer) -> None:
        server.set(FEED, Reply(self.body(), content_type="application/rss+xml"))


def _config(make_config: Callable[..., Config], url: str, database_url: str) -> Config:
    return make_config(
        f"""
database: "{database_url}"
sources:
  - name: qorvo
    type: successfactors
    board: qorvo
    company: Qorvo
    api_base: {url}
"""
    )


def test_spider_reads_the_feed_and_an_unchanged_recrawl_stores_nothing_new(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    feed = Feed(total=30)
    feed.serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()

    first = crawl_source(config, "qorvo").result
    assert (first["status"], first["new"]) == ("complete", 30), first
    stored = stored_postings(database_url)
    assert set(stored) == set(feed.ids())
    scientist = stored["1397790900"]
    assert scientist["title"] == "Principal Research Scientist"
    assert scientist["company"] == "Qorvo"
    assert scientist["locations"] == ["Richardson, TX, US"]

    before = version_and_event_counts(database_url)
    again = crawl_source(config, "qorvo").result
    assert (again["status"], again["new"], again["changed"], again["closed"]) == ("complete", 0, 0, 0)
    assert again["unchanged"] == 30
    assert version_and_event_counts(database_url) == before


def test_a_job_gone_from_complete_crawls_is_closed_and_a_broken_feed_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    feed = Feed(total=6)
    feed.serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "qorvo").result["new"] == 6

    gone = feed.ids()[0]
    feed.items.pop(0)
    # The host answering its search page instead of the feed: incomplete, nothing closed.
    board_server.set(FEED, Reply(SEARCH_PAGE.read_bytes(), content_type="text/html"))
    broken = crawl_source(config, "qorvo").result
    assert (broken["status"], broken["closed"]) == ("incomplete", 0), broken

    feed.serve(board_server)
    missed_once = crawl_source(config, "qorvo").result
    assert (missed_once["status"], missed_once["closed"]) == ("complete", 0)
    missed_twice = crawl_source(config, "qorvo").result
    assert (missed_twice["status"], missed_twice["closed"], missed_twice["unchanged"]) == ("complete", 1, 5)
    assert gone in stored_postings(database_url)  # closed, its history kept


def test_a_host_without_the_feed_is_not_found_and_closes_nothing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    Feed(total=3).serve(board_server)
    config = _config(make_config, board_server.url, database_url)
    open_database(database_url).dispose()
    assert crawl_source(config, "qorvo").result["new"] == 3

    del board_server.routes[FEED]  # the server answers 404
    for _ in range(2):  # more than `close_after_missing` crawls
        missing = crawl_source(config, "qorvo").result
        assert missing["status"] == "incomplete"
        assert missing["problems"] == [f"board not found: listing {board_server.url}{FEED} answered HTTP 404"]
        assert missing["closed"] == 0

    # Redirected to the careers site's home page: not found either, never an empty board.
    board_server.set(FEED, Reply(b"", status=302, headers={"Location": f"{board_server.url}/"}))
    board_server.set("/", Reply(b"<html><body>Careers</body></html>", content_type="text/html"))
    redirected = crawl_source(config, "qorvo").result
    assert redirected["status"] == "incomplete"
    assert redirected["problems"] == [
        f"board not found: listing {board_server.url}{FEED} redirects to {board_server.url}/"
    ]
    assert redirected["closed"] == 0
    assert len(stored_postings(database_url)) == 3


def test_a_source_without_its_careers_host_is_a_problem_not_an_empty_board(
    make_config: Callable[..., Config], database_url: str
) -> None:
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: qorvo
    type: successfactors
    board: qorvo
"""
    )
    open_database(database_url).dispose()
    outcome = crawl_source(config, "qorvo").result
    assert outcome["status"] == "incomplete"
    assert outcome["problems"] == [
        "a 'successfactors' source needs 'api_base': its careers host (https://careers.acme.com)"
    ]
