"""What one source's crawl did, as the crawl process tells its parent and `crawl --json` prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CrawlReport:
    """`status` is a `RunStatus`, `health` a `CrawlHealth` (None for a run stored without one)."""

    source: str
    crawl_run: int
    status: str
    health: str | None = None
    seen: int = 0
    dropped: int = 0
    new: int = 0
    changed: int = 0
    closed: int = 0
    reopened: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
