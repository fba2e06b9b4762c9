"""Atom feeds, read back with a real feed parser: valid Atom 1.0, entry ids that stay the same
from one cycle to the next, the field diff old → new, written by `rolewatch run`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser
from sqlalchemy.orm import Session, sessionmaker

from config.loader import parse_config
from config.schema import Config
from notifier.feeds import all_feeds, feed_xml, find_feed, write_feeds
from notifier.mutes import mute
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import board_after, board_before
from tests.test_daemon import BOARD_PATH, DEADLINE, greenhouse, rolewatch, write_config
from tests.test_digest import SEED_TITLE, crawl


def feeds_config(database_url: str, folder: Path) -> Config:
    return parse_config(
        f"""
database: "{database_url}"
sources: [{{name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}}]
watches:
  - name: infra remote
    extends: infrastructure
    workplace: [remote, hybrid]
    min_salary: {{amount: 150000, currency: USD}}
  - {{name: everything}}
recipients:
  - {{email: me@example.com, watches: [infra remote], backfill: skip}}
  - {{notify: "ntfy://ntfy.example/secret-topic", watches: [everything]}}
feeds: {{dir: "{folder}", entries: 20}}
""",
        "feeds.yaml",
    )


def parsed(path: Path) -> Any:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, f"{path.name}: {feed.bozo_exception}"
    assert feed.version == "atom10"
    return feed


def test_feeds_are_valid_atom_with_stable_ids_and_the_change_old_to_new(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "feeds"
    config = feeds_config(database_url, folder)
    crawl(sessions, config, board_before())
    with sessions() as session:
        first = {path.name for path in write_feeds(session, config)}

    assert first == {"watch-infra-remote.xml", "watch-everything.xml", "recipient-me-example-com.xml",
                     f"{all_feeds(config)[3].slug}.xml"}  # fmt: skip
    # A token in a chat URL shows in neither the file name nor the feed.
    assert not any("secret" in name for name in first)
    assert b"secret-topic" not in (folder / f"{all_feeds(config)[3].slug}.xml").read_bytes()
    infra = parsed(folder / "watch-infra-remote.xml")
    (only,) = infra.entries
    assert only.title == f"NEW: {SEED_TITLE} — Stripe"
    assert only.link == "https://stripe.com/jobs/search?gh_jid=6042172"
    assert "$155,700 – $285,600 per year" in only.content[0].value
    # The recipient skips a board's first crawl, so its feed says nothing yet.
    assert parsed(folder / "recipient-me-example-com.xml").entries == []
    everything = parsed(folder / "watch-everything.xml")
    assert len(everything.entries) == 20
    ids_before = [entry.id for entry in everything.entries]
    assert len(set(ids_before)) == 20

    # Written again with nothing new: the same bytes, so no file is rewritten.
    with sessions() as session:
        assert write_feeds(session, config) == []

    crawl(sessions, config, board_after())
    with sessions() as session:
        written = {path.name for path in write_feeds(session, config)}
    assert "watch-infra-remote.xml" in written
    infra = parsed(folder / "watch-infra-remote.xml")
    changed, new = infra.entries
    assert changed.title == f"CHANGED: {SEED_TITLE} — Stripe"
    assert new.id == only.id, "the same event keeps its entry id"
    assert "<del>$155,700 – $285,600 per year</del> → <ins>$165,000 – $295,000 per year</ins>" in (
        changed.content[0].value
    )
    assert changed.updated_parsed >= new.updated_parsed
    everything = parsed(folder / "watch-everything.xml")
    # Three events came first (new, changed, closed); the older entries keep their ids.
    ids_after = [entry.id for entry in everything.entries]
    assert ids_after[3:] == ids_before[:17]
    assert [entry.tags[0].term for entry in everything.entries[:3]] == ["closed", "changed", "new"]
    recipient = parsed(folder / "recipient-me-example-com.xml")
    assert [entry.title for entry in recipient.entries] == [f"CHANGED: {SEED_TITLE} — Stripe"]

    with sessions.begin() as session:
        mute(session, "company", "stripe")
    with sessions() as session:
        assert feedparser.parse(feed_xml(session, config, all_feeds(config)[0])).entries == []


def test_characters_xml_cannot_hold_are_left_out_and_entries_say_when_posted(
    sessions: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    config = feeds_config(database_url, tmp_path / "feeds")
    board = board_before()
    seed = next(job for job in board["jobs"] if "Core Technology" in job["title"])  # type: ignore[index]
    seed["title"] += " \uffff\x01"
    crawl(sessions, config, board)
    with sessions() as session:
        feed = feedparser.parse(feed_xml(session, config, all_feeds(config)[0]))
    assert not feed.bozo
    (entry,) = feed.entries
    assert entry.title.startswith(f"NEW: {SEED_TITLE}") and "\uffff" not in entry.title
    assert "Posted 14 Jun 2024" in entry.content[0].value


def test_rolewatch_run_writes_the_feeds(tmp_path: Path) -> None:
    folder = tmp_path / "feeds"
    with BoardServer() as board:
        board.set(BOARD_PATH, Reply(json.dumps(board_before()).encode()))
        config = write_config(
            tmp_path,
            greenhouse("stripe", board.url),
            f"watches: [{{name: infra, extends: infrastructure}}]\nfeeds: {{dir: {folder}}}\n",
        )
        run = rolewatch("run", "--config", str(config))
        out, err = run.communicate(timeout=DEADLINE)
    assert run.returncode == 0, out + err
    feed = parsed(folder / "watch-infra.xml")
    assert SEED_TITLE in [
        entry.title.removeprefix("NEW: ").removesuffix(" — Stripe") for entry in feed.entries
    ]


def test_watch_names_that_make_the_same_file_name_get_a_feed_each(tmp_path: Path) -> None:
    config = parse_config(
        f"""
sources: [{{name: stripe, type: greenhouse, board: stripe}}]
watches: [{{name: "Infra!", extends: infrastructure}}, {{name: infra, title_any: [sre]}}]
recipients: [{{email: me@example.com, watches: ["Infra!", infra]}}]
feeds: {{dir: "{tmp_path}"}}
""",
        "feeds.yaml",
    )
    first, second, _ = all_feeds(config)
    assert first.slug == "watch-infra"  # the first keeps the file name it always had
    assert second.slug.startswith("watch-infra-") and second.slug != first.slug
    assert find_feed(config, second.slug).name == "infra"
