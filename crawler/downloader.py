"""Scrapy's downloader, holding every download slot to its concurrency.

Under the asyncio reactor, Scrapy 2.19's downloader starts each download as a task and counts
it as transferring only once the task runs; so when several requests wait in one slot (as
they do when robots.txt arrives, or a listing yields its detail pages), all of them start at
once, and `CONCURRENT_REQUESTS_PER_DOMAIN` holds only on average. Boards sharing an API host
must share its limit for real: here a request is counted as transferring the moment it is
taken from the queue. A vendor's slot (`crawler.vendors`) holds `ROLEWATCH_PER_VENDOR`.
"""

from __future__ import annotations

from time import monotonic

from scrapy import Request, Spider
from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro

from crawler.vendors import SLOT_PREFIX


class PoliteDownloader(Downloader):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.per_vendor = self.settings.getint("ROLEWATCH_PER_VENDOR", self.domain_concurrency)

    def _get_slot(self, request: Request, spider: Spider | None = None) -> tuple[str, Slot]:
        # Vendors' slots are named per request, so their concurrency is set as each first appears.
        key = self.get_slot_key(request)
        if key.startswith(SLOT_PREFIX) and key not in self.per_slot_settings:
            self.per_slot_settings[key] = {"concurrency": self.per_vendor}
        return super()._get_slot(request)

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # a delayed call will process the queue
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # reserved now; `_download` releases it when done
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:
                self._process_queue(slot)
                break
