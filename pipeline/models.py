"""The database schema: sources, crawl runs, postings with every version, events, outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from pipeline.record import PostingRecord
from pipeline.states import (
    CrawlHealth,
    DigestStatus,
    EventType,
    MuteKind,
    OutboxStatus,
    PostingStatus,
    RunStatus,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes everywhere; SQLite stores naive values, so re-attach UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def state(kind: type[StrEnum], length: int) -> Enum:
    """A column of one of `pipeline.states`: a plain VARCHAR of the values, read back as members."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        # A value no member has is refused when written, not found when every read fails.
        validate_strings=True,
    )


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, str: String(500)}


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The digest of the listing its last clean crawl read: the same bytes again need no parsing.
    listing_hash: Mapped[str | None] = mapped_column(String(64))


class CrawlRun(Base):
    """One crawl of one source. Only a `complete` run may close postings."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[RunStatus] = mapped_column(state(RunStatus, 20), default=RunStatus.RUNNING)
    # How the board answered, once finished (runs stored before it was kept: None).
    health: Mapped[CrawlHealth | None] = mapped_column(state(CrawlHealth, 10))
    seen: Mapped[int] = mapped_column(default=0)
    dropped: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    problems: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict[str, Any] | None]
    # "host:pid" of the process that began it: a run left "running" by a process that is gone
    # is settled as soon as rolewatch starts again (pipeline/recovery.py).
    owner: Mapped[str | None] = mapped_column(String(200))

    source: Mapped[Source] = relationship()


class Posting(Base):
    """A job as identified on one source; its content lives in `PostingVersion`s."""

    __tablename__ = "postings"
    __table_args__ = (UniqueConstraint("source_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    # Page-based sources use the canonical URL as the id: no length limit a board could exceed.
    external_id: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[PostingStatus] = mapped_column(state(PostingStatus, 10), default=PostingStatus.OPEN)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    missing_count: Mapped[int] = mapped_column(default=0)
    current_hash: Mapped[str] = mapped_column(String(64))
    # The posting as the board sent it (see pipeline.ingest.raw_hash): when a crawl brings the
    # same again, normalization, diffing and matching are skipped.
    raw_hash: Mapped[str | None] = mapped_column(String(64))
    version_count: Mapped[int] = mapped_column(default=0)
    # The same job first seen on another source: its versions are kept, its events are not
    # announced again; digests show its link beside the original's.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("postings.id"), index=True)

    source: Mapped[Source] = relationship()
    versions: Mapped[list[PostingVersion]] = relationship(
        back_populates="posting", order_by="PostingVersion.number"
    )


class PostingVersion(Base):
    __tablename__ = "posting_versions"
    __table_args__ = (UniqueConstraint("posting_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))

    posting: Mapped[Posting] = relationship(back_populates="versions")

    @property
    def record(self) -> PostingRecord:
        return PostingRecord.from_data(self.data)


class Event(Base):
    """Something a user may be told about: new, changed, closed or reopened."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_posting", "posting_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("postings.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("posting_versions.id"))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    type: Mapped[EventType] = mapped_column(state(EventType, 10))
    # Field name -> {"old": ..., "new": ...}; the description carries a line diff.
    diff: Mapped[dict[str, Any] | None]
    # First sighting of a board: shown as a summary, not as hundreds of "new" lines.
    backfill: Mapped[bool] = mapped_column(default=False)
    # False on a copy of a job first seen on another source: only a watch limited to this
    # copy's source, and not to a source that saw the job earlier, is told.
    announced: Mapped[bool] = mapped_column(default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    posting: Mapped[Posting] = relationship()
    version: Mapped[PostingVersion] = relationship()


class Digest(Base):
    """One email to one recipient; its Message-ID is fixed before sending, so a resend after a
    crash carries the same id."""

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[DigestStatus] = mapped_column(state(DigestStatus, 10), default=DigestStatus.SENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # Attempts in a row that ended with no answer from the outlet: the digest could not be
    # built, or the run sending it died. Counted when an attempt begins, cleared by an answer;
    # past a few, the digest is failed rather than tried forever.
    faults: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxItem(Base):
    """A (recipient, event) pair to be mailed, written with the event; never twice."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("recipient", "event_id"),
        Index("ix_outbox_pending", "status", "recipient"),
        # A digest's items are found, counted and settled by their digest.
        Index("ix_outbox_digest", "digest_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(320))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    watches: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(state(OutboxStatus, 10), default=OutboxStatus.PENDING)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    digest: Mapped[Digest | None] = relationship()


class Mute(Base):
    """A posting (by its number) or a company (case-folded name) no outlet tells of any more."""

    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MuteKind] = mapped_column(state(MuteKind, 10))
    value: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CircuitBreaker(Base):
    """A host's or vendor's circuit breaker (see `pipeline.breakers`), kept between runs: a row
    only while it counts failures or is open."""

    __tablename__ = "circuit_breakers"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # "host:…" or "vendor:…"
    # When the recent failed crawls ended (ISO 8601, UTC).
    failures: Mapped[list[str]] = mapped_column(JSON, default=list)
    health: Mapped[CrawlHealth | None] = mapped_column(state(CrawlHealth, 10))
    open_until: Mapped[datetime | None]
    probe: Mapped[str | None] = mapped_column(String(200))
    probe_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
