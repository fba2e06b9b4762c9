"""What each page shows, read from the database: pure of HTTP, so the CLI's `--json` and the
pages give the same data."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.orm import Session

from config.schema import Config
from pipeline.dates import parse_posted, shown_date
from pipeline.models import Posting, utcnow
from pipeline.record import PostingRecord
from rolewatch.moments import relative_iso
from rolewatch.queries import SourceStatus, history, source_status
from rolewatch.safe_text import visible


def sources(session: Session, config: Config) -> list[SourceStatus]:
    """Every configured source and how its last crawl went, its time told relative to now (as
    `rolewatch status` says)."""
    now = utcnow()
    return [
        dataclasses.replace(status, last_crawl=relative_iso(status.last_crawl, now))
        for status in source_status(session, [source.name for source in config.sources])
    ]


def posting_history(session: Session, posting: Posting) -> dict[str, Any]:
    """A posting and each of its versions with what changed from the one before, old → new."""
    latest = posting.versions[-1] if posting.versions else None
    record = latest.record if latest else PostingRecord.from_data({})
    return {
        "id": posting.id,
        # A job id's bidi override would reorder the reference shown around it.
        "ref": visible(f"{posting.source.name}:{posting.external_id}"),
        "status": posting.status,
        "title": record.title,
        "company": record.company,
        "url": posting.url,
        "locations": record.locations,
        "workplace": record.workplace,
        "posted": shown_date(
            parse_posted(record.posted_at, latest.seen_at) if latest else None, posting.first_seen
        ),
        "versions": history(session, posting),
    }
