"""The event stream every outlet reads: events newest first, as typed rows, filtered by watch,
company, source, type or time. Digests, feeds, chat, webhooks, `rolewatch events` and the web
view all describe events with `EventRow`, so none of them tells a posting differently."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from config.schema import Config, WatchRule
from notifier.mutes import muted
from notifier.rules import RuleSet, event_wanted
from pipeline.casefold import casefold_among, same_casefold
from pipeline.models import Event, OutboxItem, Posting, PostingVersion, Source
from pipeline.record import PostingRecord
from pipeline.states import EventType, OutboxStatus

EVENT_TYPES = tuple(EventType)
# Events are read in pages this large while a watch filter skips the ones it does not match.
PAGE = 500
# The company the posting's version names (JSON in the database).
_COMPANY = PostingVersion.data["company"].as_string()


class UnknownWatch(LookupError):
    """A watch name the config does not define."""


@dataclass(frozen=True)
class EventRow:
    id: int
    time: datetime
    type: EventType
    posting: int
    source: str
    external_id: str
    url: str | None
    backfill: bool
    announced: bool
    data: dict[str, Any]
    diff: dict[str, Any] | None

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.external_id}"

    @cached_property
    def record(self) -> PostingRecord:
        return PostingRecord.from_data(self.data)

    @property
    def title(self) -> str:
        return self.record.title

    @property
    def company(self) -> str | None:
        return self.record.company

    def summary(self) -> dict[str, Any]:
        """The row as `rolewatch events --json` prints it: no full posting text."""
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "type": self.type,
            "posting": self.posting,
            "ref": self.ref,
            "source": self.source,
            "company": self.company,
            "title": self.title,
            "url": self.url,
            "backfill": self.backfill,
            "diff": self.diff,
        }


@dataclass(frozen=True)
class EventFilter:
    since: datetime | None = None
    type: str | None = None
    source: str | None = None
    company: str | None = None
    watch: str | None = None
    # Only events older than this id: a keyset page, which events stored meanwhile do not shift.
    below: int | None = None


def _query() -> Select[Any]:
    return (
        select(Event, Posting.external_id, Posting.url, Source.name, PostingVersion.data)
        .join(Posting, Event.posting_id == Posting.id)
        .join(Source, Posting.source_id == Source.id)
        .join(PostingVersion, Event.version_id == PostingVersion.id)
        .order_by(Event.id.desc())
    )


def _row(event: Event, external_id: str, url: str | None, source: str, data: dict[str, Any]) -> EventRow:
    return EventRow(
        id=event.id,
        time=event.created_at,
        type=event.type,
        posting=event.posting_id,
        source=source,
        external_id=external_id,
        url=url,
        backfill=event.backfill,
        announced=event.announced,
        data=data,
        diff=event.diff,
    )


def find_watch(config: Config, name: str) -> WatchRule:
    rule = next((watch for watch in config.watches if watch.name == name), None)
    if rule is None:
        known = ", ".join(watch.name for watch in config.watches) or "none"
        raise UnknownWatch(f"no watch named {name!r} (the config has: {known})")
    return rule


def events(session: Session, config: Config, where: EventFilter, limit: int, scan: int = 0) -> list[EventRow]:
    """The newest `limit` events that pass `where` (0: all). A watch filter applies that watch's
    rule as the outbox does: the posting matches, the kind of event is wanted, the job is not
    told of through an earlier copy, and nothing of it is muted. With `scan`, a watch or
    company filter reads no more than that many newest events (feeds stay cheap to write)."""
    query = _query()
    if where.since is not None:
        query = query.where(Event.created_at >= where.since)
    if where.type is not None:
        query = query.where(Event.type == where.type)
    if where.below is not None:
        query = query.where(Event.id < where.below)
    if where.source is not None:
        query = query.where(Source.name == where.source)
    if where.company is not None:
        query = query.where(same_casefold(_COMPANY, where.company))
    rule = find_watch(config, where.watch) if where.watch is not None else None
    if scan and (rule is not None or where.company is not None):
        oldest = session.scalar(select(Event.id).order_by(Event.id.desc()).offset(scan - 1).limit(1))
        query = query.where(Event.id >= oldest) if oldest is not None else query
    if rule is None:
        return [_row(*found) for found in session.execute(query.limit(limit or None))]
    return _watched(session, query, rule, limit)


def _watched(session: Session, query: Select[Any], rule: WatchRule, limit: int) -> list[EventRow]:
    """The rows of `query` the watch tells of: announced and not muted, asked of the database;
    the watch's rule is Python, so the rest is read in pages."""
    query = query.where(Event.announced.is_(True))
    silenced = muted(session)
    if silenced.postings:
        query = query.where(Event.posting_id.not_in(silenced.postings))
    if silenced.companies:
        query = query.where(~casefold_among(_COMPANY, silenced.companies))
    rules = RuleSet([rule])
    found: list[EventRow] = []
    for row in _pages(session, query):
        if not event_wanted(rule, row.type, row.diff) or not rules.matching(row.data, row.source):
            continue
        found.append(row)
        if limit and len(found) >= limit:
            break
    return found


def _pages(session: Session, query: Select[Any]) -> Iterator[EventRow]:
    """Every row of `query` (newest first), read a page at a time by keyset on the event id."""
    below: int | None = None
    while True:
        page = query if below is None else query.where(Event.id < below)
        rows = [_row(*found) for found in session.execute(page.limit(PAGE))]
        yield from rows
        if len(rows) < PAGE:
            return
        below = rows[-1].id


def recipient_events(session: Session, recipient: str, limit: int) -> list[EventRow]:
    """What a recipient is told of, newest first: its outbox items, whatever their delivery state,
    except those dropped by a mute."""
    query = (
        _query()
        .join(OutboxItem, OutboxItem.event_id == Event.id)
        .where(OutboxItem.recipient == recipient, OutboxItem.status != OutboxStatus.MUTED)
    )
    return [_row(*found) for found in session.execute(query.limit(limit or None))]
