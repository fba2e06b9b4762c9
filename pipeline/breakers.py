"""Circuit breakers of hosts and vendors, as pure state changes.

A breaker counts the failed crawls of the sources behind it (a host, or a vendor's every host).
`failures` of them within `within` open it: for `open_for` its sources are skipped, then one
source probes it; the probe's answer closes it, or opens it again. A crawl that the host
answered forgets the failures counted so far. The states are kept in the database between
runs (`pipeline.breaker_store`); these functions only say what the next state is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from pipeline.states import CrawlHealth


@dataclass(frozen=True)
class BreakerPolicy:
    failures: int = 3
    within: timedelta = timedelta(minutes=10)
    open_for: timedelta = timedelta(minutes=30)


class Admission(StrEnum):
    CRAWL = "crawl"
    PROBE = "probe"  # the one source crawled after a cool-down, to see if the host is back
    SKIP = "skip"


@dataclass(frozen=True)
class BreakerState:
    """`key` names what it guards ("host:…" or "vendor:…"); `failures`: when the recent failed
    crawls ended; `open_until`: left alone until then, then probed by `probe` (since
    `probe_at`); `health`: how the failures that opened it failed."""

    key: str
    failures: tuple[datetime, ...] = ()
    health: CrawlHealth | None = None
    open_until: datetime | None = None
    probe: str | None = None
    probe_at: datetime | None = None

    @property
    def idle(self) -> bool:
        """Closed with nothing counted: no row needs keeping."""
        return not self.failures and self.open_until is None


def admission(
    state: BreakerState, source: str, now: datetime, policy: BreakerPolicy
) -> tuple[Admission, BreakerState]:
    """Whether `source` may be crawled now, and the breaker's state once it is (or is not)."""
    if state.open_until is None:
        return Admission.CRAWL, state
    if now < state.open_until:
        return Admission.SKIP, state
    # Cooled down: one source probes. A probe whose crawl never reported (its process died)
    # gives way to another after a cool-down of its own.
    probing = state.probe is not None and state.probe != source
    if probing and state.probe_at is not None and now < state.probe_at + policy.open_for:
        return Admission.SKIP, state
    return Admission.PROBE, replace(state, probe=source, probe_at=now)


def after_crawl(
    state: BreakerState, source: str, failed: CrawlHealth | None, now: datetime, policy: BreakerPolicy
) -> BreakerState:
    """The state once `source`'s crawl ended: `failed` says how the host failed it (None: the
    host answered)."""
    is_probe = state.open_until is not None and state.probe == source
    if failed is None:
        if state.open_until is not None and not is_probe:
            return state  # open: only its probe's answer closes it
        return BreakerState(state.key)
    opened = BreakerState(state.key, health=failed, open_until=now + policy.open_for)
    if is_probe:
        return opened
    if state.open_until is not None:
        return state  # a crawl begun before it opened
    recent = (*(moment for moment in state.failures if moment > now - policy.within), now)
    if len(recent) >= policy.failures:
        return opened
    return replace(state, failures=recent, health=failed)
