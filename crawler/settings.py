"""Scrapy settings for the shared crawl, from the config's `crawl:` section."""

from __future__ import annotations

from typing import Any

from scrapy.settings import default_settings

from config.schema import CrawlSettings

USER_AGENT = "rolewatch/0.1 (+https://github.com/rolewatch/rolewatch; job-alert crawler)"

# No single request waits longer than this; a source's own budget may cut it shorter.
DOWNLOAD_TIMEOUT = 60
MB = 1024 * 1024
# No single response is larger; a source's own `max_raw_mb` may cut it shorter.
DOWNLOAD_MAXSIZE = 64 * MB


WITHOUT_REMOTE_CONTROL = {
    path: order
    for path, order in default_settings.EXTENSIONS_BASE.items()
    if not path.endswith(".RemoteControl")
}


def crawl_settings(limits: CrawlSettings, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "BOT_NAME": "rolewatch",
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": True,
        # Politeness is per host (Scrapy's download slots): boards on one API host share it.
        "CONCURRENT_REQUESTS": limits.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": limits.per_host,
        "DOWNLOAD_DELAY": limits.delay,
        "RANDOMIZE_DOWNLOAD_DELAY": limits.delay > 0,
        "AUTOTHROTTLE_ENABLED": limits.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(limits.delay, 0.5),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(limits.per_host),
        "DOWNLOADER": "crawler.downloader.PoliteDownloader",
        "DOWNLOAD_TIMEOUT": DOWNLOAD_TIMEOUT,
        "DOWNLOAD_MAXSIZE": DOWNLOAD_MAXSIZE,
        "DOWNLOAD_WARNSIZE": 16 * MB,
        # Per source, with the source's own overrides (see crawler/crawl.py).
        "ROLEWATCH_MAX_POSTINGS": limits.max_postings,
        "ROLEWATCH_MAX_RAW_BYTES": limits.max_raw_mb * MB,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        # A 429/503 waits for its Retry-After before the retry; a longer wait fails the request
        # (and so the source's crawl) rather than holding the crawl as long as the board asks.
        "RETRY_AFTER_MAX": 60,
        "RETRY_BACKOFF_BASE": 1.0,
        # Listing requests send If-None-Match / If-Modified-Since; see crawler/middlewares.py.
        "ROLEWATCH_CONDITIONAL_REQUESTS": True,
        "ROLEWATCH_ALLOW_PRIVATE": limits.allow_private,
        # Boards on one vendor's hosts share a download slot (crawler/vendors.py) of this many.
        "ROLEWATCH_PER_VENDOR": limits.per_vendor,
        "ROLEWATCH_VENDORS": dict(limits.vendors),
        # Hosts and vendors whose crawls keep failing are left alone a while (crawler/circuits.py).
        "ROLEWATCH_BREAKER": {
            "enabled": limits.breaker.enabled,
            "failures": limits.breaker.failures,
            "within": limits.breaker.within.total_seconds(),
            "open_for": limits.breaker.open_for.total_seconds(),
        },
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.crawl.FinishedSourcesMiddleware": 50,
            # Before robots.txt (100) is fetched for a host, and seeing every redirected request.
            "crawler.private_hosts.PrivateAddressMiddleware": 60,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.RetryAfterMiddleware": 550,
            "crawler.middlewares.ConditionalRequestsMiddleware": 905,
        },
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy's remote control runs any Python code sent to a local port, and writes its
        # token to the user's profile: a crawl never needs it (and it costs start-up time).
        "REMOTE_CONTROL_ENABLED": False,
        # Left out of the base list, not disabled in EXTENSIONS: Scrapy imports every extension
        # named there, and this one's import alone (aiohttp) is a tenth of a second.
        "EXTENSIONS_BASE": WITHOUT_REMOTE_CONTROL,
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    settings.update(overrides or {})
    return settings
