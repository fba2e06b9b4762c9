"""A POSTING reference is a stored id only when it is ASCII digits within the id column's range:
anything else is "not found" on the command line and in the web view, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from config.loader import load_config
from config.schema import Config
from pipeline.db import open_database, session_factory
from pipeline.normalize import normalize
from pipeline.raw import RawPosting
from pipeline.store import CrawlVerdict, begin_crawl, finish_crawl, store_postings
from rolewatch.cli import main
from tests.test_web import Served, serving

CONFIG = """\
database: "{database}"
sources:
  - {{name: acme, type: greenhouse, board: acme}}
watches:
  - {{name: infra, extends: infrastructure}}
recipients:
  - {{email: me@example.com, watches: [infra]}}
"""

# Each names nothing: too large for any id column, too large for PostgreSQL's INTEGER, digits
# int() reads but that are not ASCII (superscript two, Arabic-Indic one), a NUL, a lone surrogate.
NOT_IDS = [
    "99999999999999999999",
    str(2**31),
    str(2**63),
    "9" * 5000,
    "\u00b2",
    "\u0661",
    "1\x00",
    "acme:\x00",
    "acme:\udcff",
]


def store_one(config: Config) -> None:
    """One complete crawl of `acme` storing one posting, which gets id 1."""
    engine = open_database(config.database)
    try:
        sessions = session_factory(engine)
        run_id = begin_crawl(sessions, config.sources[0])
        seen = store_postings(sessions, run_id, [normalize(RawPosting("101", "Site Reliability Engineer"))])
        finish_crawl(sessions, run_id, config.sources[0], seen, CrawlVerdict())
    finally:
        engine.dispose()


@pytest.fixture
def config_path(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(CONFIG.format(database=database_url))
    store_one(load_config(path))
    return path


@pytest.fixture
def web(config_path: Path) -> Iterator[Served]:
    yield from serving(load_config(config_path))


@pytest.mark.parametrize(
    "command",
    [["history"], ["diff"], ["mute"], ["unmute"], ["check", "--explain"]],
    ids=lambda command: command[0],
)
def test_a_reference_that_is_no_id_is_not_found_on_the_command_line(
    config_path: Path, command: list[str]
) -> None:
    for ref in NOT_IDS:
        result = CliRunner().invoke(main, [*command, ref, "--config", str(config_path)])
        assert result.exit_code == 1, (ref[:30], result.output[-300:])
        assert result.exception is None or isinstance(result.exception, SystemExit), ref[:30]
        (line,) = result.output.splitlines()
        assert line.startswith("error: no posting "), line[:200]


def test_ascii_ids_and_source_refs_still_find_the_posting(config_path: Path) -> None:
    for ref in ("1", "0001", "acme:101"):
        result = CliRunner().invoke(main, ["history", ref, "--json", "--config", str(config_path)])
        assert result.exit_code == 0, (ref, result.output)
        assert '"title": "Site Reliability Engineer"' in result.output


def test_a_reference_that_is_no_id_is_404_in_the_web_view(web: Served) -> None:
    assert web.get("/postings/1")[0] == 200
    assert web.get("/postings/acme:101")[0] == 200
    for path in ("99999999999999999999", str(2**31), str(2**63), "%C2%B2", "%D9%A1", "1%00", "acme:%00"):
        status, page = web.get(f"/postings/{path}")
        assert status == 404, (path, page[:300])
        assert "no posting" in page
