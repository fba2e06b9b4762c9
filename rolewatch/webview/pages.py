"""What each page shows, read from the database: pure of HTTP, so the CLI's `--json` and the
pages give the same data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from config.schema import Config
from pipeline.dates import parse_posted, shown_date
from pipeline.models import Posting
from rolewatch.queries import history, source_status


@dataclass
class SourceHealth:
    name: str
    type: str
    last_crawl: str | None
    status: str  # complete | incomplete | failed | running | never crawled
    seen: int | None
    new: int | None
    changed: int | None
    closed: int | None
    open_postings: int
    problems: list[str]


def sources(session: Session, config: Config) -> list[SourceHealth]:
    """Every configured source and how its last crawl went."""
    families = {source.name: source.type for source in config.sources}
    health = []
    for status in source_status(session, list(families)):
        health.append(
            SourceHealth(
                name=status.name,
                type=families[status.name],
                last_crawl=status.last_crawl,
                status=status.status or "never crawled",
                seen=status.seen,
                new=status.new,
                changed=status.changed,
                closed=status.closed,
                open_postings=status.open_postings,
                problems=[line for line in (status.problems or "").splitlines() if line.strip()],
            )
        )
    return health


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
