"""What each page shows, read from the database: pure of HTTP, so the CLI's `--json` and the
pages give the same data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from config.schema import Config
from pipeline.dates import parse_posted, shown_date
from pipeline.models import Posting
from rolewatch.queries import SourceStatus, history, source_status


def sources(session: Session, config: Config) -> list[SourceStatus]:
    """Every configured source and how its last crawl went (as `rolewatch status` says)."""
    return source_status(session, [source.name for source in config.sources])


def posting_history(session: Session, posting: Posting) -> dict[str, Any]:
    """A posting and each of its versions with what changed from the one before, old → new."""
    latest = posting.versions[-1] if posting.versions else None
    data = latest.data if latest else {}
    return {
        "id": posting.id,
        "ref": f"{posting.source.name}:{posting.external_id}",
        "status": posting.status,
        "title": data.get("title"),
        "company": data.get("company"),
        "url": posting.url,
        "locations": data.get("locations") or [],
        "workplace": data.get("workplace") or [],
        "posted": shown_date(
            parse_posted(data.get("posted_at"), latest.seen_at) if latest else None, posting.first_seen
        ),
        "versions": history(session, posting),
    }
