"""Read-only commands: postings, history, diff and status, as tables or JSON lines."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import UTC, datetime

import click

from pipeline.states import EventType, PostingStatus
from rolewatch.cli_support import (
    EXIT_FAILURES,
    cell,
    config_option,
    csv_option,
    database_session,
    friendly_errors,
    load,
    print_rows,
    redact_url,
)
from rolewatch.moments import relative_iso
from rolewatch.safe_text import visible


@click.command()
@config_option
@click.option("--company")
@click.option("--status", type=click.Choice([status.value for status in PostingStatus]))
@click.option(
    "--since",
    type=click.DateTime(),
    help="Posted on or after this date (UTC): the board's date, else first seen.",
)
@click.option(
    "--limit", type=click.IntRange(min=0), default=500, show_default=True, help="At most this many; 0: all."
)
@click.option("--json", "as_json", is_flag=True)
@csv_option
@friendly_errors
def postings(
    config_path: str,
    company: str | None,
    status: str | None,
    since: datetime | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List stored postings, newest first."""
    from rolewatch.queries import list_postings

    config = load(config_path)
    with database_session(config) as session:
        rows = list_postings(session, company, status, since.replace(tzinfo=UTC) if since else None)
    columns = ["id", "source", "status", "title", "company", "locations", "salary_max", "posted"]
    print_rows(rows[:limit] if limit else rows, columns, as_json, as_csv=as_csv)
    if limit and len(rows) > limit:
        click.echo(f"showing the newest {limit:,} of {len(rows):,} postings; --limit 0 shows all", err=True)


@click.command()
@config_option
@click.argument("posting")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, with each version's changes old → new.")
@csv_option
@friendly_errors
def history(config_path: str, posting: str, as_json: bool, as_csv: bool) -> None:
    """Every stored version of POSTING (its number, or source:external_id)."""
    from rolewatch.queries import find_posting
    from rolewatch.queries import history as posting_history

    config = load(config_path)
    with database_session(config) as session:
        rows = posting_history(session, find_posting(session, posting))
    print_rows(rows, ["version", "seen_at", "title", "changed_fields"], as_json, as_csv=as_csv)


@click.command()
@config_option
@click.argument("posting")
@click.option("--from", "old", type=int, help="Version to compare from (default: the one before --to).")
@click.option("--to", "new", type=int, help="Version to compare to (default: the newest).")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
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
                click.echo(f"    {visible(line)}")
        else:
            click.echo(f"  {name}: {cell(change['old'])} -> {cell(change['new'])}")


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def status(config_path: str, as_json: bool) -> None:
    """Each source's last crawl and each recipient's last digest."""
    from notifier.schedule import delivery_state, next_digest_time
    from pipeline.models import utcnow
    from rolewatch.queries import last_digest, source_status

    config = load(config_path)
    with database_session(config) as session:
        sources = [s.__dict__ for s in source_status(session, [s.name for s in config.sources])]
        recipients = []
        for recipient in config.recipients:
            digest = last_digest(session, recipient.address)
            recipients.append(
                {
                    "recipient": recipient.shown,
                    "last_digest": digest.created_at.isoformat() if digest else None,
                    "next_digest": (
                        "immediate"
                        if recipient.digest.immediate
                        else _iso(
                            next_digest_time(
                                recipient, max(utcnow(), digest.created_at) if digest else utcnow()
                            )
                        )
                    ),
                    "digest_status": delivery_state(digest, utcnow()) if digest else None,
                    "last_error": digest.last_error if digest else None,
                }
            )
    if not as_json:
        now = utcnow()
        sources = [{**row, "last_crawl": relative_iso(row["last_crawl"], now)} for row in sources]
        recipients = [
            {
                **row,
                "last_digest": relative_iso(row["last_digest"], now),
                "next_digest": row["next_digest"]
                if row["next_digest"] in (None, "immediate")
                else relative_iso(row["next_digest"], now),
            }
            for row in recipients
        ]
    columns = ["name", "last_crawl", "status", "health", "seen", "open_postings", "problems"]
    print_rows(sources, columns, as_json, full={"problems"})
    if not as_json:
        click.echo()
    print_rows(
        recipients,
        ["recipient", "last_digest", "digest_status", "next_digest", "last_error"],
        as_json,
        full={"last_error"},
    )
    if config.queue:
        print_queue(config.queue, as_json)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def print_queue(url: str, as_json: bool) -> None:
    """The shared queue's state: requests waiting, sources in flight, workers and their reports."""
    import redis

    from crawler.fleet import Fleet

    shown = redact_url(url)
    try:
        view = Fleet(url).view()
    except redis.RedisError as error:
        click.echo(f"error: queue {shown}: {error}", err=True)
        sys.exit(EXIT_FAILURES)
    if as_json:
        click.echo(json.dumps({"queue": shown, **dataclasses.asdict(view)}))
        return
    click.echo()
    click.echo(f"queue {shown}: {view.queued} requests waiting, {len(view.sources)} sources in flight")
    if view.sources:
        columns = ["source", "run", "pending", "requested", "started", "budget_left", "finisher"]
        print_rows(view.sources, columns, False)
    click.echo()
    if view.workers:
        print_rows(view.workers, ["worker", "last_report", "state", "in_flight"], False)
    else:
        click.echo("no worker has reported")
    if view.refused:
        click.echo()
        click.echo(f"{view.refused} messages in the queue were refused for a bad seal; the latest:")
        print_rows(view.last_refused, ["at", "where", "reason"], False)


@click.command()
@config_option
@click.option("--since", type=click.DateTime(), help="Events on or after this date (UTC).")
@click.option("--type", "event_type", type=click.Choice([kind.value for kind in EventType]))
@click.option("--source", help="Only this source's events.")
@click.option("--company", help="Only this company's postings (as boards name it, any case).")
@click.option("--watch", help="Only events this watch tells of, as digests do (mutes honoured).")
@click.option(
    "--limit", type=click.IntRange(min=0), default=200, show_default=True, help="At most this many; 0: all."
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines, with each event's field diff.")
@csv_option
@friendly_errors
def events(
    config_path: str,
    since: datetime | None,
    event_type: str | None,
    source: str | None,
    company: str | None,
    watch: str | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
) -> None:
    """The event stream, newest first: what appeared, changed, closed or reopened."""
    from rolewatch.queries import list_events

    config = load(config_path)
    with database_session(config) as session:
        rows = list_events(
            session,
            config,
            since=since.replace(tzinfo=UTC) if since else None,
            type=event_type,
            source=source,
            company=company,
            watch=watch,
            limit=limit,
        )
    columns = ["id", "time", "type", "posting", "source", "company", "title", "diff"]
    if not as_json and not as_csv:
        rows = [{**row, "diff": ", ".join(row["diff"] or [])} for row in rows]
    print_rows(rows, columns, as_json, as_csv=as_csv)
