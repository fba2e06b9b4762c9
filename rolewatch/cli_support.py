"""What every `rolewatch` command shares: the --config option, friendly errors, tables."""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from config.loader import ConfigError, load_config
from config.schema import Config
from crawler.sealing import QueueKeyMissing
from pipeline.db import SchemaNotCurrent
from rolewatch.queries import NotFound
from rolewatch.safe_text import spreadsheet_cell, visible

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CONFIG = 2
EXIT_FAILURES = 1


def default_config_path() -> str:
    return os.environ.get("ROLEWATCH_CONFIG", "rolewatch.yaml")


def friendly_errors(func: F) -> F:
    """Mistakes a user can make end in one clear line and a non-zero exit, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as error:
            for problem in error.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(EXIT_CONFIG)
        except OperationalError as error:
            click.echo(f"error: database: {error.orig}", err=True)
            sys.exit(EXIT_FAILURES)
        except (NotFound, SchemaNotCurrent, QueueKeyMissing) as missing:
            click.echo(f"error: {missing}", err=True)
            sys.exit(EXIT_FAILURES)

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config",
    "config_path",
    default=default_config_path,
    show_default="rolewatch.yaml or $ROLEWATCH_CONFIG",
    help="The YAML config file.",
)


def load(config_path: str) -> Config:
    return load_config(config_path)


@contextmanager
def database_session(config: Config) -> Iterator[Session]:
    """A session for a read-only command: the database is never created or migrated here."""
    from pipeline.db import open_current, session_factory

    engine = open_current(config.database)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def print_rows(
    rows: list[dict[str, Any]],
    columns: list[str],
    as_json: bool,
    full: Collection[str] = (),
    as_csv: bool = False,
) -> None:
    """JSON lines for scripts, CSV (the table's columns, uncut, never read as formulas) for
    spreadsheets, or an aligned table for people (cells cut at 60 characters, except in the
    `full` columns)."""
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([spreadsheet_cell(csv_cell(row.get(c))) for c in columns] for row in rows)
        return
    limits = [None if column in full else CELL_WIDTH for column in columns]
    cells = [[cell(row.get(c), w) for c, w in zip(columns, limits, strict=True)] for row in rows]
    widths = [max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)]
    click.echo("  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)))
    for line in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


CELL_WIDTH = 60
# Zero-width characters only hide what is around them; controls are written out (`visible`).
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060-\u2065\ufeff]")


def cell(value: Any, width: int | None = CELL_WIDTH) -> str:
    """One table cell on one line: lines joined with " / ", zero-width characters dropped,
    controls written out as escapes, cut to `width` with an ellipsis."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return cell("; ".join(str(item) for item in value), width)
    if isinstance(value, float):
        return f"{value:,.0f}"
    lines = (line.strip() for line in str(value).replace("\t", " ").splitlines())
    text = visible(_ZERO_WIDTH.sub("", " / ".join(line for line in lines if line)))
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def csv_cell(value: Any) -> str:
    """A value as one spreadsheet cell: lists joined with "; ", a diff as "field: old -> new"."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(csv_cell(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_change(change)}" for key, change in value.items())
    return str(value)


def _change(change: Any) -> str:
    if isinstance(change, dict) and "old" in change:
        return f"{csv_cell(change['old']) or '-'} -> {csv_cell(change['new']) or '-'}"
    return "changed" if isinstance(change, dict) else csv_cell(change)


csv_option = click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout, for spreadsheets.")


def redact_url(url: str) -> str:
    """`url` with any password in it replaced by ***, fit to print."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
