"""The YAML config: the example loads; every problem is reported with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.families import FAMILIES
from config.loader import ConfigError, load_config, parse_config
from config.schema import Config

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
    assert found[0] == (
        "bad.yaml:3:5: sources[0].type: unknown source type 'greenhose'; expected one of "
        + ", ".join(FAMILIES)
    )
    assert found[1] == "bad.yaml:5:5: sources[1]: a 'lever' source needs 'board' (the board/company token)"
    assert found[2].startswith("bad.yaml:9:18: watches[0].min_salary.amount: Input should be a valid number")
    assert len(found) == 3


def test_references_to_unknown_watches_and_presets_are_errors_at_their_lines() -> None:
    text = """\
sources: [{name: s, type: greenhouse, board: s}]
watches:
  - {name: w, extends: infrastructur}
recipients:
  - email: me@example.com
    watches: [w, nope]
"""
    assert problems(text) == [
        "bad.yaml:3:15: watches[0].extends: watch 'w' extends unknown preset 'infrastructur' "
        "(known: infrastructure)",
        "bad.yaml:6:18: recipients[0].watches[1]: recipient me@example.com follows unknown watch 'nope'",
    ]


def test_environment_variables_are_interpolated_and_missing_ones_reported() -> None:
    text = (
        "database: ${DB_URL}\nmail:\n  maildir: ${MAILDIR:-./mail}\n"
        "sources: [{name: s, type: lever, board: s}]\n"
    )
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


def test_names_used_twice_loops_of_extends_and_unknown_sources_are_errors_at_their_lines() -> None:
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
    assert problems(text) == [
        "bad.yaml:7:6: watches[3].name: watch name 'x' is used more than once (first at watches[2])",
        "bad.yaml:10:6: recipients[1].email: recipient 'me@example.com' is used more than once "
        "(first at recipients[0])",
        "bad.yaml:4:15: watches[0].extends: watch 'w' extends itself through 'v'",
        "bad.yaml:5:15: watches[1].extends: watch 'v' extends itself through 'w'",
        "bad.yaml:6:33: watches[2].sources[1]: watch 'x' is limited to unknown source 'strpe'",
    ]


@pytest.mark.parametrize("text", ["", "\n", "# nothing yet\n"])
def test_an_empty_config_is_an_error_that_says_what_is_missing(text: str) -> None:
    assert problems(text) == [
        "bad.yaml:1:1: the config is empty: it needs `sources:` at least (see config/rolewatch.example.yaml)"
    ]


def test_a_config_without_sources_is_an_error() -> None:
    assert problems("database: sqlite:///x.db\nsources: []\n") == [
        "bad.yaml:1:1: (top): no sources: list at least one board under `sources:` "
        "(see config/rolewatch.example.yaml)"
    ]


def test_a_config_that_is_not_utf8_is_an_error_at_its_byte(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"database: sqlite:///x.db\nsources: [\xff\xfe\x00garbage]\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [f"{path}:2:11: the config is not UTF-8 text (byte 0xff here)"]


def test_watches_are_resolved_when_the_config_loads() -> None:
    text = """\
sources: [{name: s, type: greenhouse, board: s}]
watches:
  - {name: remote-infra, extends: infra, workplace: [remote]}
  - {name: infra, extends: infrastructure, none: [intern]}
"""
    config = parse_config(text, "ok.yaml", env={})
    remote, infra = config.watches
    assert infra.score is not None and "engineer" in infra.title_any
    assert any("kubernetes" in signal.terms for signal in infra.score.signals)
    assert infra.none == ["intern"]
    assert remote.score == infra.score and remote.title_any == infra.title_any
    assert remote.none == ["intern"] and remote.workplace == ["remote"]
    assert (remote.extends, infra.extends) == ("infra", "infrastructure")
    # Validated again (as crawl processes do, from JSON), the chain is not merged twice.
    assert Config.model_validate(config.model_dump(mode="json", by_alias=True)) == config


def test_a_duration_must_be_written_with_its_unit() -> None:
    text = "sources: [{name: s, type: lever, board: s, timeout: 15}]\n"
    assert problems(text) == [
        "bad.yaml:1:44: sources[0].timeout: expected a duration such as 30s, 15m, 2h or 1d"
    ]
