"""The shared crawl's circuit breakers: a source behind an open one is not crawled.

Each source is behind two breakers: its host's (the host of its first request) and, when the
host is one of a vendor's (`crawler.vendors`), the vendor's. A host's counts crawls its host
failed (5xx, timeouts, 403, 429, challenges); a vendor's, those its edge refused or throttled.
The states are read from the database once, when the crawl starts, and each change is written
through at once (`pipeline.breaker_store`), so the next cron run knows them; a breaker that
opens during a crawl holds back the sources of its host not begun yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crawler.vendors import host_of, vendor_of
from pipeline.breaker_store import change_breaker, load_breakers
from pipeline.breakers import Admission, BreakerPolicy, BreakerState, admission, after_crawl
from pipeline.health import HOST_FAULTS, VENDOR_FAULTS, ProblemKind, crawl_health
from pipeline.models import utcnow
from pipeline.states import CrawlHealth

log = logging.getLogger("rolewatch.crawl")


@dataclass(frozen=True)
class Gate:
    """Whether a source is crawled; when skipped, why and how its host last failed."""

    admission: Admission
    reason: str | None = None
    health: CrawlHealth | None = None


OPEN = Gate(Admission.CRAWL)


class Circuits:
    """The breakers of one crawl. `enabled` off: every source is crawled, nothing is counted."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | None,
        policy: BreakerPolicy,
        vendors: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.policy = policy
        self.vendors = dict(vendors or {})
        self.clock = clock
        self.states: dict[str, BreakerState] = {}
        if sessions is not None:
            try:
                self.states = load_breakers(sessions)
            except Exception:  # the crawl goes on as if every breaker were closed
                log.exception("circuit breakers not read; every source is crawled")

    @classmethod
    def from_settings(cls, sessions: sessionmaker[Session] | None, settings: Any) -> Circuits:
        """From the Scrapy settings `crawler.settings.crawl_settings` makes of `crawl.breaker`
        (durations in seconds) and `crawl.vendors`; the defaults without them."""
        breaker = settings.getdict("ROLEWATCH_BREAKER")
        vendors = settings.getdict("ROLEWATCH_VENDORS")
        if not breaker.get("enabled", True):
            return cls(None, BreakerPolicy(), vendors)
        default = BreakerPolicy()
        policy = BreakerPolicy(
            int(breaker.get("failures", default.failures)),
            timedelta(seconds=float(breaker.get("within", default.within.total_seconds()))),
            timedelta(seconds=float(breaker.get("open_for", default.open_for.total_seconds()))),
        )
        return cls(sessions, policy, vendors)

    def keys(self, url: str) -> list[str]:
        host = host_of(url)
        vendor = vendor_of(host, self.vendors)
        return [f"host:{host}", *([f"vendor:{vendor}"] if vendor else [])]

    def admit(self, source: str, url: str) -> Gate:
        """Whether `source`, whose first request is for `url`, is crawled now: skipped while a
        breaker of its is open; the one probe of a breaker past its cool-down."""
        if self.sessions is None:
            return OPEN
        now = self.clock()
        keys = self.keys(url)
        for key in keys:
            state = self.states.get(key)
            if state is not None and admission(state, source, now, self.policy)[0] is Admission.SKIP:
                return self._skipped(state, now)
        gate = OPEN
        for key in keys:
            state = self.states.get(key)
            if state is None or state.open_until is None:
                continue
            # Taken in the database: another process may have taken the probe meanwhile.
            taken = self._change(key, lambda stored: admission(stored, source, now, self.policy))
            if taken is None or taken[0] is Admission.SKIP:
                return self._skipped(self.states.get(key, state), now)
            gate = Gate(Admission.PROBE)
        return gate

    def crawled(self, source: str, url: str, kinds: Iterable[ProblemKind]) -> None:
        """Count the end of `source`'s crawl against its breakers."""
        if self.sessions is None:
            return
        kinds = list(kinds)
        now = self.clock()
        for key in self.keys(url):
            faults = HOST_FAULTS if key.startswith("host:") else VENDOR_FAULTS
            failed = [kind for kind in kinds if kind in faults]
            health = crawl_health(failed) if failed else None
            before = self.states.get(key)
            if health is None and (before is None or before.idle):
                continue  # closed and answered: nothing to write
            changed = self._change(
                key, partial(_after, source=source, health=health, now=now, policy=self.policy)
            )
            until = changed[1].open_until if changed else None
            if until is not None and (before is None or before.open_until != until):
                log.warning("%s: %s keeps failing; left alone until %s", source, key, until.isoformat())

    def _change(
        self, key: str, change: Callable[[BreakerState], tuple[Any, BreakerState]]
    ) -> tuple[Any, BreakerState] | None:
        assert self.sessions is not None
        try:
            result, state = change_breaker(self.sessions, key, change)
        except Exception:  # the database refusing: the crawl goes on, the breaker unchanged
            log.exception("%s: circuit breaker not updated", key)
            return None
        if state.idle:
            self.states.pop(key, None)
        else:
            self.states[key] = state
        return result, state

    def _skipped(self, state: BreakerState, now: datetime) -> Gate:
        what = state.key.replace(":", " ", 1)
        if state.open_until is not None and now < state.open_until:
            until = state.open_until.strftime("%Y-%m-%d %H:%M UTC")
            reason = f"not crawled: {what} keeps failing ({state.health}); left alone until {until}"
        else:
            reason = f"not crawled: {what} is being probed by {state.probe} after its cool-down"
        return Gate(Admission.SKIP, reason, state.health)


def _after(
    stored: BreakerState, source: str, health: CrawlHealth | None, now: datetime, policy: BreakerPolicy
) -> tuple[None, BreakerState]:
    return None, after_crawl(stored, source, health, now, policy)
