"""When digests are due, and what a digest is doing: pure functions of schedules and rows."""

from __future__ import annotations

from datetime import datetime, timedelta

from config.crontab import cron_trigger
from config.schema import Recipient
from pipeline.models import Digest
from pipeline.states import DigestStatus


def delivery_state(digest: Digest, now: datetime) -> str:
    """What a digest is doing, as people ask: "sent", "failed", "sending", or, for one that
    failed and waits for its next try, "retrying at 14:05 UTC" (with the date if not today)."""
    retry = digest.next_attempt_at
    if digest.status != DigestStatus.SENDING or not digest.attempts or retry is None or retry <= now:
        return digest.status
    return (
        f"retrying at {retry:%H:%M} UTC"
        if retry.date() == now.date()
        else f"retrying at {retry:%Y-%m-%d %H:%M} UTC"
    )


def is_due(recipient: Recipient, last_sent: datetime | None, since: datetime, now: datetime) -> bool:
    """Immediate recipients are always due; a cron recipient when a fire time has passed since
    the last digest (or since the oldest pending item, for a first digest)."""
    if recipient.digest.immediate:
        return True
    fire = next_digest_time(recipient, last_sent or since)
    return fire is not None and fire <= now


def next_digest_time(recipient: Recipient, after: datetime) -> datetime | None:
    """When a cron recipient's next digest falls after `after` (None for immediate ones)."""
    if recipient.digest.cron is None:
        return None
    trigger = cron_trigger(recipient.digest.cron, recipient.digest.timezone)
    fire: datetime | None = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    return fire
