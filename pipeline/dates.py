"""Posting dates as boards write them, read as aware datetimes.

Boards give ISO timestamps ("2026-08-04T14:29:13-04:00"), dates ("2026-08-04"), epoch
milliseconds, or Workday's words relative to the day they were read ("Posted Today",
"Posted 3 Days Ago", "Posted 30+ Days Ago"). Relative ones are read against `seen`, the time
the version holding them was stored, so the same stored text always gives the same date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = re.compile(r"^\d{10,13}$")
# "30+ days ago" is a bound: the posting is at least that old.
_AT_LEAST = re.compile(r"(\d+)\s*\+")
_POSTED = re.compile(r"^\s*(?:posted|published|listed)\s*:?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Posted:
    at: datetime
    # False for "30+ days ago": posted on `at` or before.
    exact: bool = True


def parse_posted(value: str | None, seen: datetime) -> Posted | None:
    """When a posting was posted, or None when the text says no date (or is not one)."""
    text = (value or "").strip()
    if not text:
        return None
    if _EPOCH.match(text):
        number = int(text)
        return Posted(datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _relative(text, seen)
    return Posted(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def _relative(text: str, seen: datetime) -> Posted | None:
    import dateparser  # slow to import; only relative dates need it

    phrase = _POSTED.sub("", text)
    bound = _AT_LEAST.search(phrase)
    base = seen.astimezone(UTC).replace(tzinfo=None)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": True}  # fmt: skip
    parsed = dateparser.parse(_AT_LEAST.sub(r"\1", phrase), languages=["en"], settings=settings)
    if parsed is None or parsed > seen + timedelta(days=1):
        return None
    return Posted(parsed.astimezone(UTC), exact=bound is None)


def shown_date(posted: Posted | None, first_seen: datetime | None) -> str | None:
    """ "Posted 4 Aug 2026", "Posted 3 Nov 2026 or before", or "First seen 3 Dec 2026"."""
    if posted is not None:
        return f"Posted {_day(posted.at)}" + ("" if posted.exact else " or before")
    return f"First seen {_day(first_seen)}" if first_seen is not None else None


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def posted_or_first_seen(value: str | None, seen: datetime, first_seen: datetime) -> datetime:
    """The date a posting counts from: its board's, or when rolewatch first saw it."""
    posted = parse_posted(value, seen)
    return posted.at if posted is not None else first_seen
