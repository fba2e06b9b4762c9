"""Times told relative to now in `rolewatch status`, ISO 8601 in its `--json`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from config.loader import load_config
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Digest, utcnow
from pipeline.store import begin_crawl
from rolewatch.cli import main
from rolewatch.moments import relative_time

NOW = datetime(2026, 12, 7, 15, 36, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 12, 7, 15, 27, 13, 847540, tzinfo=UTC), "15:27 UTC, 9 min ago"),
        (datetime(2026, 12, 7, 15, 36, 10, tzinfo=UTC), "15:36 UTC, just now"),
        (datetime(2026, 12, 7, 11, 30, tzinfo=UTC), "11:30 UTC, 4 h ago"),
        (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), "00:00 UTC, 15 h ago"),
        (datetime(2026, 12, 6, 23, 59, tzinfo=UTC), "yesterday 23:59 UTC"),
        (datetime(2026, 12, 6, 8, 0, tzinfo=UTC), "yesterday 08:00 UTC"),
        (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "Dec 1 08:00 UTC"),
        (datetime(2025, 12, 1, 8, 0, tzinfo=UTC), "Dec 1 2025 08:00 UTC"),
        (datetime(2026, 12, 7, 16, 0, tzinfo=UTC), "16:00 UTC, in 23 min"),
        (datetime(2026, 12, 8, 8, 0, tzinfo=UTC), "tomorrow 08:00 UTC"),
        (datetime(2027, 1, 4, 8, 0, tzinfo=UTC), "Jan 4 2027 08:00 UTC"),
        # Another zone is told in UTC; a naive time is UTC, as SQLite returns stored times.
        (datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=1))), "08:00 UTC, 7 h ago"),
        (datetime(2026, 12, 7, 0, 30, tzinfo=timezone(timedelta(hours=2))), "yesterday 22:30 UTC"),
        (datetime(2026, 12, 7, 15, 27), "15:27 UTC, 9 min ago"),
    ],
)
def test_a_time_is_told_relative_to_now(moment: datetime, shown: str) -> None:
    assert relative_time(moment, NOW) == shown


CONFIG = """\
database: sqlite:///{folder}/rolewatch.db
sources:
  - {{name: recent, type: greenhouse, board: recent}}
  - {{name: older, type: greenhouse, board: older}}
  - {{name: never, type: greenhouse, board: never}}
recipients:
  - {{email: me@example.com, watches: [], digest: {{cron: "0 8 * * *"}}}}
"""


def test_status_tells_times_relative_to_now_and_its_json_keeps_iso(tmp_path: Path) -> None:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(CONFIG.format(folder=tmp_path.as_posix()))
    config = load_config(str(path))
    engine = open_database(config.database)
    sessions = session_factory(engine)
    now = utcnow()
    recent = now - timedelta(minutes=9, seconds=20)
    older = (now - timedelta(days=6)).replace(hour=8, minute=0)
    for source, started in zip(config.sources[:2], (recent, older), strict=True):
        run_id = begin_crawl(sessions, source)
        with sessions.begin() as session:
            session.execute(
                update(CrawlRun).where(CrawlRun.id == run_id).values(status="complete", started_at=started)
            )
    with sessions.begin() as session:
        session.add(Digest(recipient="me@example.com", message_id="<d1@rolewatch>", status="sent",
                           created_at=older))  # fmt: skip
    engine.dispose()

    table = CliRunner().invoke(main, ["status", "--config", str(path)])
    as_json = CliRunner().invoke(main, ["status", "--json", "--config", str(path)])

    assert table.exit_code == 0, table.output
    lines = {line.split()[0]: line for line in table.output.splitlines() if line}
    same_day = recent.date() == now.date()
    told = f"{recent:%H:%M} UTC, 9 min ago" if same_day else f"yesterday {recent:%H:%M} UTC"
    assert told in lines["recent"]
    year = "" if older.year == now.year else f" {older.year}"
    assert f"{older:%b} {older.day}{year} 08:00 UTC" in lines["older"]
    assert "T" not in lines["recent"].split()[1] and "+00:00" not in table.output
    recipient = lines["me@example.com"]
    assert f"{older:%b} {older.day}{year} 08:00 UTC" in recipient
    assert "08:00 UTC" in recipient.split("sent", 1)[1], "the next digest, at 08:00 UTC"

    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    by_name = {row.get("name", row.get("recipient")): row for row in rows}
    assert datetime.fromisoformat(by_name["recent"]["last_crawl"]) == recent
    assert datetime.fromisoformat(by_name["older"]["last_crawl"]) == older
    assert by_name["never"]["last_crawl"] is None
    assert datetime.fromisoformat(by_name["me@example.com"]["last_digest"]) == older
    assert datetime.fromisoformat(by_name["me@example.com"]["next_digest"]).hour == 8
