"""The states a stored row can be in, each declared once.

They are `StrEnum`s: stored as their plain values ("new", "open", ...), equal to those strings,
and printed as them, so JSON, CSV and the database all see the words the documentation uses.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """What happened to a posting, as users are told of it."""

    NEW = "new"
    CHANGED = "changed"
    CLOSED = "closed"
    REOPENED = "reopened"


class PostingStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RunStatus(StrEnum):
    """A crawl run; only a `complete` one may close postings. `skipped`: not crawled, its host
    or vendor left alone by an open circuit breaker (incomplete, but no failure of its own)."""

    RUNNING = "running"
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    SKIPPED = "skipped"


class CrawlHealth(StrEnum):
    """How a board answered its crawl: `blocked` (403, 429, a bot challenge), `broken` (5xx,
    timeouts, unreadable payloads) or `gone` (the board is not found)."""

    OK = "ok"
    BLOCKED = "blocked"
    BROKEN = "broken"
    GONE = "gone"


class DigestStatus(StrEnum):
    """A digest is `sending` until it is sent, or failed for good."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxStatus(StrEnum):
    """An outbox item is `pending` until a digest claims it, then shares the digest's fate;
    `muted` when the posting or company was muted before it was sent."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    MUTED = "muted"


class MuteKind(StrEnum):
    POSTING = "posting"
    COMPANY = "company"
