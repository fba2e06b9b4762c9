"""Read-only questions the CLI answers: postings, a posting's history and diffs, source status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from config.schema import Config
from pipeline.casefold import same_casefold
from pipeline.dates import posted_or_first_seen
from pipeline.diff import field_diff
from pipeline.models import CrawlRun, Digest, Posting, PostingVersion, Source
from pipeline.record import PostingRecord
from pipeline.states import PostingStatus


class NotFound(Exception):
    """Raised when a POSTING argument names nothing stored; the CLI prints it and exits 1."""


# Posting ids are INTEGER columns: 32 bits on PostgreSQL, which refuses a larger number outright.
MAX_POSTING_ID = 2**31 - 1


def find_posting(session: Session, ref: str) -> Posting:
    """A posting by its number (`42`) or as `source:external_id` (`stripe:6042172`). A number is
    ASCII digits only: int() would also read "²" or "١"."""
    posting: Posting | None = None
    if ref.isascii() and ref.isdigit():
        number = _id_within_range(ref)
        posting = session.get(Posting, number) if number is not None else None
    elif _storable(ref):
        source, _, external_id = ref.partition(":")
        posting = session.scalar(
            select(Posting).join(Source).where(Source.name == source, Posting.external_id == external_id)
        )
    if posting is None:
        raise NotFound(f"no posting {ref!r} (give its number or source:id, see `rolewatch postings`)")
    return posting


def _id_within_range(digits: str) -> int | None:
    """ASCII `digits` as an id, or None past what the id column holds (lengths are compared
    first: int() refuses thousands of digits)."""
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(MAX_POSTING_ID)) or int(significant) > MAX_POSTING_ID:
        return None
    return int(significant)


def _storable(text: str) -> bool:
    """Whether a text column could hold `text`: no stored id has a NUL (PostgreSQL text cannot)
    or a lone surrogate (no UTF-8), so such a reference names nothing instead of failing."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def posting_row(posting: Posting, record: PostingRecord, seen_at: datetime | None = None) -> dict[str, Any]:
    """A posting as listings show it; `seen_at`, when its version was stored, dates a relative
    "Posted 3 Days Ago"."""
    posted = posted_or_first_seen(record.posted_at, seen_at or posting.last_seen, posting.first_seen)
    return {
        "id": posting.id,
        "source": posting.source.name,
        "external_id": posting.external_id,
        "status": posting.status,
        "title": record.title,
        "company": record.company,
        "locations": record.locations,
        "workplace": record.workplace,
        "salary_min": record.salary_min,
        "salary_max": record.salary_max,
        "salary_currency": record.salary_currency,
        "url": posting.url,
        "posted": posted.isoformat(),
        "first_seen": posting.first_seen.isoformat(),
        "last_seen": posting.last_seen.isoformat(),
        "versions": posting.version_count,
    }


@dataclass(frozen=True)
class PostingKey:
    """Where a posting stands in the listings' order (newest first seen first, then by id): a
    keyset page starts below it, and postings stored meanwhile sort above it."""

    first_seen: datetime
    id: int


# Postings are read this many at a time while the `since` filter, read in Python, skips some.
POSTINGS_PAGE = 500


def list_postings(
    session: Session,
    company: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    below: PostingKey | None = None,
    limit: int = 0,
) -> list[dict[str, Any]]:
    """Stored postings, newest first, each as its latest version shows it; `since`: posted on
    or after it (the board's date, or when first seen where the board gives none); `below`:
    only those after that one in this order; `limit`: at most this many (0: all)."""
    latest = (
        select(PostingVersion.posting_id, func.max(PostingVersion.number).label("number"))
        .group_by(PostingVersion.posting_id)
        .subquery()
    )
    query = (
        select(Posting, PostingVersion.data, PostingVersion.seen_at)
        .join(latest, latest.c.posting_id == Posting.id)
        .join(
            PostingVersion,
            (PostingVersion.posting_id == Posting.id) & (PostingVersion.number == latest.c.number),
        )
        .order_by(Posting.first_seen.desc(), Posting.id.desc())
    )
    if status:
        query = query.where(Posting.status == status)
    if company:
        query = query.where(same_casefold(PostingVersion.data["company"].as_string(), company))
    if since:
        # A posting posted on or after `since` was still on its board then, so it was last seen
        # after `since` (a repost may be dated long after it was first seen). The board's own
        # date is read in Python ("Posted 3 Days Ago").
        query = query.where(Posting.last_seen >= since)
    rows: list[dict[str, Any]] = []
    while True:
        page = query if below is None else query.where(_after(below))
        found = session.execute(page.limit(POSTINGS_PAGE)).all()
        for posting, data, seen_at in found:
            row = posting_row(posting, PostingRecord.from_data(data), seen_at)
            if since is None or datetime.fromisoformat(row["posted"]) >= since:
                rows.append(row)
            if limit and len(rows) >= limit:
                return rows
        if len(found) < POSTINGS_PAGE:
            return rows
        below = PostingKey(found[-1][0].first_seen, found[-1][0].id)


def _after(key: PostingKey) -> ColumnElement[bool]:
    """Postings that come after `key` newest first: first seen earlier, or as early with a lower id."""
    return or_(
        Posting.first_seen < key.first_seen, and_(Posting.first_seen == key.first_seen, Posting.id < key.id)
    )


def history(session: Session, posting: Posting) -> list[dict[str, Any]]:
    """Every version, with the fields it changed and the changes readably, old → new (as the web
    view's history page shows them)."""
    from notifier.render import describe_changes, format_salary

    previous: dict[str, Any] | None = None
    versions = []
    for version in posting.versions:
        record = version.record
        material = record.material()
        changes = field_diff(previous, material) if previous is not None else {}
        versions.append(
            {
                "version": version.number,
                "seen_at": version.seen_at.isoformat(),
                "title": record.title,
                "changed_fields": sorted(changes),
                "salary": format_salary(record.salary),
                "changes": [_plain(change) for change in describe_changes(changes, record)],
            }
        )
        previous = material
    return versions


def _plain(change: dict[str, Any]) -> dict[str, Any]:
    """A readable change as JSON: a description's changed sentences as runs of (kind, text)."""
    if "sentences" not in change:
        return {"field": change["field"], "old": change["old"], "new": change["new"]}
    runs = [[{"kind": part.kind, "text": part.text} for part in sentence] for sentence in change["sentences"]]
    return {"field": change["field"], "sentences": runs}


def diff(session: Session, posting: Posting, old: int | None, new: int | None) -> dict[str, Any]:
    numbers = [version.number for version in posting.versions]
    new = new or numbers[-1]
    old = old or max(new - 1, 1)
    by_number = {version.number: version for version in posting.versions}
    if old not in by_number or new not in by_number:
        raise NotFound(f"posting {posting.id} has versions {numbers[0]}..{numbers[-1]}")
    before = by_number[old].record.material()
    after = by_number[new].record.material()
    return {"posting": posting.id, "from": old, "to": new, "changes": field_diff(before, after)}


@dataclass
class SourceStatus:
    name: str
    last_crawl: str | None
    status: str | None
    health: str | None  # how the board answered its last crawl: ok, blocked, broken or gone
    seen: int | None
    problems: str | None
    open_postings: int
    new: int | None = None
    changed: int | None = None
    closed: int | None = None


def source_status(session: Session, names: list[str]) -> list[SourceStatus]:
    result = []
    for name in names:
        run = session.scalar(
            select(CrawlRun).join(Source).where(Source.name == name).order_by(CrawlRun.id.desc()).limit(1)
        )
        open_count = session.scalar(
            select(func.count())
            .select_from(Posting)
            .join(Source)
            .where(Source.name == name, Posting.status == PostingStatus.OPEN)
        )
        result.append(
            SourceStatus(
                name=name,
                last_crawl=run.started_at.isoformat() if run else None,
                status=run.status if run else None,
                health=run.health if run else None,
                seen=run.seen if run else None,
                problems=run.problems if run else None,
                open_postings=open_count or 0,
                new=run.new if run else None,
                changed=run.changed if run else None,
                closed=run.closed if run else None,
            )
        )
    return result


def last_digest(session: Session, recipient: str) -> Digest | None:
    return session.scalar(
        select(Digest).where(Digest.recipient == recipient).order_by(Digest.id.desc()).limit(1)
    )


def explain_posting(session: Session, config: Config, posting: Posting) -> dict[str, Any]:
    """Whether the newest version of `posting` matches each recipient's watches, and why.

    Events are left out: this answers "is it the kind of posting I asked for?" for the posting
    as it stands; which events of it get mailed is the rule's `events` setting.
    """
    from notifier.rules import RuleSet

    version = posting.versions[-1]
    rules = RuleSet(config.watches)
    explained = dict(
        zip(
            [rule.name for rule in rules.rules], rules.explain(version.data, posting.source.name), strict=True
        )
    )
    verdicts = []
    for recipient in config.recipients:
        for name in recipient.watches:
            verdict = explained[name]
            verdicts.append(
                {
                    "recipient": recipient.shown,
                    "watch": name,
                    "matches": verdict.matched,
                    "reasons": verdict.reasons,
                    # The condition that turned it down is the last reason given.
                    "failed": None if verdict.matched else verdict.reasons[-1],
                }
            )
    return {
        "posting": posting.id,
        "ref": f"{posting.source.name}:{posting.external_id}",
        "version": version.number,
        "status": posting.status,
        "title": version.record.title,
        "watches": verdicts,
    }


def list_events(
    session: Session,
    config: Config,
    since: datetime | None = None,
    type: str | None = None,
    source: str | None = None,
    company: str | None = None,
    watch: str | None = None,
    limit: int = 200,
    below: int | None = None,
) -> list[dict[str, Any]]:
    """The event stream, newest first, as `rolewatch events --json` and the web view show it;
    `below`: only events older than that event id (a keyset page)."""
    from notifier.stream import EventFilter, UnknownWatch, events

    try:
        rows = events(session, config, EventFilter(since, type, source, company, watch, below), limit)
    except UnknownWatch as error:
        raise NotFound(str(error)) from None
    return [row.summary() for row in rows]
