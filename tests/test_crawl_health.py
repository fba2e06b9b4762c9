"""Each source's crawl health (ok, blocked, broken, gone) from what its board answered, shown by
`status`, `status --json` and the web view's sources page."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner

from config.schema import Config
from crawler.faults import is_challenge
from pipeline.db import open_database
from pipeline.health import ProblemKind, crawl_health
from pipeline.states import CrawlHealth
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.cli import main
from rolewatch.crawling import crawl_in_subprocess
from tests.conftest import real_payload
from tests.test_web import serving

CHALLENGE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<script>window._cf_chl_opt = {cType: 'managed'};</script></body></html>"
)
# A page Cloudflare let through carries its script too.
PASSED_PAGE = (
    b"<html><head><title>Careers at Acme</title></head><body><h1>Open roles</h1>"
    b'<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script></body></html>'
)
CAPTCHA_PAGE = b'<html><body><form><div class="g-recaptcha" data-sitekey="x"></div></form></body></html>'

# Each source on a loopback host of its own, answering its listing so.
ANSWERS: dict[str, tuple[Reply | None, CrawlHealth]] = {
    "fine": (None, CrawlHealth.OK),
    "forbidden": (Reply(b"forbidden", 403, "text/plain"), CrawlHealth.BLOCKED),
    "throttled": (Reply(b"slow down", 429, "text/plain", headers={"Retry-After": "1"}), CrawlHealth.BLOCKED),
    "challenged": (
        Reply(CHALLENGE_PAGE, 403, "text/html", headers={"cf-mitigated": "challenge"}),
        CrawlHealth.BLOCKED,
    ),
    "captcha": (Reply(CAPTCHA_PAGE, 200, "text/html"), CrawlHealth.BLOCKED),
    "erroring": (Reply(b"oops", 500, "text/plain"), CrawlHealth.BROKEN),
    "garbled": (Reply(b'{"jobs": [', 200), CrawlHealth.BROKEN),
    "unknown": (Reply(b"no such board", 404, "text/plain"), CrawlHealth.GONE),
}


def board_json() -> bytes:
    payload = real_payload("greenhouse/stripe-jobs-content-trimmed-2026-07.json")
    payload["meta"]["total"] = len(payload["jobs"])
    return json.dumps(payload).encode()


@pytest.fixture
def crawled(make_config: Callable[..., Config], tmp_path: Path) -> Iterator[tuple[Config, dict[str, dict]]]:
    """Every source of `ANSWERS` crawled once, together; their outcomes by name."""
    with ExitStack() as stack:
        lines = []
        for number, (name, (reply, _)) in enumerate(ANSWERS.items(), start=2):
            server = stack.enter_context(BoardServer(f"127.0.0.{number}"))
            server.set(f"/v1/boards/{name}/jobs", reply or board_json())
            lines.append(f"  - {{name: {name}, type: greenhouse, board: {name}, api_base: '{server.url}'}}")
        database = f"sqlite:///{tmp_path / 'rolewatch.db'}"
        config = make_config(f'database: "{database}"\nsources:\n' + "\n".join(lines) + "\n")
        open_database(database).dispose()
        outcomes = crawl_in_subprocess(config, list(ANSWERS), timeout=180)
        yield config, {outcome.source: outcome.result for outcome in outcomes}


def test_each_source_gets_the_health_its_board_answered_with(crawled: tuple[Config, dict[str, dict]]) -> None:
    _, results = crawled
    assert {name: result["health"] for name, result in results.items()} == {
        name: health for name, (_, health) in ANSWERS.items()
    }
    assert results["fine"]["status"] == "complete"
    assert all(results[name]["status"] == "incomplete" for name in ANSWERS if name != "fine")


def test_status_shows_each_sources_health_as_a_column_and_in_json(
    crawled: tuple[Config, dict[str, dict]], tmp_path: Path
) -> None:
    config_path = str(tmp_path / "rolewatch.yaml")
    as_json = CliRunner().invoke(main, ["status", "--json", "--config", config_path])
    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.output.splitlines() if line.startswith('{"name"')]
    assert {row["name"]: row["health"] for row in rows} == {
        name: health for name, (_, health) in ANSWERS.items()
    }

    table = CliRunner().invoke(main, ["status", "--config", config_path])
    header = table.output.splitlines()[0].split()
    assert header[:4] == ["NAME", "LAST_CRAWL", "STATUS", "HEALTH"]
    unknown = next(line for line in table.output.splitlines() if line.startswith("unknown "))
    assert " gone " in unknown


def test_the_sources_page_shows_each_sources_health(crawled: tuple[Config, dict[str, dict]]) -> None:
    config, _ = crawled
    for web in serving(config):
        status, page = web.get("/sources")
        assert status == 200
        for name, (_, health) in ANSWERS.items():
            row = page[page.index(f">{name}</a>") :].split("</tr>")[0]
            assert f'<span class="badge health-{health}">{health}</span>' in row


@pytest.mark.parametrize(
    "headers, body, json_expected, challenge",
    [
        ({"cf-mitigated": "challenge"}, b"", False, True),
        ({"Content-Type": "text/html"}, CHALLENGE_PAGE, False, True),
        ({"Content-Type": "text/html"}, CAPTCHA_PAGE, True, True),
        # An application form with a captcha is a page of the board where HTML was asked for.
        ({"Content-Type": "text/html"}, CAPTCHA_PAGE, False, False),
        ({"Content-Type": "application/json"}, b'{"captcha": false}', True, False),
        ({"Content-Type": "text/html"}, PASSED_PAGE, False, False),
    ],
)
def test_a_bot_challenge_is_told_from_the_board_by_its_header_or_page(
    headers: dict[str, str], body: bytes, json_expected: bool, challenge: bool
) -> None:
    from scrapy.http import HtmlResponse

    response = HtmlResponse("https://boards.example/jobs", headers=headers, body=body)
    assert is_challenge(response, json_expected) is challenge


def test_a_crawls_health_is_its_worst_problem_kind() -> None:
    assert crawl_health([]) is CrawlHealth.OK
    assert crawl_health([ProblemKind.LIMIT]) is CrawlHealth.OK
    assert crawl_health([ProblemKind.NETWORK, ProblemKind.THROTTLED]) is CrawlHealth.BLOCKED
    assert crawl_health([ProblemKind.DENIED, ProblemKind.NOT_FOUND]) is CrawlHealth.GONE
    assert crawl_health([ProblemKind.UNREADABLE, ProblemKind.LIMIT]) is CrawlHealth.BROKEN
