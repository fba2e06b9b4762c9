"""Full-text search over real recorded boards (Greenhouse, Lever, Ashby) stored through the
ingest: phrases and words, ranking, filters, watches, the index kept in step with new versions
and closings, hostile query text, and the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from config.loader import load_config
from config.schema import MinSalary, SourceConfig
from crawler.extract.ashby import extract_ashby
from crawler.extract.greenhouse import extract_greenhouse
from crawler.extract.lever import extract_lever
from notifier.rules import match_posting
from pipeline.db import open_database, session_factory
from pipeline.ingest import Ingest
from pipeline.search import INDEX_TABLE
from pipeline.states import PostingStatus
from pipeline.store import CrawlVerdict
from rolewatch.cli import main
from rolewatch.search import SearchFilter, SearchHit, search_postings
from rolewatch.search_text import SearchQueryError
from tests.conftest import real_payload

STRIPE = SourceConfig(name="stripe", type="greenhouse", board="stripe", close_after_missing=1)
OTHERS = [
    (SourceConfig(name="palantir", type="lever", board="palantir"), extract_lever,
     "lever/palantir-postings-2026-08-17.json", "Palantir"),
    (SourceConfig(name="etched", type="ashby", board="etched"), extract_ashby,
     "ashby/etched-job-board.json", "Etched"),
]  # fmt: skip
CORE = "6042172"  # Stripe's "Backend Engineer, Core Technology"


def stripe_board() -> dict[str, Any]:
    return real_payload("stripe-jobs-content-2026-08-04.json")


def store_stripe(sessions: sessionmaker[Session], board: dict[str, Any]) -> None:
    ingest = Ingest(sessions).begin(STRIPE)
    for raw in extract_greenhouse(board).postings:
        ingest.add(raw)
    ingest.finish(CrawlVerdict())


@pytest.fixture
def boards(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Stripe's 268 jobs, Palantir's 10 and Etched's 10, stored as crawls store them."""
    engine = open_database(database_url)
    sessions = session_factory(engine)
    store_stripe(sessions, stripe_board())
    for source, extract, path, company in OTHERS:
        ingest = Ingest(sessions).begin(source)
        for raw in extract(real_payload(path), company).postings:
            ingest.add(raw)
        ingest.finish(CrawlVerdict())
    yield sessions
    engine.dispose()


def find(sessions: sessionmaker[Session], query: str, **where: Any) -> list[SearchHit]:
    limit = where.pop("limit", 0)
    with sessions() as session:
        return search_postings(session, query, SearchFilter(**where), limit)


def refs(hits: list[SearchHit]) -> set[str]:
    return {f"{hit.posting.source.name}:{hit.posting.external_id}" for hit in hits}


def searched(hit: SearchHit) -> str:
    record = hit.record
    return "\n".join([record.title, record.department or "", record.description])


# Each query, the number of postings it finds, and some of them: SQLite and PostgreSQL must
# both give exactly these (the three boards hold 288 postings).
FOUND_ON_EITHER = [
    ('"distributed systems"', 17, {"stripe:6042172", "palantir:a8174f9c-6f46-46b4-8e15-d1ff9e37c9eb"}),
    ("distributed systems", 45, {"etched:ed7a1d2e-df45-4d35-8965-e989fbbc2ce9"}),
    ('"machine learning"', 16, {"stripe:8014859"}),
    ("kubernetes", 15, {"stripe:7462961", "etched:1c03c13b-6f2e-44e7-b5bd-b7628412f8b9"}),
    ("ASIC", 5, {"etched:92862cf4-3fe6-4317-b771-8fcdf0a95758"}),
    ("node.js", 3, {"stripe:7557899", "stripe:7520686", "stripe:8044460"}),
    ("IT", 121, {"stripe:8096788"}),  # a stop word to PostgreSQL's English, not to rolewatch
    ('"head of"', 24, {"etched:fb76e6e8-d07a-4830-b88e-ca8c1483f801"}),
    ("security engineer", 42, {"stripe:7867389"}),
    ('"site reliability"', 0, set()),
]


def test_the_same_query_finds_the_same_postings_on_sqlite_and_postgresql(
    boards: sessionmaker[Session],
) -> None:
    for query, count, among in FOUND_ON_EITHER:
        found = refs(find(boards, query))
        assert (len(found), among <= found) == (count, True), query


def test_a_phrase_needs_its_words_in_order_and_words_may_be_anywhere(boards: sessionmaker[Session]) -> None:
    phrase = find(boards, '"distributed systems"')
    words = find(boards, "distributed systems")
    assert refs(phrase) < refs(words)
    in_order = re.compile(r"distributed\W+systems?\b", re.IGNORECASE)
    assert all(in_order.search(searched(hit)) for hit in phrase)
    apart = [hit for hit in words if refs([hit]) - refs(phrase)]
    assert apart and not any(in_order.search(searched(hit)) for hit in apart)
    # Stemmed: "distributed" finds "distribution", "system" finds "systems", in any case.
    assert all(re.search(r"\bdistribut", searched(hit), re.IGNORECASE) for hit in apart)
    assert refs(find(boards, "DISTRIBUTED system")) == refs(words)


@pytest.mark.parametrize("query", ["reliability", "tax", "compliance", '"machine learning"', "defense"])
def test_a_title_hit_ranks_above_a_description_hit(boards: sessionmaker[Session], query: str) -> None:
    words = query.strip('"').split()
    pattern = re.compile(r"\W+".join(words), re.IGNORECASE)
    hits = find(boards, query)
    in_title = [pattern.search(hit.record.title) is not None for hit in hits]
    assert True in in_title and False in in_title
    # Every title hit first, then the rest.
    assert in_title == sorted(in_title, reverse=True)


def test_filters_combine_with_the_text(boards: sessionmaker[Session]) -> None:
    every = find(boards, "engineer")
    kept = find(
        boards, "engineer", status=PostingStatus.OPEN, companies=("STRIPE",), sources=("stripe",),
        workplace=("remote", "hybrid"),
    )  # fmt: skip
    expected = [
        hit
        for hit in every
        if hit.record.company == "Stripe" and {"remote", "hybrid"} & set(hit.record.workplace)
    ]
    assert [hit.posting.id for hit in kept] == [hit.posting.id for hit in expected] and kept

    paid = find(boards, "engineer", min_pay=MinSalary(amount=200_000, currency="USD"))
    assert paid and len(paid) < len(every)
    assert all(
        (hit.record.salary_max or hit.record.salary_min or 0) >= 200_000
        and hit.record.salary_currency == "USD"
        for hit in paid
    )
    assert find(boards, "engineer", min_pay=MinSalary(amount=200_000, currency="EUR")) == []

    # Places as watches read them: "SF" is San Francisco.
    in_sf = find(boards, "engineer", places=("SF",))
    assert in_sf and len(in_sf) < len(every)
    sf = re.compile(r"\b(san francisco|sf|bay area)\b", re.IGNORECASE)
    assert all(any(sf.search(place) for place in hit.record.locations) for hit in in_sf)

    since = datetime(2026, 7, 1, tzinfo=UTC)
    recent = find(boards, "engineer", since=since)
    assert recent and len(recent) < len(every)
    assert [hit.posting.id for hit in recent] == [
        hit.posting.id for hit in every if datetime.fromisoformat(hit.as_dict()["posted"]) >= since
    ]
    first = find(boards, "engineer", sources=("palantir", "etched"), limit=3)
    every_there = find(boards, "engineer", sources=("palantir", "etched"))
    assert len(every_there) > 3 and refs(every_there) <= {
        ref for ref in refs(every) if not ref.startswith("stripe")
    }
    assert [hit.posting.id for hit in first] == [hit.posting.id for hit in every_there[:3]]


def test_a_watch_keeps_what_its_rule_matches_in_the_order_of_relevance(
    boards: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        "database: sqlite:///unused.db\nmail: {transport: stdout}\n"
        "sources: [{name: stripe, type: greenhouse, board: stripe}]\n"
        "watches: [{name: infra, extends: infrastructure, companies_none: [Palantir]}]\n"
        "recipients: [{email: me@example.com, watches: [infra]}]\n"
    )
    config = load_config(str(path))
    rule = config.watches[0]
    with boards() as session:
        # "or" is in 264 postings: more than one page of ranked rows is read.
        every = search_postings(session, "or", limit=0)
        watched = search_postings(session, "or", SearchFilter(watch="infra"), 0, config)
        first = search_postings(session, "or", SearchFilter(watch="infra"), 2, config)
    expected = [hit for hit in every if match_posting(rule, hit.record.as_dict(), hit.posting.source.name)]
    assert [hit.posting.id for hit in watched] == [hit.posting.id for hit in expected]
    assert 2 < len(watched) < len(every) and first == watched[:2]
    assert all(hit.record.company != "Palantir" for hit in watched)


def test_a_new_version_replaces_the_old_text_in_the_index(boards: sessionmaker[Session]) -> None:
    board = stripe_board()
    job = next(job for job in board["jobs"] if str(job["id"]) == CORE)
    assert CORE in {hit.posting.external_id for hit in find(boards, '"core technology"')}
    for title, pastry in (
        ("Pastry Chef, Croissant Lab", "croissant lamination"),
        ("Baker", "sourdough starters"),
    ):
        changed = copy.deepcopy(board)
        edited = next(each for each in changed["jobs"] if each["id"] == job["id"])
        edited["title"], edited["content"] = title, f"&lt;p&gt;Daily {pastry} for the office.&lt;/p&gt;"
        store_stripe(boards, changed)
    assert [hit.record.title for hit in find(boards, "sourdough")] == ["Baker"]
    assert find(boards, "croissant") == [] and find(boards, "pastry") == []
    assert CORE not in {hit.posting.external_id for hit in find(boards, '"core technology"')}
    with boards() as session:
        assert session.get_bind().dialect.name == "postgresql" or _fts5_sound(session)


def _fts5_sound(session: Session) -> bool:
    # Raises when FTS5 finds its index inconsistent.
    session.execute(text(f"INSERT INTO {INDEX_TABLE} ({INDEX_TABLE}, rank) VALUES ('integrity-check', 0)"))
    return True


def test_a_closed_posting_leaves_the_open_results(boards: sessionmaker[Session]) -> None:
    assert CORE in {hit.posting.external_id for hit in find(boards, "compute", status=PostingStatus.OPEN)}
    board = stripe_board()
    board["jobs"] = [job for job in board["jobs"] if str(job["id"]) != CORE]
    store_stripe(boards, board)
    assert CORE not in {hit.posting.external_id for hit in find(boards, "compute", status=PostingStatus.OPEN)}
    closed = find(boards, "compute", status=PostingStatus.CLOSED)
    assert [hit.posting.external_id for hit in closed] == [CORE]
    assert CORE in {hit.posting.external_id for hit in find(boards, "compute")}


HOSTILE = ['"', '""', "*", "-", "(", ")", "()", "\x00", "^", ":", "'", "--", '"*)"', "   ", "_", "\u202e"]


def test_a_query_without_words_is_refused_clearly(boards: sessionmaker[Session]) -> None:
    for query in HOSTILE:
        with pytest.raises(SearchQueryError, match="nothing to search for"):
            find(boards, query)


# Each query beside the plain words it is searched as.
AS_WORDS = [
    ("kubernetes OR", "kubernetes or"),
    ("OR kubernetes", "kubernetes or"),
    ("kubernetes NEAR go", "kubernetes near go"),
    ("NEAR(kubernetes go)", '"near kubernetes" go'),
    ("kubernetes*", "kubernetes"),
    ("-kubernetes", "kubernetes"),
    ("(kubernetes)", "kubernetes"),
    ("\x00kubernetes\x00", "kubernetes"),
    ('kubernetes"', "kubernetes"),
    ('"kubernetes', "kubernetes"),
    ("title:kubernetes", '"title kubernetes"'),
    ("kubernetes' OR 1=1 --", "kubernetes or 1 1"),
    ("AND NOT kubernetes", "and not kubernetes"),
]


def test_operators_and_marks_in_a_query_are_only_text(boards: sessionmaker[Session]) -> None:
    for query, same_as in AS_WORDS:
        assert refs(find(boards, query)) == refs(find(boards, same_as)), query
    # "OR" is a word every hit must hold, not an operator that widens the search.
    kubernetes, asic = refs(find(boards, "kubernetes")), refs(find(boards, "ASIC"))
    both = refs(find(boards, "kubernetes OR ASIC"))
    assert both == kubernetes & asic & refs(find(boards, "or")) and both < kubernetes | asic


def test_the_cli_prints_each_posting_as_postings_does(
    boards: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "rolewatch.yaml"
    config.write_text(
        f"database: {json.dumps(database_url)}\nmail: {{transport: stdout}}\n"
        "sources: [{name: stripe, type: greenhouse, board: stripe}]\n"
        "watches: [{name: infra, extends: infrastructure}]\n"
        "recipients: [{email: me@example.com, watches: [infra]}]\n"
    )
    runner = CliRunner()
    found = runner.invoke(
        main, ["search", '"distributed systems"', "--limit", "3", "--json", "--config", str(config)]
    )
    rows = [json.loads(line) for line in found.stdout.splitlines()]
    listed = runner.invoke(main, ["postings", "--limit", "0", "--json", "--config", str(config)])
    by_id = {row["id"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert found.exit_code == 0 and len(rows) == 3
    assert rows == [by_id[row["id"]] for row in rows]

    table = runner.invoke(main, ["search", "kubernetes", "--workplace", "remote", "--config", str(config)])
    assert table.exit_code == 0 and table.stdout.startswith("ID ")
    as_csv = runner.invoke(main, ["search", "ASIC", "--csv", "--min-pay", "1kUSD", "--config", str(config)])
    assert as_csv.stdout.splitlines()[0] == "id,source,status,title,company,locations,salary_max,posted"
    watched = runner.invoke(
        main, ["search", "kubernetes", "--watch", "infra", "--json", "--config", str(config)]
    )
    assert watched.exit_code == 0 and watched.stdout.strip()

    refused = runner.invoke(main, ["search", '"*)"', "--config", str(config)])
    assert refused.exit_code == 2 and "nothing to search for" in refused.output
    unknown = runner.invoke(main, ["search", "go", "--watch", "nope", "--config", str(config)])
    assert unknown.exit_code == 1 and "no watch named 'nope'" in unknown.output
    bad_pay = runner.invoke(main, ["search", "go", "--min-pay", "lots", "--config", str(config)])
    assert bad_pay.exit_code == 2 and "AMOUNT[CURRENCY]" in bad_pay.output
