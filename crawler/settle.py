"""A finished source's postings sorted out, normalized and stored a step at a time.

A board of tens of thousands of postings takes seconds to store. Done in one go on the
reactor's thread, every other source of the crawl would wait behind it (its responses unread,
its own store queued), and the big board's budget would pass unnoticed. Here each step handles
a few hundred postings; Twisted's cooperator runs the steps between the reactor's other work,
and a step that finds the source past its deadline ends it incomplete with what was stored so
far (an incomplete crawl closes nothing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from contextlib import suppress
from dataclasses import replace

from twisted.internet.defer import Deferred
from twisted.internet.task import CooperativeTask, TaskFinished, TaskStopped, cooperate

from pipeline.ingest import CrawlReport, Normalized, Sorted, SourceIngest, Writing, normalize_all
from pipeline.raw import RawPosting
from pipeline.store import CrawlVerdict

log = logging.getLogger("rolewatch.crawl")

# Postings per step: a step holds the reactor for a tenth of a second or so.
STEP = 200
# Steps of one source normalized ahead in the pool: the next is normalized while one is stored,
# and a big board does not queue its every posting ahead of a small board's few.
AHEAD = 2

Step = Future[Normalized] | None  # a pool's normalization to wait for, or a step done


class Settling:
    """One finished source on its way to the store. `start` runs it between the reactor's other
    work; `step_now` runs its next step at once (waiting for the pool), for the crawl's end.
    Either way `stored` or `failed` is called once, when it is done."""

    def __init__(
        self,
        ingest: SourceIngest,
        verdict: CrawlVerdict,
        deadline: float,
        cut: str,
        normalizer: Executor | None,
        stored: Callable[[CrawlReport], None],
        failed: Callable[[str], None],
    ) -> None:
        self.ingest = ingest
        self.verdict = verdict
        # Past it (time.monotonic()), nothing more is stored: the crawl ends with `cut`.
        self.deadline = deadline
        self.cut = cut
        self.normalizer = normalizer
        self.stored = stored
        self.failed = failed
        self._steps = self._run()
        self._task: CooperativeTask[Iterator[Deferred[None] | None]] | None = None

    @property
    def name(self) -> str:
        return self.ingest.source.name

    def start(self) -> None:
        self._task = cooperate(self._in_reactor())
        # Stopped by `step_now` at the crawl's end, which then runs the rest itself.
        self._task.whenDone().addErrback(lambda failure: failure.trap(TaskStopped))

    def step_now(self) -> bool:
        """Run the next step here and now; False once there is none."""
        if self._task is not None:
            with suppress(TaskFinished):
                self._task.stop()
            self._task = None
        try:
            next(self._steps)
        except StopIteration:
            return False
        return True

    def _in_reactor(self) -> Iterator[Deferred[None] | None]:
        for step in self._steps:
            yield None if step is None else _when_done(step)

    def _run(self) -> Iterator[Step]:
        try:
            report = yield from self._settle()
        except Exception as error:  # the source's run stays "running" and is failed by the parent
            log.exception("%s: storing the crawl failed", self.name)
            self.failed(f"storing the crawl failed: {error}")
            return
        self.stored(report)

    def _settle(self) -> Generator[Step, None, CrawlReport]:
        verdict = self.verdict
        batch = Sorted()
        yield from self.ingest.sorting_out(batch, verdict.listing_only, verdict.listing_paths, step=STEP)
        writing = Writing(self.ingest, batch)
        changed = batch.to_normalize
        parts = [changed[start : start + STEP] for start in range(0, len(changed), STEP)]
        normalizing: dict[int, Future[Normalized]] = {}
        for index, part in enumerate(parts):
            if time.monotonic() >= self.deadline:
                log.warning("%s: %s while storing", self.name, self.cut)
                if self.cut not in verdict.problems:
                    verdict = replace(verdict, problems=[*verdict.problems, self.cut])
                break
            for ahead in range(index, min(index + AHEAD, len(parts))):
                if ahead not in normalizing:
                    self._submit(normalizing, ahead, parts[ahead])
            future = normalizing.pop(index, None)
            if future is not None and not future.done():
                yield future
            writing.add(self._normalized(future, part))
            yield None
        return writing.finish(verdict)

    def _submit(self, normalizing: dict[int, Future[Normalized]], index: int, part: list[RawPosting]) -> None:
        if self.normalizer is None:
            return
        try:
            normalizing[index] = self.normalizer.submit(normalize_all, part, self.ingest.source.company)
        except BrokenExecutor:  # a worker died: normalize here from now on
            log.warning("normalizing worker lost; normalizing in the crawl process")
            self.normalizer = None

    def _normalized(self, future: Future[Normalized] | None, part: list[RawPosting]) -> Normalized:
        if future is not None:
            try:
                return future.result()
            except (BrokenExecutor, CancelledError):  # the worker died: normalize here instead
                log.warning("%s: normalizing in this process", self.name)
        return normalize_all(part, self.ingest.source.company)


def _when_done(future: Future[Normalized]) -> Deferred[None]:
    """A Deferred fired in the reactor's thread once the pool is done with `future`."""
    from twisted.internet import reactor

    done: Deferred[None] = Deferred()
    future.add_done_callback(lambda _: reactor.callFromThread(done.callback, None))
    return done
