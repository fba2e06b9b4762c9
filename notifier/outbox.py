"""The outbox: each (recipient, event) a rule matches is written once, with the event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.schema import Config, WatchRule
from notifier.rules import RuleSet, event_wanted, resolve
from pipeline.models import Event, OutboxItem, Posting, Source
from pipeline.store import EventHook


def outbox_hook(config: Config) -> EventHook:
    """An event hook for `pipeline.store` that enqueues matching events for each recipient."""
    followed = {name for recipient in config.recipients for name in recipient.watches}
    watches = {watch.name: resolve(watch, config) for watch in config.watches if watch.name in followed}
    rules = RuleSet(watches.values())

    def enqueue(session: Session, events: Sequence[Event]) -> None:
        items = []
        for event in events:
            source = event.posting.source.name if event.posting.source else None
            # Each posting is tested once against every watch; recipients pick theirs.
            matched = {rule.name for rule in rules.matching(event.version.data, source)}
            if not matched:
                continue
            earlier = set() if event.announced else earlier_sources(session, event.posting)
            for recipient in config.recipients:
                if event.backfill and recipient.backfill == "skip":
                    continue
                names = [
                    name
                    for name in recipient.watches
                    if name in matched
                    and event_wanted(watches[name], event.type, event.diff)
                    and (event.announced or follows_copy(watches[name], source, earlier))
                ]
                if names:
                    items.append(OutboxItem(recipient=recipient.email, event=event, watches=",".join(names)))
        session.add_all(items)

    return enqueue


def follows_copy(watch: WatchRule, source: str | None, earlier: set[str]) -> bool:
    """Is a watch told about a copy of a job that another source saw first? Only when it is
    limited to the copy's source and to none of the sources that saw the job before (those
    already told it)."""
    return source in watch.sources and earlier.isdisjoint(watch.sources)


def earlier_sources(session: Session, posting: Posting) -> set[str]:
    """The other sources that saw this copy's job before it: its original's, and those of any
    earlier copies. (Two postings alike on one board are two postings to that board's watchers.)"""
    original = posting.duplicate_of_id
    return set(
        session.scalars(
            select(Source.name)
            .join(Posting, Posting.source_id == Source.id)
            .where(
                or_(Posting.id == original, Posting.duplicate_of_id == original),
                Posting.id < posting.id,
                Posting.source_id != posting.source_id,
            )
        )
    )


def pending_items(session: Session, recipient: str) -> list[OutboxItem]:
    return list(
        session.scalars(
            select(OutboxItem)
            .where(OutboxItem.recipient == recipient, OutboxItem.status == "pending")
            .order_by(OutboxItem.event_id)
        )
    )


def oldest_pending(session: Session, recipient: str) -> datetime | None:
    return session.scalar(
        select(OutboxItem.created_at)
        .where(OutboxItem.recipient == recipient, OutboxItem.status == "pending")
        .order_by(OutboxItem.id)
        .limit(1)
    )
