"""The Scrapy item pipeline that hands a crawl's postings to `pipeline.store`.

Postings are normalized as they arrive and stored in batches when the spider closes, because
only then is it known whether the crawl was complete and may close postings.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import RawPosting
from crawler.spiders.base import BoardSpider
from pipeline.db import open_database, session_factory
from pipeline.normalize import Posting, normalize
from pipeline.store import CrawlVerdict, begin_crawl, finish_crawl, store_postings

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        spider = crawler.spider
        assert isinstance(spider, BoardSpider)
        self.spider = spider
        config = crawler.settings["ROLEWATCH_CONFIG"]
        self.config = config
        self.engine = open_database(config.database)
        self.sessions = session_factory(self.engine)
        self.postings: list[Posting] = []
        self.run_id: int | None = None
        self.result: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.run_id = begin_crawl(self.sessions, self.spider.source)
        if self.crawler.stats:
            self.crawler.stats.set_value("rolewatch/crawl_run", self.run_id)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, RawPosting):
            raise DropItem(f"unexpected item {type(item).__name__}")
        try:
            self.postings.append(normalize(item, self.spider.source.company))
        except Exception as error:  # a bad posting is dropped, the board goes on
            self.spider.record_problem(f"posting {item.external_id}: cannot normalize: {error}")
            raise DropItem(str(error)) from error
        return item

    def spider_closed(self, spider: BoardSpider, reason: str) -> None:
        from notifier.outbox import outbox_hook

        assert self.run_id is not None
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        problems = list(spider.problems)
        if reason == "closespider_timeout":
            problems.append(f"crawl ended early: its time budget ({spider.source.timeout}) ran out")
        elif reason != "finished":
            problems.append(f"crawl ended early ({reason})")
        elif not spider.listing_complete and not problems:
            problems.append("listing was not fully fetched")
        verdict = CrawlVerdict(
            problems=problems,
            dropped=int(stats.get("rolewatch/dropped", 0)),
            stats=_plain_stats(stats),
        )
        hook = outbox_hook(self.config)
        seen = store_postings(self.sessions, self.run_id, self.postings, hook)
        run = finish_crawl(self.sessions, self.run_id, spider.source, seen, verdict, hook)
        self.result = {
            "source": spider.source.name,
            "crawl_run": run.id,
            "status": run.status,
            "seen": run.seen,
            "dropped": run.dropped,
            "new": run.new,
            "changed": run.changed,
            "closed": run.closed,
            "reopened": run.reopened,
            "problems": run.problems.splitlines() if run.problems else [],
        }
        if self.crawler.stats:
            self.crawler.stats.set_value("rolewatch/result", self.result)
        self.engine.dispose()


def _plain_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """Scrapy stats as JSON-friendly values (datetimes become ISO strings)."""
    plain = {}
    for key, value in stats.items():
        if key.startswith(("downloader/", "response_received", "item_", "retry/", "rolewatch/",
                           "finish_reason", "httperror/", "elapsed", "robotstxt/")):  # fmt: skip
            plain[key] = value if isinstance(value, int | float | str) else str(value)
    return plain
