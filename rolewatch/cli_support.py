"""What every `rolewatch` command shares: the --config option, friendly errors, tables."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from config.loader import ConfigError, load_config
from config.schema import Config
from pipeline.db import SchemaNotCurrent
from rolewatch.queries import NotFound

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
        except (NotFound, SchemaNotCurrent) as missing:
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


def print_rows(rows: list[dict[str, Any]], columns: list[str], as_json: bool) -> None:
    """JSON lines for scripts, or an aligned table for people."""
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str))
        return
    cells = [[cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)]
    click.echo("  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)))
    for line in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)[:60]


def redact_url(url: str) -> str:
    """`url` with any password in it replaced by ***, fit to print."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
