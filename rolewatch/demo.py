"""`rolewatch demo`: the whole pipeline offline, on real recorded payloads served on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from config.loader import parse_config
from config.schema import Config
from notifier.digest import DigestRunResult
from pipeline.db import open_database, session_factory
from pipeline.models import Event, PostingVersion
from rolewatch.boardserver import BoardServer
from rolewatch.cycle import crawl_sources, send_due_digests
from rolewatch.demo_boards import board_after, board_before

CONFIG_TEMPLATE = """\
# Written by `rolewatch demo`; the board is served from bundled payloads on 127.0.0.1.
database: sqlite:///{folder}/rolewatch.db
mail:
  transport: maildir
  maildir: {folder}/mail
  from: "rolewatch demo <rolewatch@example.com>"
sources:
  - name: stripe
    type: greenhouse
    board: stripe
    api_base: {api_base}
    close_after_missing: 1                # close at the first complete crawl without it
watches:
  - name: infra-remote
    extends: infrastructure
    workplace: [remote, hybrid]
    min_salary: {{amount: 150000, currency: USD}}
  - name: infra-anywhere
    extends: infrastructure
recipients:
  - email: me@example.com
    watches: [infra-remote, infra-anywhere]
    digest: {{immediate: true}}
"""


@dataclass
class Step:
    title: str
    crawl: dict[str, object]
    versions: int
    events: int
    digests: DigestRunResult


def run_demo(folder: Path, say: Callable[[str], None] = print) -> list[Step]:
    folder = folder.resolve()
    for stale in ("rolewatch.db", "rolewatch.db-wal", "rolewatch.db-shm", "mail"):
        path = folder / stale
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    with BoardServer() as server:
        text = CONFIG_TEMPLATE.format(folder=folder.as_posix(), api_base=server.url)
        (folder / "rolewatch.yaml").write_text(text)
        config = parse_config(text, str(folder / "rolewatch.yaml"))
        board_path = "/v1/boards/stripe/jobs"
        say(f"Serving Stripe's recorded Greenhouse board on {server.url}")
        for title, board in (
            ("1. first crawl of the board", board_before()),
            ("2. the board changed: pay range raised, one job gone, one new", board_after()),
            ("3. the same board again", board_after()),
        ):
            server.set(board_path, json.dumps(board))
            steps.append(_step(config, title, say))
    say(f"\nDigests are in {folder / 'mail' / 'new'}; config and database in {folder}.")
    return steps


def _step(config: Config, title: str, say: Callable[[str], None]) -> Step:
    versions_before, events_before = _counts(config)
    (outcome,) = crawl_sources(config)
    if outcome.error:
        raise RuntimeError(f"demo crawl failed: {outcome.error}")
    digests = send_due_digests(config)
    versions, events = _counts(config)
    step = Step(title, outcome.result, versions - versions_before, events - events_before, digests)
    r = outcome.result
    say(f"\n{title}")
    say(
        f"  crawl {r['status']}: {r['seen']} postings seen, {r['new']} new, {r['changed']} changed,"
        f" {r['closed']} closed; {step.versions} new versions"
    )
    if not digests.reports:
        say("  no digest: nothing new for me@example.com")
    for report in digests.reports:
        say(f"  digest to {report.recipient}: {report.items} items, {report.status} -> {report.where}")
    return step


def _counts(config: Config) -> tuple[int, int]:
    engine = open_database(config.database)
    try:
        with session_factory(engine)() as session:
            versions = session.scalar(select(func.count()).select_from(PostingVersion)) or 0
            events = session.scalar(select(func.count()).select_from(Event)) or 0
            return versions, events
    finally:
        engine.dispose()
