"""Digests to webhooks and Apprise channels, delivered to a real HTTP receiver on 127.0.0.1:
signatures, retries of the same digest after a 5xx, never twice after a 2xx, 4xx recorded."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.loader import ConfigError, parse_config
from config.schema import Config, stored_address
from notifier.channels import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from notifier.digest import send_digests
from notifier.transports import MaildirTransport
from pipeline.models import Digest, OutboxItem, utcnow
from pipeline.states import EventType
from rolewatch.cli import main
from rolewatch.demo_boards import board_after, board_before
from tests.test_digest import SEED_TITLE, crawl

SECRET = "s3cret-for-tests"


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP endpoint that records every POST and answers with the next queued status."""

    port: int = 0
    answers: list[int] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(Request(self.path, dict(self.headers.items()), body))
            status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def config_with(database_url: str, recipient: str) -> Config:
    return parse_config(
        f"""
database: "{database_url}"
mail: {{transport: maildir, maildir: /nonexistent/never-used}}
sources: [{{name: stripe, type: greenhouse, board: stripe}}]
watches:
  - name: infra
    extends: infrastructure
    workplace: [remote, hybrid]
    min_salary: {{amount: 150000, currency: USD}}
recipients:
  - {{{recipient}, watches: [infra]}}
""",
        "channels.yaml",
    )


def webhook_config(database_url: str, url: str) -> Config:
    return config_with(database_url, f'webhook: "{url}", secret_env: HOOK_SECRET')


def event_ids(request: Request) -> list[int]:
    return [event["id"] for event in json.loads(request.body)["events"]]


def test_a_webhook_gets_a_signed_digest_again_after_a_500_and_never_twice_after_a_200(
    sessions: sessionmaker[Session],
    database_url: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    config = webhook_config(database_url, f"{receiver.url}/hooks/rolewatch?team=infra")
    unused = MaildirTransport(tmp_path / "mail")
    crawl(sessions, config, board_before())
    receiver.answers = [500]

    first = send_digests(sessions, config, unused)

    assert [r.status for r in first.reports] == ["retry"]
    assert "answered 500" in (first.reports[0].error or "")
    (failed,) = receiver.requests
    assert failed.path == "/hooks/rolewatch?team=infra"
    assert verify(SECRET, failed.headers[TIMESTAMP_HEADER], failed.body, failed.headers[SIGNATURE_HEADER],
                  now=time.time())  # fmt: skip
    sent = json.loads(failed.body)
    assert sent["counts"] == {"new": 1}
    (event,) = sent["events"]
    assert (event["type"], event["title"], event["ref"]) == ("new", SEED_TITLE, "stripe:6042172")
    assert event["salary_min"] == 155700 and event["salary_currency"] == "USD"

    # Not again before its backoff; then the same digest, under the same delivery id.
    assert send_digests(sessions, config, unused).reports == []
    assert len(receiver.requests) == 1
    later = utcnow() + timedelta(minutes=2)
    second = send_digests(sessions, config, unused, now=later)
    assert [r.status for r in second.reports] == ["sent"]
    assert len(receiver.requests) == 2
    retried = receiver.requests[1]
    assert retried.headers[DELIVERY_HEADER] == failed.headers[DELIVERY_HEADER]
    assert event_ids(retried) == event_ids(failed)
    assert verify(SECRET, retried.headers[TIMESTAMP_HEADER], retried.body,
                  retried.headers[SIGNATURE_HEADER], now=time.time())  # fmt: skip

    # Delivered: never again, however often digests run.
    for hours in (1, 5, 30):
        assert send_digests(sessions, config, unused, now=later + timedelta(hours=hours)).reports == []
    assert len(receiver.requests) == 2

    # The next change comes as a new digest that repeats nothing.
    crawl(sessions, config, board_after())
    third = send_digests(sessions, config, unused, now=later + timedelta(hours=31))
    assert [r.status for r in third.reports] == ["sent"]
    changed = json.loads(receiver.requests[2].body)
    assert [e["type"] for e in changed["events"]] == ["changed"]
    assert changed["events"][0]["changes"]["salary_max"] == {"old": 285600, "new": 295000}
    assert receiver.requests[2].headers[DELIVERY_HEADER] != failed.headers[DELIVERY_HEADER]


def test_a_refused_webhook_is_recorded_and_shown_in_status(
    sessions: sessionmaker[Session],
    database_url: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    url = f"{receiver.url}/hooks/secret-path-token"
    config = webhook_config(database_url, url)
    crawl(sessions, config, board_before())
    receiver.answers = [404]

    report = send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))

    assert [r.status for r in report.reports] == ["failed"]
    with sessions() as session:
        assert session.scalars(select(Digest.status)).all() == ["failed"]
        assert session.scalars(select(OutboxItem.status)).all() == ["failed"]
    later = utcnow() + timedelta(days=1)
    assert send_digests(sessions, config, MaildirTransport(tmp_path / "mail"), now=later).reports == []
    assert len(receiver.requests) == 1

    config_file = tmp_path / "rolewatch.yaml"
    config_file.write_text(
        f'database: "{database_url}"\nsources: [{{name: stripe, type: greenhouse, board: stripe}}]\n'
        f"watches: [{{name: infra, extends: infrastructure}}]\n"
        f'recipients: [{{webhook: "{url}", secret_env: HOOK_SECRET, watches: [infra]}}]\n'
    )
    shown = CliRunner().invoke(main, ["status", "--config", str(config_file), "--json"])
    assert shown.exit_code == 0, shown.output
    recipient = json.loads(shown.output.splitlines()[-1])
    assert recipient["digest_status"] == "failed"
    assert "answered 404" in recipient["last_error"]
    # The URL's path may be a token: status shows the host only.
    assert "secret-path-token" not in shown.output
    assert recipient["recipient"] == f"http://127.0.0.1:{receiver.port}/…"


def test_a_redirecting_webhook_is_a_lasting_failure_and_a_refused_signature_is_retried(
    sessions: sessionmaker[Session],
    database_url: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    config = webhook_config(database_url, f"{receiver.url}/hook")
    crawl(sessions, config, board_before())
    receiver.answers = [403, 302]

    first = send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))
    second = send_digests(
        sessions, config, MaildirTransport(tmp_path / "mail"), now=utcnow() + timedelta(hours=1)
    )

    assert [r.status for r in first.reports] == ["retry"]
    assert [r.status for r in second.reports] == ["failed"]
    assert "answered 302" in (second.reports[0].error or "")


def test_a_webhook_secret_missing_from_the_environment_is_retried_not_dropped(
    sessions: sessionmaker[Session],
    database_url: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    config = webhook_config(database_url, f"{receiver.url}/hook")
    crawl(sessions, config, board_before())

    report = send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))

    assert [r.status for r in report.reports] == ["retry"]
    assert "HOOK_SECRET" in (report.reports[0].error or "")
    assert receiver.requests == []
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    again = send_digests(
        sessions, config, MaildirTransport(tmp_path / "mail"), now=utcnow() + timedelta(hours=1)
    )
    assert [r.status for r in again.reports] == ["sent"]
    assert len(receiver.requests) == 1


def test_apprise_delivers_the_digest_as_short_text_with_links(
    sessions: sessionmaker[Session],
    database_url: str,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    # Apprise's JSON service, pointed at the local receiver; the path comes from the environment.
    monkeypatch.setenv("CHAT_PATH", "alerts-room")
    address = f'notify: "json://127.0.0.1:{receiver.port}/${{CHAT_PATH}}", backfill: full'
    config = config_with(database_url, address)
    crawl(sessions, config, board_before())
    receiver.answers = [503]

    first = send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))

    assert [r.status for r in first.reports] == ["retry"]
    assert "503" in (first.reports[0].error or "")
    second = send_digests(
        sessions, config, MaildirTransport(tmp_path / "mail"), now=utcnow() + timedelta(minutes=2)
    )
    assert [r.status for r in second.reports] == ["sent"]
    assert [r.path for r in receiver.requests] == ["/alerts-room", "/alerts-room"]
    with sessions() as session:
        # Stored under a name made from the URL as written: no token is in it, and a token read
        # from the environment may change without changing it.
        assert set(session.scalars(select(Digest.recipient))) == {
            stored_address(f"json://127.0.0.1:{receiver.port}/${{CHAT_PATH}}")
        }
    message = json.loads(receiver.requests[1].body)
    assert message["title"] == "1 new — Stripe"
    text = message["message"]
    assert "**Stripe**" in text
    assert f"- NEW [{SEED_TITLE}](https://stripe.com/jobs/search?gh_jid=6042172)" in text
    assert "$155,700 – $285,600 per year" in text
    assert (
        send_digests(
            sessions, config, MaildirTransport(tmp_path / "mail"), now=utcnow() + timedelta(hours=3)
        ).reports
        == []
    )
    assert len(receiver.requests) == 2

    crawl(sessions, config, board_after())
    send_digests(sessions, config, MaildirTransport(tmp_path / "mail"), now=utcnow() + timedelta(hours=4))
    changed = json.loads(receiver.requests[2].body)["message"]
    assert "- CHANGED [Backend Engineer, Core Technology]" in changed
    assert "Salary: $155,700 – $285,600 per year → $165,000 – $295,000 per year" in changed


def test_chat_text_cannot_be_turned_into_links_by_a_posting() -> None:
    from notifier.render import DigestRow, build_view, render_chat
    from pipeline.record import PostingRecord

    data = {
        "title": "Evil [click](http://phish.example) *now*",
        "company": "Co_rp",
        "url": "https://ex.com/a b)",
    }
    title, body = render_chat(build_view("x", [DigestRow(EventType.NEW, PostingRecord.from_data(data))]))
    assert "\\[click\\]\\(http://phish.example\\) \\*now\\*" in body
    assert "**Co\\_rp**" in body
    assert "(https://ex.com/a%20b%29)" in body


def test_a_signature_over_other_bytes_or_an_old_timestamp_is_refused() -> None:
    from notifier.channels import sign

    body = b'{"events": []}'
    stamp = str(int(time.time()))
    good = "sha256=" + sign(SECRET, stamp, body)
    assert verify(SECRET, stamp, body, good, now=time.time())
    assert not verify(SECRET, stamp, body + b" ", good, now=time.time())
    assert not verify("other", stamp, body, good, now=time.time())
    assert not verify(SECRET, stamp, body, good, now=time.time() + 3600)
    # Hostile input is refused, never raised on.
    assert not verify(SECRET, stamp, body, "sha256=é", now=time.time())
    assert not verify(SECRET, "soon", body, good, now=time.time())


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("me@example.com", "me@example.com"),
        ("https://hooks.example.com?token=s3cret", "https://hooks.example.com/…"),
        ("https://user:pw@hooks.example.com/t0ken#frag", "https://hooks.example.com/…"),
        ("tgram://123456:ABCsecret/987", "tgram://…"),
        ("json://127.0.0.1:8080/path", "json://127.0.0.1:8080/…"),
    ],
)
def test_a_printed_address_holds_no_token(address: str, shown: str) -> None:
    from config.schema import shown_address

    assert shown_address(address) == shown


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        ('email: a@example.com, webhook: "https://h.example/x", secret_env: S',
         "give one of 'email', 'notify' (an Apprise URL) or 'webhook' (a URL), not email and webhook"),
        ('webhook: "https://h.example/x"', "a webhook needs 'secret_env'"),
        ('webhook: "ftp://h.example/x", secret_env: S', "webhook must be an http:// or https:// URL"),
        ('notify: "not a url"', "notify must be an Apprise URL"),
        ("watches: []", "give one of 'email', 'notify' (an Apprise URL) or 'webhook' (a URL)"),
    ],
)  # fmt: skip
def test_a_recipient_names_exactly_one_channel(recipient: str, message: str) -> None:
    text = (
        "sources: [{name: s, type: greenhouse, board: s}]\nwatches: [{name: w}]\n"
        f"recipients:\n  - {{{recipient}{', watches: [w]' if 'watches' not in recipient else ''}}}\n"
    )
    with pytest.raises(ConfigError) as error:
        parse_config(text, "bad.yaml")
    assert any(
        message in problem and problem.startswith("bad.yaml:4:") and "recipients[0]" in problem
        for problem in error.value.problems
    ), error.value.problems


def test_a_webhook_nobody_answers_is_retried_and_its_error_keeps_the_path_out(
    sessions: sessionmaker[Session], database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from tests.conftest import free_port

    monkeypatch.setenv("HOOK_SECRET", SECRET)
    monkeypatch.setenv("HOOK_TOKEN", "tok-123")
    config = webhook_config(database_url, f"http://127.0.0.1:{free_port()}/hooks/${{HOOK_TOKEN}}")
    crawl(sessions, config, board_before())

    report = send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))

    assert [r.status for r in report.reports] == ["retry"]
    error = report.reports[0].error or ""
    assert "ConnectionError" in error and "tok-123" not in error and "/hooks" not in error


def test_a_chat_service_answering_with_a_redirect_is_not_delivered_and_the_redirect_not_followed(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Any
) -> None:
    from rolewatch.boardserver import BoardServer, Reply

    with BoardServer() as server:
        server.set("/room", Reply(b"", 302, "text/plain", headers={"Location": "/elsewhere"}))
        server.set("/elsewhere", Reply(b"{}"))
        # Even a URL asking Apprise to follow redirects does not follow one.
        address = f'notify: "json://127.0.0.1:{server.url.rpartition(":")[2]}/room?redirect=yes"'
        config = config_with(database_url, address)
        crawl(sessions, config, board_before())

        report = send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))
        requests = list(server.requests)

    assert [r.status for r in report.reports] == ["retry"]
    assert "302" in (report.reports[0].error or "")
    assert [path for _, path in requests] == ["/room"]
    with sessions() as session:
        assert session.scalars(select(OutboxItem.status)).all() != []
        assert "sent" not in session.scalars(select(OutboxItem.status)).all()
