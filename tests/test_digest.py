"""Digests through a real aiosmtpd server: content, Message-ID, retries, refusals, TLS and auth."""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import ssl
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.loader import parse_config
from config.schema import Config
from crawler.extract.greenhouse import extract_greenhouse
from notifier.digest import send_digests
from notifier.outbox import outbox_hook
from notifier.transports import MaildirTransport, SmtpTransport
from pipeline.models import Digest, Event, OutboxItem, Posting, utcnow
from pipeline.normalize import normalize
from pipeline.store import CrawlVerdict, begin_crawl, finish_crawl, store_postings
from rolewatch.cli import main
from rolewatch.demo_boards import SEED_JOB_ID, board_after, board_before
from tests.conftest import SmtpSink

SEED_TITLE = "Backend Engineer, Core Technology"


# One watch, matched by one posting of the Stripe board.
INFRA_REMOTE = """\
watches:
  - name: infra-remote
    extends: infrastructure
    workplace: [remote, hybrid]
    min_salary: {amount: 150000, currency: USD}
recipients:
  - email: me@example.com
    watches: [infra-remote]
"""
# Every posting, each mailed as news (no backfill summary): a large digest.
EVERYTHING = """\
watches: [{name: everything}]
recipients: [{email: me@example.com, watches: [everything], backfill: full}]
"""


def config_for(
    database_url: str, port: int, extra_smtp: str = "", starttls: bool = False, rules: str = INFRA_REMOTE
) -> Config:
    return parse_config(
        f"""
database: "{database_url}"
mail:
  transport: smtp
  from: "rolewatch <alerts@example.com>"
  smtp: {{host: 127.0.0.1, port: {port}, starttls: {str(starttls).lower()}, timeout: 5{extra_smtp}}}
sources:
  - {{name: stripe, type: greenhouse, board: stripe}}
"""
        + rules,
        "test.yaml",
    )


def crawl(sessions: sessionmaker[Session], config: Config, board: dict[str, Any]) -> None:
    source = config.sources[0]
    hook = outbox_hook(config)
    run_id = begin_crawl(sessions, source)
    postings = [normalize(raw) for raw in extract_greenhouse(board).postings]
    seen = store_postings(sessions, run_id, postings, hook)
    finish_crawl(sessions, run_id, source, seen, CrawlVerdict(), hook)


def test_digest_reaches_the_smtp_server_once_with_both_parts(
    sessions: sessionmaker[Session], database_url: str, smtp_server: tuple[Any, SmtpSink]
) -> None:
    controller, sink = smtp_server
    config = config_for(database_url, controller.port)
    crawl(sessions, config, board_before())

    result = send_digests(sessions, config, SmtpTransport(config.mail))

    assert [r.status for r in result.reports] == ["sent"]
    (envelope,) = sink.envelopes
    assert envelope.rcpt_tos == ["me@example.com"]
    (message,) = sink.messages
    assert message["To"] == "me@example.com"
    assert message["From"] == "rolewatch <alerts@example.com>"
    assert message["Subject"] == "[rolewatch] 1 new — Stripe"
    with sessions() as session:
        digest = session.scalars(select(Digest)).one()
    assert message["Message-ID"] == digest.message_id
    assert message["Message-ID"].endswith("@example.com>")
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for part in (plain, html):
        assert SEED_TITLE in part
        assert "$155,700 – $285,600" in part
        assert "https://stripe.com/jobs/search?gh_jid=6042172" in part
    assert 'style="' in html, "CSS is inlined for mail clients"

    again = send_digests(sessions, config, SmtpTransport(config.mail))
    assert again.reports == []
    assert len(sink.envelopes) == 1


def test_change_and_close_are_shown_old_to_new(
    sessions: sessionmaker[Session], database_url: str, smtp_server: tuple[Any, SmtpSink]
) -> None:
    controller, sink = smtp_server
    config = config_for(database_url, controller.port)
    crawl(sessions, config, board_before())
    send_digests(sessions, config, SmtpTransport(config.mail))
    crawl(sessions, config, board_after())
    send_digests(sessions, config, SmtpTransport(config.mail))

    second = sink.messages[1]
    plain = second.get_body(("plain",)).get_content()
    assert "[CHANGED] Backend Engineer, Core Technology" in plain
    assert "Salary: $155,700 – $285,600 per year -> $165,000 – $295,000 per year" in plain
    html = second.get_body(("html",)).get_content()
    assert "$155,700 – $285,600 per year" in html and "$165,000 – $295,000 per year" in html
    assert sink.messages[0]["Message-ID"] != second["Message-ID"]


class RefusingSink(SmtpSink):
    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return self.reply


def test_temporary_refusal_keeps_items_and_retries_with_the_same_message_id(
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
    tmp_path: Path,
) -> None:
    refusing, _ = smtp_factory(RefusingSink("451 4.3.0 try again later"))
    config = config_for(database_url, refusing.port)
    crawl(sessions, config, board_before())

    failed = send_digests(sessions, config, SmtpTransport(config.mail))
    assert [r.status for r in failed.reports] == ["retry"]
    assert "451" in (failed.reports[0].error or "")
    with sessions() as session:
        digest = session.scalars(select(Digest)).one()
        assert digest.status == "sending" and digest.next_attempt_at is not None
        assert {i.status for i in session.scalars(select(OutboxItem))} == {"claimed"}

    accepting, sink = smtp_factory()
    config = config_for(database_url, accepting.port)
    too_soon = send_digests(sessions, config, SmtpTransport(config.mail))
    assert too_soon.reports == [], "backoff: no retry before next_attempt_at"
    retry_at = f"retrying at {digest.next_attempt_at:%H:%M} UTC"
    config_file = tmp_path / "rolewatch.yaml"
    config_file.write_text(
        f'database: "{database_url}"\nmail: {{transport: maildir, maildir: "{tmp_path}/mail"}}\n'
        "sources: [{name: stripe, type: greenhouse, board: stripe}]\n" + INFRA_REMOTE
    )
    said = CliRunner().invoke(main, ["digest", "--config", str(config_file)])
    assert (
        said.exit_code == 0
        and said.output == f"me@example.com: digest {retry_at} (last error: {digest.last_error})\n"
    )
    shown = CliRunner().invoke(main, ["status", "--config", str(config_file)])
    assert retry_at in shown.output and "sending" not in shown.output
    later = utcnow() + timedelta(minutes=2)
    retried = send_digests(sessions, config, SmtpTransport(config.mail), now=later)
    assert [r.status for r in retried.reports] == ["sent"]
    assert sink.messages[0]["Message-ID"] == digest.message_id
    with sessions() as session:
        assert {i.status for i in session.scalars(select(OutboxItem))} == {"sent"}


def test_permanent_refusal_is_recorded_and_not_retried(
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
) -> None:
    refusing, _ = smtp_factory(RefusingSink("550 5.7.1 relaying denied"))
    config = config_for(database_url, refusing.port)
    crawl(sessions, config, board_before())
    result = send_digests(sessions, config, SmtpTransport(config.mail))
    assert [r.status for r in result.reports] == ["failed"]
    later = send_digests(sessions, config, SmtpTransport(config.mail), now=utcnow() + timedelta(days=1))
    assert later.reports == []
    with sessions() as session:
        assert session.scalars(select(Digest.status)).one() == "failed"


def test_unreachable_server_is_a_temporary_failure(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    from tests.conftest import free_port

    config = config_for(database_url, free_port())
    crawl(sessions, config, board_before())
    result = send_digests(sessions, config, SmtpTransport(config.mail))
    assert [r.status for r in result.reports] == ["retry"]
    assert "failed" in (result.reports[0].error or "")


def _self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


def test_starttls_and_login_with_the_password_from_the_environment(
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logins: list[tuple[str, str]] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret")

    tls, cert_path = _self_signed(tmp_path)
    controller, sink = smtp_factory(
        tls_context=tls, require_starttls=True, auth_required=True, authenticator=authenticate
    )
    monkeypatch.setenv("ROLEWATCH_SMTP_PASSWORD", "s3cret")
    extra = f", username: alerts@example.com, password_env: ROLEWATCH_SMTP_PASSWORD, ca_file: {cert_path}"
    config = config_for(database_url, controller.port, extra, starttls=True)
    crawl(sessions, config, board_before())

    result = send_digests(sessions, config, SmtpTransport(config.mail))

    assert [r.status for r in result.reports] == ["sent"], result.reports
    assert logins == [("alerts@example.com", "s3cret")]
    assert len(sink.messages) == 1


def test_markup_and_newlines_in_a_posting_cannot_inject_html_or_headers(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    config = config_for(database_url, 25)
    board = copy.deepcopy(board_before())
    seed = next(j for j in board["jobs"] if j["id"] == 6042172)
    seed["title"] = 'SRE <script>alert("x")</script> <b>now</b>'
    seed["company_name"] = "Stripe\r\nBcc: victim@example.org"
    crawl(sessions, config, board)
    maildir = tmp_path / "mail"

    send_digests(sessions, config, MaildirTransport(maildir))

    (path,) = (maildir / "new").iterdir()
    from email import message_from_bytes, policy

    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "Bcc: victim" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in html
    assert "<b>now</b>" not in html


def test_cron_digest_is_due_from_the_last_one_sent_in_the_recipients_time_zone() -> None:
    from zoneinfo import ZoneInfo

    from config.schema import Recipient
    from notifier.schedule import is_due, next_digest_time

    berlin = ZoneInfo("Europe/Berlin")
    weekdays = Recipient.model_validate(
        {
            "email": "me@example.com",
            "watches": ["w"],
            "digest": {"cron": "0 8 * * 1-5", "timezone": "Europe/Berlin"},
        }
    )
    friday = dt.datetime(2026, 11, 27, 8, 0, 5, tzinfo=berlin)
    assert next_digest_time(weekdays, friday) == dt.datetime(2026, 11, 30, 8, 0, tzinfo=berlin)
    assert not is_due(weekdays, friday, friday, dt.datetime(2026, 11, 29, 12, 0, tzinfo=berlin))
    # A daemon that was down on Monday morning sends the missed digest at its next run.
    assert is_due(weekdays, friday, friday, dt.datetime(2026, 11, 30, 9, 30, tzinfo=berlin))


class SlowMaildir(MaildirTransport):
    """A transport that takes its time, so two runs overlap while it sends."""

    def send(self, message: Any, recipients: list[str]) -> str:
        import time

        time.sleep(0.5)
        return super().send(message, recipients)


def test_two_digest_runs_at_once_send_each_digest_once(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    import threading

    config = config_for(database_url, 25)
    crawl(sessions, config, board_before())
    maildir = tmp_path / "mail"
    results: list[Any] = []

    def run() -> None:
        results.append(send_digests(sessions, config, SlowMaildir(maildir)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
        thread.join(0.2)
    for thread in threads:
        thread.join(30)
    assert len(list((maildir / "new").iterdir())) == 1
    assert sorted(len(result.reports) for result in results) == [0, 1]


def test_a_rejected_login_is_retried_once_the_password_is_fixed(
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        return AuthResult(success=data.password == b"right")

    tls, cert_path = _self_signed(tmp_path)
    controller, sink = smtp_factory(tls_context=tls, auth_required=True, authenticator=authenticate)
    extra = f", username: alerts@example.com, password_env: SMTP_PASSWORD, ca_file: {cert_path}"
    config = config_for(database_url, controller.port, extra, starttls=True)
    crawl(sessions, config, board_before())

    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    refused = send_digests(sessions, config, SmtpTransport(config.mail))
    # Whatever the server answers to a bad login (535, or hanging up), it is not permanent.
    assert [r.status for r in refused.reports] == ["retry"]
    with sessions() as session:
        assert session.scalars(select(Digest.status)).one() == "sending"

    monkeypatch.setenv("SMTP_PASSWORD", "right")
    later = send_digests(sessions, config, SmtpTransport(config.mail), now=utcnow() + timedelta(minutes=2))
    assert [r.status for r in later.reports] == ["sent"]
    assert len(sink.messages) == 1


def test_dry_run_shows_waiting_items_and_when_a_cron_digest_goes(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    config = config_for(database_url, 25)
    weekly = config.recipients[0].model_copy(
        update={
            "digest": config.recipients[0].digest.model_copy(update={"immediate": False, "cron": "0 8 * * 1"})
        }
    )
    config = config.model_copy(update={"recipients": [weekly]})
    crawl(sessions, config, board_before())
    preview = send_digests(sessions, config, MaildirTransport(tmp_path / "mail"), dry_run=True)
    (report,) = preview.reports
    assert report.items == 1
    assert report.status.startswith("not due until ") and report.status.endswith("08:00 UTC")
    assert not (tmp_path / "mail").exists()


def test_a_digest_too_large_for_the_server_goes_out_in_parts_each_item_once(
    sessions: sessionmaker[Session], database_url: str, smtp_factory: Callable[..., tuple[Any, SmtpSink]]
) -> None:
    limit = 250_000  # announced as SIZE; aiosmtpd answers 552 to a larger message
    controller, sink = smtp_factory(data_size_limit=limit)
    config = config_for(database_url, controller.port, rules=EVERYTHING)
    crawl(sessions, config, board_before())
    jobs = len(board_before()["jobs"])

    (report,) = send_digests(sessions, config, SmtpTransport(config.mail)).reports

    assert (report.status, report.items) == ("sent", jobs)
    assert len(sink.envelopes) >= 2
    assert all(len(envelope.original_content) <= limit for envelope in sink.envelopes)
    listed = [
        line
        for message in sink.messages
        for line in message.get_body(("plain",)).get_content().splitlines()
        if line.startswith("[NEW] ")
    ]
    assert len(listed) == jobs
    with sessions() as session:
        assert set(session.scalars(select(OutboxItem.status))) == {"sent"}
        assert set(session.scalars(select(Digest.status))) == {"sent"}
        ids = session.scalars(select(Digest.message_id)).all()
    assert sorted(ids) == sorted(message["Message-ID"] for message in sink.messages)
    assert send_digests(sessions, config, SmtpTransport(config.mail)).reports == []


def test_one_item_too_large_for_the_server_is_a_permanent_failure_not_a_retry(
    sessions: sessionmaker[Session], database_url: str, smtp_factory: Callable[..., tuple[Any, SmtpSink]]
) -> None:
    controller, sink = smtp_factory(data_size_limit=2_000)
    config = config_for(database_url, controller.port)
    crawl(sessions, config, board_before())  # one matching posting

    (report,) = send_digests(sessions, config, SmtpTransport(config.mail)).reports

    assert report.status == "failed" and report.error is not None and " 552 " in report.error
    assert sink.envelopes == []
    later = send_digests(sessions, config, SmtpTransport(config.mail), now=utcnow() + timedelta(days=1))
    assert later.reports == []
    with sessions() as session:
        assert session.scalars(select(Digest.status)).one() == "failed"


def test_a_full_mailbox_is_not_taken_for_a_message_too_large(
    sessions: sessionmaker[Session], database_url: str, smtp_factory: Callable[..., tuple[Any, SmtpSink]]
) -> None:
    refusing, _ = smtp_factory(RefusingSink("552 5.2.2 mailbox full"))
    config = config_for(database_url, refusing.port, rules=EVERYTHING)
    crawl(sessions, config, board_before())
    (report,) = send_digests(sessions, config, SmtpTransport(config.mail)).reports
    assert report.status == "failed"
    with sessions() as session:
        assert session.scalars(select(Digest.status)).all() == ["failed"]  # one digest, not split


def test_a_muted_posting_or_company_is_told_of_nowhere_until_unmuted(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    config_file = tmp_path / "rolewatch.yaml"
    config_file.write_text(
        f'database: "{database_url}"\nmail: {{transport: maildir, maildir: "{tmp_path}/mail"}}\n'
        "sources: [{name: stripe, type: greenhouse, board: stripe}]\n" + EVERYTHING
    )
    config = config_for(database_url, 25, rules=EVERYTHING)

    def cli(*args: str) -> str:
        result = CliRunner().invoke(main, [*args, "--config", str(config_file)])
        assert result.exit_code == 0, result.output
        return result.output

    def items_of_seed() -> dict[str, int]:
        with sessions() as session:
            rows = session.execute(
                select(OutboxItem.status, Event.type)
                .join(Event, OutboxItem.event_id == Event.id)
                .join(Posting, Event.posting_id == Posting.id)
                .where(Posting.external_id == str(SEED_JOB_ID))
            )
            return {f"{status} {kind}": 1 for status, kind in rows}

    crawl(sessions, config, board_before())
    assert items_of_seed() == {"pending new": 1}
    assert cli("mute", f"stripe:{SEED_JOB_ID}").startswith("muted posting ")
    assert items_of_seed() == {"muted new": 1}  # dropped from the next digest
    crawl(sessions, config, board_after())  # the seed's pay changes: muted, no item
    assert items_of_seed() == {"muted new": 1}
    with sessions() as session:
        others = session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "pending")
        )
    assert others and others > 0  # the rest of the board is still told

    assert cli("mute", "--company", "STRIPE").endswith(f"{others} pending digest items dropped\n")
    assert cli("unmute", "--company", "stripe") == "unmuted company 'stripe'\n"
    assert cli("unmute", f"stripe:{SEED_JOB_ID}").startswith("unmuted posting ")
    assert cli("unmute", f"stripe:{SEED_JOB_ID}").endswith("was not muted\n")
    crawl(sessions, config, board_before())  # the pay changes back: told again
    assert items_of_seed() == {"muted new": 1, "pending changed": 1}
