"""Boards failing in every way at once, in one crawl beside a healthy board: each failure is a
clear problem on its own crawl run, none closes a posting, and the healthy board is unaffected."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.loader import load_config
from pipeline.db import open_database, session_factory
from pipeline.models import Event, Posting, Source
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.cycle import crawl_sources
from rolewatch.demo_boards import board_before

pytestmark = pytest.mark.faults


def board_of(index: int) -> bytes:
    jobs = copy.deepcopy(board_before()["jobs"][index * 3 : index * 3 + 3])
    for job in jobs:
        job["id"] += (index + 1) * 10**9
    return json.dumps({"jobs": jobs, "meta": {"total": len(jobs)}}).encode()


def faults(url: str) -> dict[str, tuple[Reply, str]]:
    """Each failing board's reply, and what its crawl's problems must say."""
    truncated = board_of(4)
    return {
        "http500": (Reply(b"oops", status=500), "HTTP 500"),
        "rate-limited": (Reply(b"slow down", status=429, headers={"Retry-After": "1"}), "HTTP 429"),
        "hanging": (Reply(board_of(2), delay=30), "its time budget (4s) ran out"),
        "emptied": (
            Reply(b'{"jobs": [], "meta": {"total": 0}}'),
            "board shrank from 3 to 0 postings; nothing closed",
        ),
        "truncated": (Reply(truncated[: len(truncated) // 2]), "response is not valid JSON"),
        "html": (
            Reply(b"<html><body>Maintenance</body></html>", content_type="text/html"),
            "response is not valid JSON",
        ),
        "huge": (Reply(b"x" * 50 * 1024 * 1024), "response is not valid JSON"),
        "oversized": (
            Reply(b"x" * (64 * 1024 * 1024 + 1)),
            "failed: the response was larger than the 64 MB download limit (DOWNLOAD_MAXSIZE)",
        ),
        "redirect-loop": (
            Reply(b"", status=302, headers={"Location": f"{url}/v1/boards/redirect-loop/jobs?content=true"}),
            "redirect",
        ),
    }


def write_config(folder: Path, url: str, names: list[str]) -> Path:
    lines = [f'database: "sqlite:///{folder / "rolewatch.db"}"', "sources:"]
    for name in names:
        timeout = "4s" if name == "hanging" else "2m"
        lines.append(
            f"  - {{name: {name}, type: greenhouse, board: {name}, api_base: '{url}', timeout: {timeout}}}"
        )
    path = folder / "rolewatch.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_failing_boards_each_get_a_clear_problem_close_nothing_and_spare_the_healthy_one(
    tmp_path: Path,
) -> None:
    with BoardServer() as server:
        failing = faults(server.url)
        names = ["healthy", *failing]
        config = load_config(write_config(tmp_path, server.url, names))
        for index, name in enumerate(names):
            server.set(f"/v1/boards/{name}/jobs", Reply(board_of(index)))
        first = crawl_sources(config)
        assert all(outcome.ok for outcome in first), [o for o in first if not o.ok]

        for name, (reply, _) in failing.items():
            server.set(f"/v1/boards/{name}/jobs", reply)
        second = {outcome.source: outcome for outcome in crawl_sources(config)}

    assert second["healthy"].ok and second["healthy"].result["status"] == "complete"
    for name, (_, expected) in failing.items():
        outcome = second[name]
        problems = " | ".join(outcome.result.get("problems") or []) or (outcome.error or "")
        assert expected in problems, (name, problems)
        assert outcome.result.get("closed", 0) == 0, name
    engine = open_database(config.database)
    with session_factory(engine)() as session:
        closed = session.scalars(select(Event).where(Event.type == "closed")).all()
        open_by_source: dict[str, Any] = {}
        for source, status in session.execute(select(Source.name, Posting.status).join(Posting)):
            open_by_source.setdefault(source, []).append(status)
    engine.dispose()
    assert closed == []
    assert all(set(statuses) == {"open"} for statuses in open_by_source.values())
    assert set(open_by_source) == set(names)


class _UnsizedHandler(BaseHTTPRequestHandler):
    """Answers every path with a 2 MB JSON body sent without Content-Length, ended by closing
    the connection, as a streaming server does: its size is known only once it is read."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"jobs": [{"id": 1, "title": "x" * 2 * 1024 * 1024}]}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_source_past_its_raw_size_cap_ends_incomplete_naming_the_limit_and_closes_nothing(
    tmp_path: Path,
) -> None:
    page = b"<html><body>" + b"<p>filler</p>" * 50_000 + b"</body></html>"  # 0.6 MB each
    unsized = ThreadingHTTPServer(("127.0.0.1", 0), _UnsizedHandler)
    threading.Thread(target=unsized.serve_forever, daemon=True).start()
    with BoardServer() as server:
        for name in ("a", "b"):
            server.set(f"/pages/{name}", Reply(page, content_type="text/html"))
        lines = [
            f'database: "sqlite:///{tmp_path / "rolewatch.db"}"',
            "sources:",
            f"  - {{name: grown, type: greenhouse, board: grown, api_base: '{server.url}',"
            " max_raw_mb: 1, close_after_missing: 1}",
            f"  - {{name: unsized, type: greenhouse, board: any, api_base: 'http://127.0.0.1:"
            f"{unsized.server_address[1]}', max_raw_mb: 1}}",
            f"  - {{name: pages, type: jsonld, urls: ['{server.url}/pages/a', '{server.url}/pages/b'],"
            " max_raw_mb: 1}",
        ]
        config = load_config(write_lines(tmp_path, lines))
        server.set("/v1/boards/grown/jobs", Reply(board_of(0)))
        (first,) = crawl_sources(config, ["grown"])
        assert first.result["status"] == "complete"

        server.set("/v1/boards/grown/jobs", Reply(json.dumps({"jobs": [], "pad": "x" * 2**21}).encode()))
        outcomes = {outcome.source: outcome.result for outcome in crawl_sources(config)}
    unsized.shutdown()
    unsized.server_close()

    base = server.url
    assert outcomes["grown"]["problems"] == [
        f"listing {base}/v1/boards/grown/jobs?content=true failed:"
        " the response was larger than the source's 1 MB limit (max_raw_mb)"
    ]
    assert outcomes["grown"]["closed"] == 0
    assert outcomes["unsized"]["problems"] == [
        f"listing http://127.0.0.1:{unsized.server_address[1]}/v1/boards/any/jobs?content=true failed:"
        " the response was larger than the source's 1 MB limit (max_raw_mb)"
    ]
    (pages,) = outcomes["pages"]["problems"]
    assert pages.startswith("the board's responses add up to more than 1 MB: kept what came before")
    assert pages.endswith("; raise max_raw_mb")
    assert {result["status"] for result in outcomes.values()} == {"incomplete"}


def test_a_board_too_big_to_store_within_its_budget_stops_storing_at_it_and_closes_nothing(
    tmp_path: Path,
) -> None:
    jobs = 20_000  # a second or so to read, several to store: far more than the budget allows
    with BoardServer() as server:
        lines = [
            f'database: "sqlite:///{tmp_path / "rolewatch.db"}"',
            "sources:",
            f"  - {{name: big, type: greenhouse, board: big, api_base: '{server.url}',"
            " timeout: 3s, close_after_missing: 1}",
        ]
        config = load_config(write_lines(tmp_path, lines))
        server.set("/v1/boards/big/jobs", Reply(board_of(0)))
        (first,) = crawl_sources(config)
        assert first.result["status"] == "complete"

        listing = {"jobs": [{"id": number, "title": f"Job {number}"} for number in range(1, jobs + 1)]}
        server.set("/v1/boards/big/jobs", json.dumps(listing))
        (second,) = crawl_sources(config)

    result = second.result
    assert result["status"] == "incomplete"
    assert result["problems"] == ["crawl ended early: its time budget (3s) ran out"]
    assert result["seen"] == result["new"] < jobs
    assert result["closed"] == 0


def write_lines(folder: Path, lines: list[str]) -> Path:
    path = folder / "rolewatch.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
