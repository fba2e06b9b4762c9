"""`rolewatch search`: full-text search over stored postings, printed as `postings` prints them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from config.schema import MinSalary
from pipeline.states import PostingStatus
from rolewatch.cli_support import (
    config_option,
    csv_option,
    database_session,
    friendly_errors,
    load,
    print_rows,
)
from rolewatch.search_text import SearchQueryError, SearchTerms, parse_min_pay, parse_query


def _query(context: click.Context, parameter: click.Parameter, value: str) -> SearchTerms:
    try:
        return parse_query(value)
    except SearchQueryError as error:
        raise click.BadParameter(str(error)) from None


def _pay(context: click.Context, parameter: click.Parameter, value: str | None) -> MinSalary | None:
    try:
        return parse_min_pay(value) if value is not None else None
    except SearchQueryError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@config_option
@click.argument("query", callback=_query)
@click.option("--status", type=click.Choice([status.value for status in PostingStatus]))
@click.option(
    "--company", "companies", multiple=True, help="This company (any case); repeat for any of several."
)
@click.option("--source", "sources", multiple=True, help="This source; repeat for any of several.")
@click.option(
    "--place", "places", multiple=True, help="A place, as watches' locations (aliases such as SF, NYC)."
)
@click.option("--workplace", multiple=True, type=click.Choice(["remote", "hybrid", "onsite"]))
@click.option(
    "--min-pay",
    callback=_pay,
    metavar="AMOUNT[CUR]",
    help="Top of the yearly range at least this (150k, 120kEUR).",
)
@click.option(
    "--since",
    type=click.DateTime(),
    help="Posted on or after this date (UTC): the board's date, else first seen.",
)
@click.option("--watch", help="Only postings this watch of the config matches.")
@click.option(
    "--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most this many; 0: all."
)
@click.option(
    "--json", "as_json", is_flag=True, help="JSON lines, each posting as `postings --json` prints it."
)
@csv_option
@friendly_errors
def search(
    config_path: str,
    query: SearchTerms,
    status: str | None,
    companies: tuple[str, ...],
    sources: tuple[str, ...],
    places: tuple[str, ...],
    workplace: tuple[str, ...],
    min_pay: MinSalary | None,
    since: datetime | None,
    watch: str | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Stored postings whose title, department or description holds every word of QUERY (a
    "quoted phrase" as a phrase), the most relevant first: a title hit ranks above a
    description hit, then the newest."""
    from rolewatch.search import SearchFilter, search_postings

    config = load(config_path)
    where = SearchFilter(
        status=PostingStatus(status) if status else None,
        companies=companies,
        sources=sources,
        places=places,
        workplace=workplace,
        min_pay=min_pay,
        since=since.replace(tzinfo=UTC) if since else None,
        watch=watch,
    )
    with database_session(config) as session:
        rows: list[dict[str, Any]] = [
            hit.as_dict() for hit in search_postings(session, query, where, limit, config)
        ]
    columns = ["id", "source", "status", "title", "company", "locations", "salary_max", "posted"]
    print_rows(rows, columns, as_json, as_csv=as_csv)
    if not rows and not as_json and not as_csv:
        click.echo("no posting found", err=True)
