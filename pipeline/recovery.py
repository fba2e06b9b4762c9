"""Settle the crawl runs of sources a crawl process never finished (killed, hung, crashed), so
`status` tells the truth and the next crawl starts clean."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from config.schema import SourceConfig
from pipeline.db import make_engine, session_factory
from pipeline.models import CrawlRun, Source, utcnow
from pipeline.process import crawling_elsewhere, owner_gone, this_process
from pipeline.states import RunStatus
from pipeline.store import ensure_source

INTERRUPTED = "crawl interrupted: the process crawling it ({owner}) ended without finishing it"


def settle_interrupted_crawls(database: str, keep: Iterable[int] = ()) -> list[str]:
    """Fail every `running` run whose process is gone (killed with SIGKILL, the machine
    restarted), except the runs in `keep` (still being crawled by workers). Returns the names
    of their sources."""
    keep = set(keep)
    engine = make_engine(database)
    settled = []
    try:
        with session_factory(engine).begin() as session:
            rows = session.execute(
                select(CrawlRun, Source.name)
                .join(Source)
                .where(CrawlRun.status == RunStatus.RUNNING, CrawlRun.owner.is_not(None))
                .with_for_update(of=CrawlRun, skip_locked=True)
            ).all()
            for run, name in rows:
                # A run under this very process's name began before it started (a reused pid).
                if run.id not in keep and (run.owner == this_process() or owner_gone(run.owner or "")):
                    run.status, run.finished_at = RunStatus.FAILED, utcnow()
                    run.problems = INTERRUPTED.format(owner=run.owner)
                    settled.append(name)
        return settled
    finally:
        engine.dispose()


def fail_unfinished_crawls(
    database: str, sources: Iterable[SourceConfig], reason: str, since: datetime | None = None
) -> int:
    """Fail each source's `running` runs with `reason`; a source with no run begun since
    `since` (the crawl never reached it) gets a failed run of its own. Returns runs failed."""
    by_name = {source.name: source for source in sources}
    names = sorted(by_name)
    if not names:
        return 0
    engine = make_engine(database)
    failed = 0
    now = utcnow()
    try:
        with session_factory(engine).begin() as session:
            for run in session.scalars(
                select(CrawlRun)
                .join(Source)
                .where(Source.name.in_(names), CrawlRun.status == RunStatus.RUNNING)
            ):
                if crawling_elsewhere(run.owner):
                    continue  # another live process's crawl of the source, not this one's
                run.status, run.problems, run.finished_at = RunStatus.FAILED, reason, now
                failed += 1
            if since is None:
                return failed
            begun = set(
                session.scalars(
                    select(Source.name)
                    .join(CrawlRun, CrawlRun.source_id == Source.id)
                    .where(Source.name.in_(names), CrawlRun.started_at >= since)
                )
            )
            for name in names:
                if name in begun:
                    continue
                row = ensure_source(session, by_name[name])
                session.add(
                    CrawlRun(
                        source=row, started_at=now, finished_at=now, status=RunStatus.FAILED, problems=reason
                    )
                )
                failed += 1
        return failed
    finally:
        engine.dispose()
