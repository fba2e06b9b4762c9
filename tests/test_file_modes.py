"""What rolewatch writes — the SQLite database and its WAL files, mail, feeds — is readable by
its owner only, even under a permissive umask: postings, addresses and digests are private."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text

from notifier.feeds import write_feeds
from notifier.transports import MaildirTransport
from pipeline.db import open_database, session_factory
from rolewatch.demo_boards import board_before
from tests.test_digest import crawl
from tests.test_feeds import feeds_config


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_files_are_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "state" / "rolewatch.db"
    engine = open_database(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (x INTEGER)"))
        # An open connection keeps the -wal and -shm files in place to be looked at.
        assert mode(database) == 0o600
        assert mode(Path(f"{database}-wal")) == 0o600
        assert mode(Path(f"{database}-shm")) == 0o600
    assert mode(database.parent) == 0o700
    engine.dispose()


def test_maildir_folders_and_messages_are_owner_only(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Subject"] = "digest"
    message.set_content("text")
    written = Path(MaildirTransport(tmp_path / "mail" / "inbox").send(message, ["me@example.com"]))
    assert mode(written) == 0o600
    for folder in ("mail", "mail/inbox", "mail/inbox/new", "mail/inbox/tmp", "mail/inbox/cur"):
        assert mode(tmp_path / folder) == 0o700, folder


def test_feed_files_and_their_new_folder_are_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    folder = tmp_path / "public" / "feeds"
    config = feeds_config(url, folder)
    sessions = session_factory(open_database(url))
    crawl(sessions, config, board_before())
    with sessions() as session:
        written = write_feeds(session, config)
    assert written and all(mode(path) == 0o600 for path in written)
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
