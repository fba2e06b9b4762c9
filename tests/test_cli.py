"""The command line: friendly errors, `check`, and the offline demo end to end."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from config.loader import load_config
from rolewatch.cli import main
from rolewatch.demo import run_demo

ROOT = Path(__file__).resolve().parent.parent


def test_malformed_config_exits_non_zero_with_file_and_line_and_touches_no_database(
    tmp_path: Path,
) -> None:
    config = tmp_path / "rolewatch.yaml"
    config.write_text(f"database: sqlite:///{tmp_path}/rw.db\nsources:\n  - name: x\n    typo: 1\n")
    for command in (["check"], ["crawl"], ["run"], ["digest", "--dry-run"]):
        result = CliRunner().invoke(main, [*command, "--config", str(config)])
        assert result.exit_code == 2, (command, result.output)
        assert f"error: {config}:4:5: sources[0].typo: unknown setting" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "rw.db").exists()


def test_invalid_yaml_exits_non_zero_with_its_position(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("sources:\n  - name: [unclosed\n")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {config}:3:1: invalid YAML")


def test_check_lists_sources_with_family_and_url_and_recipients() -> None:
    result = CliRunner().invoke(main, ["check", "--config", str(ROOT / "config" / "rolewatch.example.yaml")])
    assert result.exit_code == 0, result.output
    assert (
        "source stripe (greenhouse): https://boards-api.greenhouse.io/v1/boards/stripe/jobs?content=true"
        in result.output
    )
    assert "recipient me@example.com: watches infra-remote" in result.output
    as_json = CliRunner().invoke(
        main, ["check", "--json", "--config", str(ROOT / "config" / "rolewatch.example.yaml")]
    )
    assert json.loads(as_json.output)["sources"][0]["type"] == "greenhouse"


def test_secrets_never_reach_check_output_or_its_log(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("ROLEWATCH_SMTP_PASSWORD", "smtp-hunter2")
    monkeypatch.setenv("DB_PASSWORD", "db-hunter2")
    config = tmp_path / "rolewatch.yaml"
    config.write_text(
        "database: postgresql://rolewatch:${DB_PASSWORD}@127.0.0.1:5432/jobs\n"
        "queue: redis://:queue-hunter2@127.0.0.1:6379/0\n"
        "mail:\n  transport: smtp\n"
        "  smtp: {host: 127.0.0.1, username: me, password_env: ROLEWATCH_SMTP_PASSWORD}\n"
        "sources: [{name: s, type: greenhouse, board: s}]\n"
    )
    outputs = []
    for command in (["-vv", "check"], ["check", "--json"]):
        result = CliRunner().invoke(main, [*command, "--config", str(config)])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert not [output for output in outputs if "hunter2" in output]
    assert "database: postgresql://rolewatch:***@127.0.0.1:5432/jobs" in outputs[0]
    assert "queue: redis://:***@127.0.0.1:6379/0" in outputs[0]


def read_mail(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_demo_writes_the_new_digest_then_the_change_and_nothing_for_an_unchanged_board(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    steps = run_demo(tmp_path / "demo", say=lines.append)

    first, second, third = steps
    assert first.crawl["status"] == "complete" and first.crawl["new"] == 267
    assert (second.crawl["new"], second.crawl["changed"], second.crawl["closed"]) == (1, 1, 1)
    assert (third.versions, third.events, third.digests.reports) == (0, 0, [])
    mails = sorted((tmp_path / "demo" / "mail" / "new").glob("*.eml"))
    assert len(mails) == 2
    new, change = (read_mail(path) for path in mails)

    text = new.get_body(("plain",)).get_content()
    assert "[NEW] Backend Engineer, Core Technology" in text
    assert "Salary: $155,700 – $285,600 per year" in text

    text = change.get_body(("plain",)).get_content()
    assert "[CHANGED] Backend Engineer, Core Technology" in text
    assert "Salary: $155,700 – $285,600 per year -> $165,000 – $295,000 per year" in text
    assert "[CLOSED] Infrastructure Engineer, Privy" in text
    assert "[NEW] Engineering Manager - Core Performance" in text
    assert change["Subject"] == "[rolewatch] 1 new, 1 changed, 1 closed — Stripe"
    assert any("Digests are in" in line for line in lines)

    config = str(tmp_path / "demo" / "rolewatch.yaml")
    runner = CliRunner()
    history = runner.invoke(main, ["history", "stripe:6042172", "--json", "--config", config])
    versions = [json.loads(line) for line in history.output.splitlines()]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["changed_fields"] == ["description", "salary_max", "salary_min"]
    diff = json.loads(runner.invoke(main, ["diff", "stripe:6042172", "--json", "--config", config]).output)
    assert diff["changes"]["salary_min"] == {"old": 155700, "new": 165000}
    closed = runner.invoke(main, ["postings", "--status", "closed", "--json", "--config", config])
    assert [json.loads(line)["title"] for line in closed.output.splitlines()] == [
        "Infrastructure Engineer, Privy"
    ]
    status = runner.invoke(main, ["status", "--config", config])
    assert status.exit_code == 0 and "stripe" in status.output and "complete" in status.output
    missing = runner.invoke(main, ["history", "stripe:nope", "--config", config])
    assert missing.exit_code == 1 and "no posting 'stripe:nope'" in missing.output

    # A listing cut at --limit says so; --limit 0 lists all.
    cut = runner.invoke(main, ["postings", "--limit", "5", "--json", "--config", config])
    assert len(cut.stdout.splitlines()) == 5
    assert cut.stderr.strip() == "showing the newest 5 of 268 postings; --limit 0 shows all"
    every = runner.invoke(main, ["postings", "--limit", "0", "--json", "--config", config])
    assert len(every.stdout.splitlines()) == 268 and not every.stderr


def test_status_shows_every_problem_whole_on_one_line_without_terminal_controls(tmp_path: Path) -> None:
    from sqlalchemy import update

    from pipeline.db import open_database, session_factory
    from pipeline.models import CrawlRun
    from pipeline.store import begin_crawl

    config_path = tmp_path / "rolewatch.yaml"
    config_path.write_text(EXPLAIN_CONFIG.format(folder=tmp_path.as_posix()))
    config = load_config(str(config_path))
    engine = open_database(config.database)
    sessions = session_factory(engine)
    run_id = begin_crawl(sessions, config.sources[0])
    problems = (
        "job 6042172: salary field is not a number ('1e400') and was left out\n"
        "job 7001: title \x1b[31mRED\x1b[0m\u202egnp.exe holds controls\r\n"
        "listing: a 3rd problem, long enough to be cut in any 60-character cell"
    )
    with sessions.begin() as session:
        session.execute(
            update(CrawlRun).where(CrawlRun.id == run_id).values(status="incomplete", problems=problems)
        )
    engine.dispose()

    shown = CliRunner().invoke(main, ["status", "--config", str(config_path)])
    assert shown.exit_code == 0, shown.output
    (line,) = [line for line in shown.output.splitlines() if line.startswith("stripe ")]
    assert line.endswith(
        "job 6042172: salary field is not a number ('1e400') and was left out / "
        "job 7001: title \\x1b[31mRED\\x1b[0m\\u202egnp.exe holds controls / "
        "listing: a 3rd problem, long enough to be cut in any 60-character cell"
    )
    assert "\x1b" not in shown.output and "\u202e" not in shown.output


EXPLAIN_CONFIG = """\
database: sqlite:///{folder}/rolewatch.db
sources:
  - {{name: stripe, type: greenhouse, board: stripe}}
watches:
  - name: infra-remote
    extends: infrastructure
    workplace: [remote, hybrid]
    min_salary: {{amount: 150000, currency: USD}}
  - name: infra-berlin
    extends: infrastructure
    locations: [Berlin]
recipients:
  - email: me@example.com
    watches: [infra-remote, infra-berlin]
"""


def test_check_explain_says_which_watches_a_stored_posting_matches_and_why(tmp_path: Path) -> None:
    from pipeline.db import open_database, session_factory
    from rolewatch.demo_boards import board_before
    from tests.test_digest import crawl

    config_path = tmp_path / "rolewatch.yaml"
    config_path.write_text(EXPLAIN_CONFIG.format(folder=tmp_path.as_posix()))
    config = load_config(str(config_path))
    engine = open_database(config.database)
    crawl(session_factory(engine), config, board_before())
    engine.dispose()
    runner = CliRunner()

    result = runner.invoke(main, ["check", "--explain", "stripe:6042172", "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    assert "(stripe:6042172, version 1, open): Backend Engineer, Core Technology" in result.output
    remote = result.output.split("me@example.com / infra-remote: ")[1].split("me@example.com /")[0]
    assert remote.rstrip().splitlines() == [
        "matches",
        "    + title mentions engineer",
        "    + score 12 reaches 4: infrastructure title +4 (core technology); platform or systems title"
        " +1 (backend); infrastructure team +3 (infrastructure); infrastructure work in the text +2"
        " (compute, networking); infrastructure organisation in the text +2 (core infrastructure)",
        "    + workplace hybrid, remote",
        "    + salary up to 285,600 USD",
    ]
    berlin = result.output.split("me@example.com / infra-berlin: ")[1]
    assert berlin.startswith("does not match\n")
    assert "    - location US-Remote, Chicago, Seattle, San Francisco is not in Berlin\n" in berlin

    as_json = runner.invoke(
        main, ["check", "--json", "--explain", "stripe:7922618", "--config", str(config_path)]
    )
    verdicts = json.loads(as_json.output)["explain"]["watches"]
    assert [(v["watch"], v["matches"]) for v in verdicts] == [
        ("infra-remote", False),
        ("infra-berlin", False),
    ]
    assert verdicts[0]["failed"] == "title has none of the rule's title terms"
    assert verdicts[0]["reasons"] == [verdicts[0]["failed"]]

    missing = runner.invoke(main, ["check", "--explain", "stripe:nope", "--config", str(config_path)])
    assert missing.exit_code == 1 and "no posting 'stripe:nope'" in missing.output


def test_read_only_commands_never_create_or_migrate_the_database(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from pipeline.db import alembic_config, make_engine

    database = tmp_path / "rw.db"
    config = tmp_path / "rolewatch.yaml"
    config.write_text(f"database: sqlite:///{database}\nsources: [{{name: s, type: lever, board: s}}]\n")
    for args in (["status"], ["postings"], ["history", "1"]):
        result = CliRunner().invoke(main, [*args, "--config", str(config)])
        assert result.exit_code == 1, (args, result.output)
        assert f"error: no database at {database} yet" in result.output
    assert not database.exists()

    engine = make_engine(f"sqlite:///{database}")
    command.upgrade(alembic_config(engine), "0002")  # as an older rolewatch left it
    result = CliRunner().invoke(main, ["status", "--config", str(config)])
    assert result.exit_code == 1
    assert "the database schema is not current: run `rolewatch db upgrade`" in result.output
    assert "raw_hash" not in {column["name"] for column in inspect(engine).get_columns("postings")}

    assert CliRunner().invoke(main, ["db", "upgrade", "--config", str(config)]).exit_code == 0
    assert CliRunner().invoke(main, ["status", "--config", str(config)]).exit_code == 0
    engine.dispose()


def test_verbose_logs_say_which_migrations_ran_and_nothing_of_alembic_set_up(tmp_path: Path) -> None:
    import subprocess
    import sys

    config = tmp_path / "rolewatch.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path}/rw.db\nsources: [{{name: s, type: lever, board: s}}]\n"
    )

    def logged(*command: str) -> str:
        args = [sys.executable, "-m", "rolewatch", "-v", *command, "--config", str(config)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
        return done.stderr

    upgraded = logged("db", "upgrade")
    assert "Running upgrade  -> 0001" in upgraded and "setup plugin" not in upgraded
    assert "alembic" not in logged("status")
