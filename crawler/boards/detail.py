"""Boards that fetch one more page per posting after the listing (its detail)."""

from __future__ import annotations

from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.boards.base import Board


def failure_reason(failure: Failure) -> str:
    """ "HTTP 503", "Forbidden by robots.txt", "TCP connection timed out"..."""
    error = failure.value
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status}"
    return failure.getErrorMessage() or type(error).__name__


class DetailBoard(Board):
    """A posting whose detail cannot be fetched is not silently dropped: it is a problem, so
    the crawl is incomplete and nothing is closed because of the gap."""

    def detail_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        self.record_problem(f"posting {url} failed: {failure_reason(failure)}")
