"""429/503 with Retry-After: waited for and retried, bounded, and never dropped silently."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from config.schema import Config
from crawler.middlewares import retry_after_seconds
from pipeline.db import open_database
from rolewatch.boardserver import BoardServer, Incoming, Received, Reply
from tests.conftest import crawl_source, real_payload

BOARD_PATH = "/v1/boards/stripe/jobs"


def _config(make_config: Callable[..., Config], url: str, tmp_path: Path) -> Config:
    database_url = f"sqlite:///{tmp_path / 'rolewatch.db'}"
    config = make_config(
        f"""
database: "{database_url}"
sources:
  - name: stripe
    type: greenhouse
    board: stripe
    api_base: {url}
"""
    )
    open_database(database_url).dispose()
    return config


def _board() -> bytes:
    payload = real_payload("greenhouse/stripe-jobs-content-trimmed-2026-07.json")
    payload["meta"]["total"] = len(payload["jobs"])
    return json.dumps(payload).encode()


def _listing(server: BoardServer) -> list[Received]:
    return [seen for seen in server.received if seen.path.split("?")[0] == BOARD_PATH]


def test_retry_after_is_waited_for_and_the_retry_completes_the_crawl(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    answers = [Reply(b"slow down", 429, "text/plain", headers={"Retry-After": "1"}), Reply(_board())]
    board_server.handle(BOARD_PATH, lambda incoming: answers.pop(0) if len(answers) > 1 else answers[0])
    config = _config(make_config, board_server.url, tmp_path)

    outcome = crawl_source(config, "stripe", timeout=120)

    assert outcome.result["status"] == "complete", outcome.result
    assert outcome.result["new"] == 2
    first, second = _listing(board_server)
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.95


def test_a_retry_after_beyond_the_limit_fails_the_crawl_with_a_clear_problem(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    busy = Reply(b"come back later", 503, "text/plain", headers={"Retry-After": "3600"})
    board_server.set(BOARD_PATH, busy)
    config = _config(make_config, board_server.url, tmp_path)

    outcome = crawl_source(config, "stripe", timeout=120)

    assert outcome.result["status"] == "incomplete"
    assert len(_listing(board_server)) == 1  # not retried
    assert any(
        "HTTP 503 with Retry-After 3600s" in problem and "not retried" in problem
        for problem in outcome.result["problems"]
    ), outcome.result["problems"]


def test_retries_that_run_out_are_a_problem_on_the_crawl(
    board_server: BoardServer, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    def always_busy(incoming: Incoming) -> Reply:
        return Reply(b"busy", 429, "text/plain", headers={"Retry-After": "0"})

    board_server.handle(BOARD_PATH, always_busy)
    config = _config(make_config, board_server.url, tmp_path)

    outcome = crawl_source(config, "stripe", timeout=120)

    assert len(_listing(board_server)) == 3  # the request and RETRY_TIMES retries
    assert outcome.result["status"] == "incomplete"
    assert any("failed: HTTP 429" in problem for problem in outcome.result["problems"])


def test_retry_after_header_values() -> None:
    now = datetime(2026, 8, 17, 9, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120", now) == 120.0
    assert retry_after_seconds(" 5 ", now) == 5.0
    assert retry_after_seconds(b"Mon, 17 Aug 2026 09:00:30 GMT", now) == 30.0
    assert retry_after_seconds(b"Mon, 17 Aug 2026 08:00:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds(b"soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_a_retry_after_of_unusual_digits_is_not_a_number() -> None:
    from crawler.middlewares import retry_after_seconds

    assert retry_after_seconds(b"\xb2") is None  # "²" in latin-1
    assert retry_after_seconds(b"7") == 7.0
