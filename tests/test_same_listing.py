"""A listing sent again byte for byte is not parsed: its postings are seen unchanged as stored.

Only a clean crawl (complete, nothing dropped, no missing posting still waiting to close)
vouches for its listing; anything else has the same bytes parsed in full next time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from config.schema import Config
from pipeline.db import open_database, session_factory
from pipeline.ingest import listing_digest
from pipeline.models import CrawlRun, Posting
from rolewatch.boardserver import BoardServer
from tests.conftest import crawl_source, real_payload, version_and_event_counts

BOARD_PATH = "/v1/boards/stripe/jobs"


def _config(make_config: Callable[..., Config], url: str, database_url: str, extra: str = "") -> Config:
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: stripe
    type: greenhouse
    board: stripe
    api_base: {url}
{extra}"""
    )
    open_database(database_url).dispose()
    return config


def _board(jobs: int) -> dict[str, Any]:
    payload = real_payload("greenhouse/stripe-jobs-list-2026-08.json")
    payload["jobs"] = payload["jobs"][:jobs]
    payload["meta"]["total"] = jobs
    return payload


def _last_run(database_url: str) -> tuple[dict[str, Any], list[Any]]:
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).one()
        seen = list(session.scalars(select(Posting.last_seen).where(Posting.status == "open")))
    engine.dispose()
    return run.stats or {}, seen


def test_a_listing_sent_again_byte_for_byte_is_seen_unchanged_without_parsing(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    payload = _board(12)
    board_server.set(BOARD_PATH, json.dumps(payload))
    config = _config(make_config, board_server.url, database_url)
    first = crawl_source(config, "stripe")
    assert first.result["status"] == "complete" and first.result["new"] == 12, first
    stored = version_and_event_counts(database_url)
    stats, seen_before = _last_run(database_url)
    assert "same_listing" not in stats

    again = crawl_source(config, "stripe")

    assert again.result["status"] == "complete", again
    assert (again.result["seen"], again.result["unchanged"]) == (12, 12)
    assert again.result["new"] == again.result["changed"] == again.result["closed"] == 0
    assert version_and_event_counts(database_url) == stored
    stats, seen_after = _last_run(database_url)
    assert stats["same_listing"] is True
    assert min(seen_after) > max(seen_before), "every posting is marked seen by the skipped listing"

    # One byte of difference and the listing is read again, posting by posting.
    payload["jobs"][3]["title"] += " (Remote)"
    board_server.set(BOARD_PATH, json.dumps(payload))
    changed = crawl_source(config, "stripe")
    assert changed.result["status"] == "complete"
    assert (changed.result["changed"], changed.result["unchanged"]) == (1, 11)
    assert "same_listing" not in _last_run(database_url)[0]


def test_a_posting_missing_but_not_yet_closed_has_the_same_listing_read_again_until_it_closes(
    board_server: BoardServer, make_config: Callable[..., Config], database_url: str
) -> None:
    config = _config(make_config, board_server.url, database_url, "    close_after_missing: 2\n")
    board_server.set(BOARD_PATH, json.dumps(_board(3)))
    assert crawl_source(config, "stripe").result["new"] == 3
    board_server.set(BOARD_PATH, json.dumps(_board(2)))

    missed_once = crawl_source(config, "stripe")
    assert (missed_once.result["status"], missed_once.result["closed"]) == ("complete", 0)
    # Same bytes, but the third posting waits for a second miss: the listing must be read.
    missed_twice = crawl_source(config, "stripe")
    assert missed_twice.result["closed"] == 1
    assert "same_listing" not in _last_run(database_url)[0]

    settled = crawl_source(config, "stripe")
    assert (settled.result["closed"], settled.result["unchanged"]) == (0, 2)
    assert _last_run(database_url)[0]["same_listing"] is True


def test_the_listing_digest_covers_the_source_settings_it_was_read_with(
    make_config: Callable[..., Config],
) -> None:
    body = json.dumps(_board(2)).encode()
    plain = _config(make_config, "http://127.0.0.1:9", "sqlite://").sources[0]
    renamed = _config(make_config, "http://127.0.0.1:9", "sqlite://", "    company: Stripe Inc\n").sources[0]
    assert listing_digest(body, plain) == listing_digest(body, plain)
    assert listing_digest(body, plain) != listing_digest(body, renamed)
    assert listing_digest(body, plain) != listing_digest(body + b" ", plain)
