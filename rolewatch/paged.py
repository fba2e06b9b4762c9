"""What the JSON API and the MCP server hand out: keyset pages of postings and events, one
posting with its versions and diffs, the sources' health and the feeds. Each object has the
JSON shape the CLI's `--json` prints for it, from the same row builders."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy.orm import Session

from config.schema import Config
from notifier.feeds import all_feeds
from notifier.stream import EventFilter
from pipeline.record import PostingRecord
from pipeline.states import EventType, PostingStatus
from rolewatch.queries import (
    MAX_POSTING_ID,
    PostingKey,
    diff,
    find_posting,
    history,
    list_events,
    list_postings,
    posting_row,
    source_status,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class BadRequest(ValueError):
    """A parameter or cursor the caller sent that cannot be read; the API answers 400 with it."""


@dataclass(frozen=True)
class Page:
    """Some rows of a listing and the cursor of the page after them (None on the last page)."""

    items: list[dict[str, Any]]
    next: str | None

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "next": self.next}


@dataclass(frozen=True)
class PostingSearch:
    """The filters `rolewatch postings` takes; with `text`, those of `rolewatch search`, which
    ranks the postings holding every word of it by relevance instead of newest first."""

    text: str | None = None
    status: str | None = None
    companies: tuple[str, ...] = ()
    since: datetime | None = None
    sources: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    workplace: tuple[str, ...] = ()
    min_pay: str | None = None
    watch: str | None = None

    def search_only(self) -> list[str]:
        """The filters given that only a text search reads."""
        given = {"source": self.sources, "place": self.places, "workplace": self.workplace,
                 "min_pay": self.min_pay, "watch": self.watch}  # fmt: skip
        return [name for name, value in given.items() if value]


def checked_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def parse_since(text: str | None) -> datetime | None:
    """An ISO 8601 date or time; one without a zone is UTC, as the CLI's --since reads it."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"since: {text!r} is not an ISO 8601 date or time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def checked_choice(name: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise BadRequest(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return value


EVENT_TYPES = tuple(kind.value for kind in EventType)
POSTING_STATUSES = tuple(status.value for status in PostingStatus)


def postings_page(
    session: Session, config: Config, search: PostingSearch, cursor: str | None, limit: int
) -> Page:
    """Postings as `rolewatch postings --json` prints them, from `cursor` on: newest first, or
    with `search.text` the most relevant first (`rolewatch.paged_search`)."""
    checked_choice("status", search.status, POSTING_STATUSES)
    checked_limit(limit)
    if search.text is not None:
        from rolewatch.paged_search import search_page

        return search_page(session, config, search, cursor, limit)
    if unread := search.search_only():
        raise BadRequest(f"{', '.join(unread)}: only a text search (q) reads this")
    if len(search.companies) > 1:
        raise BadRequest("company: one only, unless searching text (q)")
    below = _postings_key(cursor) if cursor else None
    company = search.companies[0] if search.companies else None
    rows = list_postings(session, company, search.status, search.since, below=below, limit=limit + 1)
    return paged(rows, limit, lambda row: encode_cursor("postings", row["first_seen"], row["id"]))


def events_page(session: Session, config: Config, where: EventFilter, cursor: str | None, limit: int) -> Page:
    """Events newest first, as `rolewatch events --json` prints them, from `cursor` on. Events
    stored meanwhile have higher ids, so they never shift a page after the first."""
    checked_choice("type", where.type, EVENT_TYPES)
    below = _events_key(cursor) if cursor else None
    rows = list_events(
        session, config, where.since, where.type, where.source, where.company, where.watch,
        limit=checked_limit(limit) + 1, below=below,
    )  # fmt: skip
    return paged(rows, limit, lambda row: encode_cursor("events", row["id"]))


def posting_detail(session: Session, ref: str) -> dict[str, Any]:
    """A posting (its `postings --json` row), every version (`history --json`) and what changed
    between each version and the next (`diff --json`)."""
    posting = find_posting(session, ref)
    numbers = [version.number for version in posting.versions]
    latest = posting.versions[-1] if posting.versions else None
    row = posting_row(posting, latest.record if latest else PostingRecord.from_data({}),
                      latest.seen_at if latest else None)  # fmt: skip
    return jsonable(
        {
            "posting": row,
            "versions": history(session, posting),
            "diffs": [diff(session, posting, old, new) for old, new in pairwise(numbers)],
        }
    )


def source_health(session: Session, config: Config) -> list[dict[str, Any]]:
    """Each configured source's last crawl, as `rolewatch status --json` prints it."""
    statuses = source_status(session, [source.name for source in config.sources])
    return jsonable([dataclasses.asdict(status) for status in statuses])


def feed_list(config: Config) -> list[dict[str, Any]]:
    """The Atom feeds the web view serves. A recipient's address is left out: a chat or webhook
    URL may hold a token (the feed's slug and title never show it)."""
    return [
        {"kind": feed.kind, "slug": feed.slug, "title": feed.title, "url": f"/feeds/{feed.slug}.xml"}
        for feed in all_feeds(config)
    ]


def paged(rows: list[dict[str, Any]], limit: int, key: Any) -> Page:
    """A page of the first `limit` of `rows`, which were read one past it to tell if more follow."""
    shown = rows[:limit]
    return Page(jsonable(shown), key(shown[-1]) if len(rows) > limit else None)


def jsonable(value: Any) -> Any:
    """`value` as the CLI prints it with json.dumps(default=str): plain JSON values only."""
    return json.loads(json.dumps(value, default=str))


def encode_cursor(kind: str, *key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, *key]).encode()).decode().rstrip("=")


class NotOurs(ValueError):
    """A cursor this API did not give (turned into BadRequest)."""


def _postings_key(cursor: str) -> PostingKey:
    try:
        first_seen, posting_id = decode_cursor(cursor, "postings")
        moment = datetime.fromisoformat(first_seen)
        if moment.tzinfo is None:
            raise NotOurs
        return PostingKey(moment, cursor_id(posting_id))
    except (NotOurs, TypeError, ValueError):
        raise BadRequest("cursor: not one this API gave") from None


def _events_key(cursor: str) -> int:
    try:
        (event_id,) = decode_cursor(cursor, "events")
        return cursor_id(event_id)
    except (NotOurs, TypeError, ValueError):
        raise BadRequest("cursor: not one this API gave") from None


def cursor_id(value: Any) -> int:
    """A row id from a cursor: within the INTEGER column's range, which PostgreSQL enforces."""
    if type(value) is not int or not 0 <= value <= MAX_POSTING_ID:
        raise NotOurs
    return value


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    """The key a cursor of `kind` holds; a cursor of another listing, or none at all, is refused."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotOurs from None
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise NotOurs
    return decoded[1:]
