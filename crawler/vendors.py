"""Which vendor serves a host: the one table that groups per-company subdomains of one vendor.

Boards on `{slug}.teamtailor.com`, `{slug}.jobs.personio.de` or one Workday pod
(`*.wd5.myworkdayjobs.com`) are separate hosts behind one vendor's edge. They share one
download slot (one politeness budget, `crawl.per_vendor`) and one vendor-wide circuit breaker.
`crawl.vendors` adds hosts of the user's own (a custom careers domain a vendor serves).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import urlsplit

# Host pattern -> vendor; a pattern's group names the part of the vendor a host belongs to.
VENDOR_HOSTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), vendor)
    for pattern, vendor in (
        (r"(?:^|\.)(wd\d+)\.myworkdayjobs\.com$", "workday-{0}"),  # one pod per `wdN`
        (r"(?:^|\.)teamtailor\.com$", "teamtailor"),
        (r"\.jobs\.personio\.(?:de|com)$", "personio"),
        (r"\.bamboohr\.com$", "bamboohr"),
        (r"\.recruitee\.com$", "recruitee"),
        (r"\.pinpointhq\.com$", "pinpoint"),
        (r"\.breezy\.hr$", "breezy"),
        (r"\.eightfold\.ai$", "eightfold"),
    )
)
# A Scrapy download slot of a vendor, never the name of a host.
SLOT_PREFIX = "vendor:"


def vendor_of(host: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The vendor serving `host`, or None. `extra` (from `crawl.vendors`) comes first: a host as
    it is, or a suffix starting with a dot, each naming its vendor."""
    host = host.lower().rstrip(".")
    for known, vendor in (extra or {}).items():
        known = known.lower()
        if host == known or (known.startswith(".") and host.endswith(known)):
            return vendor
    return _known_vendor(host)


@lru_cache(maxsize=65536)  # a crawl asks for the same few hosts again with every request
def _known_vendor(host: str) -> str | None:
    for pattern, vendor in VENDOR_HOSTS:
        if found := pattern.search(host):
            return vendor.format(*found.groups())
    return None


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def vendor_slot(url: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The download slot a request to `url` shares with its vendor's other hosts, or None (its
    host's own slot)."""
    vendor = vendor_of(host_of(url), extra)
    return SLOT_PREFIX + vendor if vendor else None
