"""The `rolewatch` command line: a thin layer over `rolewatch.cycle` and friends."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from config.loader import ConfigError, load_config
from config.schema import Config

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


@click.group()
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="rolewatch")
def main(verbose: int) -> None:
    """rolewatch watches career boards and emails digests of matching job postings."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--dir", "folder", default="rolewatch-demo", show_default=True, type=click.Path())
@friendly_errors
def demo(folder: str) -> None:
    """Run the whole pipeline offline on bundled, recorded Stripe board payloads."""
    from rolewatch.demo import run_demo

    run_demo(Path(folder), say=click.echo)


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
@click.option(
    "--explain",
    "explain_ref",
    metavar="POSTING",
    help="Also say whether this stored posting (its number or source:external_id) matches "
    "each recipient's watches, and why.",
)
@friendly_errors
def check(config_path: str, as_json: bool, explain_ref: str | None) -> None:
    """Validate a config and show what would be crawled and who gets what."""
    from crawler.registry import listing_url
    from notifier.rules import resolve

    config = load(config_path)
    sources = [
        {
            "name": s.name,
            "type": s.type,
            "url": listing_url(s),
            "schedule": s.schedule.model_dump(exclude_none=True),
        }
        for s in config.sources
    ]
    recipients = [
        {
            "email": r.email,
            "watches": r.watches,
            "digest": r.digest.model_dump(exclude_defaults=True) or {"immediate": True},
        }
        for r in config.recipients
    ]
    for watch in config.watches:
        resolve(watch, config)
    explained = _explain(config, explain_ref) if explain_ref else None
    if as_json:
        report = {"ok": True, "sources": sources, "recipients": recipients}
        click.echo(json.dumps(report | ({"explain": explained} if explained else {})))
        return
    click.echo(f"{config_path}: OK")
    click.echo(f"database: {config.database}")
    click.echo(f"mail: {config.mail.transport}")
    for s in sources:
        click.echo(f"source {s['name']} ({s['type']}): {s['url']}  every {s['schedule']}")
    for r in recipients:
        click.echo(f"recipient {r['email']}: watches {', '.join(r['watches'])}; digest {r['digest']}")
    if explained:
        _print_explanation(explained)


def _explain(config: Config, ref: str) -> dict[str, Any]:
    from rolewatch.queries import NotFound, explain_posting, find_posting

    with database_session(config) as session:
        try:
            return explain_posting(session, config, find_posting(session, ref))
        except NotFound as missing:
            click.echo(f"error: {missing}", err=True)
            sys.exit(EXIT_FAILURES)


def _print_explanation(explained: dict[str, Any]) -> None:
    click.echo(
        f"\nposting {explained['posting']} ({explained['ref']}, version {explained['version']}, "
        f"{explained['status']}): {explained['title']}"
    )
    for verdict in explained["watches"]:
        passed = verdict["reasons"] if verdict["matches"] else verdict["reasons"][:-1]
        click.echo(f"  {verdict['recipient']} / {verdict['watch']}: "
                   + ("matches" if verdict["matches"] else "does not match"))  # fmt: skip
        for reason in passed:
            click.echo(f"    + {reason}")
        if verdict["failed"]:
            click.echo(f"    - {verdict['failed']}")


@main.command()
@config_option
@click.argument("sources", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout.")
@friendly_errors
def crawl(config_path: str, sources: tuple[str, ...], as_json: bool) -> None:
    """Crawl the given sources now (all of them by default)."""
    from rolewatch.cycle import crawl_sources

    config = load(config_path)
    known = {s.name for s in config.sources}
    if unknown := [name for name in sources if name not in known]:
        raise ConfigError([f"{config_path}: no source named {', '.join(unknown)}"])
    outcomes = crawl_sources(config, sources or None)
    for outcome in outcomes:
        _print_crawl(outcome.source, outcome.result, outcome.error, as_json)
    if not all(outcome.ok for outcome in outcomes):
        sys.exit(EXIT_FAILURES)


def _print_crawl(source: str, result: dict[str, Any], error: str | None, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"source": source, "error": error, **result}))
    elif error:
        click.echo(f"{source}: failed: {error}", err=True)
    else:
        click.echo(
            f"{source}: {result['status']}, {result['seen']} seen, {result['new']} new, "
            f"{result['changed']} changed, {result['closed']} closed, {result['reopened']} reopened"
        )
        for problem in result.get("problems", []):
            click.echo(f"  warning: {problem}")


@main.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Show what would be sent, send nothing.")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def digest(config_path: str, dry_run: bool, as_json: bool) -> None:
    """Send the digests that are due."""
    from rolewatch.cycle import send_due_digests

    config = load(config_path)
    result = send_due_digests(config, dry_run=dry_run)
    for report in result.reports:
        if as_json:
            click.echo(json.dumps(report.__dict__))
        else:
            verb = "would send" if dry_run else report.status
            click.echo(f"{report.recipient}: {verb} {report.items} items"
                       + (f" ({report.error})" if report.error else ""))  # fmt: skip
    if not result.reports and not as_json:
        click.echo("no digest due")
    if result.failed:
        sys.exit(EXIT_FAILURES)


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="Wait this long for a run in progress to finish instead of skipping this one.",
)
@friendly_errors
def run(config_path: str, as_json: bool, wait: float) -> None:
    """One cycle for cron: crawl the sources that are due, then send due digests."""
    from rolewatch.cycle import run_cycle
    from rolewatch.lock import AlreadyRunning, cycle_lock

    config = load(config_path)
    try:
        with cycle_lock(config, wait=wait):
            result = run_cycle(config)
    except AlreadyRunning as busy:
        click.echo(f"another rolewatch run is in progress ({busy}); not starting", err=True)
        return
    for outcome in result.crawls:
        _print_crawl(outcome.source, outcome.result, outcome.error, as_json)
    for report in result.digests.reports:
        if as_json:
            click.echo(json.dumps(report.__dict__))
        else:
            click.echo(f"digest {report.recipient}: {report.status}, {report.items} items")
    if not result.ok:
        sys.exit(EXIT_FAILURES)


@main.command()
@config_option
@friendly_errors
def daemon(config_path: str) -> None:
    """Run unattended: crawl each source on its schedule, send digests when due.

    SIGTERM or SIGINT stops after running crawls finish; SIGHUP reloads the config file.
    """
    from rolewatch.daemon import run_daemon
    from rolewatch.lock import AlreadyRunning

    config = load(config_path)
    try:
        run_daemon(config_path, config)
    except AlreadyRunning as busy:
        click.echo(f"error: another rolewatch run or daemon holds the lock {busy}", err=True)
        sys.exit(EXIT_FAILURES)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@config_option
@friendly_errors
def upgrade(config_path: str) -> None:
    """Create or upgrade the schema to the newest version."""
    from pipeline.db import make_engine
    from pipeline.db import upgrade as upgrade_schema

    config = load(config_path)
    engine = make_engine(config.database)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    click.echo(f"database {engine.url.render_as_string(hide_password=True)} is up to date")


@contextmanager
def database_session(config: Config) -> Iterator[Session]:
    from pipeline.db import open_database, session_factory

    engine = open_database(config.database)
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
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)]
    click.echo("  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)))
    for line in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)[:60]


def friendly_lookup(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from rolewatch.queries import NotFound

        try:
            return func(*args, **kwargs)
        except NotFound as missing:
            click.echo(f"error: {missing}", err=True)
            sys.exit(EXIT_FAILURES)

    return wrapper  # type: ignore[return-value]


@main.command()
@config_option
@click.option("--company")
@click.option("--status", type=click.Choice(["open", "closed"]))
@click.option("--since", type=click.DateTime(), help="First seen on or after this date (UTC).")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def postings(
    config_path: str, company: str | None, status: str | None, since: datetime | None, as_json: bool
) -> None:
    """List stored postings, newest first."""
    from rolewatch.queries import list_postings

    config = load(config_path)
    with database_session(config) as session:
        rows = list_postings(session, company, status, since.replace(tzinfo=UTC) if since else None)
    columns = ["id", "source", "status", "title", "company", "locations", "salary_max", "first_seen"]
    print_rows(rows, columns, as_json)


@main.command()
@config_option
@click.argument("posting")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
@friendly_lookup
def history(config_path: str, posting: str, as_json: bool) -> None:
    """Every stored version of POSTING (its number, or source:external_id)."""
    from rolewatch.queries import find_posting
    from rolewatch.queries import history as posting_history

    config = load(config_path)
    with database_session(config) as session:
        rows = posting_history(session, find_posting(session, posting))
    print_rows(rows, ["version", "seen_at", "title", "changed_fields"], as_json)


@main.command()
@config_option
@click.argument("posting")
@click.option("--from", "old", type=int, help="Version to compare from (default: the one before --to).")
@click.option("--to", "new", type=int, help="Version to compare to (default: the newest).")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
@friendly_lookup
def diff(config_path: str, posting: str, old: int | None, new: int | None, as_json: bool) -> None:
    """What changed in POSTING between two versions."""
    from rolewatch.queries import diff as posting_diff
    from rolewatch.queries import find_posting

    config = load(config_path)
    with database_session(config) as session:
        result = posting_diff(session, find_posting(session, posting), old, new)
    if as_json:
        click.echo(json.dumps(result, default=str))
        return
    click.echo(f"posting {result['posting']}: version {result['from']} -> {result['to']}")
    if not result["changes"]:
        click.echo("  no material change")
    for name, change in result["changes"].items():
        if "lines" in change:
            click.echo(f"  {name}:")
            for line in change["lines"]:
                click.echo(f"    {line}")
        else:
            click.echo(f"  {name}: {_cell(change['old'])} -> {_cell(change['new'])}")


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def status(config_path: str, as_json: bool) -> None:
    """Each source's last crawl and each recipient's last digest."""
    from notifier.digest import next_digest_time
    from pipeline.models import utcnow
    from rolewatch.queries import last_digest, source_status

    config = load(config_path)
    with database_session(config) as session:
        sources = [s.__dict__ for s in source_status(session, [s.name for s in config.sources])]
        recipients = []
        for recipient in config.recipients:
            digest = last_digest(session, recipient.email)
            recipients.append(
                {
                    "recipient": recipient.email,
                    "last_digest": digest.created_at.isoformat() if digest else None,
                    "next_digest": (
                        "immediate"
                        if recipient.digest.immediate
                        else str(
                            next_digest_time(
                                recipient, max(utcnow(), digest.created_at) if digest else utcnow()
                            )
                        )
                    ),
                    "digest_status": digest.status if digest else None,
                    "last_error": digest.last_error if digest else None,
                }
            )
    print_rows(sources, ["name", "last_crawl", "status", "seen", "open_postings", "problems"], as_json)
    if not as_json:
        click.echo()
    print_rows(
        recipients, ["recipient", "last_digest", "digest_status", "next_digest", "last_error"], as_json
    )
