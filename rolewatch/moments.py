"""Times as a person reads them in tables: "15:27 UTC, 9 min ago", "yesterday 08:00 UTC",
"Dec 1 08:00 UTC". Machine output (`--json`, the API) keeps ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def relative_time(moment: datetime, now: datetime) -> str:
    """`moment` in UTC, told against `now`: the clock time and how long ago (or until) on the
    same UTC day, the day's name for the days either side, the date further off."""
    moment, now = _utc(moment), _utc(now)
    clock = f"{moment:%H:%M} UTC"
    days = (moment.date() - now.date()).days
    if days == 0:
        return f"{clock}, {_distance(moment - now)}"
    if days == -1:
        return f"yesterday {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    # The year only when it is not this one, so old and far-off times are not misread.
    year = "" if moment.year == now.year else f" {moment.year}"
    return f"{moment:%b} {moment.day}{year} {clock}"


def relative_iso(text: str | None, now: datetime) -> str | None:
    """`relative_time` of an ISO 8601 text as the stores' summaries hold it; None stays None."""
    return relative_time(datetime.fromisoformat(text), now) if text else None


def _distance(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    minutes, hours = abs(seconds) // 60, abs(seconds) // 3600
    if minutes == 0:
        return "just now"
    amount = f"{minutes} min" if hours == 0 else f"{hours} h"
    return f"{amount} ago" if seconds < 0 else f"in {amount}"


def _utc(moment: datetime) -> datetime:
    # Naive times are what SQLite hands back for stored UTC times.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
