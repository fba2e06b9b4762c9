"""Nothing read from the queue runs code: forged pickles in the request queue, a run's state, its
staged postings and its outcome are refused and recorded, and the fleet goes on crawling."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from config.loader import load_config
from crawler.fleet import QUEUE_KEY, RUNS_KEY, Fleet, outcome_key, raws_key, state_key
from crawler.sealing import MessageKind, QueueKeyMissing, RefusedMessage, Seal
from pipeline.db import open_database
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import board_before
from tests.conftest import QUEUE_KEY as TEST_KEY
from tests.conftest import stored_postings
from tests.test_fleet import QUEUE, queue_status, rolewatch, schemas, start_worker, wait_for_workers

__all__ = ["schemas"]  # the PostgreSQL fixture, shared with the fleet's other tests

FORGED_RUN = 424242


class CreatesFileWhenUnpickled:
    """What an attacker writes to Redis: unpickling it opens (creates) a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def test_a_seal_opens_only_with_its_key_and_kind() -> None:
    seal = Seal(b"k" * 32)
    sealed = seal.close(MessageKind.OUTCOME, {"status": "complete"})
    assert seal.open(MessageKind.OUTCOME, sealed) == {"status": "complete"}
    for refused in (
        lambda: Seal(b"other" * 8).open(MessageKind.OUTCOME, sealed),  # another fleet's key
        lambda: seal.open(MessageKind.STATE, sealed),  # an outcome passed off as a state
        lambda: seal.open(MessageKind.OUTCOME, sealed[:-1] + b"x"),  # altered body
        lambda: seal.open(MessageKind.OUTCOME, pickle.dumps({"status": "complete"})),  # bare pickle
        lambda: seal.open(MessageKind.OUTCOME, b""),
    ):
        with pytest.raises(RefusedMessage):
            refused()


def test_a_fleet_without_a_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLEWATCH_QUEUE_KEY", "short")
    with pytest.raises(QueueKeyMissing, match="shorter than 16"):
        Fleet(QUEUE)
    monkeypatch.delenv("ROLEWATCH_QUEUE_KEY")
    with pytest.raises(QueueKeyMissing, match="is not set"):
        Fleet(QUEUE)


def test_forged_staged_postings_and_outcomes_are_refused_and_recorded(tmp_path: Path) -> None:
    queue = redis.Redis.from_url(QUEUE)
    queue.flushdb()
    marker = tmp_path / "ran"
    forged = pickle.dumps(CreatesFileWhenUnpickled(marker))
    fleet = Fleet(QUEUE)
    try:
        queue.hset(raws_key(7), "job-1", forged)
        queue.set(outcome_key(7), forged)
        assert fleet.raws(7) == ([], 1)
        assert fleet.outcomes([7]) == {7: {"error": "its outcome in the queue was refused: bad seal"}}
        assert not marker.exists()
        view = fleet.view()
        assert view.refused == 2
        assert {entry["where"] for entry in view.last_refused} == {raws_key(7), outcome_key(7)}
    finally:
        queue.flushdb()


def test_forged_messages_run_no_code_in_workers_or_status_and_the_fleet_goes_on(
    tmp_path: Path, schemas: list[str]
) -> None:
    queue = redis.Redis.from_url(QUEUE)
    queue.flushdb()
    marker = tmp_path / "ran"
    forged = pickle.dumps(CreatesFileWhenUnpickled(marker))
    # Sealed, but with a key this fleet does not hold.
    foreign = Seal(b"another-fleet-0123456789").close(MessageKind.REQUEST, {"url": "http://127.0.0.1:9/"})
    jobs = board_before()["jobs"]
    with BoardServer() as server:
        server.set("/v1/boards/acme/jobs", Reply(json.dumps({"jobs": jobs}).encode()))
        config_path = tmp_path / "fleet.yaml"
        config_path.write_text(
            f'database: "{schemas[0]}"\nqueue: {QUEUE}\n'
            "mail: {transport: maildir, maildir: " + str(tmp_path / "mail") + "}\n"
            f"sources: [{{name: acme, type: greenhouse, board: acme, api_base: '{server.url}'}}]\n"
            "watches: [{name: infra, extends: infrastructure}]\n"
            "recipients: [{email: ops@example.com, watches: [infra]}]\n"
        )
        open_database(schemas[0]).dispose()
        # Forged at the head of the request queue, as a source's state (overdue, so a worker
        # claims it), and a request sealed with another key.
        queue.zadd(QUEUE_KEY, {forged: -10_000, foreign: -10_000})
        queue.set(state_key(FORGED_RUN), forged)
        queue.zadd(RUNS_KEY, {str(FORGED_RUN): time.time() - 1})

        shown = queue_status(config_path)  # `status` reads every source in flight
        assert not marker.exists()
        assert shown["sources"] == [] and shown["refused"] >= 1

        worker = start_worker(config_path, tmp_path / "worker.log")
        try:
            wait_for_workers(queue, [worker], tmp_path)
            crawled = rolewatch("crawl", "--json", "--config", str(config_path), timeout=120)
            assert crawled.returncode == 0, crawled.stderr[-3000:]
            assert json.loads(crawled.stdout.splitlines()[-1])["status"] == "complete"
            deadline = time.monotonic() + 30  # the worker's next tick ends the forged run
            while queue.exists(state_key(FORGED_RUN)) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
        finally:
            worker.terminate()
            worker.wait(timeout=60)

        assert not marker.exists()
        assert len(stored_postings(schemas[0])) == len(jobs)
        assert not queue.exists(state_key(FORGED_RUN))
        assert queue.zcard(QUEUE_KEY) == 0  # the forged requests were taken and dropped
        assert Seal(TEST_KEY.encode()).open(MessageKind.OUTCOME, queue.get(outcome_key(FORGED_RUN))) == {
            "error": "its crawl state in the queue was refused: bad seal"
        }
        reasons = {entry["reason"] for entry in queue_status(config_path)["last_refused"]}
        assert reasons == {
            "a request message without a seal",
            "a request message whose seal does not match the queue's key",
            "a state message without a seal",
        }
    queue.flushdb()


def test_check_says_when_a_queue_has_no_key(tmp_path: Path) -> None:
    config_path = tmp_path / "fleet.yaml"
    config_path.write_text(
        f"queue: {QUEUE}\nsources: [{{name: acme, type: greenhouse, board: acme}}]\n"
        "watches: [{name: infra, extends: infrastructure}]\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "ROLEWATCH_QUEUE_KEY"}
    checked = subprocess.run(
        [sys.executable, "-m", "rolewatch", "check", "--config", str(config_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert checked.returncode == 1
    assert checked.stderr.startswith("error: ROLEWATCH_QUEUE_KEY is not set: the scheduler and every worker")
    assert "Traceback" not in checked.stderr
    assert load_config(config_path).queue == QUEUE
