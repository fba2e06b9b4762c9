"""What kind of problem a crawl met, and the health of a crawl that follows from its kinds.

A board records a `ProblemKind` beside each problem's text, so a crawl's health (and whether
its host or vendor is failing, for the circuit breakers) is read from typed facts, never from
the words of its messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pipeline.states import CrawlHealth


class ProblemKind(StrEnum):
    DENIED = "denied"  # 401/403, robots.txt
    THROTTLED = "throttled"  # 429 past its retries, a Retry-After longer than a crawl waits
    CHALLENGE = "challenge"  # a bot-challenge or captcha page
    SERVER = "server"  # 5xx, or another HTTP error
    NETWORK = "network"  # timeouts, DNS, refused or reset connections
    UNREADABLE = "unreadable"  # a payload that cannot be read, a parse failure, counts that differ
    NOT_FOUND = "not_found"  # the board is not found
    BUDGET = "budget"  # the source's time budget ran out
    LIMIT = "limit"  # a configured cap was reached (postings, megabytes, URL length)


HEALTH_OF: dict[ProblemKind, CrawlHealth] = {
    ProblemKind.DENIED: CrawlHealth.BLOCKED,
    ProblemKind.THROTTLED: CrawlHealth.BLOCKED,
    ProblemKind.CHALLENGE: CrawlHealth.BLOCKED,
    ProblemKind.SERVER: CrawlHealth.BROKEN,
    ProblemKind.NETWORK: CrawlHealth.BROKEN,
    ProblemKind.UNREADABLE: CrawlHealth.BROKEN,
    ProblemKind.BUDGET: CrawlHealth.BROKEN,
    ProblemKind.NOT_FOUND: CrawlHealth.GONE,
    ProblemKind.LIMIT: CrawlHealth.OK,  # the board is fine; the config asked for less
}

# The worst first: a board not found says more than the timeouts of its other requests.
_WORST_FIRST = (CrawlHealth.GONE, CrawlHealth.BLOCKED, CrawlHealth.BROKEN, CrawlHealth.OK)

# Problems that say the host itself is failing (not one board's payload): these open a host's
# circuit breaker; those of a vendor's edge throttling or refusing open the vendor's.
HOST_FAULTS = frozenset(
    {
        ProblemKind.DENIED,
        ProblemKind.THROTTLED,
        ProblemKind.CHALLENGE,
        ProblemKind.SERVER,
        ProblemKind.NETWORK,
    }
)
VENDOR_FAULTS = frozenset({ProblemKind.DENIED, ProblemKind.THROTTLED, ProblemKind.CHALLENGE})


def crawl_health(kinds: Iterable[ProblemKind]) -> CrawlHealth:
    """The health of a crawl that met problems of these kinds (none: ok)."""
    found = {HEALTH_OF[kind] for kind in kinds}
    return next((health for health in _WORST_FIRST if health in found), CrawlHealth.OK)
