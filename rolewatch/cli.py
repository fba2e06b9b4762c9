"""The `rolewatch` command line: a thin layer over `rolewatch.cycle` and friends."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from config.loader import ConfigError
from config.schema import Config, shown_address
from crawler.sealing import KEY_ENV, Seal
from pipeline.states import MuteKind
from rolewatch.cli_add import add, init
from rolewatch.cli_inspect import diff, events, history, postings, status
from rolewatch.cli_mcp import mcp
from rolewatch.cli_search import search
from rolewatch.cli_serve import serve
from rolewatch.cli_support import (
    EXIT_FAILURES,
    config_option,
    database_session,
    friendly_errors,
    load,
    redact_url,
)
from rolewatch.logsetup import configure_logging
from rolewatch.safe_text import visible

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

T = TypeVar("T")


@click.group()
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="rolewatch")
def main(verbose: int) -> None:
    """rolewatch watches career boards and emails digests of matching job postings."""
    configure_logging(verbose)


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

    config = load(config_path)
    if config.queue:
        Seal.from_environment()  # a queue cannot be used without its key: said here
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
            r.channel: r.shown,
            "watches": r.watches,
            "digest": r.digest.model_dump(exclude_defaults=True) or {"immediate": True},
        }
        for r in config.recipients
    ]
    explained = _explain(config, explain_ref) if explain_ref else None
    if as_json:
        report = {"ok": True, "sources": sources, "recipients": recipients}
        click.echo(json.dumps(report | ({"explain": explained} if explained else {})))
        return
    click.echo(f"{config_path}: OK")
    click.echo(f"database: {redact_url(config.database)}")
    if config.queue:
        click.echo(f"queue: {redact_url(config.queue)}, sealed with ${KEY_ENV}")
    click.echo(f"mail: {config.mail.transport}")
    for source, s in zip(config.sources, sources, strict=True):
        click.echo(f"source {s['name']} ({s['type']}): {s['url']}  {source.schedule}")
    for recipient in config.recipients:
        watches = ", ".join(recipient.watches)
        click.echo(f"recipient {recipient.shown}: watches {watches}; digest {recipient.digest}")
    if explained:
        _print_explanation(explained)


def _explain(config: Config, ref: str) -> dict[str, Any]:
    from rolewatch.queries import explain_posting, find_posting

    with database_session(config) as session:
        return explain_posting(session, config, find_posting(session, ref))


def _print_explanation(explained: dict[str, Any]) -> None:
    click.echo(
        f"\nposting {explained['posting']} ({visible(explained['ref'])}, version {explained['version']}, "
        f"{explained['status']}): {visible(explained['title'])}"
    )
    for verdict in explained["watches"]:
        passed = verdict["reasons"] if verdict["matches"] else verdict["reasons"][:-1]
        click.echo(f"  {verdict['recipient']} / {verdict['watch']}: "
                   + ("matches" if verdict["matches"] else "does not match"))  # fmt: skip
        for reason in passed:
            click.echo(f"    + {visible(reason)}")
        if verdict["failed"]:
            click.echo(f"    - {visible(verdict['failed'])}")


@main.command()
@config_option
@click.argument("sources", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="JSON lines on stdout.")
@friendly_errors
def crawl(config_path: str, sources: tuple[str, ...], as_json: bool) -> None:
    """Crawl the given sources now (all of them by default), together in one crawl."""
    from rolewatch.cycle import crawl_sources, settle_interrupted
    from rolewatch.progress import crawl_view

    config = load(config_path)
    known = {s.name for s in config.sources}
    if unknown := [name for name in sources if name not in known]:
        raise ConfigError([f"{config_path}: no source named {', '.join(unknown)}"])
    settle_interrupted(config)
    with crawl_view(len(sources or known), as_json) as view:
        outcomes = crawl_sources(config, sources or None, on_outcome=view)
    if not all(outcome.ok for outcome in outcomes):
        sys.exit(EXIT_FAILURES)


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
            click.echo(_digest_line(report, dry_run))
    if not result.reports and not as_json:
        click.echo(_nothing_sent(config))
    if result.failed:
        sys.exit(EXIT_FAILURES)


def _nothing_sent(config: Config) -> str:
    """Why nothing went out: nothing due, or digests waiting for their next try."""
    from notifier.schedule import delivery_state
    from pipeline.models import utcnow
    from rolewatch.queries import last_digest

    now = utcnow()
    waiting = []
    with database_session(config) as session:
        for recipient in config.recipients:
            digest = last_digest(session, recipient.address)
            if digest is not None and (state := delivery_state(digest, now)).startswith("retrying"):
                waiting.append(f"{recipient.shown}: digest {state} (last error: {digest.last_error})")
    return "\n".join(waiting) or "no digest due"


def _digest_line(report: Any, dry_run: bool) -> str:
    if report.status.startswith("not due"):
        return f"{shown_address(report.recipient)}: {report.items} items waiting, {report.status}"
    verb = "would send" if dry_run else report.status
    return f"{shown_address(report.recipient)}: {verb} {report.items} items" + (
        f" ({report.error})" if report.error else ""
    )


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
    from rolewatch.cycle import due_sources, run_cycle, settle_interrupted
    from rolewatch.lock import AlreadyRunning, cycle_lock
    from rolewatch.progress import crawl_view

    config = load(config_path)
    try:
        with cycle_lock(config, wait=wait):
            settle_interrupted(config)
            due = due_sources(config)
            with crawl_view(len(due), as_json) as view:
                result = run_cycle(config, due=due, on_outcome=view)
    except AlreadyRunning as busy:
        click.echo(f"another rolewatch run is in progress ({busy}); not starting", err=True)
        return
    for report in result.digests.reports:
        if as_json:
            click.echo(json.dumps(report.__dict__))
        else:
            click.echo(f"digest {report.recipient}: {report.status}, {report.items} items")
    if not result.ok:
        sys.exit(EXIT_FAILURES)


@main.command()
@config_option
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    help="Serve Prometheus metrics on http://127.0.0.1:PORT/metrics.",
)
@friendly_errors
def daemon(config_path: str, metrics_port: int | None) -> None:
    """Run unattended: crawl each source on its schedule, send digests when due.

    SIGTERM or SIGINT stops after running crawls finish; SIGHUP reloads the config file.
    """
    from rolewatch.daemon import run_daemon
    from rolewatch.lock import AlreadyRunning

    config = load(config_path)
    try:
        run_daemon(config_path, config, metrics_port)
    except AlreadyRunning as busy:
        click.echo(f"error: another rolewatch run or daemon holds the lock {busy}", err=True)
        sys.exit(EXIT_FAILURES)


@main.command()
@config_option
@friendly_errors
def worker(config_path: str) -> None:
    """Crawl requests from the shared queue (`queue:` in the config) until stopped.

    Start one or more on any machines that reach the queue and the database; `run` or `daemon`
    queues the sources that are due. SIGTERM or SIGINT stops after the requests in flight.
    """
    from rolewatch.worker import run_worker

    run_worker(load(config_path))


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


def _mute_target(posting_ref: str | None, company: str | None) -> tuple[MuteKind, str]:
    if (posting_ref is None) == (company is None):
        raise click.UsageError("give a POSTING (its number or source:external_id) or --company NAME")
    return (MuteKind.COMPANY, company or "") if company else (MuteKind.POSTING, posting_ref or "")


def _muting(
    config_path: str, posting_ref: str | None, company: str | None, act: Callable[[Session, MuteKind, str], T]
) -> tuple[str, T]:
    """Run `act` on the mute a POSTING or --company names, in one transaction: (its label, result)."""
    from pipeline.db import open_database, session_factory
    from rolewatch.queries import find_posting

    kind, value = _mute_target(posting_ref, company)
    label = f"company {value!r}"
    engine = open_database(load(config_path).database)
    try:
        with session_factory(engine).begin() as session:
            if kind == MuteKind.POSTING:
                posting = find_posting(session, value)
                value = str(posting.id)
                label = f"posting {posting.id} ({visible(f'{posting.source.name}:{posting.external_id}')})"
            return label, act(session, kind, value)
    finally:
        engine.dispose()


@main.command()
@click.argument("posting_ref", metavar="[POSTING]", required=False)
@click.option("--company", help="Mute every posting of this company (its name as boards give it).")
@config_option
@friendly_errors
def mute(posting_ref: str | None, company: str | None, config_path: str) -> None:
    """Tell of a posting or a company no more, in any digest or outlet (undo with unmute)."""
    from notifier.mutes import mute as add_mute

    label, dropped = _muting(config_path, posting_ref, company, add_mute)
    click.echo(f"muted {label}; {dropped} pending digest item{'s' if dropped != 1 else ''} dropped")


@main.command()
@click.argument("posting_ref", metavar="[POSTING]", required=False)
@click.option("--company", help="The company to unmute.")
@config_option
@friendly_errors
def unmute(posting_ref: str | None, company: str | None, config_path: str) -> None:
    """Tell of a muted posting or company again, from its next event on."""
    from notifier.mutes import unmute as remove_mute

    label, removed = _muting(config_path, posting_ref, company, remove_mute)
    click.echo(f"unmuted {label}" if removed else f"{label} was not muted")


for command in (postings, search, events, history, diff, status, serve, add, init, mcp):
    main.add_command(command)
