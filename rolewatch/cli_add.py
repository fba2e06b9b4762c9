"""`rolewatch add` (a board from a URL, a careers page or a domain) and `rolewatch init`."""

from __future__ import annotations

import csv
import io
import json
import sys
from importlib.resources import files
from pathlib import Path

import click

from rolewatch.cli_support import EXIT_CONFIG, EXIT_FAILURES, config_option, friendly_errors
from rolewatch.safe_text import visible

# Header names of the column `--from FILE.csv` reads targets from, when it has a header.
TARGET_COLUMNS = ("url", "careers_url", "careers", "board", "website", "domain", "homepage", "target")


@click.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read targets from FILE: one a line, or a CSV file's URL column.",
)
@click.option("--column", help="With a CSV --from file: the column holding the targets.")
@click.option("--write", is_flag=True, help="Add the boards found to the config file's sources.")
@click.option("--offline", is_flag=True, help="Resolve by URL rules alone; fetch nothing.")
@click.option("--probe", is_flag=True, help="Also try the company's name as a token on common families.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a target.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Fetch loopback and private addresses too (a board served on your own network).",
)
@click.option(
    "--host-map",
    "host_map",
    multiple=True,
    metavar="HOST=URL",
    help="Send HOST's requests to URL instead (a proxy or a local copy); repeatable.",
)
@config_option
@friendly_errors
def add(
    targets: tuple[str, ...],
    from_file: Path | None,
    column: str | None,
    write: bool,
    offline: bool,
    probe: bool,
    as_json: bool,
    allow_private: bool,
    host_map: tuple[str, ...],
    config_path: str,
) -> None:
    """Find the board behind each TARGET (a board or API URL, a careers or home page, a domain),
    check it by reading it once, and show it; with --write, add it to the config."""
    from config.writer import NewSource, add_sources
    from crawler.discovery.check import source_name
    from crawler.discovery.fetch import Fetcher
    from crawler.discovery.resolve import Discovery

    wanted = list(targets) + (_targets_from(from_file, column) if from_file else [])
    if not wanted:
        raise click.UsageError("give a TARGET or --from FILE")
    path = Path(config_path)
    if write and not path.exists():
        click.echo(f"error: {path}: no config there; `rolewatch init` writes a starter one", err=True)
        sys.exit(EXIT_CONFIG)
    discovery = Discovery(Fetcher(allow_private, _host_map(host_map)), offline=offline, probe=probe)
    resolved = []
    for target in wanted:
        result = discovery.resolve(target)
        if as_json:
            click.echo(json.dumps(result.as_json()))
        else:
            _preview(result)
        if result.status == "resolved" and result.ref is not None:
            resolved.append(result.ref)
    if write and resolved:
        before = path.read_text(encoding="utf-8")
        new = [NewSource(source_name(ref), ref.type, ref.board, ref.api_base) for ref in resolved]
        try:
            added, skipped = add_sources(path, new)
        except ValueError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_CONFIG)
        _check_or_restore(path, before)
        if not as_json:
            for source in added:
                click.echo(f"added source {source.name} ({source.type} {visible(source.board)}) to {path}")
            for source in skipped:
                click.echo(f"{source.type} {visible(source.board)} is in {path} already")
    if len(resolved) < len(wanted):
        sys.exit(EXIT_FAILURES)


def _preview(result: object) -> None:
    from crawler.discovery.resolve import Resolution

    assert isinstance(result, Resolution)
    target = visible(result.target)
    if result.status != "resolved" or result.ref is None:
        click.echo(f"{target}: not resolved: {visible(result.reason or '')}")
        return
    ref = result.ref
    where = f" at {ref.api_base}" if ref.api_base else ""
    click.echo(f"{target}: {ref.type} {visible(ref.board)}{where}")
    if result.postings is None:
        click.echo("  (not fetched: --offline)")
        return
    count = f"{result.postings}{'+' if result.more else ''} open postings"
    click.echo(f"  {visible(result.company or 'company not named by the board')}: {count}")
    for title in result.titles:
        click.echo(f"  - {visible(title)}")


def _targets_from(path: Path, column: str | None) -> list[str]:
    """One target a line, or a CSV file's target column (by --column, a known header, or the first)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise click.BadParameter(f"{path}: {error.strerror}", param_hint="--from") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines or ("," not in lines[0] and column is None):
        return [line.strip() for line in lines]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    header = [cell.strip().lower() for cell in rows[0]]
    if column is not None:
        if column.lower() not in header:
            raise click.BadParameter(f"{path}: no column {column!r} in {rows[0]}", param_hint="--column")
        index, body = header.index(column.lower()), rows[1:]
    elif known := [name for name in TARGET_COLUMNS if name in header]:
        index, body = header.index(known[0]), rows[1:]
    else:
        index, body = 0, rows
    return [row[index].strip() for row in body if len(row) > index and row[index].strip()]


def _host_map(entries: tuple[str, ...]) -> dict[str, str]:
    mapped = {}
    for entry in entries:
        host, sep, url = entry.partition("=")
        if not sep or not host or not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{entry!r}: expected HOST=http(s)://...", param_hint="--host-map")
        mapped[host.strip().lower()] = url.strip()
    return mapped


def _check_or_restore(path: Path, before: str) -> None:
    """The config as written must load; if it does not, it is put back as it was."""
    from config.loader import ConfigError, load_config

    try:
        load_config(path)
    except ConfigError as error:
        path.write_text(before, encoding="utf-8")
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"error: {path} is left as it was", err=True)
        sys.exit(EXIT_CONFIG)


@click.command()
@config_option
@click.option("--force", is_flag=True, help="Overwrite a config file that exists.")
def init(config_path: str, force: bool) -> None:
    """Write a commented starter config (then `rolewatch add --write` fills its sources)."""
    path = Path(config_path)
    if path.exists() and not force:
        click.echo(f"error: {path} exists; --force overwrites it", err=True)
        sys.exit(EXIT_CONFIG)
    path.write_text(files("config").joinpath("rolewatch.example.yaml").read_text(encoding="utf-8"))
    click.echo(f"wrote {path}: put your address in `recipients`, add boards with `rolewatch add --write`")
