"""The floor: the least work any crawler of the farm must do, in two child processes.

- `python -m bench.floor fetch`: a bare Scrapy spider that fetches every board URL with the
  crawl limits rolewatch is given (overall and per-host concurrency, delay, AutoThrottle) and
  throws each body away;
- `python -m bench.floor ingest`: `json.loads` of every board body and one row per posting
  (id, board, title, content) into a fresh SQLite file with `executemany`, one transaction per
  board, on the connection settings rolewatch uses (WAL, synchronous=NORMAL). Only the parsing
  and inserting are timed: building the body stands in for having fetched it.

Each prints one JSON line with what it did.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bench.farm import board_fixture, board_name, board_url, template


def fetch(boards: int, port: int, concurrency: int, per_host: int, delay: float, autothrottle: bool) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import Response
    from scrapy.settings import default_settings

    # Scrapy's remote control left out, as rolewatch's crawls leave it out (crawler/settings.py).
    extensions = {
        path: order for path, order in default_settings.EXTENSIONS_BASE.items() if "RemoteControl" not in path
    }

    class FloorSpider(scrapy.Spider):
        name = "floor"
        responses = 0
        received = 0

        async def start(self) -> AsyncIterator[Any]:
            for index in range(boards):
                yield scrapy.Request(board_url(index, port), callback=self.parse)

        def parse(self, response: Response, **kwargs: Any) -> None:
            FloorSpider.responses += 1
            FloorSpider.received += len(response.body)

    process = CrawlerProcess(
        {
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
            "DOWNLOAD_DELAY": delay,
            "AUTOTHROTTLE_ENABLED": autothrottle,
            "ROBOTSTXT_OBEY": False,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "EXTENSIONS_BASE": extensions,
            "LOG_LEVEL": "WARNING",
        }
    )
    started = time.perf_counter()
    process.crawl(FloorSpider)
    process.start()
    seconds = time.perf_counter() - started
    print(json.dumps({"responses": FloorSpider.responses, "bytes": FloorSpider.received, "seconds": seconds}))


def ingest(boards: int, database: Path) -> None:
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE postings (id TEXT PRIMARY KEY, board TEXT, title TEXT, content TEXT)")
    seconds = 0.0
    rows = 0
    for index in range(boards):
        body = template(board_fixture(index)).body(index)
        started = time.perf_counter()
        jobs = json.loads(body)["jobs"]
        board = board_name(index)
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO postings VALUES (?, ?, ?, ?)",
            [(str(job["id"]), board, job["title"], job.get("content")) for job in jobs],
        )
        connection.execute("COMMIT")
        seconds += time.perf_counter() - started
        rows += len(jobs)
    connection.close()
    print(json.dumps({"rows": rows, "seconds": seconds}))


def main() -> None:
    parser = argparse.ArgumentParser(description="One half of the crawl benchmark's floor.")
    commands = parser.add_subparsers(dest="command", required=True)
    fetching = commands.add_parser("fetch")
    fetching.add_argument("--boards", type=int, required=True)
    fetching.add_argument("--port", type=int, required=True)
    fetching.add_argument("--concurrency", type=int, required=True)
    fetching.add_argument("--per-host", type=int, required=True)
    fetching.add_argument("--delay", type=float, default=0.0)
    fetching.add_argument("--autothrottle", action="store_true")
    ingesting = commands.add_parser("ingest")
    ingesting.add_argument("--boards", type=int, required=True)
    ingesting.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "fetch":
        fetch(args.boards, args.port, args.concurrency, args.per_host, args.delay, args.autothrottle)
    else:
        ingest(args.boards, args.db)


if __name__ == "__main__":
    main()
