"""Run one crawl in a child process (Scrapy's reactor cannot restart), with a hard timeout.

The parent sends the validated config as JSON on stdin; the child prints one JSON line with
the crawl's result.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from config.schema import Config, parse_duration

RESULT_PREFIX = "ROLEWATCH-RESULT "
# Scrapy's own timeout waits for requests in flight; past the source's timeout plus this grace
# the parent kills the crawl. Tests shorten it through the environment.
KILL_GRACE_ENV = "ROLEWATCH_CRAWL_KILL_GRACE"
DEFAULT_KILL_GRACE = 60.0


@dataclass
class CrawlOutcome:
    source: str
    ok: bool
    result: dict[str, Any]
    error: str | None = None


def crawl_here(config: Config, source_name: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl one source in this process; call at most once per process."""
    from scrapy.crawler import CrawlerProcess

    from crawler.registry import spider_for
    from crawler.settings import crawl_settings

    source = config.source(source_name)
    process_settings = crawl_settings(source, settings)
    process_settings["ROLEWATCH_CONFIG"] = config
    process = CrawlerProcess(process_settings)
    crawler = process.create_crawler(spider_for(source.type))
    process.crawl(crawler, source=source)
    process.start()
    result = crawler.stats.get_value("rolewatch/result") if crawler.stats else None
    if not result:
        raise RuntimeError(f"crawl of {source_name} stopped before storing anything")
    return dict(result)


def crawl_in_subprocess(config: Config, source_name: str, timeout: float | None = None) -> CrawlOutcome:
    source = config.source(source_name)
    limit = timeout
    if limit is None:
        grace = float(os.environ.get(KILL_GRACE_ENV) or DEFAULT_KILL_GRACE)
        limit = parse_duration(source.timeout).total_seconds() + grace
    child = subprocess.Popen(
        [sys.executable, "-m", "crawler.process", source_name],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a timeout can kill the child's whole process group
    )
    try:
        stdout, stderr = child.communicate(config.model_dump_json(by_alias=True), timeout=limit)
    except subprocess.TimeoutExpired:
        _stop(child, config, source_name, f"crawl timed out after {limit:.0f}s")
        return CrawlOutcome(source_name, False, {}, f"timed out after {limit:.0f}s")
    except BaseException:
        # Ctrl-C or a dying parent: the child lives in its own session, so take it along
        # rather than leave it crawling beside the next run.
        _stop(child, config, source_name, "crawl interrupted")
        raise
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            return CrawlOutcome(source_name, result.get("status") == "complete", result)
    tail = "\n".join(stderr.strip().splitlines()[-5:])
    return CrawlOutcome(source_name, False, {}, f"crawl process exited {child.returncode}: {tail}")


def _stop(child: subprocess.Popen[str], config: Config, source_name: str, reason: str) -> None:
    from pipeline.recovery import fail_running_crawls

    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.communicate()
    fail_running_crawls(config.database, source_name, reason)


def main() -> int:
    config = Config.model_validate_json(sys.stdin.read())
    result = crawl_here(config, sys.argv[1])
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
