"""How a source's limits read in its crawl's problems: its time budget, and the size its next
response may have (Scrapy's own download limit, or what is left of the source's `max_raw_mb`)."""

from __future__ import annotations

from typing import Any

from config.schema import SourceConfig, format_duration
from crawler.settings import MB


def budget_cut(source: SourceConfig) -> str:
    return f"crawl ended early: its time budget ({format_duration(source.timeout)}) ran out"


def size_limit(room: int, cap: int, settings: Any) -> tuple[int, str]:
    """The most a source's next response may be (Scrapy's `download_maxsize`), and how a problem
    names that limit: Scrapy's own, or what is left of the source's `max_raw_mb`."""
    download_max = settings.getint("DOWNLOAD_MAXSIZE")
    if download_max and download_max <= room:
        return download_max, f"the {download_max / MB:g} MB download limit (DOWNLOAD_MAXSIZE)"
    if room >= cap:
        return cap, f"the source's {cap / MB:g} MB limit (max_raw_mb)"
    return max(1, room), f"the {room / MB:.1f} MB left of the source's {cap / MB:g} MB (max_raw_mb)"


def raw_cap_problem(cap: int, url: str) -> str:
    return (
        f"the board's responses add up to more than {cap / MB:g} MB: kept what came before"
        f" {url[:200]}; raise max_raw_mb"
    )
