"""Mark crawl runs that died (killed, timed out) as failed, so `status` tells the truth."""

from __future__ import annotations

from sqlalchemy import select

from pipeline.db import make_engine, session_factory
from pipeline.models import CrawlRun, Source, utcnow


def fail_running_crawls(database: str, source_name: str, reason: str) -> int:
    engine = make_engine(database)
    try:
        with session_factory(engine).begin() as session:
            runs = session.scalars(
                select(CrawlRun).join(Source).where(Source.name == source_name, CrawlRun.status == "running")
            ).all()
            for run in runs:
                run.status, run.problems, run.finished_at = "failed", reason, utcnow()
            return len(runs)
    finally:
        engine.dispose()
