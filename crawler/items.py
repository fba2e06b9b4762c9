"""What a spider's extraction yields: postings as the board describes them, and what was dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.raw import RawPosting

__all__ = ["ExtractResult", "RawPosting"]


@dataclass
class ExtractResult:
    """Postings read from one payload, and why any others were dropped."""

    postings: list[RawPosting] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    # Jobs with an id that could not be read (a field of a type no board sends, say): external
    # id -> why. The crawl stays complete; their stored versions stay as they are, open.
    unreadable: dict[str, str] = field(default_factory=dict)
    # Set when the payload itself says the listing is partial (e.g. total > items).
    incomplete_reason: str | None = None
