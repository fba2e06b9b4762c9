"""How a crawl of many sources shows itself: a live progress line and a summary table on a
terminal (rich), one plain line per source elsewhere, JSON lines with `--json`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from rolewatch.crawling import CrawlOutcome, OutcomeListener
from rolewatch.safe_text import visible

# Beyond this many sources the summary lists only those that were not complete.
FULL_TABLE_SOURCES = 40


def outcome_line(outcome: CrawlOutcome) -> str:
    if outcome.error:
        return f"{outcome.source}: failed: {visible(outcome.error)}"
    r = outcome.result
    line = (
        f"{outcome.source}: {r['status']}, {r['seen']} seen, {r['new']} new, "
        f"{r['changed']} changed, {r['closed']} closed, {r['reopened']} reopened"
    )
    return "\n".join([line, *(f"  warning: {visible(problem)}" for problem in r.get("problems", []))])


def outcome_json(outcome: CrawlOutcome) -> str:
    return json.dumps({"source": outcome.source, "error": outcome.error, **outcome.result})


@contextmanager
def crawl_view(total: int, as_json: bool) -> Iterator[OutcomeListener]:
    """A listener for each source's outcome, shown the way the output calls for."""
    if as_json:
        yield lambda outcome: click.echo(outcome_json(outcome))
        return
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda outcome: click.echo(outcome_line(outcome), err=bool(outcome.error))
        return
    with _LiveCrawl(console, total) as live:
        yield live
    live.summary()


class _LiveCrawl:
    """sources done / total, postings, failures, elapsed — then one table at the end."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.outcomes: list[CrawlOutcome] = []
        self.postings = 0
        self.failures = 0
        self.started = time.monotonic()
        self.progress = Progress(
            TextColumn("crawling"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("sources · {task.fields[postings]:,} postings · {task.fields[failures]} not complete"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("crawl", total=total, postings=0, failures=0)

    def __enter__(self) -> _LiveCrawl:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, outcome: CrawlOutcome) -> None:
        self.outcomes.append(outcome)
        self.postings += int(outcome.result.get("seen", 0))
        self.failures += not outcome.ok
        self.progress.update(self.task, advance=1, postings=self.postings, failures=self.failures)

    def summary(self) -> None:
        shown = self.outcomes
        if len(shown) > FULL_TABLE_SOURCES:
            shown = [outcome for outcome in shown if not outcome.ok][:FULL_TABLE_SOURCES]
        table = Table(title=self._title(), title_justify="left")
        for column in ("source", "status", "seen", "new", "changed", "closed", "reopened", "problems"):
            numeric = column not in ("source", "status", "problems")
            table.add_column(column, justify="right" if numeric else "left")
        for outcome in shown:
            r = outcome.result
            problems = outcome.error or "; ".join(r.get("problems", []))
            # Text, not markup: a problem quoting a board's "[red]" is shown as it is.
            table.add_row(
                Text(outcome.source),
                "failed" if outcome.error else str(r["status"]),
                *(str(r.get(key, "")) for key in ("seen", "new", "changed", "closed", "reopened")),
                Text(visible(problems)),
            )
        self.console.print(table)

    def _title(self) -> str:
        total = sum(int(o.result.get("new", 0)) for o in self.outcomes)
        elapsed = time.monotonic() - self.started
        return (
            f"{len(self.outcomes)} sources in {elapsed:.1f}s: {self.postings:,} postings, {total:,} new, "
            f"{self.failures} not complete"
            + (" (only those are listed)" if len(self.outcomes) > FULL_TABLE_SOURCES else "")
        )
