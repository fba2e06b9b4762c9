"""Conditional listing requests against a real local server that honours ETag / Last-Modified."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from config.schema import Config
from crawler.middlewares import http_cache_root
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun
from rolewatch.boardserver import BoardServer, Received, Reply
from tests.conftest import crawl_source, real_payload, version_and_event_counts

GREENHOUSE_PATH = "/v1/boards/stripe/jobs"
LEVER_PATH = "/v0/postings/palantir"


def _config(make_config: Callable[..., Config], url: str, tmp_path: Path, source_type: str) -> Config:
    database_url = f"sqlite:///{tmp_path / 'rolewatch.db'}"
    board = "stripe" if source_type == "greenhouse" else "palantir"
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: {board}
    type: {source_type}
    board: {board}
    api_base: {url}
"""
    )
    open_database(database_url).dispose()
    return config


def _greenhouse_board() -> dict[str, Any]:
    payload = real_payload("greenhouse/stripe-jobs-content-trimmed-2026-07.json")
    payload["meta"]["total"] = len(payload["jobs"])
    return payload


def _listing(server: BoardServer, path: str) -> list[Received]:
    return [seen for seen in server.received if seen.path.split("?")[0] == path]


def test_unchanged_board_answers_304_and_the_crawl_is_complete_with_nothing_new(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    payload = _greenhouse_board()
    board_server.set(GREENHOUSE_PATH, Reply(json.dumps(payload).encode(), etag='"v1"'))
    config = _config(make_config, board_server.url, tmp_path, "greenhouse")

    first = crawl_source(config, "stripe", timeout=120)
    assert first.result["status"] == "complete", first.result
    assert first.result["new"] == 2
    before = version_and_event_counts(config.database)

    second = crawl_source(config, "stripe", timeout=120)

    requests = _listing(board_server, GREENHOUSE_PATH)
    assert "if-none-match" not in requests[0].headers
    assert requests[1].headers.get("if-none-match") == '"v1"'
    assert requests[1].status == 304
    assert second.result["status"] == "complete", second.result
    assert second.result["seen"] == 2
    assert (second.result["new"], second.result["changed"], second.result["closed"]) == (0, 0, 0)
    assert version_and_event_counts(config.database) == before
    # The stored listing lives beside the database, so it survives the crawl process.
    assert (http_cache_root(config.database) / "stripe").is_dir()

    payload["jobs"][0]["title"] = "Account Executive, AI Sales (Grower), EMEA"
    board_server.set(GREENHOUSE_PATH, Reply(json.dumps(payload).encode(), etag='"v2"'))
    third = crawl_source(config, "stripe", timeout=120)

    requests = _listing(board_server, GREENHOUSE_PATH)
    assert requests[2].headers.get("if-none-match") == '"v1"'
    assert requests[2].status == 200
    assert third.result["status"] == "complete", third.result
    assert third.result["changed"] == 1
    assert version_and_event_counts(config.database) == (before[0] + 1, before[1] + 1)

    fourth = crawl_source(config, "stripe", timeout=120)
    assert _listing(board_server, GREENHOUSE_PATH)[3].headers.get("if-none-match") == '"v2"'
    assert fourth.result["status"] == "complete" and fourth.result["changed"] == 0


def test_last_modified_is_sent_back_as_if_modified_since(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    stamp = "Mon, 17 Aug 2026 09:00:00 GMT"
    body = json.dumps(real_payload("lever/palantir-postings-2026-08-17.json")).encode()
    board_server.set(LEVER_PATH, Reply(body, last_modified=stamp))
    config = _config(make_config, board_server.url, tmp_path, "lever")

    first = crawl_source(config, "palantir", timeout=120)
    second = crawl_source(config, "palantir", timeout=120)

    requests = _listing(board_server, LEVER_PATH)
    assert requests[1].headers.get("if-modified-since") == stamp
    assert requests[1].status == 304
    assert first.result["status"] == second.result["status"] == "complete"
    assert second.result["seen"] == first.result["new"] > 0
    assert second.result["new"] == second.result["changed"] == 0


def test_a_failing_board_is_not_hidden_behind_the_stored_listing(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    board_server.set(GREENHOUSE_PATH, Reply(json.dumps(_greenhouse_board()).encode(), etag='"v1"'))
    config = _config(make_config, board_server.url, tmp_path, "greenhouse")
    assert crawl_source(config, "stripe", timeout=120).result["status"] == "complete"

    board_server.set(GREENHOUSE_PATH, Reply(b"down", status=500, content_type="text/plain"))
    failed = crawl_source(config, "stripe", timeout=120)

    assert failed.result["status"] == "incomplete"
    assert any("HTTP 500" in problem for problem in failed.result["problems"])
    engine = open_database(config.database)
    with session_factory(engine)() as session:
        statuses = list(session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)))
    engine.dispose()
    assert statuses == ["complete", "incomplete"]


def test_an_interrupted_cache_write_is_a_miss_not_a_stale_listing(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    board_server.set(GREENHOUSE_PATH, Reply(json.dumps(_greenhouse_board()).encode(), etag='"v1"'))
    config = _config(make_config, board_server.url, tmp_path, "greenhouse")
    crawl_source(config, "stripe", timeout=120)
    markers = list((http_cache_root(config.database) / "stripe").rglob("complete"))
    assert len(markers) == 1
    markers[0].unlink()  # as if the crawl had been killed while writing the entry

    again = crawl_source(config, "stripe", timeout=120)

    requests = _listing(board_server, GREENHOUSE_PATH)
    assert "if-none-match" not in requests[1].headers
    assert requests[1].status == 200
    assert again.result["status"] == "complete"
