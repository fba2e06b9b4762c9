"""Digest runs: claim a recipient's pending outbox items, render, send, mark sent. (When a
digest is due: `notifier.schedule`; the message itself: `notifier.compose`.)

Items are claimed into a `Digest` row (with its Message-ID) before sending; if sending fails
the digest keeps its items and is retried later with backoff under the same Message-ID, so a
resend after a crash is recognisable and nothing is lost or sent twice in normal operation.
A digest whose attempts keep ending without an answer (it cannot be built, or its run dies) is
failed with its items after a few, so it never holds up its recipient. Whatever a digest's
size, only bounded pages of it are read (`notifier.digest_view`) and its items are claimed and
settled by single statements.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, cast

from sqlalchemy import CursorResult, Result, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.schema import Config, shown_address
from notifier.channels import Outgoing, channel_for
from notifier.compose import compose
from notifier.digest_view import digest_view
from notifier.outbox import oldest_pending, pending_count
from notifier.render import DigestRow
from notifier.schedule import is_due, next_digest_time
from notifier.transports import DeliveryError, Transport
from pipeline.models import Digest, OutboxItem, utcnow
from pipeline.states import DigestStatus, OutboxStatus

log = logging.getLogger(__name__)

# How long a run may take to send a digest it claimed before another run may retry it.
SEND_LEASE = timedelta(seconds=float(os.environ.get("ROLEWATCH_SEND_LEASE") or 600))
RETRY_BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
# A digest is failed, not tried again, once this many attempts in a row ended without an answer
# from the outlet (it could not be built, or its run died) and it has waited this long: such a
# fault does not mend itself, while runs killed from outside for other reasons pass within it.
MAX_FAULTS = 5
FAULT_WINDOW = timedelta(hours=1)


@dataclass
class DigestReport:
    recipient: str
    items: int
    status: str  # sent | retry | failed | dry-run | not due ...
    message_id: str | None = None
    where: str | None = None
    error: str | None = None


@dataclass
class DigestRunResult:
    reports: list[DigestReport] = field(default_factory=list)

    @property
    def failed(self) -> list[DigestReport]:
        return [report for report in self.reports if report.status in ("retry", "failed")]


def send_digests(
    sessions: sessionmaker[Session],
    config: Config,
    transport: Transport,
    now: datetime | None = None,
    dry_run: bool = False,
) -> DigestRunResult:
    now = now or utcnow()
    result = DigestRunResult()
    for recipient in config.recipients:
        for digest_id in _retryable(sessions, recipient.address, now):
            if not dry_run and _lease(sessions, digest_id, now):
                result.reports.append(_deliver(sessions, config, transport, digest_id, now))
        with sessions() as session:
            since = oldest_pending(session, recipient.address)
            if since is None:
                continue
            last_sent = _last_sent(session, recipient.address)
            due = is_due(recipient, last_sent, since, now)
            if dry_run:
                # A preview shows what is waiting, and when it would go if it is not due yet.
                count = pending_count(session, recipient.address)
                when = None if due else next_digest_time(recipient, last_sent or since)
                status = (
                    "dry-run" if due else f"not due until {when:%Y-%m-%d %H:%M %Z}" if when else "not due"
                )
                result.reports.append(DigestReport(recipient.address, count, status))
                continue
            if not due:
                continue
        claimed = _claim(sessions, config, recipient.address, now)
        if claimed is not None:
            result.reports.append(_deliver(sessions, config, transport, claimed, now))
    return result


def _last_sent(session: Session, recipient: str) -> datetime | None:
    return session.scalar(
        select(Digest.sent_at)
        .where(Digest.recipient == recipient, Digest.status == DigestStatus.SENT)
        .order_by(Digest.sent_at.desc())
        .limit(1)
    )


def _retryable(sessions: sessionmaker[Session], recipient: str, now: datetime) -> list[int]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Digest.id).where(
                    Digest.recipient == recipient,
                    Digest.status == DigestStatus.SENDING,
                    (Digest.next_attempt_at.is_(None)) | (Digest.next_attempt_at <= now),
                )
            )
        )


def _claim(sessions: sessionmaker[Session], config: Config, recipient: str, now: datetime) -> int | None:
    """Move the recipient's pending items into a new digest, leased to this run.

    The digest row is written first and the items are taken with one conditional UPDATE, so two
    runs at once (daemon and cron, or two `digest` commands) never claim the same item.
    """
    with sessions() as session:
        digest = Digest(
            recipient=recipient, message_id=secrets.token_hex(16), next_attempt_at=now + SEND_LEASE
        )
        session.add(digest)
        session.flush()
        claimed = _changed_rows(
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.recipient == recipient, OutboxItem.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.CLAIMED, digest_id=digest.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            session.rollback()
            return None
        digest.message_id = message_id(digest.id, recipient, config.mail.from_)
        session.commit()
        return digest.id


def _lease(sessions: sessionmaker[Session], digest_id: int, now: datetime) -> bool:
    """Take a digest that is due for (re)sending; False when another run has it."""
    with sessions.begin() as session:
        taken = _changed_rows(
            session.execute(
                update(Digest)
                .where(
                    Digest.id == digest_id,
                    Digest.status == DigestStatus.SENDING,
                    (Digest.next_attempt_at.is_(None)) | (Digest.next_attempt_at <= now),
                )
                .values(next_attempt_at=now + SEND_LEASE)
            )
        )
    return bool(taken)


def _changed_rows(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def message_id(digest_id: int, recipient: str, sender: str) -> str:
    """Unique across databases (mail clients drop repeated ids), fixed once stored."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "rolewatch.invalid"
    return f"<rolewatch.digest.{digest_id}.{secrets.token_hex(8)}@{domain}>"


def _deliver(
    sessions: sessionmaker[Session],
    config: Config,
    transport: Transport,
    digest_id: int,
    now: datetime,
) -> DigestReport:
    given_up = _begin_attempt(sessions, digest_id, now)
    if given_up is not None:
        return given_up
    with sessions() as session:
        recipient = session.get_one(Digest, digest_id).recipient
    settings = next((r for r in config.recipients if r.address == recipient), None)
    shown = shown_address(recipient)
    total = 0
    try:
        with sessions() as session:
            digest = session.get_one(Digest, digest_id)
            view, rows = digest_view(session, digest, settings)
        total = view.total
        channel = channel_for(config, settings, transport, compose)
        where = channel.deliver(config, Outgoing(digest, view, [event_json(row) for row in rows], utcnow()))
    except DeliveryError as error:
        if error.too_large and (later := _split(sessions, digest_id, config.mail.from_)) is not None:
            # Two smaller digests, each sent as if it had been claimed so (the first keeps its
            # Message-ID: the refused message never arrived).
            log.warning("digest to %s too large for the server; sending it in two", shown)
            first = _deliver(sessions, config, transport, digest_id, now)
            second = _deliver(sessions, config, transport, later, now)
            return _joined(first, second)
        return _record_failure(sessions, digest_id, total, str(error), error.permanent, now)
    except Exception as error:  # a broken custom template or a full disk: retry later, go on
        log.exception("digest %s to %s could not be built or sent", digest_id, shown)
        return _record_fault(sessions, digest_id, total, f"{type(error).__name__}: {error}", now)
    with sessions.begin() as session:
        digest = session.get_one(Digest, digest_id)
        digest.status, digest.sent_at, digest.last_error = DigestStatus.SENT, utcnow(), None
        digest.attempts += 1
        digest.faults = 0
        _settle_items(session, digest_id, OutboxStatus.SENT)
    log.info("digest sent to %s: %d items, %s", shown, total, digest.message_id)
    return DigestReport(digest.recipient, total, "sent", digest.message_id, where)


def _begin_attempt(sessions: sessionmaker[Session], digest_id: int, now: datetime) -> DigestReport | None:
    """Count the attempt as a fault until the outlet answers; a digest whose last attempts all
    ended without an answer (its run died each time) is failed instead."""
    with sessions.begin() as session:
        digest = session.get_one(Digest, digest_id)
        if not _beyond_repair(digest, now):
            digest.faults += 1
            return None
        reason = f"given up after {digest.faults} attempts that ended without an answer (the run stopped)"
        return _give_up(session, digest, f"{reason}; last error: {digest.last_error or 'none'}")


def _beyond_repair(digest: Digest, now: datetime) -> bool:
    return digest.faults >= MAX_FAULTS and now - digest.created_at >= FAULT_WINDOW


def _settle_items(session: Session, digest_id: int, status: OutboxStatus) -> None:
    # One statement, whatever the number of items; nothing in the session to bring up to date.
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.digest_id == digest_id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


def _give_up(session: Session, digest: Digest, reason: str) -> DigestReport:
    """Fail the digest for good, with its items: `status` shows why, later digests go on."""
    digest.status, digest.last_error, digest.next_attempt_at = DigestStatus.FAILED, reason, None
    _settle_items(session, digest.id, OutboxStatus.FAILED)
    items = _item_count(session, digest.id)
    log.warning("digest to %s failed: %s", shown_address(digest.recipient), reason)
    return DigestReport(digest.recipient, items, "failed", digest.message_id, error=reason)


def _item_count(session: Session, digest_id: int) -> int:
    return session.scalar(select(func.count()).where(OutboxItem.digest_id == digest_id)) or 0


def _split(sessions: sessionmaker[Session], digest_id: int, sender: str) -> int | None:
    """Move the later half of a digest's items into a new digest; None when it has one item
    (which cannot be made smaller)."""
    with sessions.begin() as session:
        digest = session.get_one(Digest, digest_id)
        count = _item_count(session, digest_id)
        if count < 2:
            return None
        middle = session.scalar(
            select(OutboxItem.event_id)
            .where(OutboxItem.digest_id == digest_id)
            .order_by(OutboxItem.event_id)
            .offset(count // 2)
            .limit(1)
        )
        # Both parts leased from now: the sends of many parts may outlast the run's first lease.
        digest.next_attempt_at = utcnow() + SEND_LEASE
        # The outlet answered (too large): the first part begins its own count of faults.
        digest.faults = 0
        later = Digest(
            recipient=digest.recipient,
            message_id=secrets.token_hex(16),
            next_attempt_at=digest.next_attempt_at,
        )
        session.add(later)
        session.flush()
        later.message_id = message_id(later.id, digest.recipient, sender)
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.digest_id == digest_id, OutboxItem.event_id >= middle)
            .values(digest_id=later.id)
            .execution_options(synchronize_session=False)
        )
        return later.id


def _joined(first: DigestReport, second: DigestReport) -> DigestReport:
    """One report for a digest sent in parts: sent only if every part was."""
    failed = next((part for part in (first, second) if part.status != "sent"), None)
    if failed is None:
        return replace(first, items=first.items + second.items, where=first.where)
    return replace(failed, items=first.items + second.items)


def _record_failure(
    sessions: sessionmaker[Session],
    digest_id: int,
    count: int,
    error: str,
    permanent: bool,
    now: datetime,
) -> DigestReport:
    """The outlet refused the digest: for good (failed), or for now (retried with backoff)."""
    with sessions.begin() as session:
        digest = session.get_one(Digest, digest_id)
        digest.attempts += 1
        digest.faults = 0
        digest.last_error = error
        if permanent:
            return _give_up(session, digest, error)
        return _retry_later(digest, count, error, now)


def _record_fault(
    sessions: sessionmaker[Session], digest_id: int, count: int, error: str, now: datetime
) -> DigestReport:
    """The digest could not be built or handed over: retried with backoff, then failed."""
    with sessions.begin() as session:
        digest = session.get_one(Digest, digest_id)
        digest.attempts += 1
        digest.last_error = error
        if _beyond_repair(digest, now):
            return _give_up(session, digest, f"given up after {digest.faults} attempts: {error}")
        return _retry_later(digest, count, error, now)


def _retry_later(digest: Digest, count: int, error: str, now: datetime) -> DigestReport:
    delay = RETRY_BACKOFF[min(digest.attempts, len(RETRY_BACKOFF)) - 1]
    digest.next_attempt_at = now + delay
    log.warning("digest to %s not sent (retry): %s", shown_address(digest.recipient), error)
    return DigestReport(digest.recipient, count, "retry", digest.message_id, error=error)


# What a webhook receives of a posting: enough to show it, not its whole description.
EVENT_FIELDS = ("title", "company", "url", "locations", "workplace", "department", "employment_type",
                "salary_min", "salary_max", "salary_currency", "salary_period", "posted_at")  # fmt: skip


def event_json(row: DigestRow) -> dict[str, Any]:
    record = row.record.as_dict()
    diff = {
        name: change if name != "description" else {"changed": True}
        for name, change in (row.diff or {}).items()
    }
    return {
        "id": row.event_id,
        "type": row.event,
        "time": row.time.isoformat() if row.time else None,
        "posting": row.posting_id,
        "ref": f"{row.source}:{row.external_id}",
        "source": row.source,
        **{name: record[name] for name in EVENT_FIELDS},
        "changes": diff,
        "watches": row.watches,
        "backfill": row.backfill,
        "also_at": row.also_at,
    }
