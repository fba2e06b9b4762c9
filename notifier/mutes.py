"""Mutes: postings and companies a user silenced. A muted one gets no new outbox items, and its
pending ones are dropped when it is muted, so no outlet tells of it; unmuting tells of what
happens next, not of what was dropped."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pipeline.models import Event, Mute, OutboxItem, PostingVersion
from pipeline.states import MuteKind, OutboxStatus


@dataclass(frozen=True)
class Muted:
    postings: frozenset[int]
    companies: frozenset[str]

    def __contains__(self, item: tuple[int, str | None]) -> bool:
        posting_id, company = item
        return posting_id in self.postings or (company or "").casefold() in self.companies


def muted(session: Session) -> Muted:
    rows = session.execute(select(Mute.kind, Mute.value)).all()
    return Muted(
        frozenset(int(value) for kind, value in rows if kind == MuteKind.POSTING),
        frozenset(value for kind, value in rows if kind == MuteKind.COMPANY),
    )


def mute(session: Session, kind: MuteKind, value: str) -> int:
    """Mute a posting (its number) or a company; returns how many pending items were dropped."""
    value = " ".join(value.split()).casefold() if kind == MuteKind.COMPANY else value
    if session.scalar(select(Mute.id).where(Mute.kind == kind, Mute.value == value)) is None:
        session.add(Mute(kind=kind, value=value))
    # The pending items of the posting's or the company's events: companies are read from each
    # event's version, as the board named them.
    pending = (
        select(OutboxItem.id, Event.posting_id, PostingVersion.data)
        .join(Event, OutboxItem.event_id == Event.id)
        .join(PostingVersion, Event.version_id == PostingVersion.id)
        .where(OutboxItem.status == OutboxStatus.PENDING)
    )
    silenced = muted(session)
    if kind == MuteKind.POSTING:
        silenced = Muted(silenced.postings | {int(value)}, silenced.companies)
    else:
        silenced = Muted(silenced.postings, silenced.companies | {value})
    drop = [
        item
        for item, posting_id, data in session.execute(pending)
        if (posting_id, data.get("company")) in silenced
    ]
    if drop:
        # Only items still pending: one a digest claimed meanwhile is on its way.
        result = session.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(drop), OutboxItem.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.MUTED)
        )
        return int(getattr(result, "rowcount", len(drop)))
    return 0


def unmute(session: Session, kind: MuteKind, value: str) -> bool:
    value = " ".join(value.split()).casefold() if kind == MuteKind.COMPANY else value
    result = session.execute(delete(Mute).where(Mute.kind == kind, Mute.value == value))
    return bool(getattr(result, "rowcount", 0))
