"""The crawl benchmark: rolewatch against the floor, on farms of 200, 2,000 and 20,000 boards.

For each size, in one run and against one farm process (see bench/farm.py):

- floor fetch, floor ingest (bench/floor.py), and their sum, the floor total;
- `rolewatch crawl` (the first crawl), `rolewatch digest`, `rolewatch crawl` again (the
  board is unchanged, so it should store no version and no event);

each as a child process, timed by wall clock with its tree's peak RSS. Every step is checked
against the farm's request counts and the database, so a step that quietly fetched or stored
less than the whole farm is reported rather than timed as fast.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.farm import HOSTS, board_host, board_name, farm_postings
from bench.measure import PYTHON, ROLEWATCH, Run, run

SIZES = (200, 2_000, 20_000)
TABLES = ("postings", "posting_versions", "events", "outbox")


@dataclass(frozen=True)
class Limits:
    """The crawl limits given to both the floor spider and rolewatch's `crawl:` section.

    On loopback AutoThrottle only adds delay, and per_host x 8 farm addresses >= concurrency
    keeps the overall limit the one that binds."""

    concurrency: int = 32
    per_host: int = 4
    delay: float = 0.0
    autothrottle: bool = False


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mib: float | None
    postings: int
    problems: list[str] = field(default_factory=list)


@dataclass
class SizeResult:
    boards: int
    postings: int
    steps: list[Step]
    recrawl_versions: int | None  # None when rolewatch was not run
    recrawl_events: int | None
    notes: list[str]


class FarmProcess:
    """The farm server in its own process; `boards()` reads its count of board requests."""

    def __init__(self, boards: int) -> None:
        import subprocess

        self.child = subprocess.Popen(
            [PYTHON, "-m", "bench.farm", "--boards", str(boards)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.child.stdout is not None
        self.port = int(json.loads(self.child.stdout.readline())["port"])

    def counts(self) -> dict[str, int]:
        with urllib.request.urlopen(f"http://{HOSTS[0]}:{self.port}/stats", timeout=10) as reply:
            return dict(json.loads(reply.read()))

    def stop(self) -> None:
        assert self.child.stdin is not None
        self.child.stdin.close()  # the farm stops when its stdin closes
        self.child.wait(timeout=30)


@contextmanager
def farm(boards: int) -> Iterator[FarmProcess]:
    process = FarmProcess(boards)
    try:
        yield process
    finally:
        process.stop()


def write_config(
    folder: Path,
    boards: int,
    port: int,
    limits: Limits,
    database: str | None = None,
    queue: str | None = None,
) -> Path:
    """A rolewatch config for the first `boards` farm boards, written as YAML (SQLite in `folder`
    unless `database` names another; crawled through `queue` when given)."""
    lines = [
        f'database: "{database or "sqlite:///" + str(folder / "bench.db")}"',
        *([f"queue: {queue}"] if queue else []),
        "crawl:",
        f"  concurrency: {limits.concurrency}",
        f"  per_host: {limits.per_host}",
        f"  delay: {limits.delay}",
        f"  autothrottle: {'true' if limits.autothrottle else 'false'}",
        "mail:",
        "  transport: maildir",
        f"  maildir: {folder / 'mail'}",
        "sources:",
    ]
    for index in range(boards):
        name = board_name(index)
        lines += [
            f"  - name: {name}",
            "    type: greenhouse",
            f"    board: {name}",
            f"    api_base: http://{board_host(index)}:{port}",
            "    schedule: {every: 1h}",
        ]
    lines += [
        "watches:",
        "  - name: infra",
        "    extends: infrastructure",
        "recipients:",
        "  - email: bench@example.com",
        "    watches: [infra]",
        "    digest: {immediate: true}",
    ]
    path = folder / "rolewatch.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row_counts(database: Path) -> dict[str, int]:
    connection = sqlite3.connect(database)
    try:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}
    finally:
        connection.close()


def watch_progress(name: str, farm_process: FarmProcess, expected: int, done: threading.Event) -> None:
    """Every 15 s, how many of the step's boards the farm has served (rolewatch's crawl command
    prints its per-source lines only once every source is done)."""
    started = time.perf_counter()
    base = farm_process.counts()["boards"]
    while not done.wait(15):
        fetched = farm_process.counts()["boards"] - base
        elapsed = time.perf_counter() - started
        print(
            f"    {name}: {fetched:,}/{expected:,} boards served, {elapsed:.0f}s", file=sys.stderr, flush=True
        )


def measured(
    name: str,
    command: list[str],
    postings: int,
    farm_process: FarmProcess,
    boards_expected: int,
) -> tuple[Step, Run]:
    before = farm_process.counts()
    print(f"  {name} …", file=sys.stderr, flush=True)
    done = threading.Event()
    watcher = threading.Thread(target=watch_progress, args=(name, farm_process, boards_expected, done))
    if boards_expected:
        watcher.start()
    try:
        outcome = run(command)
    finally:
        done.set()
    if boards_expected:
        watcher.join()
    after = farm_process.counts()
    step = Step(name, outcome.seconds, outcome.peak_rss_mib, postings)
    if outcome.returncode != 0:
        tail = " | ".join(outcome.stderr.strip().splitlines()[-3:])
        step.problems.append(f"exit status {outcome.returncode}: {tail}")
    fetched = after["boards"] - before["boards"]
    if fetched != boards_expected:
        step.problems.append(f"the farm served {fetched} board requests, expected {boards_expected}")
    if after["not_found"] != before["not_found"]:
        step.problems.append(f"{after['not_found'] - before['not_found']} requests for unknown paths")
    return step, outcome


def last_json(outcome: Run) -> dict[str, float]:
    for line in reversed(outcome.stdout):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {}


def bench_size(
    boards: int, farm_process: FarmProcess, limits: Limits, floor_only: bool = False
) -> SizeResult:
    postings = farm_postings(boards)
    print(f"{boards:,} boards, {postings:,} postings", file=sys.stderr, flush=True)
    result = SizeResult(boards, postings, [], None, None, [])
    with tempfile.TemporaryDirectory(prefix="rolewatch-bench-") as name:
        floor_steps(result, Path(name), farm_process, limits)
        if not floor_only:
            rolewatch_steps(result, Path(name), farm_process, limits)
    return result


def floor_fetch(boards: int, postings: int, farm_process: FarmProcess, limits: Limits) -> tuple[Step, Run]:
    """The bare Scrapy spider fetching the first `boards` farm boards under `limits`."""
    fetch_command = [
        PYTHON, "-m", "bench.floor", "fetch", "--boards", str(boards), "--port", str(farm_process.port),
        "--concurrency", str(limits.concurrency), "--per-host", str(limits.per_host),
        "--delay", str(limits.delay),
    ] + (["--autothrottle"] if limits.autothrottle else [])  # fmt: skip
    fetch, outcome = measured("floor fetch", fetch_command, postings, farm_process, boards)
    responses = last_json(outcome).get("responses")
    if responses != boards:
        fetch.problems.append(f"the spider saw {responses} responses, expected {boards}")
    return fetch, outcome


def floor_steps(result: SizeResult, folder: Path, farm_process: FarmProcess, limits: Limits) -> None:
    boards, postings = result.boards, result.postings
    fetch, outcome = floor_fetch(boards, postings, farm_process, limits)
    spider = last_json(outcome)
    # The step's wall time includes starting Python and Scrapy, as rolewatch's steps do.
    result.notes.append(
        f"floor spider: {spider.get('bytes', 0) / 1e6:,.1f} MB in {spider.get('responses', 0):,} "
        f"responses, {spider.get('seconds', 0.0):.2f}s of it crawling (the rest is start-up)"
    )
    ingest_command = [
        PYTHON, "-m", "bench.floor", "ingest", "--boards", str(boards), "--db", str(folder / "floor.db")
    ]  # fmt: skip
    ingest, outcome = measured("floor ingest", ingest_command, postings, farm_process, 0)
    report = last_json(outcome)
    if report.get("rows") != postings:
        ingest.problems.append(f"{report.get('rows')} rows inserted, expected {postings}")
    # The ingest child also builds each body (the farm's work, untimed); its own clock
    # counts only json.loads and the inserts.
    ingest.seconds = float(report.get("seconds", ingest.seconds))
    floor = Step("floor total", fetch.seconds + ingest.seconds, None, postings)
    floor.peak_rss_mib = max(fetch.peak_rss_mib or 0.0, ingest.peak_rss_mib or 0.0)
    result.steps += [fetch, ingest, floor]


def rolewatch_steps(result: SizeResult, folder: Path, farm_process: FarmProcess, limits: Limits) -> None:
    boards, postings = result.boards, result.postings
    config = str(write_config(folder, boards, farm_process.port, limits))
    database = folder / "bench.db"
    crawl = [ROLEWATCH, "crawl", "--config", config]
    first, outcome = measured("rolewatch first crawl", crawl, postings, farm_process, boards)
    check_crawls(first, outcome, boards)
    stored = row_counts(database)
    if stored["postings"] != postings:
        first.problems.append(f"{stored['postings']:,} postings stored, expected {postings:,}")
    result.notes.append(
        f"first crawl stored {stored['postings']:,} postings, {stored['posting_versions']:,} versions, "
        f"{stored['events']:,} events, {stored['outbox']:,} outbox items"
    )

    digest, outcome = measured("digest", [ROLEWATCH, "digest", "--config", config], postings, farm_process, 0)
    mails = list((folder / "mail").glob("*/*"))
    result.notes.append(
        f"digest: {' / '.join(outcome.stdout) or 'no output'}; {len(mails)} message(s) in the maildir"
    )
    if len(mails) != 1:
        digest.problems.append(f"{len(mails)} digest messages, expected 1")

    before = row_counts(database)
    recrawl, outcome = measured("unchanged recrawl", crawl, postings, farm_process, boards)
    check_crawls(recrawl, outcome, boards)
    after = row_counts(database)
    result.recrawl_versions = after["posting_versions"] - before["posting_versions"]
    result.recrawl_events = after["events"] - before["events"]
    result.steps += [first, digest, recrawl]


def check_crawls(step: Step, outcome: Run, boards: int) -> None:
    """`rolewatch crawl` prints "name: complete, …" for each source crawled whole."""
    complete = sum(1 for line in outcome.stdout if ": complete," in line)
    if complete != boards:
        step.problems.append(f"{complete} of {boards} crawls complete")


def table(results: list[SizeResult]) -> str:
    header = (
        f"{'boards':>7} {'postings':>9}  {'step':<22} {'seconds':>9} {'postings/s':>11} "
        f"{'x floor':>8} {'peak RSS MiB':>12}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        floor = next(step for step in result.steps if step.name == "floor total").seconds
        for step in result.steps:
            rate = step.postings / step.seconds if step.seconds else float("inf")
            rss = f"{step.peak_rss_mib:.0f}" if step.peak_rss_mib is not None else "-"
            lines.append(
                f"{result.boards:>7,} {result.postings:>9,}  {step.name:<22} {step.seconds:>9.2f} "
                f"{rate:>11,.0f} {step.seconds / floor:>8.2f} {rss:>12}"
            )
        if result.recrawl_versions is not None:
            lines.append(
                f"{'':>18}  unchanged recrawl stored {result.recrawl_versions} versions and "
                f"{result.recrawl_events} events (expected 0 and 0)"
            )
        lines += [f"{'':>18}  {note}" for note in result.notes]
        lines += [
            f"{'':>18}  PROBLEM in {step.name}: {problem}"
            for step in result.steps
            for problem in step.problems
        ]
    return "\n".join(lines)


def bench_crawl(sizes: list[int], limits: Limits, floor_only: bool = False) -> list[SizeResult]:
    results = []
    with farm(max(sizes)) as farm_process:
        for boards in sizes:
            results.append(bench_size(boards, farm_process, limits, floor_only))
    print(
        f"crawl: farm of Greenhouse boards on {HOSTS[0]}…{HOSTS[-1]} (the farm in its own process); "
        f"limits: concurrency {limits.concurrency}, per host {limits.per_host}, delay {limits.delay}s, "
        f"AutoThrottle {'on' if limits.autothrottle else 'off'}; x floor = seconds / floor total"
    )
    print(table(results))
    return results
