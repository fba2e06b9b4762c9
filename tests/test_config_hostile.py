"""Hostile or broken config files end in one `file:line:col: why` line and exit code 2: never a
traceback, an exhausted machine, or a change to the database."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from config.loader import ConfigError, load_config
from config.yamlfile import MAX_ALIAS_NODES, MAX_CONFIG_BYTES
from rolewatch.cli import main

ROOT = Path(__file__).resolve().parent.parent
SOURCES = "sources:\n  - {name: s, type: greenhouse, board: b}\n"
WATCH = "watches:\n  - {name: w, any: [k]}\n"


def chain_of_watches(count: int) -> str:
    """`count` watches, each extending the one before it."""
    rows = ["  - {name: w0, any: [k]}\n"] + [
        f"  - {{name: w{i}, extends: w{i - 1}}}\n" for i in range(1, count)
    ]
    return "watches:\n" + "".join(rows)


def laughs(levels: int, width: int = 10) -> str:
    """The "billion laughs": each anchor lists `width` aliases of the one before."""
    rows = [f"l0: &l0 [{', '.join(['lol'] * width)}]\n"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]\n" for i in range(1, levels)]
    return "".join(rows)


# (name, the file after its `sources:`, the problem it must give: line and column in the file)
HOSTILE = [
    (
        "nul",
        'watches:\n  - name: "w"\n    any: [a\x00b]\n',
        "5:12: invalid YAML: character U+0000 is not allowed",
    ),
    ("bell", "watches:\n  - name: in\x07fra\n", "4:13: invalid YAML: character U+0007 is not allowed"),
    ("deep", "x: " + "[" * 900 + "]" * 900 + "\n", "3:67: invalid YAML: nested more than 64 levels deep"),
    (
        "block-deep",
        "x:\n" + "".join(f"{'  ' * i}- \n" for i in range(900)),
        "67:127: invalid YAML: nested more than 64 levels deep",
    ),
    ("merge-itself", "a: &a {<<: *a}\n", "3:12: invalid YAML: alias *a is used inside the node it names"),
    ("alias-itself", "a: &a [x, *a]\n", "3:11: invalid YAML: alias *a is used inside the node it names"),
    (
        "deep-by-alias",
        "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n",
        "4:44: invalid YAML: nested more than 64 levels deep once alias *a is expanded",
    ),
    (
        "huge-number",
        "crawl: {concurrency: " + "9" * 5000 + "}\n",
        "3:22: invalid YAML: this value cannot be read: Exceeds the limit (4300 digits)",
    ),
    (
        "bad-timestamp",
        "feeds: {dir: !!timestamp 2020-99-99}\n",
        "3:14: invalid YAML: this value cannot be read: month must be in 1..12",
    ),
    (
        "extends-chain",
        chain_of_watches(3000),
        "20:17: watches[16].extends: watch 'w16' extends a chain of 16 watches already, "
        "the most there may be",
    ),
]


def write_config(tmp_path: Path, name: str, rest: str) -> Path:
    """The config: its first two lines are `sources:` (one source), then `rest`."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(SOURCES + rest, "utf-8")
    return path


@pytest.mark.parametrize(("name", "rest", "problem"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_a_hostile_config_is_one_problem_at_its_place(
    tmp_path: Path, name: str, rest: str, problem: str
) -> None:
    path = write_config(tmp_path, name, rest)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(f"{path}:{problem}")


@pytest.mark.parametrize(("name", "rest", "problem"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_rolewatch_check_and_run_exit_2_on_a_hostile_config_and_touch_no_database(
    tmp_path: Path, name: str, rest: str, problem: str
) -> None:
    # The database is named after the hostile part, so that its line numbers stay as above.
    path = write_config(tmp_path, name, rest + f"database: sqlite:///{tmp_path}/rw.db\n")
    for command in ("check", "run"):
        result = CliRunner().invoke(main, [command, "--config", str(path)])
        assert result.exit_code == 2, (command, result.output)
        assert result.output.startswith(f"error: {path}:{problem}")
        assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "rw.db").exists()


def test_aliases_that_share_rules_within_the_bound_load(tmp_path: Path) -> None:
    # 40 watches sharing one 200-term list: 8,000 nodes of aliases, under the bound.
    terms = ", ".join(f"t{i}" for i in range(200))
    rows = "".join(f"  - {{name: w{i}, any: *terms}}\n" for i in range(1, 41))
    text = f"watches:\n  - {{name: w0, any: &terms [{terms}]}}\n{rows}"
    config = load_config(write_config(tmp_path, "shared", text))
    assert len(config.watches) == 41 and config.watches[40].any == [f"t{i}" for i in range(200)]


def test_an_extends_chain_of_sixteen_watches_resolves(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "chain", chain_of_watches(16)))
    assert config.watch("w15").any == ["k"]


# A name holds a control character through YAML's escapes; (file line:col, path, character).
ESCAPED_NAMES = [
    (WATCH.replace("name: w", r'name: "infra\x07"'), "4:6: watches[0].name", "U+0007 (character 6)"),
    (WATCH.replace("name: w", r'name: "a\nb"'), "4:6: watches[0].name", "U+000A (character 2)"),
    (
        WATCH.replace("{name: w,", r'{name: w, extends: "infrastructure\u0000",'),
        "4:15: watches[0].extends",
        "U+0000 (character 15)",
    ),
    (
        WATCH + 'recipients:\n  - {email: "me\\x07@example.com", watches: [w]}\n',
        "6:6: recipients[0].email",
        "U+0007 (character 3)",
    ),
    (
        WATCH + 'recipients:\n  - {email: me@example.com, watches: ["w\\e"]}\n',
        "6:39: recipients[0].watches[0]",
        "U+001B (character 2)",
    ),
    ('mail: {from: "me <a@b>\\r\\nBcc: x@y"}\n', "3:8: mail.from", "U+000D (character 9)"),
    ('mail: {subject_prefix: "\\x85"}\n', "3:8: mail.subject_prefix", "U+0085 (character 1)"),
    ('feeds: {dir: "feeds\\0"}\n', "3:9: feeds.dir", "U+0000 (character 6)"),
]


@pytest.mark.parametrize(("rest", "where", "character"), ESCAPED_NAMES)
def test_names_addresses_and_paths_refuse_control_characters(
    tmp_path: Path, rest: str, where: str, character: str
) -> None:
    path = write_config(tmp_path, "names", rest)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        f"{path}:{where}: control character {character} is not allowed here: "
        "names, addresses and paths must be printable text"
    ]
    result = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert result.exit_code == 2 and result.output == f"error: {raised.value.problems[0]}\n"


def test_a_config_past_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_config(tmp_path, "big", "# " + "x" * MAX_CONFIG_BYTES + "\n")
    problem = f"{path}: the config is larger than 1 MiB, the most it may be"
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [problem]
    assert load_config(write_config(tmp_path, "fits", WATCH + "# " + "x" * (MAX_CONFIG_BYTES - 200) + "\n"))


def in_a_gibibyte(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Python `code` run in a process that cannot take more than 1 GiB: a config that expands or
    is read whole fails the test, not the machine."""
    limit = "import resource\nresource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    command = [sys.executable, "-c", limit + textwrap.dedent(code), *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)


def rolewatch_in_a_gibibyte(command: str, path: Path) -> subprocess.CompletedProcess[str]:
    code = """
        import sys
        from rolewatch.cli import main
        sys.argv = ["rolewatch", sys.argv[1], "--config", sys.argv[2]]
        main()
    """
    return in_a_gibibyte(code, command, str(path))


def test_the_billion_laughs_is_refused_in_little_memory(tmp_path: Path) -> None:
    path = write_config(tmp_path, "laughs", laughs(9) + f"database: sqlite:///{tmp_path}/rw.db\n")
    assert path.stat().st_size < 700
    problem = f"{path}:6:45: invalid YAML: aliases expand to more than {MAX_ALIAS_NODES:,} nodes by here"
    code = """
        import sys
        from config.loader import ConfigError, load_config
        try:
            load_config(sys.argv[1])
        except ConfigError as error:
            print(error.problems)
    """
    loaded = in_a_gibibyte(code, str(path))
    assert (loaded.returncode, loaded.stdout, loaded.stderr) == (0, f"{[problem]}\n", "")
    for command in ("check", "run"):
        done = rolewatch_in_a_gibibyte(command, path)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {problem}\n")
    assert not (tmp_path / "rw.db").exists()


def test_a_50_mb_config_is_refused_in_little_memory(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, "huge", "watches:\n" + "  - {name: w, any: [k]}\n" * (50 * 1024 * 1024 // 24)
    )
    done = rolewatch_in_a_gibibyte("check", path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"error: {path}: the config is larger than 1 MiB, the most it may be\n"
