"""`rolewatch mcp` as a subprocess, spoken to with the MCP SDK's own client over stdio (and
over streamable HTTP on 127.0.0.1): its tools, and their answers checked against the store."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

from config.loader import load_config
from config.schema import Config
from pipeline.db import open_database, session_factory
from pipeline.models import Mute
from rolewatch.cli import main
from rolewatch.demo_boards import SEED_JOB_ID, board_after, board_before
from rolewatch.paged import events_page, posting_detail, source_health
from rolewatch.queries import explain_posting, find_posting
from tests.conftest import ROOT, free_port
from tests.test_api import hostile_board, searched, write_config
from tests.test_web import store

READ_TOOLS = {"search_postings", "posting_history", "recent_events", "explain_match", "source_status"}
SEED = f"stripe:{SEED_JOB_ID}"

Talk = Callable[[ClientSession], Awaitable[None]]


@pytest.fixture
def config_path(database_url: str, tmp_path: Path) -> Path:
    path = write_config(tmp_path, database_url)
    config = load_config(path)
    store(config, "stripe", board_before())
    store(config, "stripe", board_after())
    store(config, "gone", None)
    store(config, "odd", hostile_board())
    return path


def over_stdio(config_path: Path, talk: Talk, *extra: str) -> None:
    """Runs `rolewatch mcp --config PATH` and `talk` to it through an initialized session."""
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "rolewatch", "mcp", "--config", str(config_path), *extra],
        cwd=ROOT,
    )

    async def session() -> None:
        with anyio.fail_after(120):
            async with stdio_client(server) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                await talk(client)

    anyio.run(session)


def answer(result: CallToolResult) -> Any:
    """A tool's structured answer, which its text content says too."""
    assert not result.is_error, result.content
    (text,) = result.content
    assert isinstance(text, TextContent)
    assert json.loads(text.text) == result.structured_content
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    (text,) = result.content
    assert isinstance(text, TextContent)
    return text.text


def in_store(config: Config, ask: Callable[[Any], Any]) -> Any:
    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            return ask(session)
    finally:
        engine.dispose()


def test_the_tools_answer_from_the_store_over_stdio(config_path: Path) -> None:
    config = load_config(config_path)
    answers: dict[str, Any] = {}

    async def talk(client: ClientSession) -> None:
        tools = (await client.list_tools()).tools
        answers["tools"] = {tool.name: tool for tool in tools}
        answers["search"] = answer(
            await client.call_tool("search_postings", {"query": "distributed caching"})
        )
        answers["newest"] = answer(
            await client.call_tool("search_postings", {"status": "closed", "limit": 5})
        )
        answers["explain"] = answer(
            await client.call_tool("explain_match", {"posting": SEED, "watch": "infra"})
        )
        answers["history"] = answer(await client.call_tool("posting_history", {"posting": SEED}))
        answers["events"] = answer(await client.call_tool("recent_events", {"watch": "infra", "limit": 5}))
        answers["more"] = answer(
            await client.call_tool(
                "recent_events", {"watch": "infra", "limit": 5, "cursor": answers["events"]["next"]}
            )
        )
        answers["sources"] = answer(await client.call_tool("source_status", {}))
        answers["missing"] = error_text(await client.call_tool("posting_history", {"posting": "999999"}))
        answers["no watch"] = error_text(
            await client.call_tool("explain_match", {"posting": SEED, "watch": "nope"})
        )
        answers["bad"] = error_text(await client.call_tool("search_postings", {"watch": "infra"}))
        answers["mute"] = await client.call_tool("mute", {"company": "Stripe"})

    over_stdio(config_path, talk)

    tools = answers["tools"]
    assert set(tools) == READ_TOOLS
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in tools.values())
    assert "query" in tools["search_postings"].input_schema["properties"]
    assert answers["search"] == {"items": searched(config, "distributed caching")[:20], "next": None}
    assert SEED_JOB_ID in {int(row["external_id"]) for row in answers["search"]["items"]}
    assert answers["newest"]["items"] and {row["status"] for row in answers["newest"]["items"]} == {"closed"}

    expected = in_store(config, lambda session: explain_posting(session, config, find_posting(session, SEED)))
    assert answers["explain"] == {
        **expected,
        "watches": [v for v in expected["watches"] if v["watch"] == "infra"],
    }
    (verdict,) = answers["explain"]["watches"]
    assert verdict["matches"] is True and verdict["reasons"]

    assert answers["history"] == in_store(config, lambda session: posting_detail(session, SEED))
    assert [version["version"] for version in answers["history"]["versions"]] == [1, 2]
    from notifier.stream import EventFilter

    first = in_store(
        config, lambda session: events_page(session, config, EventFilter(watch="infra"), None, 10)
    )
    assert answers["events"]["items"] + answers["more"]["items"] == first.items
    assert answers["sources"] == {"items": in_store(config, lambda s: source_health(s, config)), "next": None}

    assert "no posting '999999'" in answers["missing"]
    assert "no watch named 'nope'" in answers["no watch"]
    assert "only a text search" in answers["bad"]
    # Without --allow-mute there is no tool that writes.
    assert answers["mute"].is_error and in_store(config, lambda s: s.query(Mute).count()) == 0


def test_allow_mute_offers_mute_and_unmute(config_path: Path) -> None:
    config = load_config(config_path)
    answers: dict[str, Any] = {}

    async def talk(client: ClientSession) -> None:
        answers["tools"] = {tool.name: tool for tool in (await client.list_tools()).tools}
        answers["before"] = answer(await client.call_tool("recent_events", {"watch": "infra", "limit": 200}))
        answers["mute"] = answer(await client.call_tool("mute", {"posting": SEED}))
        answers["after"] = answer(await client.call_tool("recent_events", {"watch": "infra", "limit": 200}))
        answers["unmute"] = answer(await client.call_tool("unmute", {"posting": SEED}))
        answers["neither"] = error_text(await client.call_tool("mute", {}))

    over_stdio(config_path, talk, "--allow-mute")

    tools = answers["tools"]
    assert set(tools) == READ_TOOLS | {"mute", "unmute"}
    assert tools["mute"].annotations and tools["mute"].annotations.read_only_hint is False
    seed_id = in_store(config, lambda session: find_posting(session, SEED).id)
    assert answers["mute"]["muted"].startswith(f"posting {seed_id} ")
    assert seed_id in {row["posting"] for row in answers["before"]["items"]}
    assert seed_id not in {row["posting"] for row in answers["after"]["items"]}
    assert answers["unmute"]["was_muted"] is True
    assert in_store(config, lambda s: s.query(Mute).count()) == 0
    assert "give a posting" in answers["neither"]


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, "rolewatch mcp --http exited"
            assert time.monotonic() < deadline, "rolewatch mcp --http did not listen"
            time.sleep(0.1)


def test_streamable_http_on_loopback(config_path: Path, tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "rolewatch", "mcp", "--config", str(config_path), "--http", str(port)]
    with (tmp_path / "mcp.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stderr=log)
    found: dict[str, Any] = {}

    async def session() -> None:
        with anyio.fail_after(60):
            url = f"http://127.0.0.1:{port}/mcp"
            async with streamable_http_client(url) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                found["tools"] = {tool.name for tool in (await client.list_tools()).tools}
                found["sources"] = answer(await client.call_tool("source_status", {}))

    try:
        wait_for_port(port, process)
        anyio.run(session)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert found["tools"] == READ_TOOLS
    assert {row["name"] for row in found["sources"]["items"]} == {"stripe", "gone", "odd", "big"}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.com"])
def test_http_off_loopback_is_refused(config_path: Path, host: str) -> None:
    result = CliRunner().invoke(
        main, ["mcp", "--config", str(config_path), "--http", "8765", "--host", host], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert f"--host {host} is not a loopback address" in result.output
