"""The web view under load and attack, on a real uvicorn server on 127.0.0.1: a page waiting on
the database does not hold back others, filters run in SQL, and answers carry what a browser
needs to keep the view to itself (host check, security headers, the token's cookie)."""

from __future__ import annotations

import copy
import http.client
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from config.loader import load_config
from config.schema import Config
from pipeline.db import open_database, session_factory
from rolewatch.demo_boards import board_after, board_before
from rolewatch.queries import list_events, list_postings
from rolewatch.webview.app import create_app
from tests.conftest import free_port
from tests.test_web import store

# Companies as boards write them: one name in several cases, a non-ASCII one, and none at all.
COMPANIES = ["Stripe", "STRIPE", "stripe", "École Tech", "ÉCOLE TECH", "école tech", "Other Co", None]
# How long a request that should already have been answered may take before the test gives up.
PATIENCE = 20


def companies_board() -> dict[str, Any]:
    board = copy.deepcopy(board_before())
    jobs: list[dict[str, Any]] = board["jobs"]  # type: ignore[assignment]
    board["jobs"] = [
        {**job, "id": 900_000 + number, "company_name": company}
        for number, (job, company) in enumerate(zip(jobs, COMPANIES, strict=False))
    ]
    return board


@pytest.fixture
def stored(database_url: str, tmp_path: Path) -> Config:
    """The Stripe board before and after, and a board whose jobs name their company in many ways,
    stored in `database_url` (SQLite, and PostgreSQL when the tests have one)."""
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f'database: "{database_url}"\n'
        "sources:\n"
        "  - {name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}\n"
        "  - {name: cases, type: greenhouse, board: cases}\n"
        "watches:\n  - {name: infra, extends: infrastructure}\n"
        "recipients:\n  - {email: me@example.com, watches: [infra]}\n"
    )
    config = load_config(path)
    store(config, "stripe", board_before())
    store(config, "stripe", board_after())
    store(config, "cases", companies_board())
    return config


@contextmanager
def database_locked(url: str, app: Starlette) -> Iterator[str]:
    """The events table locked against readers until the block ends; yields a page that needs
    nothing locked (SQLite locks the whole file, PostgreSQL just the table)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # An open connection in WAL mode keeps the file from being locked: the app's must go.
        app.state.engine.dispose()
        holder = sqlite3.connect(parsed.database or "", isolation_level=None)
        try:
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
            holder.execute("BEGIN EXCLUSIVE")
            yield "/feeds"
        finally:
            holder.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
            yield "/sources"
            connection.rollback()
    finally:
        engine.dispose()


@contextmanager
def running(app: Starlette) -> Iterator[str]:
    """`app` on uvicorn at 127.0.0.1; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not server.started:
        assert time.monotonic() < deadline, "the web view did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=PATIENCE)


def waiting_on_a_lock(url: str) -> bool:
    """Whether a query of the events waits on a PostgreSQL lock (SQLite cannot tell: always True)."""
    if make_url(url).get_backend_name() == "sqlite":
        return True
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            waiting = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database() AND query LIKE '%FROM events%'"
                )
            )
    finally:
        engine.dispose()
    return bool(waiting)


def fetch(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One GET: the status, the headers (names in lower case) and the body."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=PATIENCE * 3)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode()
    finally:
        connection.close()


def test_a_page_waiting_on_the_database_does_not_hold_back_another(stored: Config) -> None:
    app = create_app(stored)
    answers: dict[str, tuple[int, str]] = {}
    with running(app) as url:

        def ask(name: str, path: str) -> None:
            status, _, body = fetch(url, path)
            answers[name] = (status, body)

        with database_locked(stored.database, app) as free_page:
            slow = threading.Thread(target=ask, args=("slow", "/events?company=" + quote("école tech")))
            slow.start()
            deadline = time.monotonic() + PATIENCE
            while not waiting_on_a_lock(stored.database) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # the slow request is in the database, waiting on the lock
            other = threading.Thread(target=ask, args=("other", free_page))
            other.start()
            other.join(timeout=PATIENCE)
            # The other page answered while the slow one still waits for the lock.
            assert "other" in answers and answers["other"][0] == 200
            assert "slow" not in answers
        slow.join(timeout=PATIENCE * 3)
        status, body = answers["slow"]
        assert status == 200 and body.count('<span class="badge new">') == 3


def of_company(rows: list[dict[str, Any]], wanted: str) -> list[dict[str, Any]]:
    """The rows a company filter gave when it looked at each row in Python."""
    return [row for row in rows if (row["company"] or "").casefold() == wanted.casefold()]


def test_the_company_filter_gives_what_filtering_each_row_gave(stored: Config) -> None:
    engine = open_database(stored.database)
    statements: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, params, *_: statements.append(f"{sql} {params}"),
    )
    try:
        with session_factory(engine)() as session:
            every_event = list_events(session, stored, limit=0)
            every_posting = list_postings(session)
            for wanted in ["stripe", "STRIPE", "école tech", "ÉCOLE TECH", "other co", "nobody"]:
                statements.clear()
                events = list_events(session, stored, company=wanted, limit=0)
                postings = list_postings(session, company=wanted)
                # The database picks the rows: every query reading postings' data asks for the company.
                reading = [sql for sql in statements if "posting_versions.data" in sql]
                assert reading and all("company" in sql for sql in reading), reading
                assert events == of_company(every_event, wanted)
                assert postings == of_company(every_posting, wanted)
            assert len(list_events(session, stored, company="École Tech", limit=0)) == 3
            assert len(list_events(session, stored, company="stripe", limit=2)) == 2
            at_stripe = list_events(session, stored, company="Stripe", watch="infra", limit=0)
            assert at_stripe and at_stripe == of_company(
                list_events(session, stored, watch="infra", limit=0), "stripe"
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def board_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The Stripe board, crawled once, in SQLite."""
    folder = tmp_path_factory.mktemp("guarded")
    path = folder / "rolewatch.yaml"
    path.write_text(
        f'database: "sqlite:///{folder}/rolewatch.db"\n'
        "sources: [{name: stripe, type: greenhouse, board: stripe}]\n"
        "watches: [{name: infra, extends: infrastructure}]\n"
        "recipients: [{email: me@example.com, watches: [infra]}]\n"
    )
    config = load_config(path)
    store(config, "stripe", board_before())
    return config


@pytest.fixture(scope="module")
def tokenless(board_config: Config) -> Iterator[str]:
    with running(create_app(board_config)) as url:
        yield url


@pytest.fixture(scope="module")
def tokened(board_config: Config) -> Iterator[str]:
    with running(create_app(board_config, token="t0ken")) as url:
        yield url


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST:8080", "127.0.0.1", "127.0.0.1:8080", "127.8.9.10:1", "[::1]", "[::1]:8080"],
)
def test_without_a_token_loopback_host_names_are_answered(tokenless: str, host: str) -> None:
    status, _, body = fetch(tokenless, "/feeds", {"Host": host})
    assert status == 200 and "recipient-" in body


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", "localhost:x",
     "[::2]:8080", "10.0.0.1", "0.0.0.0", "me@localhost", ""],
)  # fmt: skip
def test_without_a_token_other_host_names_are_refused(tokenless: str, host: str) -> None:
    # A page on evil.example whose name now resolves to 127.0.0.1 (DNS rebinding) sends its own.
    status, _, body = fetch(tokenless, "/feeds", {"Host": host})
    assert status == 421
    assert "recipient-" not in body


def test_with_a_token_any_host_name_is_answered(tokened: str) -> None:
    status, _, _ = fetch(tokened, "/feeds", {"Host": "rolewatch.example", "Authorization": "Bearer t0ken"})
    assert status == 200


@pytest.mark.parametrize(
    "path", ["/", "/events", "/postings/999999", "/feeds", "/feeds/watch-infra.xml", "/static/rolewatch.css"]
)
def test_every_answer_carries_security_headers(tokenless: str, tokened: str, path: str) -> None:
    answers = [
        fetch(tokenless, path),
        fetch(tokenless, path, {"Host": "evil.example"}),
        fetch(tokened, path),
        fetch(tokened, path, {"Authorization": "Bearer t0ken"}),
    ]
    assert [status for status, _, _ in answers][1:3] == [421, 401]
    for _, headers, _ in answers:
        policy = [part.strip() for part in headers["content-security-policy"].split(";")]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


def test_pages_need_nothing_the_policy_refuses(tokenless: str) -> None:
    for path in ["/", "/events", "/feeds", "/postings/1"]:
        status, _, page = fetch(tokenless, path)
        assert status == 200
        # No inline style or script, no outside address: all of it comes from 'self'.
        assert "<style" not in page and "style=" not in page and "<script" not in page
        assert '<link rel="stylesheet" href="/static/rolewatch.css">' in page
    status, headers, css = fetch(tokenless, "/static/rolewatch.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    assert "header { background: #24292f;" in css


def test_the_token_cookie_expires_and_stays_on_this_site(tokened: str) -> None:
    status, headers, _ = fetch(tokened, "/sources?token=t0ken")
    assert status == 200
    cookie = SimpleCookie(headers["set-cookie"])["rolewatch_token"]
    assert cookie.value == "t0ken"
    assert cookie["max-age"] == str(30 * 24 * 3600)
    assert cookie["httponly"] is True and cookie["samesite"].lower() == "strict" and cookie["path"] == "/"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_read_in_any_case(tokened: str, scheme: str) -> None:
    assert fetch(tokened, "/sources", {"Authorization": f"{scheme} t0ken"})[0] == 200


@pytest.mark.parametrize("authorization", [None, "Basic t0ken", "Bearer wrong", "t0ken", "Bearer"])
def test_a_refused_request_is_told_how_to_authenticate(tokened: str, authorization: str | None) -> None:
    status, headers, body = fetch(
        tokened, "/sources", {"Authorization": authorization} if authorization else {}
    )
    assert status == 401
    assert headers["www-authenticate"] == 'Bearer realm="rolewatch"'
    assert "stripe" not in body
