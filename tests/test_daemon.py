"""Running unattended, with real processes: the daemon across a restart, overlapping cron runs,
and a hanging board cut at its timeout while the other sources are still crawled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from config.loader import load_config
from pipeline.db import open_database, session_factory
from pipeline.models import CrawlRun, Digest, OutboxItem, Posting, Source
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import board_after, board_before
from tests.conftest import SmtpSink, crawl_source

ROOT = Path(__file__).resolve().parent.parent
BOARD_PATH = "/v1/boards/stripe/jobs"
DEADLINE = 90.0  # seconds; generous for a loaded machine, every wait returns as soon as it can
SEED_TITLE = "Backend Engineer, Core Technology"


def wait_until(condition: Callable[[], bool], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.2)


def rolewatch(*args: str, log: Path | None = None, **env: str) -> subprocess.Popen[str]:
    output = log.open("a") if log else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "rolewatch", *args],
        cwd=ROOT,
        stdout=output,
        stderr=output,
        text=True,
        env={**os.environ, **env},
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; whatever is still running at the end is killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def write_config(tmp_path: Path, sources: str, extra: str = "") -> Path:
    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f"database: sqlite:///{tmp_path / 'rolewatch.db'}\n"
        f"mail: {{transport: maildir, maildir: {tmp_path / 'mail'}}}\n"
        f"sources:\n{sources}{extra}"
    )
    return path


def greenhouse(name: str, api_base: str, schedule: str = "{every: 2h}", timeout: str = "15m") -> str:
    return (
        f"  - name: {name}\n    type: greenhouse\n    board: {name}\n    api_base: {api_base}\n"
        f"    schedule: {schedule}\n    timeout: {timeout}\n"
    )


def query(tmp_path: Path, build: Callable[[Any], Any]) -> Any:
    engine = open_database(f"sqlite:///{tmp_path / 'rolewatch.db'}")
    try:
        with session_factory(engine)() as session:
            return build(session)
    finally:
        engine.dispose()


def crawl_runs(tmp_path: Path) -> list[tuple[str, str, str | None]]:
    if not (tmp_path / "rolewatch.db").exists():
        return []
    return query(
        tmp_path,
        lambda s: [
            tuple(row)
            for row in s.execute(
                select(Source.name, CrawlRun.status, CrawlRun.problems).join(Source).order_by(CrawlRun.id)
            )
        ],
    )


def stop(process: subprocess.Popen[str], log: Path) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"daemon did not stop on SIGTERM\n{log.read_text()[-3000:]}") from None


def plain(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def test_daemon_crawls_and_mails_then_resumes_after_a_restart_without_repeating_a_digest(
    tmp_path: Path,
    smtp_server: tuple[Controller, SmtpSink],
    processes: list[subprocess.Popen[str]],
) -> None:
    controller, sink = smtp_server
    log = tmp_path / "daemon.log"
    with BoardServer() as board:
        board.set(BOARD_PATH, json.dumps(board_before()))
        config = write_config(
            tmp_path,
            # Closing at the first crawl that misses a posting puts the whole change into one
            # digest: with the default (two crawls), a third digest could race the stop.
            greenhouse("stripe", board.url, schedule="{every: 2s}") + "    close_after_missing: 1\n",
            "watches:\n  - name: infra\n    extends: infrastructure\n"
            "recipients:\n  - email: me@example.com\n    watches: [infra]\n    digest: {immediate: true}\n",
        )
        text = config.read_text().replace(
            "mail: {transport: maildir",
            f"mail: {{transport: smtp, smtp: {{host: 127.0.0.1, port: {controller.port}, starttls: false}}",
        )
        config.write_text(text)

        first = rolewatch("-v", "daemon", "--config", str(config), log=log)
        processes.append(first)
        wait_until(lambda: len(sink.envelopes) == 1, "the first digest", log)
        assert stop(first, log) == 0

        board.set(BOARD_PATH, json.dumps(board_after()))
        second = rolewatch("-v", "daemon", "--config", str(config), log=log)
        processes.append(second)
        wait_until(lambda: len(sink.envelopes) >= 2, "the second digest", log)
        assert stop(second, log) == 0

    output = log.read_text()
    assert "Traceback" not in output
    assert "crawl stripe complete: seen=267 new=267" in output
    assert "digest sent to me@example.com" in output
    new, change = sink.messages
    assert len(sink.messages) == 2
    assert f"[NEW] {SEED_TITLE}" in plain(new)
    assert f"[CHANGED] {SEED_TITLE}" in plain(change)
    assert "Salary: $155,700 – $285,600 per year -> $165,000 – $295,000 per year" in plain(change)
    assert "[CLOSED] Infrastructure Engineer, Privy" in plain(change)

    items = query(tmp_path, lambda s: s.execute(select(OutboxItem.event_id, OutboxItem.status)).all())
    assert items and {status for _, status in items} == {"sent"}
    assert len({event for event, _ in items}) == len(items)  # no event went out twice
    digests = query(tmp_path, lambda s: s.scalars(select(Digest.status)).all())
    assert digests == ["sent", "sent"]
    runs = crawl_runs(tmp_path)
    assert runs and all(status != "running" for _, status, _ in runs)


def test_overlapping_runs_crawl_once_and_the_second_says_a_run_is_in_progress(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    with BoardServer() as board:
        board.set(BOARD_PATH, Reply(json.dumps(board_before()).encode(), delay=6))
        config = write_config(tmp_path, greenhouse("stripe", board.url))
        runs = [rolewatch("run", "--config", str(config)) for _ in range(2)]
        processes.extend(runs)
        outputs = [run.communicate(timeout=DEADLINE) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    busy = [err for _, err in outputs if "another rolewatch run is in progress" in err]
    assert len(busy) == 1, outputs
    assert [name for name, _, _ in crawl_runs(tmp_path)] == ["stripe"]


def test_run_with_wait_waits_for_the_run_in_progress_then_finds_nothing_due(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    with BoardServer() as board:
        board.set(BOARD_PATH, Reply(json.dumps(board_before()).encode(), delay=3))
        config = write_config(tmp_path, greenhouse("stripe", board.url))
        first = rolewatch("run", "--config", str(config))
        processes.append(first)
        wait_until(lambda: any(path.startswith(BOARD_PATH) for _, path in board.requests), "the first crawl")
        second = rolewatch("run", "--wait", "120", "--config", str(config))
        processes.append(second)
        first_out, first_err = first.communicate(timeout=DEADLINE)
        second_out, second_err = second.communicate(timeout=DEADLINE)

    assert (first.returncode, second.returncode) == (0, 0), (first_err, second_err)
    assert "stripe: complete" in first_out
    assert "in progress" not in second_err and "stripe" not in second_out  # waited; nothing was due
    assert len(crawl_runs(tmp_path)) == 1


def test_a_hanging_board_is_cut_at_its_timeout_and_the_next_source_is_still_crawled(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    # The crawl's own time budget cuts the hanging download (the kill after the grace period is
    # the next test's subject).
    with BoardServer() as board:
        board.set("/v1/boards/stuck/jobs", Reply(b'{"jobs": []}', delay=60))
        board.set(BOARD_PATH, json.dumps(board_before()))
        config = write_config(
            tmp_path, greenhouse("stuck", board.url, timeout="3s") + greenhouse("stripe", board.url)
        )
        run = rolewatch("run", "--json", "--config", str(config), ROLEWATCH_CRAWL_KILL_GRACE="60")
        processes.append(run)
        out, err = run.communicate(timeout=DEADLINE)

    assert run.returncode == 1, err  # a source failed; the run says so
    results = {line["source"]: line for line in map(json.loads, out.splitlines()) if "source" in line}
    assert results["stuck"]["status"] == "incomplete"
    assert results["stuck"]["problems"] == ["crawl ended early: its time budget (3s) ran out"]
    assert results["stripe"]["status"] == "complete" and results["stripe"]["new"] == 267
    runs = crawl_runs(tmp_path)
    assert [(name, status) for name, status, _ in runs] == [("stuck", "incomplete"), ("stripe", "complete")]
    stored = query(tmp_path, lambda s: s.scalar(select(func.count()).select_from(Posting)))
    assert stored == 267


def test_a_crawl_that_outlives_its_budget_is_killed_and_recorded_failed(tmp_path: Path) -> None:
    # The parent's hard limit (here 8s) comes long before the crawl's own budget (60s), as when
    # a crawl hangs somewhere its own timeouts cannot reach.
    with BoardServer() as board:
        board.set("/v1/boards/stuck/jobs", Reply(b'{"jobs": []}', delay=120))
        config = load_config(write_config(tmp_path, greenhouse("stuck", board.url, timeout="60s")))
        open_database(config.database).dispose()
        started = time.monotonic()
        outcome = crawl_source(config, "stuck", timeout=8)

    assert time.monotonic() - started < 30, "killed at the limit, not at the crawl's own budget"
    assert (outcome.ok, outcome.error) == (False, "crawl timed out after 8s")
    assert crawl_runs(tmp_path) == [("stuck", "failed", "crawl timed out after 8s")]


def test_sighup_keeps_the_old_config_when_the_new_one_is_invalid_and_applies_a_valid_one(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    log = tmp_path / "daemon.log"
    with BoardServer() as board:
        board.set(BOARD_PATH, json.dumps(board_before()))
        board.set("/v1/boards/first/jobs", json.dumps({"jobs": []}))
        first = greenhouse("first", board.url)
        config = write_config(tmp_path, first)
        daemon = rolewatch("-v", "daemon", "--config", str(config), log=log)
        processes.append(daemon)
        wait_until(lambda: "daemon started: 1 sources" in log.read_text(), "the daemon to start", log)
        wait_until(lambda: len(crawl_runs(tmp_path)) == 1, "the first source to be crawled", log)

        valid = write_config(tmp_path, first + greenhouse("stripe", board.url)).read_text()
        config.write_text(valid.replace("    board: stripe\n", "    board: stripe\n    typo: 1\n"))
        daemon.send_signal(signal.SIGHUP)
        wait_until(lambda: "config not reloaded" in log.read_text(), "the reload to be refused", log)
        assert f"{config}:" in log.read_text() and "sources[1].typo: unknown setting" in log.read_text()
        assert daemon.poll() is None and [name for name, _, _ in crawl_runs(tmp_path)] == ["first"]

        config.write_text(valid)
        daemon.send_signal(signal.SIGHUP)
        wait_until(lambda: ("stripe", "complete") in [(n, s) for n, s, _ in crawl_runs(tmp_path)],
                   "the added source to be crawled", log)  # fmt: skip
        assert stop(daemon, log) == 0
    assert "config reloaded" in log.read_text()


def test_a_run_left_running_by_a_killed_daemon_is_settled_when_rolewatch_starts_again(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    from pipeline.recovery import settle_interrupted_crawls

    with BoardServer() as server:
        # The board answers slowly: the daemon is killed mid-crawl.
        server.set(BOARD_PATH, Reply(json.dumps(board_before()).encode(), delay=60))
        config = write_config(tmp_path, greenhouse("stripe", server.url, schedule="{every: 1h}"))
        log = tmp_path / "daemon.log"
        daemon = subprocess.Popen(
            [sys.executable, "-m", "rolewatch", "daemon", "--config", str(config)],
            cwd=ROOT,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its crawl process
        )
        processes.append(daemon)  # type: ignore[arg-type]
        wait_until(lambda: crawl_runs(tmp_path) == [("stripe", "running", None)], "the crawl to start", log)
        wait_until(lambda: len(server.received) == 1, "the board to be asked", log)
        # Its process is alive: nothing to settle.
        assert settle_interrupted_crawls(f"sqlite:///{tmp_path / 'rolewatch.db'}") == []

        # The daemon and its crawl process (which runs in a process group of its own) both
        # SIGKILLed, as an OOM kill or a power cut would leave them.
        crawler = int(query(tmp_path, lambda s: s.scalar(select(CrawlRun.owner))).rpartition(":")[2])
        os.killpg(daemon.pid, signal.SIGKILL)
        os.killpg(crawler, signal.SIGKILL)
        daemon.wait(timeout=30)
        wait_until(lambda: not _group_alive(crawler), "the crawl process to die", log)
        assert crawl_runs(tmp_path) == [("stripe", "running", None)]

        # The source is not due again for an hour, so only the start-up settles its run.
        cron = subprocess.run(
            [sys.executable, "-m", "rolewatch", "run", "--config", str(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
        assert cron.returncode == 0, cron.stderr
        ((name, status, problems),) = crawl_runs(tmp_path)
        assert (name, status) == ("stripe", "failed")
        assert problems is not None and problems.startswith("crawl interrupted: the process crawling it (")
        assert len(server.received) == 1


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
