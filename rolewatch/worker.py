"""`rolewatch worker`: crawl requests from the shared queue until stopped (see crawler/fleet.py).

Any number of workers, on any number of machines, share one Redis queue and one database.
SIGTERM or SIGINT stops a worker after the requests it has in flight; what it had taken and
not answered goes back to the queue at once.
"""

from __future__ import annotations

from config.schema import Config


def run_worker(config: Config) -> None:
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import CrawlerProcess

    from crawler.fleet import DUPEFILTER_KEY, QUEUE_KEY, Fleet
    from crawler.fleet_worker import FleetSpider
    from crawler.middlewares import http_cache_root
    from crawler.settings import crawl_settings
    from notifier.outbox import outbox_hook
    from pipeline.db import open_database, session_factory
    from pipeline.ingest import Ingest

    if not config.queue:
        raise ValueError("a worker needs `queue:` in the config (a Redis URL, e.g. redis://127.0.0.1:6379/0)")
    settings = crawl_settings(
        config.crawl, {"ROLEWATCH_HTTPCACHE_DIR": str(http_cache_root(config.database))}
    )
    middlewares = dict(settings["DOWNLOADER_MIDDLEWARES"])
    del middlewares["crawler.crawl.FinishedSourcesMiddleware"]
    # Innermost: a request holds its host's fleet-wide slot only while it is on the wire.
    middlewares["crawler.fleet_worker.FleetGateMiddleware"] = 950
    settings.update(
        {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "SCHEDULER_QUEUE_CLASS": "crawler.fleet_worker.FleetQueue",
            "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
            "SCHEDULER_PERSIST": True,  # the queue belongs to the fleet, not to this worker
            "REDIS_URL": config.queue,
            "DOWNLOADER_MIDDLEWARES": middlewares,
        }
    )
    # An idle engine asks its scheduler for work every 5 s; a worker should notice new work sooner.
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 0.2
    engine = open_database(config.database)  # a worker may be the first to reach the database
    try:
        ingest = Ingest(session_factory(engine), outbox_hook(config))
        process = CrawlerProcess(settings, install_root_handler=False)  # the CLI set up logging
        process.crawl(FleetSpider, fleet=Fleet(config.queue), ingest=ingest)
        process.start()
    finally:
        engine.dispose()
