"""Circuit breakers per host and per vendor, kept in the database between crawls: a host whose
crawls keep failing gets no request during its cool-down, then exactly one probe."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from config.schema import Config
from pipeline.breakers import Admission, BreakerPolicy, BreakerState, admission, after_crawl
from pipeline.db import make_engine, open_database, session_factory
from pipeline.models import CircuitBreaker, utcnow
from pipeline.states import CrawlHealth
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.crawling import CrawlOutcome, crawl_in_subprocess
from rolewatch.cycle import due_sources
from tests.conftest import real_payload

FAILING = ["one", "two", "three", "four"]  # sources on the host that fails


def board_json() -> bytes:
    payload = real_payload("greenhouse/stripe-jobs-content-trimmed-2026-07.json")
    payload["meta"]["total"] = len(payload["jobs"])
    return json.dumps(payload).encode()


def listing(name: str) -> str:
    return f"/v1/boards/{name}/jobs"


@dataclass
class Hosts:
    config: Config
    failing: BoardServer  # 127.0.0.2: FAILING's sources
    healthy: BoardServer  # 127.0.0.3: "steady"

    def crawl(self, names: list[str]) -> dict[str, CrawlOutcome]:
        return {outcome.source: outcome for outcome in crawl_in_subprocess(self.config, names, timeout=180)}

    def answer_all(self, reply: Reply | bytes) -> None:
        for name in FAILING:
            self.failing.set(listing(name), reply)

    def asked_for(self) -> set[str]:
        """The sources whose listing the failing host was asked for since last time (robots.txt
        aside), and forget them."""
        asked = {path.split("/")[3] for _, path in self.failing.requests if path.startswith("/v1/boards/")}
        self.failing.requests.clear()
        return asked

    def breakers(self) -> dict[str, CircuitBreaker]:
        engine = make_engine(self.config.database)
        try:
            with session_factory(engine)() as session:
                return {row.key: row for row in session.scalars(select(CircuitBreaker))}
        finally:
            engine.dispose()

    def cool_down_passed(self) -> None:
        """As if the breaker's cool-down had run out: its stored time moved into the past."""
        engine = make_engine(self.config.database)
        try:
            with session_factory(engine).begin() as session:
                session.execute(update(CircuitBreaker).values(open_until=utcnow() - timedelta(seconds=1)))
        finally:
            engine.dispose()


@contextmanager
def serving_hosts(make_config: Callable[..., Config], tmp_path: Path, crawl: str = "") -> Iterator[Hosts]:
    """FAILING's sources on 127.0.0.2, "steady" on 127.0.0.3; `crawl`: the config's `crawl:`."""
    with ExitStack() as stack:
        failing = stack.enter_context(BoardServer("127.0.0.2"))
        healthy = stack.enter_context(BoardServer("127.0.0.3"))
        healthy.set(listing("steady"), board_json())
        sources = [
            *(
                f"  - {{name: {name}, type: greenhouse, board: {name}, api_base: '{failing.url}'}}"
                for name in FAILING
            ),
            f"  - {{name: steady, type: greenhouse, board: steady, api_base: '{healthy.url}'}}",
        ]
        tmp_path.mkdir(parents=True, exist_ok=True)
        database = f"sqlite:///{tmp_path / 'rolewatch.db'}"
        section = f"crawl: {crawl}\n" if crawl else ""
        config = make_config(f'database: "{database}"\n{section}sources:\n' + "\n".join(sources) + "\n")
        open_database(database).dispose()
        yield Hosts(config, failing, healthy)


@pytest.fixture
def hosts(make_config: Callable[..., Config], tmp_path: Path) -> Iterator[Hosts]:
    with serving_hosts(make_config, tmp_path) as served:
        yield served


def test_a_failing_host_is_left_alone_for_its_cool_down_then_probed_by_one_source(hosts: Hosts) -> None:
    hosts.answer_all(Reply(b"oops", 500, "text/plain"))
    first = hosts.crawl(FAILING[:3])
    assert {name: outcome.result["health"] for name, outcome in first.items()} == dict.fromkeys(
        FAILING[:3], "broken"
    )
    (breaker,) = hosts.breakers().values()
    assert breaker.key == "host:127.0.0.2" and breaker.health == CrawlHealth.BROKEN
    assert breaker.open_until is not None and breaker.open_until > utcnow() + timedelta(minutes=29)
    hosts.asked_for()

    # Open: a crawl of every source asks the failing host for nothing; the other host's source
    # is crawled as usual, and the skipped ones are no failures.
    hosts.answer_all(board_json())
    held = hosts.crawl([*FAILING, "steady"])
    assert hosts.asked_for() == set()
    assert [outcome.result["status"] for name, outcome in held.items() if name in FAILING] == ["skipped"] * 4
    assert all(held[name].ok for name in FAILING)
    assert held["steady"].result["status"] == "complete"
    assert "left alone until" in held["one"].result["problems"][0]
    assert held["one"].result["health"] == "broken"  # the host's, as its breaker last saw it
    # A skipped crawl is no crawl: "four", never crawled but skipped, is due at the next cycle.
    assert {source.name for source in due_sources(hosts.config)} == {"four"}

    # Cooled down: exactly one source probes; the host answers, so the breaker closes.
    hosts.cool_down_passed()
    probed = hosts.crawl(FAILING)
    (prober,) = hosts.asked_for()
    assert probed[prober].result["status"] == "complete"
    assert sorted(outcome.result["status"] for outcome in probed.values()) == ["complete", *["skipped"] * 3]
    assert hosts.breakers() == {}

    # Closed again: every source is crawled.
    again = hosts.crawl(FAILING)
    assert hosts.asked_for() == set(FAILING)
    assert all(outcome.result["status"] == "complete" for outcome in again.values())


def test_a_probe_the_host_still_fails_opens_the_breaker_again(hosts: Hosts) -> None:
    hosts.answer_all(Reply(b"forbidden", 403, "text/plain"))
    hosts.crawl(FAILING[:3])
    hosts.cool_down_passed()
    hosts.asked_for()

    probed = hosts.crawl(FAILING)
    assert len(hosts.asked_for()) == 1
    (breaker,) = hosts.breakers().values()
    assert breaker.health == CrawlHealth.BLOCKED
    assert breaker.open_until is not None and breaker.open_until > utcnow() + timedelta(minutes=29)
    assert sorted(outcome.result["health"] for outcome in probed.values()) == ["blocked"] * 4

    hosts.crawl(FAILING)
    assert hosts.asked_for() == set()


def test_failures_below_the_threshold_open_nothing_and_an_unknown_board_forgets_them(hosts: Hosts) -> None:
    hosts.answer_all(Reply(b"oops", 500, "text/plain"))
    hosts.crawl(["one", "two"])
    (breaker,) = hosts.breakers().values()
    assert len(breaker.failures) == 2 and breaker.open_until is None

    hosts.answer_all(Reply(b"no such board", 404, "text/plain"))
    hosts.asked_for()
    gone = hosts.crawl(["three"])
    assert gone["three"].result["health"] == "gone"
    assert hosts.breakers() == {}  # the host answered: its failures are forgotten

    hosts.answer_all(Reply(b"oops", 500, "text/plain"))
    hosts.crawl(["one", "two"])
    assert hosts.asked_for() == {"three", "one", "two"}  # two failures again: still closed


def test_the_breaker_follows_its_config(make_config: Callable[..., Config], tmp_path: Path) -> None:
    crawl = "{breaker: {failures: 1, within: 1m, open_for: 2h}}"
    with serving_hosts(make_config, tmp_path / "one", crawl) as hosts:
        hosts.answer_all(Reply(b"oops", 500, "text/plain"))
        hosts.crawl(["one"])
        (breaker,) = hosts.breakers().values()
        assert breaker.open_until is not None and breaker.open_until > utcnow() + timedelta(minutes=119)
        hosts.asked_for()
        assert hosts.crawl(["two"])["two"].result["status"] == "skipped"
        assert hosts.asked_for() == set()

    with serving_hosts(make_config, tmp_path / "off", "{breaker: {enabled: false}}") as hosts:
        hosts.answer_all(Reply(b"oops", 500, "text/plain"))
        hosts.crawl(FAILING)
        assert hosts.breakers() == {}
        hosts.asked_for()
        hosts.crawl(FAILING)
        assert hosts.asked_for() == set(FAILING)


NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
POLICY = BreakerPolicy(failures=3, within=timedelta(minutes=10), open_for=timedelta(minutes=30))


def test_only_failures_within_the_window_count() -> None:
    state = BreakerState("host:a")
    for minutes in (0, 9, 18):  # never three within ten minutes
        state = after_crawl(state, "s", CrawlHealth.BROKEN, NOW + timedelta(minutes=minutes), POLICY)
    assert state.open_until is None and len(state.failures) == 2
    third = NOW + timedelta(minutes=18, seconds=30)  # 9, 18 and this: within ten minutes
    state = after_crawl(state, "s", CrawlHealth.BROKEN, third, POLICY)
    assert state.open_until == third + timedelta(minutes=30)


def test_a_probe_that_never_reports_gives_way_after_a_cool_down() -> None:
    state = BreakerState("host:a", health=CrawlHealth.BROKEN, open_until=NOW)
    taken, state = admission(state, "first", NOW, POLICY)
    assert taken is Admission.PROBE and state.probe == "first"
    assert admission(state, "second", NOW + timedelta(minutes=29), POLICY)[0] is Admission.SKIP
    assert admission(state, "second", NOW + timedelta(minutes=31), POLICY)[0] is Admission.PROBE
    # A crawl begun before the breaker opened, answered, does not close it: only the probe does.
    assert after_crawl(state, "other", None, NOW, POLICY) == state
    assert after_crawl(state, "first", None, NOW, POLICY).idle
