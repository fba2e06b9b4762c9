"""A board's first crawl: one summary section, every posting, or nothing, per recipient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.loader import parse_config
from config.schema import Config
from notifier.digest import send_digests
from notifier.render import DigestRow, build_view
from notifier.transports import MaildirTransport
from pipeline.db import open_database, session_factory
from pipeline.models import OutboxItem
from pipeline.record import PostingRecord
from pipeline.states import EventType
from rolewatch.demo_boards import board_after, board_before
from tests.test_digest import crawl


def config_for(database_url: str, backfill: str, top: int = 10) -> Config:
    return parse_config(
        f"""
database: "{database_url}"
mail: {{transport: maildir}}
sources:
  - {{name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}}
watches:
  - {{name: engineers, title_any: [engineer]}}
recipients:
  - {{email: me@example.com, watches: [engineers], backfill: {backfill}, backfill_top: {top}}}
""",
        "test.yaml",
    )


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(database_url)
    yield session_factory(engine)
    engine.dispose()


def mails(maildir: Path) -> list[EmailMessage]:
    found = []
    for path in sorted((maildir / "new").iterdir(), key=lambda p: p.stat().st_mtime_ns):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    return plain.get_content(), html.get_content()


def item_statuses(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(OutboxItem.status)))


def test_summary_lists_the_best_paid_ten_and_counts_the_rest(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    config = config_for(database_url, "summary")
    crawl(sessions, config, board_before())
    matching = len(item_statuses(sessions))
    assert matching > 20, "a board with many matching postings"

    send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))

    (message,) = mails(tmp_path / "mail")
    plain, html = parts(message)
    heading = f"Already on the board when first watched: {matching} matching postings"
    assert f"== {heading} ==" in plain and heading in html
    listed = re.findall(r"^\[NEW\] (.*) \(Stripe\)$", plain, re.MULTILINE)
    assert len(listed) == 10
    # The seed posting has the highest pay among them; postings without pay come last.
    assert listed[0] == "Backend Engineer, Core Technology"
    first = plain.split("[NEW] ")[1]
    assert "Location: US-Remote, Chicago, Seattle, San Francisco" in first
    assert "Salary: $155,700 – $285,600 per year" in first
    assert "https://stripe.com/jobs/search?gh_jid=6042172" in first
    assert f"and {matching - 10} more (rolewatch postings --status open)" in plain
    assert f"and {matching - 10} more (rolewatch postings --status open)" in html
    assert html.count('class="card"') == 10
    assert message["Subject"] == f"[rolewatch] {matching} new — Stripe"
    assert set(item_statuses(sessions)) == {"sent"}, "summarised items are sent, not mailed again"

    crawl(sessions, config, board_after())
    send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))
    later = parts(mails(tmp_path / "mail")[1])[0]
    assert "Already on the board" not in later
    assert "[CHANGED] Backend Engineer, Core Technology" in later


def test_full_lists_every_posting_and_skip_sends_nothing_for_the_first_crawl(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    full = config_for(database_url, "full")
    crawl(sessions, full, board_before())
    matching = len(item_statuses(sessions))
    send_digests(sessions, full, MaildirTransport(tmp_path / "full"))
    (message,) = mails(tmp_path / "full")
    plain = parts(message)[0]
    assert plain.count("[NEW] ") == matching
    assert "Already on the board" not in plain


def test_skip_enqueues_nothing_from_the_first_crawl_but_later_events_go_out(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    config = config_for(database_url, "skip")
    crawl(sessions, config, board_before())
    assert item_statuses(sessions) == []
    assert send_digests(sessions, config, MaildirTransport(tmp_path / "mail")).reports == []

    crawl(sessions, config, board_after())
    send_digests(sessions, config, MaildirTransport(tmp_path / "mail"))
    (message,) = mails(tmp_path / "mail")
    plain = parts(message)[0]
    assert "[CHANGED] Backend Engineer, Core Technology" in plain
    assert "Already on the board" not in plain


def test_the_summary_ranks_pay_by_its_yearly_top_and_never_across_currencies() -> None:
    def row(title: str, **pay: object) -> DigestRow:
        record = PostingRecord.from_data({"title": title, "company": "Acme", **pay})
        return DigestRow(EventType.NEW, record, backfill=True)

    rows = [
        row("No pay stated"),
        row("Euro, higher figure", salary_max=300000.0, salary_currency="EUR", salary_period="year"),
        row("Yearly", salary_min=150000.0, salary_max=200000.0, salary_currency="USD", salary_period="year"),
        row("Hourly", salary_max=110.0, salary_currency="USD", salary_period="hour"),  # ~228,800 a year
        row("No period", salary_max=180000.0, salary_currency="USD"),
        row("Monthly", salary_max=9000.0, salary_currency="USD", salary_period="month"),  # 108,000
    ]
    view = build_view("me@example.com", rows, backfill="summary", backfill_top=10)
    assert [entry.title for entry in view.backfill] == [
        "Hourly", "Yearly", "No period", "Monthly", "Euro, higher figure", "No pay stated",
    ]  # fmt: skip
