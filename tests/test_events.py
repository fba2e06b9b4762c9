"""`rolewatch events`: the event stream as a table, JSON lines and CSV, filtered as asked."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from config.loader import load_config
from notifier.mutes import mute
from pipeline.db import open_database, session_factory
from pipeline.models import OutboxItem
from rolewatch.cli import main
from rolewatch.demo_boards import SEED_JOB_ID, board_after, board_before
from tests.test_digest import SEED_TITLE, crawl

CONFIG = """\
database: "sqlite:///{folder}/rolewatch.db"
sources: [{{name: stripe, type: greenhouse, board: stripe, close_after_missing: 1}}]
watches:
  - {{name: infra, extends: infrastructure, workplace: [remote, hybrid]}}
  - {{name: closings, events: [closed]}}
recipients:
  - {{email: me@example.com, watches: [infra], backfill: full}}
"""


def stored(tmp_path: Path) -> Path:
    """A database holding the demo board's first crawl and its change."""
    path = tmp_path / "rolewatch.yaml"
    path.write_text(CONFIG.format(folder=tmp_path))
    config = load_config(path)
    engine = open_database(config.database)
    try:
        sessions = session_factory(engine)
        crawl(sessions, config, board_before())
        crawl(sessions, config, board_after())
    finally:
        engine.dispose()
    return path


def events(path: Path, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["events", "--config", str(path), "--json", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_events_are_listed_newest_first_with_their_field_diff(tmp_path: Path) -> None:
    path = stored(tmp_path)

    everything = events(path, "--limit", "0")

    assert len(everything) == 270  # 267 postings first seen, then one new, one changed, one closed
    assert [row["id"] for row in everything] == sorted((row["id"] for row in everything), reverse=True)
    (changed,) = events(path, "--type", "changed")
    assert changed["title"] == SEED_TITLE
    assert changed["ref"] == f"stripe:{SEED_JOB_ID}"
    assert changed["diff"]["salary_max"] == {"old": 285600, "new": 295000}
    assert len(events(path, "--limit", "5")) == 5
    assert events(path, "--since", "2999-01-01") == []
    assert events(path, "--source", "elsewhere") == []


def test_a_watch_filter_gives_what_the_watch_tells_of(tmp_path: Path) -> None:
    path = stored(tmp_path)
    config = load_config(path)

    infra = events(path, "--watch", "infra", "--limit", "0")

    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            mailed = sorted(session.scalars(select(OutboxItem.event_id)))
    finally:
        engine.dispose()
    assert sorted(row["id"] for row in infra) == mailed
    assert [row["type"] for row in events(path, "--watch", "closings")] == ["closed"]

    engine = open_database(config.database)
    try:
        with session_factory(engine).begin() as session:
            mute(session, "company", "Stripe")
    finally:
        engine.dispose()
    assert events(path, "--watch", "infra") == []
    # Without a watch, the stream is the stream: a mute silences outlets, not the record.
    assert len(events(path, "--company", "stripe", "--limit", "0")) == 270

    unknown = CliRunner().invoke(main, ["events", "--config", str(path), "--watch", "nope"])
    assert unknown.exit_code == 1
    assert "no watch named 'nope' (the config has: infra, closings)" in unknown.output


def test_events_and_postings_as_csv(tmp_path: Path) -> None:
    path = stored(tmp_path)

    shown = CliRunner().invoke(main, ["events", "--config", str(path), "--csv", "--type", "changed"])
    listed = CliRunner().invoke(main, ["postings", "--config", str(path), "--csv", "--limit", "0"])

    assert shown.exit_code == 0 and listed.exit_code == 0, shown.output + listed.output
    (row,) = list(csv.DictReader(io.StringIO(shown.output)))
    assert row["title"] == SEED_TITLE
    assert "salary_max: 285600.0 -> 295000.0" in row["diff"]
    assert "description: changed" in row["diff"]
    postings = list(csv.DictReader(io.StringIO(listed.output)))
    assert len(postings) == 268
    assert {"id", "source", "status", "title", "company", "locations"} <= set(postings[0])
    versions = CliRunner().invoke(main, ["history", "--config", str(path), "--csv", "stripe:6042172"])
    assert versions.exit_code == 0, versions.output
    assert [row["changed_fields"] for row in csv.DictReader(io.StringIO(versions.output))] == [
        "", "description; salary_max; salary_min"]  # fmt: skip
    # Lists become one cell; nothing is cut as in the table.
    long = max(postings, key=lambda p: len(p["title"]))
    assert not long["title"].endswith("…")


def test_the_events_table_names_changed_fields(tmp_path: Path) -> None:
    path = stored(tmp_path)

    shown = CliRunner().invoke(main, ["events", "--config", str(path), "--type", "changed"])

    assert shown.exit_code == 0, shown.output
    header, line = shown.output.splitlines()
    assert header.split() == ["ID", "TIME", "TYPE", "POSTING", "SOURCE", "COMPANY", "TITLE", "DIFF"]
    assert "description, salary_max, salary_min" in line
