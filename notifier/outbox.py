"""The outbox: each (recipient, event) a rule matches is written once, with the event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from config.schema import Config
from notifier.mutes import Muted, muted
from notifier.rules import RuleSet, event_wanted
from pipeline.db import insert_ignoring
from pipeline.models import OutboxItem, Posting, Source
from pipeline.states import EventType, OutboxStatus, PostingStatus
from pipeline.store import EventHook, EventRecord


def outbox_hook(config: Config) -> EventHook:
    """An event hook for `pipeline.store` that enqueues matching events for each recipient.

    An event on a job's original goes to every recipient a watch of theirs matches. The same
    job on other sources (copies) is told only to recipients who do not hear of it through
    another of its open postings: those whose watches are limited to the copy's source.
    """
    followed = {name for recipient in config.recipients for name in recipient.watches}
    watches = {watch.name: watch for watch in config.watches if watch.name in followed}
    rules = RuleSet(watches.values())

    def matching(data: dict[str, Any], source: str | None) -> set[str]:
        return {rule.name for rule in rules.matching(data, source)}

    def enqueue(session: Session, events: Sequence[EventRecord]) -> None:
        items = []
        silenced: Muted | None = None
        for event in events:
            # Each posting is tested once against every watch; recipients pick theirs.
            matched = matching(event.data, event.source_name)
            if not matched:
                continue
            silenced = silenced or muted(session)  # read once, and only when something matched
            if (event.posting_id, event.data.get("company")) in silenced:
                continue
            # The watches through which a recipient hears of this job from another posting.
            elsewhere: set[str] = set()
            if not event.announced:
                for other in sources_telling_instead(session, event):
                    elsewhere |= matching(event.data, other)
            for recipient in config.recipients:
                if event.backfill and recipient.backfill == "skip":
                    continue
                if elsewhere.intersection(recipient.watches):
                    continue
                names = [
                    name
                    for name in recipient.watches
                    if name in matched and event_wanted(watches[name], event.type, event.diff)
                ]
                if names:
                    items.append(
                        {"recipient": recipient.address, "event_id": event.id, "watches": ",".join(names)}
                    )
        if items:
            # An announcement given again (a job filled in from its listing) reaches only the
            # recipients it did not reach before: one outbox item per recipient and event.
            session.execute(insert_ignoring(session, OutboxItem, ["recipient", "event_id"]), items)

    return enqueue


def sources_telling_instead(session: Session, event: EventRecord) -> set[str]:
    """The other sources whose open postings of the same job tell their watchers about it
    instead of this posting: its original and copies seen before it; for a closing, every
    other open posting of the job (it is still open there). Postings alike on this posting's
    own source are other postings to its watchers, and do not count."""
    group = event.duplicate_of_id if event.duplicate_of_id is not None else event.posting_id
    query = (
        select(Source.name)
        .join(Posting, Posting.source_id == Source.id)
        .where(
            or_(Posting.id == group, Posting.duplicate_of_id == group),
            Posting.id != event.posting_id,
            Posting.source_id != event.source_id,
            Posting.status == PostingStatus.OPEN,
        )
    )
    if event.type != EventType.CLOSED:
        query = query.where(or_(Posting.id == group, Posting.id < event.posting_id))
    return set(session.scalars(query))


def pending_count(session: Session, recipient: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                OutboxItem.recipient == recipient, OutboxItem.status == OutboxStatus.PENDING
            )
        )
        or 0
    )


def oldest_pending(session: Session, recipient: str) -> datetime | None:
    return session.scalar(
        select(OutboxItem.created_at)
        .where(OutboxItem.recipient == recipient, OutboxItem.status == OutboxStatus.PENDING)
        .order_by(OutboxItem.id)
        .limit(1)
    )
