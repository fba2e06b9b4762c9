"""Boards of vendors that answer a board they do not know with 404 (or 410), or by redirecting its
listing to their home page: either is "board not found", never an empty board."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.boards.base import Board
from pipeline.health import ProblemKind

NOT_FOUND = "board not found"


class TenantBoard(Board):
    """A board whose listing request tells an unknown board apart from an empty one."""

    def listing_failed(self, failure: Failure) -> None:
        error = failure.value
        if isinstance(error, HttpError) and error.response.status in (404, 410):
            status = error.response.status
            url = error.response.url
            self.record_problem(f"{NOT_FOUND}: listing {url} answered HTTP {status}", ProblemKind.NOT_FOUND)
            return
        super().listing_failed(failure)

    def board_found(self, response: Response) -> bool:
        """False, with the problem recorded, when the listing was redirected off its own path
        (to the vendor's home page); a redirect to the same path elsewhere (https, another
        domain of the vendor) is the board moving, and is read."""
        redirects = response.meta.get("redirect_urls") or []
        if redirects and urlsplit(redirects[0]).path != urlsplit(response.url).path:
            problem = f"{NOT_FOUND}: listing {redirects[0]} redirects to {response.url}"
            self.record_problem(problem, ProblemKind.NOT_FOUND)
            return False
        return True
