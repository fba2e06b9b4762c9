"""Boards on one vendor's hosts share one download budget (`crawl.per_vendor`), whatever the
per-host limit says, and one circuit breaker; the vendor of a host comes from one table."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from config.schema import Config
from crawler.vendors import vendor_of, vendor_slot
from pipeline.db import open_database
from rolewatch.boardserver import BoardServer, Incoming, Reply
from rolewatch.crawling import crawl_in_subprocess
from tests.conftest import real_payload

PER_SERVER = 3  # sources on each of the vendor's two hosts


def board_json() -> bytes:
    payload = real_payload("greenhouse/stripe-jobs-content-trimmed-2026-07.json")
    payload["meta"]["total"] = len(payload["jobs"])
    return json.dumps(payload).encode()


def listing(name: str) -> str:
    return f"/v1/boards/{name}/jobs"


class InFlight:
    """Counts the listing requests the servers are answering at once."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.now = 0
        self.most = 0
        self.answered = 0
        self.lock = threading.Lock()

    def __call__(self, incoming: Incoming) -> Reply:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.4)  # long enough for every request the crawl would send to overlap
        with self.lock:
            self.now -= 1
            self.answered += 1
        return Reply(self.body)


def crawl_counting(make_config: Callable[..., Config], tmp_path: Path, vendors: str) -> InFlight:
    counter = InFlight(board_json())
    with ExitStack() as stack:
        lines, names = [], []
        for host in ("127.0.0.7", "127.0.0.8"):
            server = stack.enter_context(BoardServer(host))
            for number in range(PER_SERVER):
                name = f"t{host.rsplit('.', 1)[1]}x{number}"
                server.handle(listing(name), counter)
                lines.append(
                    f"  - {{name: {name}, type: greenhouse, board: {name}, api_base: '{server.url}'}}"
                )
                names.append(name)
        database = f"sqlite:///{tmp_path / 'rolewatch.db'}"
        config = make_config(
            f'database: "{database}"\n'
            f"crawl: {{per_host: 4, per_vendor: 2, autothrottle: false{vendors}}}\n"
            "sources:\n" + "\n".join(lines) + "\n"
        )
        open_database(database).dispose()
        outcomes = crawl_in_subprocess(config, names, timeout=180)
    assert all(outcome.result["status"] == "complete" for outcome in outcomes), outcomes
    assert counter.answered == 2 * PER_SERVER
    return counter


def test_a_vendors_hosts_share_its_per_vendor_budget(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    counter = crawl_counting(make_config, tmp_path, ", vendors: {'127.0.0.7': tailor, '127.0.0.8': tailor}")
    assert counter.most == 2


def test_hosts_of_no_vendor_keep_their_own_per_host_budget(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    counter = crawl_counting(make_config, tmp_path, "")
    assert counter.most > 2


def test_a_vendors_breaker_holds_back_its_other_hosts(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    with ExitStack() as stack:
        tenants = [stack.enter_context(BoardServer(f"127.0.0.{number}")) for number in (4, 5, 6)]
        names = ["acme", "globex", "initech"]
        for server, name in zip(tenants[:2], names[:2], strict=True):
            server.set(listing(name), Reply(b"slow down", 429, "text/plain", headers={"Retry-After": "0"}))
        tenants[2].set(listing("initech"), board_json())
        lines = [
            f"  - {{name: {name}, type: greenhouse, board: {name}, api_base: '{server.url}'}}"
            for server, name in zip(tenants, names, strict=True)
        ]
        lines.append(f"  - {{name: acme2, type: greenhouse, board: acme2, api_base: '{tenants[0].url}'}}")
        tenants[0].set(listing("acme2"), Reply(b"slow down", 429, "text/plain", headers={"Retry-After": "0"}))
        database = f"sqlite:///{tmp_path / 'rolewatch.db'}"
        config = make_config(
            f'database: "{database}"\n'
            "crawl:\n  vendors: {'127.0.0.4': tailor, '127.0.0.5': tailor, '127.0.0.6': tailor}\n"
            "sources:\n" + "\n".join(lines) + "\n"
        )
        open_database(database).dispose()

        crawl_in_subprocess(config, ["acme", "acme2", "globex"], timeout=180)
        tenants[2].requests.clear()
        held = {outcome.source: outcome for outcome in crawl_in_subprocess(config, ["initech"], timeout=180)}

    assert held["initech"].result["status"] == "skipped"
    assert "vendor tailor" in held["initech"].result["problems"][0]
    assert tenants[2].requests == []


@pytest.mark.parametrize(
    "url, slot",
    [
        ("https://nvidia.wd5.myworkdayjobs.com/wday/cxs/nvidia/site/jobs", "vendor:workday-wd5"),
        ("https://acme.wd5.myworkdayjobs.com/x", "vendor:workday-wd5"),
        ("https://acme.wd1.myworkdayjobs.com/x", "vendor:workday-wd1"),
        ("https://acme.teamtailor.com/jobs.rss", "vendor:teamtailor"),
        ("https://acme.na.teamtailor.com/jobs", "vendor:teamtailor"),
        ("https://acme.jobs.personio.de/xml", "vendor:personio"),
        ("https://acme.jobs.personio.com/xml", "vendor:personio"),
        ("https://acme.bamboohr.com/careers/list", "vendor:bamboohr"),
        ("https://acme.recruitee.com/api/offers", "vendor:recruitee"),
        ("https://acme.pinpointhq.com/postings.json", "vendor:pinpoint"),
        ("https://acme.breezy.hr/json", "vendor:breezy"),
        ("https://boards-api.greenhouse.io/v1/boards/acme/jobs", None),
        ("https://notteamtailor.com/jobs", None),
    ],
)
def test_the_vendor_table_groups_a_vendors_hosts(url: str, slot: str | None) -> None:
    assert vendor_slot(url) == slot


def test_hosts_of_the_users_own_name_their_vendor_first() -> None:
    vendors = {"careers.acme.com": "teamtailor", ".jobs.globex.com": "personio"}
    assert vendor_of("careers.acme.com", vendors) == "teamtailor"
    assert vendor_of("de.jobs.globex.com", vendors) == "personio"
    assert vendor_of("acme.com", vendors) is None
