"""Run the shared crawl in this process (once: Scrapy's reactor cannot be restarted)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from config.schema import CrawlSettings, SourceConfig
from crawler.crawl import BoardsSpider, CrawlListener
from pipeline.ingest import Ingest


def run_crawl(
    limits: CrawlSettings,
    sources: Sequence[SourceConfig],
    ingest: Ingest,
    listener: CrawlListener,
    cache_dir: Path | None = None,
    overrides: dict[str, Any] | None = None,
    normalizer: Executor | None = None,
) -> None:
    """Crawl every source concurrently in one Scrapy engine; each is stored as it finishes."""
    from scrapy.crawler import CrawlerProcess

    from crawler.settings import crawl_settings

    settings = crawl_settings(limits, {"ROLEWATCH_HTTPCACHE_DIR": str(cache_dir) if cache_dir else None})
    settings.update(overrides or {})
    process = CrawlerProcess(settings)
    process.crawl(BoardsSpider, sources=sources, ingest=ingest, listener=listener, normalizer=normalizer)
    process.start()
