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
    return parse_config(
        f"""
database: "{database_url}"
sources:
  - {{name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}}
  - {{name: stripe-careers, type: greenhouse, board: stripe, close_after_missing: 1}}
watches:
  - {{name: everywhere, title_any: [engineer]}}
  - {{name: careers-only, title_any: [engineer], sources: [stripe-careers]}}
  - {{name: both, title_any: [engineer], sources: [stripe, stripe-careers]}}
recipients:
  - {{email: all@example.com, watches: [everywhere], backfill: full}}
  - {{email: careers@example.com, watches: [careers-only], backfill: full}}
  - {{email: both@example.com, watches: [both], backfill: full}}
""",
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
