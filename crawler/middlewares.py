"""Downloader middlewares: conditional listing requests, and retries that honour Retry-After.

Conditional requests reuse Scrapy's own HTTP cache rather than a hand-kept table of validators.
A listing request marked with `meta[CONDITIONAL]` is stored (body and headers) when the board
sent an ETag or Last-Modified; the next crawl sends If-None-Match / If-Modified-Since, and a
304 is answered with the stored body. The spider then parses the same listing it stored last
time, so the crawl is complete, every posting is seen again and nothing changes, with no
special "unchanged" path through the store. Keeping the body (not only the validators) is
what makes this robust: a crawl killed after the response arrived but before the store
committed is simply replayed from the stored body on the next 304, so a change is never lost.

The stock RFC 2616 policy is too lenient for a watcher, so `ConditionalPolicy` narrows it:
it always revalidates (no heuristic freshness, so a change is never missed), caches only
responses that carry a validator, and accepts the stored body only on a 304 (a 5xx or a
connection error is a failed crawl, never a silently stale one). The cache lives in a folder
per source next to the SQLite database (or in the working directory for a server database),
so it survives daemon restarts and cron runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.extensions.httpcache import FilesystemCacheStorage, parse_cachecontrol
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings, Settings
from scrapy.spiders import Spider
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message
from sqlalchemy.engine import make_url

# Request meta key: this request may be answered from the stored copy after a 304.
CONDITIONAL = "rolewatch_conditional"
# Request meta key: the source a request is for (set by the shared crawl).
SOURCE = "rolewatch_source"
# Request meta key: statuses this request is retried on besides RETRY_HTTP_CODES (a board
# known to answer a healthy listing with a transient 400, say).
RETRY_ALSO = "rolewatch_retry_also"


def http_cache_root(database: str) -> Path:
    """`<database>.httpcache` beside a SQLite file, else `rolewatch.httpcache`; a folder per source."""
    url = make_url(database)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().with_suffix(".httpcache").absolute()
    return Path("rolewatch.httpcache").absolute()


class ConditionalPolicy:
    """Scrapy HTTP cache policy: cache validated listings, always revalidate, trust only 304."""

    def __init__(self, settings: BaseSettings) -> None:
        return None

    def should_cache_request(self, request: Request) -> bool:
        return bool(request.meta.get(CONDITIONAL)) and request.method == "GET"

    def should_cache_response(self, response: Response, request: Request) -> bool:
        control = parse_cachecontrol(response.headers.get(b"Cache-Control") or b"")
        has_validator = b"ETag" in response.headers or b"Last-Modified" in response.headers
        return response.status == 200 and has_validator and b"no-store" not in control

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        # Never fresh: a watcher must ask the board every time; the validators make it cheap.
        if b"ETag" in cachedresponse.headers:
            request.headers[b"If-None-Match"] = cachedresponse.headers[b"ETag"]
        if b"Last-Modified" in cachedresponse.headers:
            request.headers[b"If-Modified-Since"] = cachedresponse.headers[b"Last-Modified"]
        return False

    def is_cached_response_valid(
        self, cachedresponse: Response, response: Response, request: Request
    ) -> bool:
        return response.status == 304


class MarkedFilesystemStorage(FilesystemCacheStorage):
    """Scrapy's filesystem storage in a folder per source, plus a `complete` marker written
    last: an entry whose writing was interrupted (a killed crawl) is a miss, never a stale body
    under new headers."""

    def _get_request_path(self, spider: Spider, request: Request) -> str:
        # Source names are restricted to [A-Za-z0-9_.-] and start alphanumeric: safe as a folder.
        key = self._fingerprinter.fingerprint(request).hex()
        return str(Path(self.cachedir) / request.meta[SOURCE] / key[0:2] / key)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        marker = Path(self._get_request_path(spider, request)) / "complete"
        marker.unlink(missing_ok=True)
        super().store_response(spider, request, response)
        marker.touch()

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        if not (Path(self._get_request_path(spider, request)) / "complete").exists():
            return None
        return super().retrieve_response(spider, request)


class ConditionalRequestsMiddleware(HttpCacheMiddleware):
    """Scrapy's HttpCacheMiddleware with `ConditionalPolicy` and a per-source state folder.

    Enabled by `ROLEWATCH_CONDITIONAL_REQUESTS` with a `ROLEWATCH_HTTPCACHE_DIR`; independent of
    the HTTPCACHE_* settings, so Scrapy's development cache can still be switched on beside it.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        root = crawler.settings.get("ROLEWATCH_HTTPCACHE_DIR")
        if not crawler.settings.getbool("ROLEWATCH_CONDITIONAL_REQUESTS") or not root:
            raise NotConfigured
        cache_settings = Settings(
            {
                "HTTPCACHE_ENABLED": True,
                "HTTPCACHE_DIR": str(root),
                "HTTPCACHE_POLICY": f"{__name__}.ConditionalPolicy",
                "HTTPCACHE_STORAGE": f"{__name__}.MarkedFilesystemStorage",
                "HTTPCACHE_EXPIRATION_SECS": 0,
                "HTTPCACHE_GZIP": True,  # whole-board JSON compresses about tenfold
            }
        )
        assert crawler.stats is not None
        middleware = cls(cache_settings, crawler.stats)
        middleware.crawler = crawler
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        # The stock middleware answers a download error with the stored copy; a board that is
        # down must make the crawl incomplete instead, and go through the retry middleware.
        request.meta.pop("cached_response", None)
        return None


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (delay in seconds, or an HTTP date) as seconds from now."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterTooLong(IgnoreRequest):
    """The board asked for a longer pause than a crawl waits; the request's errback records it."""


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, but a 429 or 503 waits before it is retried.

    The wait is the response's Retry-After; a 429 without one backs off exponentially
    (RETRY_BACKOFF_BASE, doubled per retry), because retrying a rate limit at once only
    draws another 429. A wait longer than RETRY_AFTER_MAX fails the request at once with a
    message saying so. A request that runs out of retries reaches its errback as before, so a
    failure is always a problem on the crawl, never silently dropped.
    """

    WAITING_STATUSES = frozenset({429, 503})

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)

    # Async because it awaits the board's delay; the stock method is synchronous.
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if response.status in request.meta.get(RETRY_ALSO, ()) and not request.meta.get("dont_retry"):
            return self._retry(request, response_status_message(response.status)) or response
        if (
            request.meta.get("dont_retry", False)
            or response.status not in self.retry_http_codes
            or response.status not in self.WAITING_STATUSES
        ):
            return super().process_response(request, response)
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None and response.status == 429:
            wait = self.backoff_base * 2 ** request.meta.get("retry_times", 0)
        if wait is not None and wait > self.max_wait:
            if self.crawler.stats:
                self.crawler.stats.inc_value("retry/retry_after_too_long")
            raise RetryAfterTooLong(
                f"HTTP {response.status} with Retry-After {wait:.0f}s, longer than the"
                f" {self.max_wait:.0f}s a crawl waits; not retried"
            )
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response  # out of retries: HttpError reaches the errback
        if wait:
            await sleep(wait)
        return retry
