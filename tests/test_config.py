"""The YAML config: the example loads; every problem is reported with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "rolewatch.example.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "bad.yaml", env={})
    return raised.value.problems


def test_the_example_config_loads() -> None:
    config = load_config(EXAMPLE)
    assert [s.name for s in config.sources] == ["stripe"]
    assert config.sources[0].type == "greenhouse" and config.sources[0].board == "stripe"
    assert config.watches[0].extends == "infrastructure"
    assert config.recipients[0].digest.cron == "0 8 * * 1-5"


def test_malformed_yaml_names_file_line_and_column() -> None:
    assert problems("database: x\nsources: [\n  {name: a,\n") == [
        "bad.yaml:4:1: invalid YAML: expected the node content, but found '<stream end>'"
    ]


def test_unknown_setting_names_its_line() -> None:
    text = "database: sqlite:///x.db\nmail:\n  transport: maildir\n  colour: blue\n"
    assert problems(text) == ["bad.yaml:4:3: mail.colour: unknown setting"]


def test_every_problem_is_listed_at_once() -> None:
    text = """\
sources:
  - name: stripe
    type: greenhose
    board: stripe
  - name: lever-one
    type: lever
watches:
  - name: w
    min_salary: {amount: lots}
"""
    found = problems(text)
    assert found[0].startswith("bad.yaml:3:5: sources[0].type: Input should be 'greenhouse'")
    assert found[1] == "bad.yaml:5:5: sources[1]: a 'lever' source needs 'board' (the board/company token)"
    assert found[2].startswith("bad.yaml:9:18: watches[0].min_salary.amount: Input should be a valid number")
    assert len(found) == 3


def test_references_to_unknown_watches_and_presets_are_errors() -> None:
    text = """\
watches:
  - {name: w, extends: infrastructur}
recipients:
  - {email: me@example.com, watches: [w, nope]}
"""
    (found,) = problems(text)
    assert "extends unknown preset 'infrastructur' (known: infrastructure)" in found
    assert "recipient me@example.com follows unknown watch 'nope'" in found


def test_environment_variables_are_interpolated_and_missing_ones_reported() -> None:
    text = "database: ${DB_URL}\nmail:\n  maildir: ${MAILDIR:-./mail}\n"
    config = parse_config(text, "ok.yaml", env={"DB_URL": "sqlite:///env.db"})
    assert config.database == "sqlite:///env.db" and config.mail.maildir == "./mail"
    assert problems("database: ${DB_URL}\n") == [
        "bad.yaml:1:1: database: environment variable DB_URL is not set"
    ]


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "nope.yaml")
    assert raised.value.problems == [
        f"{tmp_path / 'nope.yaml'}: cannot read config: No such file or directory"
    ]


def test_cron_schedules_and_time_zones_are_checked_when_loading() -> None:
    text = """\
recipients:
  - email: me@example.com
    watches: []
    digest: {cron: "0 25 * * *", timezone: Europe/Berlin}
  - email: you@example.com
    watches: []
    digest: {cron: "0 8 * * 1-5", timezone: Mars/Olympus}
"""
    first, second = problems(text)
    assert first.startswith("bad.yaml:4:5: recipients[0].digest: invalid cron schedule '0 25 * * *'")
    assert second.startswith("bad.yaml:7:5: recipients[1].digest: invalid cron schedule")


def test_names_used_twice_loops_of_extends_and_unknown_sources_are_errors() -> None:
    text = """\
sources:
  - {name: stripe, type: greenhouse, board: stripe}
watches:
  - {name: w, extends: v}
  - {name: v, extends: w}
  - {name: x, sources: [stripe, strpe]}
  - {name: x}
recipients:
  - {email: me@example.com, watches: [x]}
  - {email: Me@Example.com, watches: [w]}
"""
    (found,) = problems(text)
    assert "watch name 'x' is used more than once" in found
    assert "recipient 'me@example.com' is used more than once" in found
    assert "watch 'w' extends itself through 'v'" in found
    assert "watch 'x' is limited to unknown source 'strpe'" in found
