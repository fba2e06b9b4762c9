"""The JSON API under /api/v1 on a real uvicorn server on 127.0.0.1, over SQLite and PostgreSQL:
every endpoint, keyset pages that neither skip nor repeat while rows arrive, the token, text
from boards kept as JSON text, and the same JSON as the CLI's --json for the same object."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from config.loader import load_config
from config.schema import Config
from pipeline.db import open_database, session_factory
from rolewatch.cli import main
from rolewatch.demo_boards import SEED_JOB_ID, board_after, board_before
from rolewatch.search import SearchFilter, search_postings
from rolewatch.search_text import parse_min_pay
from rolewatch.webview.app import create_app
from tests.test_web import store
from tests.test_web_hardening import fetch, running

HOSTILE = "</script><img src=x onerror=alert(1)> & Engineer"
PROBLEM_SOURCE = "gone"


def write_config(folder: Path, database_url: str) -> Path:
    path = folder / "rolewatch.yaml"
    path.write_text(
        f'database: "{database_url}"\n'
        "sources:\n"
        "  - {name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}\n"
        "  - {name: gone, type: greenhouse, board: gone}\n"
        "  - {name: odd, type: greenhouse, board: odd}\n"
        "  - {name: big, type: greenhouse, board: big}\n"
        "watches:\n  - {name: infra, extends: infrastructure}\n"
        "recipients:\n  - {email: me@example.com, watches: [infra]}\n"
        f'feeds: {{dir: "{folder}/feeds"}}\n'
    )
    return path


def hostile_board() -> dict[str, Any]:
    board = copy.deepcopy(board_before())
    board["jobs"] = [{**board["jobs"][0], "id": 777, "title": HOSTILE}]  # type: ignore[index]
    return board


def big_board(count: int, first_id: int = 5_000_000) -> dict[str, Any]:
    """`count` jobs, each a new posting (and so a `new` event) when first stored."""
    board = copy.deepcopy(board_before())
    job = board["jobs"][0]  # type: ignore[index]
    board["jobs"] = [
        {
            **job,
            "id": first_id + number,
            "title": f"Engineer {number}",
            "absolute_url": f"https://x.test/{number}",
        }
        for number in range(count)
    ]
    board["meta"] = {"total": count}
    return board


@pytest.fixture
def stored(database_url: str, tmp_path: Path) -> Config:
    config = load_config(write_config(tmp_path, database_url))
    store(config, "stripe", board_before())
    store(config, "stripe", board_after())
    store(config, "gone", None)
    store(config, "odd", hostile_board())
    return config


@pytest.fixture
def api(stored: Config) -> Iterator[str]:
    with running(create_app(stored)) as url:
        yield url


def get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    status, answer_headers, body = fetch(base, path, headers)
    assert answer_headers["content-type"] == "application/json", (path, answer_headers)
    return status, answer_headers, json.loads(body)


def cli_json(folder: Path, *command: str) -> list[Any]:
    """What `rolewatch COMMAND --json` prints with the config in `folder`, one JSON value a line."""
    result = CliRunner().invoke(main, [*command, "--json", "--config", str(folder / "rolewatch.yaml")])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def every_page(base: str, path: str, **params: str) -> list[list[dict[str, Any]]]:
    """Each page of a listing, following its cursors to the end."""
    pages = []
    cursor: str | None = None
    while True:
        query = urlencode({**params, **({"cursor": cursor} if cursor else {})})
        status, _, answer = get(base, f"{path}?{query}")
        assert status == 200, answer
        pages.append(answer["items"])
        cursor = answer["next"]
        if cursor is None:
            return pages


def test_postings_and_their_filters(api: str, stored: Config) -> None:
    status, _, answer = get(api, "/api/v1/postings?limit=1000")
    assert status == 200 and answer["next"] is None
    titles = {row["title"] for row in answer["items"]}
    assert "Backend Engineer, Core Technology" in titles and HOSTILE in titles
    _, _, closed = get(api, "/api/v1/postings?status=closed")
    assert closed["items"] and {row["status"] for row in closed["items"]} == {"closed"}
    _, _, odd = get(api, "/api/v1/postings?" + urlencode({"company": "STRIPE", "status": "open"}))
    assert all(row["company"].casefold() == "stripe" for row in odd["items"])
    _, _, future = get(api, "/api/v1/postings?since=2999-01-01")
    assert future == {"items": [], "next": None}
    assert get(api, "/api/v1/postings?status=bogus")[0] == 400
    assert get(api, "/api/v1/postings?since=yesterday")[0] == 400
    assert get(api, "/api/v1/postings?limit=0")[0] == 400
    assert get(api, "/api/v1/postings?limit=x")[0] == 400


def test_a_posting_with_its_versions_and_diffs_is_what_history_and_diff_print(
    api: str, stored: Config, tmp_path: Path
) -> None:
    ref = f"stripe:{SEED_JOB_ID}"
    status, _, answer = get(api, f"/api/v1/postings/{ref}")
    assert status == 200
    posting = answer["posting"]
    assert posting["title"] == "Backend Engineer, Core Technology" and posting["versions"] == 2
    assert answer["versions"] == cli_json(tmp_path, "history", ref)
    assert answer["diffs"] == cli_json(tmp_path, "diff", ref)
    assert "salary_max" in answer["diffs"][0]["changes"]
    by_number = get(api, f"/api/v1/postings/{posting['id']}")[2]
    assert by_number == answer
    listed = [row for row in cli_json(tmp_path, "postings") if row["id"] == posting["id"]]
    assert listed == [posting]
    missing_status, _, missing = get(api, "/api/v1/postings/999999")
    assert missing_status == 404 and "no posting" in missing["error"]
    assert get(api, "/api/v1/postings/stripe:nope")[0] == 404


def test_events_and_their_filters_are_what_events_json_prints(
    api: str, stored: Config, tmp_path: Path
) -> None:
    _, _, everything = get(api, "/api/v1/events?limit=1000")
    assert everything["items"] == cli_json(tmp_path, "events", "--limit", "0")
    for params in [
        {"type": "changed"},
        {"source": "odd"},
        {"company": "stripe"},
        {"watch": "infra"},
        {"since": "2000-01-01T00:00:00", "type": "new"},
    ]:
        _, _, answer = get(api, "/api/v1/events?" + urlencode({**params, "limit": "1000"}))
        flags = [part for key, value in params.items() for part in (f"--{key}", value)]
        assert answer["items"] == cli_json(tmp_path, "events", *flags, "--limit", "0"), params
        assert answer["items"], params
    assert get(api, "/api/v1/events?type=bogus")[0] == 400
    status, _, unknown = get(api, "/api/v1/events?watch=nope")
    assert status == 404 and "no watch named 'nope'" in unknown["error"]


def test_sources_health_is_what_status_prints_and_feeds_are_listed(
    api: str, stored: Config, tmp_path: Path
) -> None:
    _, _, sources = get(api, "/api/v1/sources")
    printed = cli_json(tmp_path, "status")
    assert sources == {"items": printed[: len(stored.sources)], "next": None}
    gone = next(row for row in sources["items"] if row["name"] == PROBLEM_SOURCE)
    assert gone["status"] == "failed" and "HTTP 503" in gone["problems"]
    _, _, feeds = get(api, "/api/v1/feeds")
    assert {"kind": "watch", "slug": "watch-infra", "title": "rolewatch: infra",
            "url": "/feeds/watch-infra.xml"} in feeds["items"]  # fmt: skip
    # A recipient's address (a chat URL may hold a token) is not in the list.
    assert "me@example.com" not in json.dumps([feed["slug"] for feed in feeds["items"]])
    assert all(set(feed) == {"kind", "slug", "title", "url"} for feed in feeds["items"])


def test_text_from_boards_comes_back_as_json_text(api: str) -> None:
    status, headers, body = fetch(api, "/api/v1/events?source=odd")
    assert status == 200 and headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    # No tag or entity as such in the bytes: each is a JSON escape.
    assert "<" not in body and ">" not in body and "&" not in body
    assert "\\u003c/script\\u003e\\u003cimg" in body
    (event,) = json.loads(body)["items"]
    assert event["title"] == HOSTILE


def test_unknown_endpoints_and_bad_cursors_answer_json_errors(api: str) -> None:
    status, _, answer = get(api, "/api/v1/nothing")
    assert status == 404 and answer == {"error": "no API endpoint /api/v1/nothing"}
    _, _, first = get(api, "/api/v1/postings?limit=1")
    events_cursor = get(api, "/api/v1/events?limit=1")[2]["next"]
    for cursor in ["garbage", "!!!", events_cursor, "WyJldmVudHMiLCAtMV0", "WyJldmVudHMiLCAxZTk5XQ"]:
        status, _, answer = get(api, "/api/v1/postings?" + urlencode({"cursor": cursor}))
        assert status == 400 and answer == {"error": "cursor: not one this API gave"}, cursor
    assert get(api, "/api/v1/events?" + urlencode({"cursor": first["next"]}))[0] == 400


def test_a_thousand_events_come_in_pages_with_no_gap_or_repeat_while_more_arrive(
    database_url: str, tmp_path: Path
) -> None:
    config = load_config(write_config(tmp_path, database_url))
    store(config, "big", big_board(1000))
    with running(create_app(config)) as url:
        expected = [row["id"] for row in get(url, "/api/v1/events?limit=1000")[2]["items"]]
        assert len(expected) == 1000
        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        while True:
            query = urlencode({"limit": "100", **({"cursor": cursor} if cursor else {})})
            answer = get(url, f"/api/v1/events?{query}")[2]
            pages.append(answer["items"])
            if len(pages) == 3:
                # A crawl stores 50 more postings mid-way: the pages still to come do not shift.
                store(config, "stripe", board_before())
            cursor = answer["next"]
            if cursor is None:
                break
        assert [len(page) for page in pages] == [100] * 10
        assert [row["id"] for page in pages for row in page] == expected
        postings = every_page(url, "/api/v1/postings", limit="100")
        ids = [row["id"] for page in postings for row in page]
        assert len(ids) == len(set(ids)) == 1000 + len(board_before()["jobs"])  # type: ignore[arg-type]
        assert [len(page) for page in postings][:-1] == [100] * (len(postings) - 1)


def test_postings_pages_keep_their_place_when_new_postings_arrive(database_url: str, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, database_url))
    store(config, "big", big_board(250))
    with running(create_app(config)) as url:
        first = get(url, "/api/v1/postings?limit=100")[2]
        store(config, "big", big_board(300))  # 50 more, first seen now: they sort above
        second = get(url, "/api/v1/postings?" + urlencode({"limit": "100", "cursor": first["next"]}))[2]
        third = get(url, "/api/v1/postings?" + urlencode({"limit": "100", "cursor": second["next"]}))[2]
        assert third["next"] is None
        ids = [row["id"] for page in (first, second, third) for row in page["items"]]
        assert len(ids) == len(set(ids)) == 250


def test_with_a_token_the_api_needs_it(stored: Config) -> None:
    with running(create_app(stored, token="t0ken")) as url:
        status, headers, body = fetch(url, "/api/v1/postings")
        assert status == 401 and headers["www-authenticate"] == 'Bearer realm="rolewatch"'
        assert "Engineer" not in body
        assert fetch(url, "/api/v1/events", {"Authorization": "Bearer wrong"})[0] == 401
        status, _, answer = get(
            url, "/api/v1/events", {"Authorization": "Bearer t0ken", "Host": "rw.example"}
        )
        assert status == 200 and answer["items"]
        # The postings page's link to older ones leaves the token to its cookie.
        status, _, page = fetch(url, "/postings?token=t0ken")
        assert status == 200 and "Older postings" in page and "t0ken" not in page
    with running(create_app(stored)) as url:
        # Without a token, a name other than loopback's is refused (DNS rebinding).
        assert fetch(url, "/api/v1/events", {"Host": "evil.example"})[0] == 421


def test_the_postings_page_searches_and_pages_by_the_apis_cursor(database_url: str, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, database_url))
    store(config, "big", big_board(150))
    store(config, "odd", hostile_board())
    with running(create_app(config)) as url:
        status, _, page = fetch(url, "/postings")
        assert status == 200 and '<form method="get" action="/postings" role="search">' in page
        assert "<script" not in page and "style=" not in page
        assert page.count('<a href="/postings/') == 100 and "Older postings" in page
        assert "&lt;/script&gt;&lt;img" in page
        older = page.split('<a href="/postings?')[1].split('"')[0].replace("&amp;", "&")
        _, _, rest = fetch(url, f"/postings?{older}")
        assert rest.count('<a href="/postings/') == 51 and "Older postings" not in rest
        _, _, hostile = fetch(url, "/postings?" + urlencode({"q": "onerror"}))
        assert hostile.count('<a href="/postings/') == 1 and "&lt;/script&gt;&lt;img" in hostile
        assert 'name="q" type="search" value="onerror"' in hostile
        _, _, found = fetch(url, "/postings?" + urlencode({"company": "nobody"}))
        assert "No postings." in found
        assert fetch(url, "/postings?status=bogus")[0] == 400


def searched(config: Config, text: str, **where: Any) -> list[dict[str, Any]]:
    """What `rolewatch.search` finds, each hit as `postings --json` prints it."""
    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            hits = search_postings(session, text, SearchFilter(**where), 0, config)
            return [json.loads(json.dumps(hit.as_dict())) for hit in hits]
    finally:
        engine.dispose()


def test_a_text_search_ranks_as_the_search_library_does(api: str, stored: Config) -> None:
    _, _, answer = get(api, "/api/v1/postings?" + urlencode({"q": "distributed caching", "limit": "1000"}))
    assert answer["items"] and answer["items"] == searched(stored, "distributed caching")
    assert "Backend Engineer, Core Technology" in [row["title"] for row in answer["items"]]
    params = {"q": "engineer", "workplace": "remote", "min_pay": "150k", "watch": "infra", "limit": "1000"}
    _, _, narrowed = get(api, "/api/v1/postings?" + urlencode(params))
    expected = searched(
        stored, "engineer", workplace=("remote",), min_pay=parse_min_pay("150k"), watch="infra"
    )
    assert narrowed["items"] == expected and expected
    _, _, hostile = get(api, "/api/v1/postings?" + urlencode({"q": "onerror", "company": "Stripe"}))
    assert [row["title"] for row in hostile["items"]] == [HOSTILE]
    for bad in [{"q": '""'}, {"q": "x", "workplace": "moon"}, {"q": "x", "min_pay": "lots"},
                {"watch": "infra"}, {"place": "NYC"}]:  # fmt: skip
        status, _, error = get(api, "/api/v1/postings?" + urlencode(bad))
        assert status == 400 and error["error"], bad
    assert get(api, "/api/v1/postings?" + urlencode({"q": "x", "watch": "nope"}))[0] == 404


def test_search_hits_come_in_pages_with_no_gap_or_repeat_while_more_arrive(
    database_url: str, tmp_path: Path
) -> None:
    config = load_config(write_config(tmp_path, database_url))
    store(config, "big", big_board(300))
    with running(create_app(config)) as url:
        expected = searched(config, "engineer")
        pages: list[list[dict[str, Any]]] = []
        cursor: str | None = None
        while True:
            query = urlencode({"q": "engineer", "limit": "40", **({"cursor": cursor} if cursor else {})})
            answer = get(url, f"/api/v1/postings?{query}")[2]
            pages.append(answer["items"])
            cursor = answer["next"]
            if len(pages) == 2:
                # Postings arriving rank where they rank: the pages still to come hold the rest.
                store(config, "odd", hostile_board())
            if cursor is None:
                break
        shown = [row["id"] for page in pages for row in page]
        assert len(shown) == len(set(shown))
        before = [row["id"] for row in expected]
        assert [posting for posting in shown if posting in before] == before
        assert len(shown) <= len(before) + 1
        cursor_of_list = get(url, "/api/v1/postings?limit=1")[2]["next"]
        status, _, _ = get(url, "/api/v1/postings?" + urlencode({"q": "engineer", "cursor": cursor_of_list}))
        assert status == 400
