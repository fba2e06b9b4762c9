"""Remote / hybrid / onsite, from a board's structured field or from the posting's words."""

from __future__ import annotations

import re

REMOTE, HYBRID, ONSITE = "remote", "hybrid", "onsite"

_STRUCTURED = {
    "remote": REMOTE,
    "fully remote": REMOTE,
    "telecommute": REMOTE,
    "remote_ok": REMOTE,
    "hybrid": HYBRID,
    "onsite": ONSITE,
    "on-site": ONSITE,
    "on site": ONSITE,
    "in office": ONSITE,
    "in-office": ONSITE,
    "office": ONSITE,
}
_REMOTE_TEXT = re.compile(
    r"\b(?:remote(?:[- ]first|[- ]friendly)?(?: position| role| work| employees?)?|"
    r"work(?:ing)? (?:from home|remotely)|telecommut\w*|wfh)\b",
    re.IGNORECASE,
)
_NOT_REMOTE = re.compile(
    r"\b(?:not (?:a )?remote|no remote|non-remote|remote (?:work )?is not (?:possible|available))\b",
    re.IGNORECASE,
)
_HYBRID_TEXT = re.compile(r"\bhybrid\b", re.IGNORECASE)
_ONSITE_TEXT = re.compile(r"\b(?:on-?site|in[- ]office|in the office)\b", re.IGNORECASE)


def workplace_from_field(value: str | None) -> list[str]:
    if not value:
        return []
    kind = _STRUCTURED.get(value.strip().lower().replace("_", " "))
    return [kind] if kind else []


def workplace_from_locations(locations: list[str]) -> list[str]:
    """Boards often put "Remote" in the location itself ("US-Remote", "Remote (Canada)")."""
    found = []
    if any(re.search(r"\bremote\b", location, re.IGNORECASE) for location in locations):
        found.append(REMOTE)
    if any(re.search(r"\bhybrid\b", location, re.IGNORECASE) for location in locations):
        found.append(HYBRID)
    return found


def workplace_from_text(text: str | None) -> list[str]:
    """What the description offers: "available in an office or as a remote position" is both."""
    if not text:
        return []
    found = []
    if _REMOTE_TEXT.search(text) and not _NOT_REMOTE.search(text):
        found.append(REMOTE)
    if _HYBRID_TEXT.search(text):
        found.append(HYBRID)
    if not found and _ONSITE_TEXT.search(text):
        found.append(ONSITE)
    return found


def classify_workplace(structured: str | None, locations: list[str], text: str | None) -> list[str]:
    """Sorted workplace kinds; structured fields win, then locations, then the text."""
    kinds = workplace_from_field(structured) or workplace_from_locations(locations)
    if not kinds or kinds == [REMOTE]:
        kinds = sorted(set(kinds) | set(workplace_from_text(text)))
    return sorted(kinds)
