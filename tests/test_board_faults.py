"""Boards failing in every way at once, in one crawl beside a healthy board: each failure is a
clear problem on its own crawl run, none closes a posting, and the healthy board is unaffected."""

from __future__ import annotations

import copy
import json
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
