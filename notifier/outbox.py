"""The outbox: each (recipient, event) a rule matches is written once, with the event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import Config
from notifier.rules import CompiledRule, PreparedPosting, compile_rule, event_wanted, prepare, resolve
from pipeline.models import Event, OutboxItem
from pipeline.store import EventHook


def outbox_hook(config: Config) -> EventHook:
    """An event hook for `pipeline.store` that enqueues matching events for each recipient."""
    rules = {watch.name: compile_rule(resolve(watch, config)) for watch in config.watches}

    def enqueue(session: Session, events: Sequence[Event]) -> None:
        items = []
        for event in events:
            source = event.posting.source.name if event.posting.source else None
            # Prepared once per event: recipients sharing a watch reuse what it looked up.
            posting = prepare(event.version.data)
            for recipient in config.recipients:
                if event.backfill and recipient.backfill == "skip":
                    continue
                matched = matching_watches(
                    [rules[name] for name in recipient.watches], event, posting, source
                )
                if matched:
                    items.append(
                        OutboxItem(recipient=recipient.email, event=event, watches=",".join(matched))
                    )
        session.add_all(items)

    return enqueue


def matching_watches(
    rules: Sequence[CompiledRule], event: Event, posting: PreparedPosting, source: str | None
) -> list[str]:
    return [
        rule.name
        for rule in rules
        if event_wanted(rule.rule, event.type, event.diff) and rule.matches(posting, source)
    ]


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
