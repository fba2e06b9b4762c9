"""Posting dates as boards write them, read as aware datetimes; `postings --since` and digests
use them."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.dates import Posted, parse_posted, shown_date
from rolewatch.cli import main
from tests.test_events import stored

SEEN = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)

CASES: list[tuple[str | None, Posted | None]] = [
    ("2026-08-04T14:29:13-04:00", Posted(datetime(2026, 8, 4, 18, 29, 13, tzinfo=UTC))),
    ("2026-07-13T10:00:11.853Z", Posted(datetime(2026, 7, 13, 10, 0, 11, 853000, tzinfo=UTC))),
    ("2026-08-04", Posted(datetime(2026, 8, 4, tzinfo=UTC))),
    ("1754321234567", Posted(datetime(2025, 8, 4, 15, 27, 14, 567000, tzinfo=UTC))),  # epoch ms
    ("1754321234", Posted(datetime(2025, 8, 4, 15, 27, 14, tzinfo=UTC))),  # epoch seconds
    ("Posted Today", Posted(SEEN)),
    ("Posted Yesterday", Posted(SEEN - timedelta(days=1))),
    ("Posted 5 Days Ago", Posted(SEEN - timedelta(days=5))),
    ("Posted 30+ Days Ago", Posted(SEEN - timedelta(days=30), exact=False)),
    ("published 2 weeks ago", Posted(SEEN - timedelta(weeks=2))),
    ("", None),
    (None, None),
    ("as soon as possible", None),
    ("in 3 days", None),  # a date after the crawl is no posting date
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[str(case[0]) for case in CASES])
def test_board_dates_read_as_aware_datetimes(text: str | None, expected: Posted | None) -> None:
    posted = parse_posted(text, SEEN)
    assert posted == expected
    if posted is not None:
        assert posted.at.tzinfo is not None


def test_a_relative_date_reads_against_when_its_version_was_stored() -> None:
    later = SEEN + timedelta(days=10)
    assert parse_posted("Posted Today", later) == Posted(later)
    assert parse_posted("Posted Today", SEEN) == Posted(SEEN)


def test_dates_are_shown_as_people_read_them() -> None:
    assert shown_date(Posted(datetime(2026, 8, 4, tzinfo=UTC)), SEEN) == "Posted 4 Aug 2026"
    assert shown_date(Posted(SEEN - timedelta(days=30), exact=False), SEEN) == "Posted 3 Nov 2026 or before"
    assert shown_date(None, SEEN) == "First seen 3 Dec 2026"
    offset = Posted(datetime(2026, 8, 4, 23, 0, tzinfo=timezone(timedelta(hours=-4))))
    assert shown_date(offset, SEEN) == "Posted 4 Aug 2026"  # the board's own day


def test_postings_since_uses_the_boards_date(tmp_path: Path) -> None:
    path = stored(tmp_path)

    def listed(*args: str) -> list[dict[str, object]]:
        result = CliRunner().invoke(
            main, ["postings", "--config", str(path), "--json", "--limit", "0", *args]
        )
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.output.splitlines()]

    everything = listed()
    posted = sorted(str(row["posted"]) for row in everything)
    # Stripe's board dates its postings (first_published); none is "now".
    assert posted[0] < "2026-08-05" and posted[-1] < "2026-08-05"
    middle = posted[len(posted) // 2][:10]
    since = listed("--since", middle)
    assert 0 < len(since) < len(everything)
    assert all(str(row["posted"]) >= middle for row in since)
    assert listed("--since", "2999-01-01") == []
    # Postings first seen long before they were (re)posted are found by their board's date.
    with sqlite3.connect(tmp_path / "rolewatch.db") as db:
        assert db.execute("UPDATE postings SET first_seen = '2020-01-01 00:00:00.000000'").rowcount
    assert listed("--since", middle) == [dict(row, first_seen="2020-01-01T00:00:00+00:00") for row in since]


def test_a_digest_says_when_each_posting_was_posted(tmp_path: Path) -> None:
    from email import message_from_bytes, policy

    from config.loader import load_config
    from notifier.digest import send_digests
    from notifier.transports import MaildirTransport
    from pipeline.db import open_database, session_factory

    config = load_config(stored(tmp_path))
    engine = open_database(config.database)
    try:
        send_digests(session_factory(engine), config, MaildirTransport(tmp_path / "mail"))
    finally:
        engine.dispose()
    (path,) = (tmp_path / "mail" / "new").iterdir()
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # The seed posting, first published on 14 June 2024 by Stripe's board.
    assert "  Posted 14 Jun 2024\n" in text
    assert "Posted 14 Jun 2024 · Matched: infra" in html
