"""The same job on two sources: everyone is told once, and a watch limited to the source that
saw it second is told about that source's copy."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.loader import parse_config
from config.schema import Config
from crawler.extract.greenhouse import extract_greenhouse
from notifier.outbox import outbox_hook
from notifier.rules import term_pattern
from pipeline.db import open_database, session_factory
from pipeline.models import Event, OutboxItem, Posting, Source
from pipeline.normalize import normalize
from pipeline.store import CrawlVerdict, begin_crawl, finish_crawl, store_postings
from tests.test_store import job, stripe_board

ENGINEER = 8008880  # an engineering role on the recorded board


def config_for(database_url: str) -> Config:
    return config_with(
        database_url,
        ["stripe", "stripe-careers"],
        "  - {name: everywhere, title_any: [engineer]}\n"
        "  - {name: careers-only, title_any: [engineer], sources: [stripe-careers]}\n"
        "  - {name: both, title_any: [engineer], sources: [stripe, stripe-careers]}\n",
        "  - {email: all@example.com, watches: [everywhere], backfill: full}\n"
        "  - {email: careers@example.com, watches: [careers-only], backfill: full}\n"
        "  - {email: both@example.com, watches: [both], backfill: full}\n",
    )


def config_with(database_url: str, sources: list[str], watches: str, recipients: str) -> Config:
    """Sources all reading the same board (closing at the first crawl that misses a job)."""
    listed = "".join(
        f"  - {{name: {name}, type: greenhouse, board: stripe, close_after_missing: 1}}\n" for name in sources
    )
    return parse_config(
        f'database: "{database_url}"\nsources:\n{listed}watches:\n{watches}recipients:\n{recipients}',
        "test.yaml",
    )


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(database_url)
    yield session_factory(engine)
    engine.dispose()


def crawl(sessions: sessionmaker[Session], config: Config, name: str, board: dict[str, Any]) -> None:
    source, hook = config.source(name), outbox_hook(config)
    run_id = begin_crawl(sessions, source)
    seen = store_postings(
        sessions, run_id, [normalize(raw) for raw in extract_greenhouse(board).postings], hook
    )
    finish_crawl(sessions, run_id, source, seen, CrawlVerdict(), hook)


def told(sessions: sessionmaker[Session]) -> dict[str, Counter[tuple[str, str]]]:
    """Per recipient, how many outbox items of each (event, source); cleared for the next step."""
    with sessions.begin() as session:
        rows = session.execute(
            select(OutboxItem.recipient, Event.type, Source.name)
            .join(Event, OutboxItem.event_id == Event.id)
            .join(Posting, Event.posting_id == Posting.id)
            .join(Source, Posting.source_id == Source.id)
        ).all()
        for item in session.scalars(select(OutboxItem)):
            session.delete(item)
    found: dict[str, Counter[tuple[str, str]]] = {}
    for recipient, kind, source in rows:
        found.setdefault(recipient, Counter())[(kind, source)] += 1
    return found


def test_a_watch_limited_to_the_second_source_hears_of_its_copies_and_nobody_hears_twice(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    config = config_for(database_url)
    board = stripe_board()
    engineers = sum(bool(term_pattern("engineer").search(j["title"])) for j in board["jobs"])
    assert engineers > 20

    crawl(sessions, config, "stripe", board)
    assert told(sessions) == {
        "all@example.com": Counter({("new", "stripe"): engineers}),
        "both@example.com": Counter({("new", "stripe"): engineers}),
    }

    crawl(sessions, config, "stripe-careers", board)  # the same jobs: copies of the first ones
    assert told(sessions) == {"careers@example.com": Counter({("new", "stripe-careers"): engineers})}

    on_careers = copy.deepcopy(board)
    job(on_careers, ENGINEER)["title"] = "Growth Engineer II"
    crawl(sessions, config, "stripe-careers", on_careers)
    assert told(sessions) == {"careers@example.com": Counter({("changed", "stripe-careers"): 1})}

    on_stripe = copy.deepcopy(board)
    job(on_stripe, ENGINEER)["title"] = "Growth Engineer III"
    crawl(sessions, config, "stripe", on_stripe)
    assert told(sessions) == {
        "all@example.com": Counter({("changed", "stripe"): 1}),
        "both@example.com": Counter({("changed", "stripe"): 1}),
    }

    gone = copy.deepcopy(on_careers)
    gone["jobs"] = [j for j in gone["jobs"] if j["id"] != ENGINEER]
    crawl(sessions, config, "stripe-careers", gone)  # closed on the copy's board only
    assert told(sessions) == {"careers@example.com": Counter({("closed", "stripe-careers"): 1})}


def without_engineer(board: dict[str, Any]) -> dict[str, Any]:
    return {**board, "jobs": [j for j in board["jobs"] if j["id"] != ENGINEER]}


def only_engineer(board: dict[str, Any]) -> dict[str, Any]:
    return {**board, "jobs": [job(board, ENGINEER)]}


def test_a_recipient_who_hears_of_the_job_through_any_watch_is_not_told_of_its_copy(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    config = config_with(
        database_url,
        ["stripe", "stripe-careers"],
        "  - {name: everywhere, title_any: [engineer]}\n"
        "  - {name: s1, title_any: [engineer], sources: [stripe]}\n"
        "  - {name: s2, title_any: [engineer], sources: [stripe-careers]}\n",
        "  - {email: open@example.com, watches: [everywhere, s2], backfill: full}\n"
        "  - {email: split@example.com, watches: [s1, s2], backfill: full}\n",
    )
    board = only_engineer(stripe_board())
    crawl(sessions, config, "stripe", board)
    assert set(told(sessions)) == {"open@example.com", "split@example.com"}
    crawl(sessions, config, "stripe-careers", board)
    assert told(sessions) == {}


def test_when_the_original_closes_and_its_copy_takes_over_only_the_originals_watchers_hear_it(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    config = config_with(
        database_url,
        ["stripe", "stripe-careers"],
        "  - {name: everywhere, title_any: [engineer]}\n"
        "  - {name: s1, title_any: [engineer], sources: [stripe]}\n"
        "  - {name: both, title_any: [engineer], sources: [stripe, stripe-careers]}\n",
        "  - {email: all@example.com, watches: [everywhere], backfill: full}\n"
        "  - {email: s1@example.com, watches: [s1], backfill: full}\n"
        "  - {email: both@example.com, watches: [both], backfill: full}\n",
    )
    board = only_engineer(stripe_board())
    crawl(sessions, config, "stripe", board)
    crawl(sessions, config, "stripe-careers", board)
    told(sessions)

    crawl(sessions, config, "stripe", without_engineer(board))  # still open on careers
    assert told(sessions) == {"s1@example.com": Counter({("closed", "stripe"): 1})}

    crawl(sessions, config, "stripe", board)  # back on stripe, now a copy of the careers posting
    assert told(sessions) == {"s1@example.com": Counter({("reopened", "stripe"): 1})}

    changed = copy.deepcopy(board)
    job(changed, ENGINEER)["title"] = "Growth Engineer II"
    crawl(sessions, config, "stripe", changed)
    crawl(sessions, config, "stripe-careers", changed)  # the same change, seen on both boards
    assert told(sessions) == {
        "all@example.com": Counter({("changed", "stripe-careers"): 1}),
        "s1@example.com": Counter({("changed", "stripe"): 1}),
        "both@example.com": Counter({("changed", "stripe-careers"): 1}),
    }


def test_a_copy_that_closed_no_longer_stands_for_the_job_on_a_third_source(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    config = config_with(
        database_url,
        ["stripe", "s2", "s3"],
        "  - {name: w23, title_any: [engineer], sources: [s2, s3]}\n",
        "  - {email: w23@example.com, watches: [w23], backfill: full}\n",
    )
    board = only_engineer(stripe_board())
    crawl(sessions, config, "stripe", board)
    crawl(sessions, config, "s2", board)
    crawl(sessions, config, "s3", board)  # w23 follows the job on s2 already
    assert told(sessions) == {"w23@example.com": Counter({("new", "s2"): 1})}

    crawl(sessions, config, "s2", without_engineer(board))  # still open on s3, which w23 covers
    assert told(sessions) == {}
    changed = copy.deepcopy(board)
    job(changed, ENGINEER)["title"] = "Growth Engineer II"
    crawl(sessions, config, "s3", changed)  # so w23 follows it there now
    assert told(sessions) == {"w23@example.com": Counter({("changed", "s3"): 1})}


def test_a_copy_back_while_its_original_stays_closed_is_news_to_everyone(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    config = config_with(
        database_url,
        ["stripe", "stripe-careers"],
        "  - {name: everywhere, title_any: [engineer]}\n",
        "  - {email: all@example.com, watches: [everywhere], backfill: full}\n",
    )
    board = only_engineer(stripe_board())
    crawl(sessions, config, "stripe", board)
    crawl(sessions, config, "stripe-careers", board)
    crawl(sessions, config, "stripe-careers", without_engineer(board))
    crawl(sessions, config, "stripe", without_engineer(board))
    assert told(sessions) == {
        "all@example.com": Counter({("new", "stripe"): 1, ("closed", "stripe"): 1}),
    }
    crawl(sessions, config, "stripe-careers", board)
    assert told(sessions) == {"all@example.com": Counter({("reopened", "stripe-careers"): 1})}
