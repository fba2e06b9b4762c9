"""The shared crawl across machines: `rolewatch worker`s take their requests from one Redis queue.

scrapy-redis holds the requests (its scheduler and queue). This module keeps what makes one
source's crawl one crawl although its pages may be fetched by different workers:

- a source's crawl state (its board, the requests it still waits for, its budget) lives in Redis
  under its crawl run's id. A response is handled under that run's lock, and its effects — the
  postings staged, the follow-up requests queued, the answered request struck off — are written
  in one MULTI/EXEC, so a worker killed midway leaves no trace and the request is simply redone;
- the worker that strikes off a source's last request marks itself the source's finisher in
  that same transaction, and stores it and decides its closings; the state and the staged
  postings stay until its outcome is published, so if that worker dies meanwhile another one
  finishes the source (what the first had committed is then seen again unchanged);
- a worker lists in Redis the requests it took (atomically with taking them) and reports every
  few seconds; when it stops reporting, another worker puts those requests back in the queue;
- a source past its budget is finished incomplete by whichever worker (or the scheduler) sees
  it first;
- per-host limits hold for the whole fleet: a request waits for one of its host's slots, kept
  in Redis with a lease so a dead worker's slots come free.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
import scrapy
from scrapy.settings import Settings
from scrapy.utils.request import RequestFingerprinter

from config.schema import SourceConfig
from crawler.boards.base import Board
from crawler.crawl import (
    routing_meta,
    url_too_long,
)
from crawler.limits import budget_cut, size_limit
from crawler.sealing import MessageKind, RefusedMessage, Seal
from crawler.settings import DOWNLOAD_MAXSIZE, MB
from pipeline.raw import RawPosting

log = logging.getLogger("rolewatch.fleet")

QUEUE_KEY = "rolewatch:requests"  # scrapy-redis's request queue (a sorted set)
DUPEFILTER_KEY = "rolewatch:dupefilter"
RUNS_KEY = "rolewatch:runs"  # sorted set: crawl run id -> when it is overdue (epoch seconds)
WORKERS_KEY = "rolewatch:workers"  # hash: worker id -> when it last reported
REFUSED_KEY = "rolewatch:refused"  # list: the latest messages refused for a bad seal, newest first
REFUSED_COUNT_KEY = "rolewatch:refused:count"
REFUSED_KEPT = 100
# Request meta keys, besides those of the one-process crawl.
RUN = "rolewatch_run"
KEY = "rolewatch_key"  # the request's fingerprint when it was queued (kept across redirects)
TAKEN = "rolewatch_taken"  # (worker, field) of its entry in that worker's in-flight hash

REPORT_SECONDS = 2.0
# A worker silent this long is taken for dead and its requests are queued again (tests shorten it).
WORKER_LEASE_SECONDS = float(os.environ.get("ROLEWATCH_WORKER_LEASE") or 15.0)
OUTCOME_TTL_SECONDS = 86_400
LOCK_SECONDS = 60.0

_FINGERPRINTER = RequestFingerprinter()
# What `size_limit` reads: the one response size limit every worker has.
_DOWNLOAD_SETTINGS = Settings({"DOWNLOAD_MAXSIZE": DOWNLOAD_MAXSIZE})


def state_key(run_id: int) -> str:
    return f"rolewatch:run:{run_id}"


def raws_key(run_id: int) -> str:
    return f"rolewatch:run:{run_id}:raws"


def outcome_key(run_id: int) -> str:
    return f"rolewatch:run:{run_id}:outcome"


def inflight_key(worker: str) -> str:
    return f"rolewatch:worker:{worker}:inflight"


@dataclass
class SharedSource:
    """One source's crawl as every worker sees it (sealed in Redis under its run)."""

    run_id: int
    board: Board
    started: float  # epoch seconds: budgets must mean the same on every machine
    deadline: float
    pending: set[str] = field(default_factory=set)  # requests not yet answered and parsed
    requested: set[str] = field(default_factory=set)  # every request it made
    finisher: str | None = None  # the worker storing it, once no request is left or it was cut
    cut: str | None = None  # why it was finished before its last request was answered
    max_raw_bytes: int = 256 * MB  # the source's `max_raw_mb`
    raw_bytes: int = 0  # of the responses read so far

    @property
    def source(self) -> SourceConfig:
        return self.board.source


@dataclass(frozen=True)
class QueueView:
    queued: int  # requests waiting for a worker
    sources: list[dict[str, Any]]
    workers: list[dict[str, Any]]
    refused: int  # messages refused for a bad seal, ever
    last_refused: list[dict[str, Any]]


# Take the best request off the queue and list it as this worker's, in one step.
_TAKE = """
local taken = redis.call('ZRANGE', KEYS[1], 0, 0)
if #taken == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], taken[1])
return taken[1]
"""

# Put every request of a silent worker back in the queue, once (the check is in the script).
_REQUEUE = """
local last = redis.call('HGET', KEYS[1], ARGV[1])
if not last or tonumber(last) > tonumber(ARGV[2]) then return 0 end
local taken = redis.call('HVALS', KEYS[2])
for _, data in ipairs(taken) do redis.call('ZADD', KEYS[3], -1000, data) end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[1], ARGV[1])
return #taken
"""

# A slot of a host for the whole fleet: at most ARGV[1] requests at once, starts ARGV[3] s apart.
# Returns "0" when taken, else how long to wait. Redis's clock, so machines need not agree.
_HOST_SLOT = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return '0.05' end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then return tostring(next_start - now) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[2], tostring(now + tonumber(ARGV[3])), 'EX', 3600)
end
return '0'
"""


class Fleet:
    """The shared crawl's state in Redis, as workers and the scheduler read and write it."""

    def __init__(self, url: str, seal: Seal | None = None) -> None:
        self.seal = seal or Seal.from_environment()
        # Typed loosely: redis-py types every reply as "value or awaitable of it".
        self.redis: Any = redis.Redis.from_url(url)
        self._take = self.redis.register_script(_TAKE)
        self._requeue = self.redis.register_script(_REQUEUE)
        self._host_slot = self.redis.register_script(_HOST_SLOT)

    # -- messages ----------------------------------------------------------------------------

    def encode_request(self, request: scrapy.Request) -> bytes:
        """A request as the queue stores it, routed to `FleetSpider`'s callbacks."""
        data = request.replace(callback=None, errback=None).to_dict()
        data["callback"], data["errback"] = "on_response", "on_error"
        return self.seal.close(MessageKind.REQUEST, data)

    def refused(self, where: str, error: RefusedMessage) -> None:
        """Record a message refused for its seal: logged, counted and listed for `status`."""
        log.warning("refused %s: %s", where, error)
        entry = json.dumps({"at": time.time(), "where": where, "reason": str(error)})
        pipe = self.redis.pipeline()
        pipe.lpush(REFUSED_KEY, entry)
        pipe.ltrim(REFUSED_KEY, 0, REFUSED_KEPT - 1)
        pipe.incr(REFUSED_COUNT_KEY)
        pipe.execute()

    # -- sources -----------------------------------------------------------------------------

    def track(self, state: SharedSource, request: scrapy.Request, url_limit: int, timeout: float) -> Any:
        """The request as the fleet queues it, or None when the source asked for it already or
        Scrapy would drop it unanswered (too long a URL: recorded as a problem)."""
        if url_too_long(state.board, request, url_limit):
            return None
        key = _FINGERPRINTER.fingerprint(request).hex()
        if key in state.requested:
            return None
        state.requested.add(key)
        state.pending.add(key)
        size = size_limit(state.max_raw_bytes - state.raw_bytes, state.max_raw_bytes, _DOWNLOAD_SETTINGS)
        meta = routing_meta(state.board, request, timeout, state.deadline - time.time(), size)
        meta.update({RUN: state.run_id, KEY: key})
        return request.replace(callback=None, errback=None, meta=meta, dont_filter=True)

    def begin(self, state: SharedSource, requests: list[scrapy.Request]) -> None:
        """Publish a new source's crawl and queue its first requests."""
        pipe = self.redis.pipeline()
        pipe.set(state_key(state.run_id), self.seal.close(MessageKind.STATE, state))
        pipe.zadd(RUNS_KEY, {str(state.run_id): state.deadline})
        for request in requests:
            pipe.zadd(QUEUE_KEY, {self.encode_request(request): -request.priority})
        pipe.execute()

    @contextmanager
    def locked(self, run_id: int) -> Iterator[None]:
        with self.redis.lock(
            f"rolewatch:run:{run_id}:lock", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS
        ):
            yield

    def load(self, run_id: int) -> SharedSource | None:
        """The source's crawl state; None when it is gone or was refused (recorded)."""
        data = self.redis.get(state_key(run_id))
        if not data:
            return None
        try:
            state = self.seal.open(MessageKind.STATE, data)
        except RefusedMessage as error:
            self.refused(state_key(run_id), error)
            return None
        return state if isinstance(state, SharedSource) else None

    def commit(
        self,
        state: SharedSource,
        answered: str,
        raws: Iterable[RawPosting],
        follow: Iterable[scrapy.Request],
        taken: tuple[str, str] | None,
        worker: str,
    ) -> bool:
        """Write what handling one response did, in one transaction; True when it was the
        source's last request (`worker` is then its finisher: the caller finishes the source).
        `taken` is the (worker, token) of the request's in-flight entry, struck off with it."""
        state.pending.discard(answered)
        last = not state.pending
        if last:
            state.finisher = worker
        pipe = self.redis.pipeline()
        staged = {raw.external_id: self.seal.close(MessageKind.POSTING, raw) for raw in raws}
        if staged:
            pipe.hset(raws_key(state.run_id), mapping=staged)
        for request in follow:
            pipe.zadd(QUEUE_KEY, {self.encode_request(request): -request.priority})
        pipe.set(state_key(state.run_id), self.seal.close(MessageKind.STATE, state))
        if last:  # looked at again only if the finisher might have died meanwhile
            pipe.zadd(RUNS_KEY, {str(state.run_id): time.time() + WORKER_LEASE_SECONDS})
        if taken:
            pipe.hdel(inflight_key(taken[0]), taken[1])
        pipe.execute()
        return last

    def claim(self, run_id: int, worker: str) -> SharedSource | None:
        """Become the finisher of an overdue source: one past its budget (finished as cut short),
        or one whose finisher stopped reporting. None when it is gone or its finisher is alive;
        a source whose state was refused ends failed here, since no one can finish it."""
        with self.locked(run_id):
            state = self.load(run_id)
            if state is None:
                if self.exists(run_id):
                    self.publish(run_id, {"error": "its crawl state in the queue was refused: bad seal"})
                return None
            if state.finisher is not None:
                if self.workers().get(state.finisher, 0.0) > time.time() - WORKER_LEASE_SECONDS:
                    self.redis.zadd(RUNS_KEY, {str(run_id): time.time() + WORKER_LEASE_SECONDS})
                    return None
                log.warning(
                    "%s: its finisher %s stopped; finishing it again", state.source.name, state.finisher
                )
            else:
                state.cut = budget_cut(state.source)
            state.finisher = worker
            pipe = self.redis.pipeline()
            pipe.set(state_key(run_id), self.seal.close(MessageKind.STATE, state))
            pipe.zadd(RUNS_KEY, {str(run_id): time.time() + WORKER_LEASE_SECONDS})
            pipe.execute()
            return state

    def raws(self, run_id: int) -> tuple[list[RawPosting], int]:
        """The postings staged for a source, and how many were refused (recorded)."""
        raws, refused = [], 0
        for value in self.redis.hvals(raws_key(run_id)):
            try:
                raw = self.seal.open(MessageKind.POSTING, value)
            except RefusedMessage as error:
                self.refused(raws_key(run_id), error)
                refused += 1
                continue
            if isinstance(raw, RawPosting):
                raws.append(raw)
            else:
                refused += 1
        return raws, refused

    def publish(self, run_id: int, outcome: dict[str, Any]) -> None:
        """A source's outcome for the scheduler (a crawl report, or {"error": reason}); its
        state and staged postings go."""
        pipe = self.redis.pipeline()
        pipe.set(outcome_key(run_id), self.seal.close(MessageKind.OUTCOME, outcome), ex=OUTCOME_TTL_SECONDS)
        pipe.delete(state_key(run_id), raws_key(run_id))
        pipe.zrem(RUNS_KEY, str(run_id))
        pipe.execute()

    def outcomes(self, run_ids: list[int]) -> dict[int, dict[str, Any]]:
        if not run_ids:
            return {}
        values = self.redis.mget([outcome_key(run_id) for run_id in run_ids])
        outcomes = {}
        for run_id, value in zip(run_ids, values, strict=True):
            if value:
                outcomes[run_id] = self._outcome(run_id, value)
        return outcomes

    def _outcome(self, run_id: int, value: bytes) -> dict[str, Any]:
        try:
            outcome = self.seal.open(MessageKind.OUTCOME, value)
        except RefusedMessage as error:
            self.refused(outcome_key(run_id), error)
            return {"error": "its outcome in the queue was refused: bad seal"}
        return outcome if isinstance(outcome, dict) else {"error": "its outcome in the queue is unreadable"}

    def overdue(self, now: float | None = None) -> list[int]:
        now = time.time() if now is None else now
        return [int(run_id) for run_id in self.redis.zrangebyscore(RUNS_KEY, "-inf", now)]

    def exists(self, run_id: int) -> bool:
        return bool(self.redis.exists(state_key(run_id)))

    # -- workers -----------------------------------------------------------------------------

    def report(self, worker: str) -> None:
        self.redis.hset(WORKERS_KEY, worker, time.time())

    def leave(self, worker: str) -> None:
        """A worker stopping cleanly hands back what it took at once."""
        self._requeue(keys=[WORKERS_KEY, inflight_key(worker), QUEUE_KEY], args=[worker, time.time()])

    def requeue_silent_workers(self) -> int:
        """Queue again the requests of every worker silent for longer than its lease."""
        silent_since = time.time() - WORKER_LEASE_SECONDS
        moved = 0
        for worker, last in self.workers().items():
            if last < silent_since:
                found = self._requeue(
                    keys=[WORKERS_KEY, inflight_key(worker), QUEUE_KEY], args=[worker, silent_since]
                )
                if found:
                    log.warning("worker %s stopped reporting: %s of its requests queued again", worker, found)
                moved += int(found)
        return moved

    def workers(self) -> dict[str, float]:
        reported = self.redis.hgetall(WORKERS_KEY)
        return {key.decode(): float(value) for key, value in reported.items()}

    def drop_taken(self, worker: str, token: str) -> None:
        """Strike a request off a worker's in-flight list (answered, or taken again)."""
        self.redis.hdel(inflight_key(worker), token)

    def due_now(self, run_id: int) -> None:
        """Have the first worker or scheduler to look finish this source."""
        self.redis.zadd(RUNS_KEY, {str(run_id): time.time()})

    def forget_worker(self, worker: str) -> None:
        self.redis.hdel(WORKERS_KEY, worker)

    def take(self, worker: str, token: str) -> bytes | None:
        return self._take(keys=[QUEUE_KEY, inflight_key(worker)], args=[token])

    def queued(self) -> int:
        return int(self.redis.zcard(QUEUE_KEY))

    def sources_in_flight(self) -> list[SharedSource]:
        run_ids = [int(run_id) for run_id in self.redis.zrange(RUNS_KEY, 0, -1)]
        states = [self.load(run_id) for run_id in run_ids]
        return [state for state in states if state is not None]

    def view(self) -> QueueView:
        """What `rolewatch status` shows: the queue, every source in flight, every worker."""
        now = time.time()
        reported = self.workers()
        return QueueView(
            queued=self.queued(),
            sources=[
                {
                    "source": state.source.name,
                    "run": state.run_id,
                    "pending": len(state.pending),
                    "requested": len(state.requested),
                    "started": f"{now - state.started:,.0f} s ago",
                    "budget_left": f"{state.deadline - now:,.0f} s",
                    "finisher": state.finisher,
                }
                for state in sorted(self.sources_in_flight(), key=lambda state: state.started)
            ],
            workers=[
                {
                    "worker": worker,
                    "last_report": f"{now - last:,.1f} s ago",
                    "state": "alive" if last > now - WORKER_LEASE_SECONDS else "silent",
                    "in_flight": int(self.redis.hlen(inflight_key(worker))),
                }
                for worker, last in sorted(reported.items())
            ],
            refused=int(self.redis.get(REFUSED_COUNT_KEY) or 0),
            last_refused=[json.loads(entry) for entry in self.redis.lrange(REFUSED_KEY, 0, 9)],
        )

    # -- hosts -------------------------------------------------------------------------------

    def host_slot(self, host: str, limit: int, lease: float, delay: float, token: str) -> float:
        keys = [f"rolewatch:host:{host}:slots", f"rolewatch:host:{host}:next"]
        return float(self._host_slot(keys=keys, args=[limit, lease, delay, token]))

    def free_host_slot(self, host: str, token: str) -> None:
        self.redis.zrem(f"rolewatch:host:{host}:slots", token)
