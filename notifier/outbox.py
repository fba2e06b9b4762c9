"""The outbox: each (recipient, event) a rule matches is written once, with the event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import Config
from notifier.rules import RuleSet, event_wanted, resolve
from pipeline.models import Event, OutboxItem
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
            for recipient in config.recipients:
                if event.backfill and recipient.backfill == "skip":
                    continue
                names = [
                    name
                    for name in recipient.watches
                    if name in matched and event_wanted(watches[name], event.type, event.diff)
                ]
                if names:
                    items.append(OutboxItem(recipient=recipient.email, event=event, watches=",".join(names)))
        session.add_all(items)

    return enqueue


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
