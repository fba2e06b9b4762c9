"""A digest of a million outbox items: built in bounded pages, its memory flat in the number of
items, the rest counted in SQL and said in the message."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Boolean, bindparam, func, insert, select, text
from sqlalchemy.types import TypeEngine

from config.loader import load_config
from notifier.digest import send_digests
from notifier.digest_view import LISTED
from notifier.transports import MaildirTransport
from pipeline.db import open_database, session_factory
from pipeline.models import Digest, OutboxItem, Source, UTCDateTime, utcnow
from pipeline.states import DigestStatus, OutboxStatus
from tests.conftest import ROOT

RECIPIENT = "me@example.com"
# Each table's rows are made by the database itself from a sequence: a million rows in seconds.
NUMBERS = (
    "WITH RECURSIVE n(i) AS (SELECT CAST(:first AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i < :last) "
)
# A version's data, as an SQL expression of the number `i`; pay from $100,000 to $189,999.
POSTING = {
    "external_id": "{i}", "title": "Site Reliability Engineer {i}", "company": "Acme",
    "url": "https://example.com/{i}", "locations": ["Remote"], "salary_max": "{pay}",
    "salary_currency": "USD", "salary_period": "year", "description": "Keep the fleet running.",
}  # fmt: skip
DATA = (
    ("'" + json.dumps(POSTING).replace('"{pay}"', "{pay}") + "'")
    .replace("{i}", "' || CAST(i AS TEXT) || '")
    .replace("{pay}", "' || CAST(100000 + i % 90000 AS TEXT) || '")
)
TEXT_I = "CAST(i AS TEXT)"
ROWS = {
    "postings": (
        "id, source_id, external_id, url, fingerprint, status, first_seen, last_seen, missing_count,"
        " current_hash, version_count",
        f"i, 1, {TEXT_I}, 'https://example.com/' || {TEXT_I}, 'f' || {TEXT_I}, 'open', :now, :now, 0,"
        f" 'h' || {TEXT_I}, 1",
    ),
    "posting_versions": (
        "id, posting_id, number, content_hash, data, seen_at",
        f"i, i, 1, 'h' || {TEXT_I}, CAST({DATA} AS {{json}}), :now",
    ),
    "events": ("id, posting_id, version_id, type, backfill, announced, created_at",
               "i, i, i, 'new', :backfill, :announced, :now"),
    "outbox": ("recipient, event_id, watches, status, created_at",
               f"'{RECIPIENT}', i, 'sre', 'pending', :now"),
}  # fmt: skip
TYPES: dict[str, TypeEngine[Any]] = {"now": UTCDateTime(), "backfill": Boolean(), "announced": Boolean()}


def store_items(database_url: str, count: int, start: int = 0, backfill: bool = True) -> None:
    """`count` postings of one source, each with a version, a `new` event and an outbox item for
    RECIPIENT, numbered from `start + 1`."""
    engine = open_database(database_url)
    json_type = "TEXT" if engine.dialect.name == "sqlite" else "JSON"
    params = {"first": start + 1, "last": start + count, "now": utcnow(), "backfill": backfill,
              "announced": True}  # fmt: skip
    try:
        with engine.begin() as connection:
            if start == 0:
                connection.execute(insert(Source), [{"id": 1, "name": "board", "type": "greenhouse"}])
            for table, (columns, values) in ROWS.items():
                values = values.replace("{json}", json_type)
                sql = f"{NUMBERS}INSERT INTO {table} ({columns}) SELECT {values} FROM n"
                typed = [bindparam(name, type_=kind) for name, kind in TYPES.items() if f":{name}" in sql]
                connection.execute(text(sql).bindparams(*typed), params)
    finally:
        engine.dispose()


def write_config(tmp_path: Path, database_url: str, backfill: str, top: int = 10) -> Path:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f'database: "{database_url}"\n'
        f'mail: {{transport: maildir, maildir: "{tmp_path / "mail"}"}}\n'
        "sources: [{name: board, type: greenhouse, board: board}]\n"
        "watches: [{name: sre}]\n"
        f"recipients: [{{email: {RECIPIENT}, watches: [sre], backfill: {backfill}, backfill_top: {top}}}]\n"
    )
    return path


def digest_in_child(config: Path) -> tuple[int, float]:
    """Run `rolewatch digest` in a child process: (its peak RSS in MiB, its seconds)."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "rolewatch", "digest", "--config", str(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0
    return usage.ru_maxrss // 1024, time.monotonic() - started


def newest_mail(maildir: Path) -> EmailMessage:
    path = max((maildir / "new").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    plain = message.get_body(("plain",))
    assert isinstance(plain, EmailMessage)
    return str(plain.get_content())


def test_a_digest_lists_its_oldest_events_and_counts_the_rest_by_company(
    database_url: str, tmp_path: Path
) -> None:
    store_items(database_url, LISTED + 700)
    path = write_config(tmp_path, database_url, "full")
    config = load_config(path)
    engine = open_database(database_url)
    try:
        (report,) = send_digests(session_factory(engine), config, MaildirTransport(tmp_path / "mail")).reports
    finally:
        engine.dispose()
    assert (report.status, report.items) == ("sent", LISTED + 700)
    message = newest_mail(tmp_path / "mail")
    assert message["Subject"] == f"[rolewatch] {LISTED + 700} new — Acme"
    plain = text_of(message)
    listed = [int(n) for n in re.findall(r"^\[NEW\] Site Reliability Engineer (\d+)$", plain, re.MULTILINE)]
    assert sorted(listed) == list(range(1, LISTED + 1))
    assert "and 700 more: see `rolewatch events` or the web view (`rolewatch serve`)\n  Acme: 700\n" in plain
    html = message.get_body(("html",))
    assert html is not None and "and 700 more: see <code>rolewatch events</code>" in html.get_content()


def test_a_summary_shows_no_more_than_a_digest_lists(database_url: str, tmp_path: Path) -> None:
    store_items(database_url, LISTED + 100)
    config = load_config(write_config(tmp_path, database_url, "summary", top=10_000))
    engine = open_database(database_url)
    try:
        send_digests(session_factory(engine), config, MaildirTransport(tmp_path / "mail"))
    finally:
        engine.dispose()
    plain = text_of(newest_mail(tmp_path / "mail"))
    assert plain.count("[NEW] ") == LISTED
    assert "and 100 more (rolewatch postings --status open)" in plain
    # Best paid first: pay rises with the number, so the highest numbers are shown.
    first = re.search(r"^\[NEW\] Site Reliability Engineer (\d+) \(Acme\)$", plain, re.MULTILINE)
    assert first is not None and first.group(1) == str(LISTED + 100)


@pytest.mark.slow
@pytest.mark.parametrize("backfill", ["full", "summary"])
def test_a_digest_of_a_million_items_is_sent_in_flat_memory(
    database_url: str, tmp_path: Path, backfill: str
) -> None:
    config = write_config(tmp_path, database_url, backfill)
    peaks = []
    for start, count in ((0, 10_000), (10_000, 1_000_000)):
        began = time.monotonic()
        store_items(database_url, count, start)
        stored = time.monotonic() - began
        rss, seconds = digest_in_child(config)
        peaks.append(rss)
        print(f"\n{backfill}, {count:,} items (stored in {stored:.0f} s): ", end="")
        print(f"digest {seconds:.0f} s, peak RSS {rss} MiB")
        message = newest_mail(tmp_path / "mail")
        assert message["Subject"] == f"[rolewatch] {count} new — Acme"
        plain = text_of(message)
        if backfill == "full":
            assert plain.count("[NEW] ") == LISTED
            assert f"and {count - LISTED:,} more: see `rolewatch events`" in plain
            assert f"  Acme: {count - LISTED:,}\n" in plain
        else:
            assert f"Already on the board when first watched: {count} matching postings" in plain
            # The best paid of every posting comes first.
            best = max(100_000 + n % 90_000 for n in range(start + 1, start + count + 1))
            assert plain.count("[NEW] ") == 10
            assert plain.split("[NEW] ")[1].count(f"Salary: ${best:,} per year") == 1
            assert f"and {count - 10} more (rolewatch postings --status open)" in plain
    engine = open_database(database_url)
    with engine.connect() as connection:
        items = dict(
            connection.execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status)).all()
        )
        digests = connection.execute(select(Digest.status)).scalars().all()
    engine.dispose()
    assert items == {OutboxStatus.SENT: 1_010_000}
    assert digests == [DigestStatus.SENT, DigestStatus.SENT]
    small, large = peaks
    assert large < 400, f"a digest of 1,000,000 items took {large} MiB"
    assert large < small * 1.5, f"{small} MiB for 10,000 items, {large} MiB for 1,000,000"
