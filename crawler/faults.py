"""What kind of problem a failed request or an odd response is (`pipeline.health.ProblemKind`).

Read from what Scrapy hands over — the exception's type, the HTTP status, the response's headers
and, for a bot challenge, its page — so that a crawl's health never depends on the wording of
a problem.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost, DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from crawler.middlewares import RetryAfterTooLong
from crawler.private_hosts import PrivateAddressRefused
from pipeline.health import ProblemKind

# What only a bot challenge shows: Cloudflare's interstitial (its title, its challenge options;
# not the challenge-platform script it also puts on pages it lets through), DataDome's and
# PerimeterX's captcha; and, where JSON was asked for, any captcha widget.
_CHALLENGE_MARKS = (
    b"<title>just a moment...</title>",
    b"attention required! | cloudflare",
    b"window._cf_chl_opt",
    b"captcha-delivery.com",
    b"px-captcha",
)
_CAPTCHA = b"captcha"
# Challenge pages are small and say so near the top: a big page is not read to its end for it.
_SCANNED = 16 * 1024

NETWORK_ERRORS = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
    TimeoutError,
    ConnectError,
    ConnectionDone,
    ConnectionLost,
    DNSLookupError,
    OSError,
)


def is_challenge(response: Response, json_expected: bool = False) -> bool:
    """Whether `response` is a bot challenge rather than the board: Cloudflare's
    `cf-mitigated: challenge`, a challenge vendor's page, or, where JSON was asked for, an HTML
    page with a captcha."""
    if (response.headers.get(b"cf-mitigated") or b"").lower() == b"challenge":
        return True
    if b"html" not in (response.headers.get(b"Content-Type") or b"").lower() and not json_expected:
        return False
    head = response.body[:_SCANNED].lower()
    if any(mark in head for mark in _CHALLENGE_MARKS):
        return True
    return json_expected and head.lstrip()[:1] == b"<" and _CAPTCHA in head


def status_kind(status: int, listing: bool) -> ProblemKind:
    """The kind of an HTTP error status; a 404/410 of a listing is the board not found."""
    if status in (401, 403):
        return ProblemKind.DENIED
    if status == 429:
        return ProblemKind.THROTTLED
    if listing and status in (404, 410):
        return ProblemKind.NOT_FOUND
    return ProblemKind.SERVER if status >= 500 else ProblemKind.UNREADABLE


def failure_kind(failure: Failure, listing: bool = True) -> ProblemKind:
    """The kind of a request that failed (`listing`: one of the board's listing requests)."""
    error = failure.value
    if isinstance(error, HttpError):
        response = error.response
        if is_challenge(response):
            return ProblemKind.CHALLENGE
        return status_kind(response.status, listing)
    if isinstance(error, RetryAfterTooLong):
        return ProblemKind.THROTTLED
    if size_cut(failure):
        return ProblemKind.LIMIT
    if isinstance(error, PrivateAddressRefused):
        return ProblemKind.UNREADABLE  # the board pointed somewhere no board is
    if isinstance(error, IgnoreRequest):
        return ProblemKind.DENIED  # robots.txt forbids it
    if isinstance(error, NETWORK_ERRORS):
        return ProblemKind.NETWORK
    return ProblemKind.UNREADABLE


def size_cut(failure: Failure) -> bool:
    """Whether Scrapy cancelled the download for its size: as the body arrived (saying
    nothing), or from its Content-Length or while decompressing ("... download max size ...")."""
    error = failure.value
    message = failure.getErrorMessage()
    return (isinstance(error, DownloadCancelledError) and not message) or (
        isinstance(error, DownloadCancelledError | IgnoreRequest) and "download max size" in message
    )
