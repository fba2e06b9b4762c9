"""How the shared crawl routes a board's requests and reads how its crawl ended.

Requests name their source and their board's callback in `meta` rather than holding bound
methods, so that they can also be serialized to a shared request queue; boards of one vendor
share its download slot. A crawl's verdict, health included, is read from its board's
bookkeeping. The one-process crawl (`crawler.crawl`) and the fleet both use these.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import scrapy

from crawler.boards.base import SIZE_LIMIT, Board
from crawler.middlewares import SOURCE
from crawler.private_hosts import OWN_HOSTS, own_hosts
from crawler.vendors import vendor_slot
from pipeline.health import ProblemKind, crawl_health
from pipeline.raw import RawPosting
from pipeline.store import CrawlVerdict

log = logging.getLogger("rolewatch.crawl")

# Request meta keys, besides the source's.
CALLBACK = "rolewatch_callback"
ERRBACK = "rolewatch_errback"


def board_outputs(
    board: Board, call: Callable[[], Iterable[Any] | None], url: str
) -> tuple[list[scrapy.Request], list[RawPosting]]:
    """Run a board callback to its end: the requests and postings it made. A board that cannot
    read a page records a problem (its crawl is then incomplete) rather than crash the crawl."""
    requests: list[scrapy.Request] = []
    raws: list[RawPosting] = []
    try:
        for output in call() or ():
            if isinstance(output, scrapy.Request):
                requests.append(output)
            elif isinstance(output, RawPosting):
                raws.append(output)
    except Exception as error:
        log.debug("%s: %s", board.source.name, url, exc_info=True)
        board.record_problem(f"{url}: cannot read: {type(error).__name__}: {error}")
    return requests, raws


def verdict_of(
    board: Board, cut: str | None, stats: dict[str, Any], cut_kind: ProblemKind = ProblemKind.BUDGET
) -> CrawlVerdict:
    """How a source's crawl ended, from its board's bookkeeping (and why, of what `cut_kind`, it
    was cut short)."""
    problems, kinds = list(board.problems), list(board.problem_kinds)
    if cut:
        problems.append(cut)
        kinds.append(cut_kind)
    elif not board.listing_complete and not problems:
        problems.append("listing was not fully fetched")
        kinds.append(ProblemKind.UNREADABLE)
    if board.same_listing:
        stats = {**stats, "same_listing": True}
    return CrawlVerdict(
        problems=problems,
        dropped=board.dropped,
        stats=stats,
        listing=board.listing,
        kept=frozenset(board.unreadable),
        notes=[*board.notes, *board.unreadable.values()],
        listing_only=frozenset(getattr(board, "listing_only", ())),
        listing_paths=dict(getattr(board, "listing_paths", {})),
        health=crawl_health(kinds),
    )


def url_too_long(board: Board, request: scrapy.Request, limit: int) -> bool:
    """Scrapy's URL length filter would drop the request without a callback: say so instead."""
    if limit and len(request.url) > limit:
        problem = f"{request.url[:200]}...: URL longer than {limit} characters, not fetched"
        board.record_problem(problem, ProblemKind.LIMIT)
        return True
    return False


def routing_meta(
    board: Board,
    request: scrapy.Request,
    timeout: float,
    remaining: float,
    size: tuple[int, str] | None = None,
    vendors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A board request's meta as the shared crawl sends it: its source and callbacks by name,
    (`size`, see `size_limit`) the most its response may be, and the download slot of its
    vendor (`vendors`: `crawl.vendors`), whose every host shares one budget."""
    meta = {
        **request.meta,
        SOURCE: board.source.name,
        OWN_HOSTS: own_hosts(board.source),
        CALLBACK: method_name(request.callback),
        ERRBACK: method_name(request.errback) if request.errback else None,
        # A hung board must not hold a download slot past its own budget.
        "download_timeout": min(timeout, max(1.0, remaining)),
    }
    if size is not None:
        meta["download_maxsize"], meta[SIZE_LIMIT] = size
    if slot := vendor_slot(request.url, vendors):
        meta["download_slot"] = slot
    return meta


def method_name(method: Callable[..., Any] | None) -> str:
    name = getattr(method, "__name__", None)
    if name is None or not isinstance(getattr(method, "__self__", None), Board):
        raise TypeError(f"a board's request must name one of its own methods, not {method!r}")
    return name
