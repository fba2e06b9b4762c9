"""A posting as a board describes it, before normalization: what extractors produce and the
pipeline consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawPosting:
    """A posting as read from a board. Only `external_id` and `title` are required.

    Fields hold the board's own values; `pipeline.normalize` turns them into the common form.
    `salary` carries structured pay when the board has it (keys min, max, currency, period);
    otherwise pay is parsed from `salary_text` or the description.
    """

    external_id: str
    title: str
    url: str | None = None
    company: str | None = None
    locations: list[str] = field(default_factory=list)
    department: str | None = None
    employment_type: str | None = None
    workplace: str | None = None
    description_html: str | None = None
    description_text: str | None = None
    salary: dict[str, Any] | None = None
    salary_text: str | None = None
    posted_at: str | None = None
    updated_at: str | None = None
    # Boards that fetch a job's detail only when its listing entry changes: the digest of that
    # entry, which stands for the posting's raw hash (see `pipeline.ingest.raw_hash`).
    listing_key: str | None = None

    def __post_init__(self) -> None:
        # PostgreSQL text cannot hold U+0000: an id carrying one would fail every crawl.
        if "\x00" in self.external_id:
            self.external_id = self.external_id.replace("\x00", "")
