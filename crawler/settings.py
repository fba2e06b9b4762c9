"""Scrapy settings for every rolewatch crawl; a source's config may tighten them."""

from __future__ import annotations

from typing import Any

from config.schema import SourceConfig, parse_duration

USER_AGENT = "rolewatch/0.1 (+https://github.com/rolewatch/rolewatch; job-alert crawler)"


def crawl_settings(source: SourceConfig, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    budget = parse_duration(source.timeout).total_seconds()
    settings: dict[str, Any] = {
        "BOT_NAME": "rolewatch",
        "USER_AGENT": USER_AGENT,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 0.5,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        # CLOSESPIDER_TIMEOUT does not cut a request in flight; a hung board must not outlive
        # the crawl's budget.
        "DOWNLOAD_TIMEOUT": min(60, budget),
        "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 16 * 1024 * 1024,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        # A 429/503 waits for its Retry-After before the retry; a longer wait fails the request
        # (and so the crawl) rather than holding the crawl as long as the board asks.
        "RETRY_AFTER_MAX": 60,
        "RETRY_BACKOFF_BASE": 1.0,
        # Listing requests send If-None-Match / If-Modified-Since; see crawler/middlewares.py.
        "ROLEWATCH_CONDITIONAL_REQUESTS": True,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.RetryAfterMiddleware": 550,
            "crawler.middlewares.ConditionalRequestsMiddleware": 905,
        },
        # A crawl has a wall-clock budget; one cut short is incomplete and closes nothing.
        "CLOSESPIDER_TIMEOUT": budget,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "ITEM_PIPELINES": {"crawler.pipelines.StorePipeline": 500},
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    settings.update(overrides or {})
    return settings
