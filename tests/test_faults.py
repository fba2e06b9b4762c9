"""Nothing lost, nothing sent twice: `rolewatch run` SIGKILLed at many points of its cycle.

A board and a real SMTP server (aiosmtpd) are served locally; `rolewatch run` is started again
and again and killed — at 20 instants drawn with a fixed seed, and at three named points: while
the board is being fetched, in the middle of the SMTP conversation, and after the server
accepted a digest but before rolewatch could record it. Then it runs to the end. The events
stored must equal those of a run never killed, every matched event must have been delivered,
and a digest may arrive twice only in the one case SMTP cannot rule out — and then with the
same Message-ID and the same postings.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from pipeline.db import open_database, session_factory
from pipeline.models import Digest, Event, OutboxItem, Posting
from rolewatch.boardserver import BoardServer, Incoming, Reply
from rolewatch.demo_boards import board_after, board_before
from tests.conftest import SmtpSink, free_port

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parent.parent
SEED = 1202
RANDOM_KILLS = 20
BOARD_PATH = "/v1/boards/stripe/jobs"
# A digest a killed run was sending is retried once this lease has passed (10 minutes in use).
SEND_LEASE_SECONDS = 2


class Victim:
    """The `rolewatch run` now running, so a server handler can kill it at its named point."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.kill_at: str | None = None  # the named point armed for the next run
        self.killed: list[str] = []

        self.kill_times: list[float] = []  # monotonic, every kill

    def hit(self, point: str) -> None:
        if self.kill_at == point and self.process is not None and self.process.poll() is None:
            self.kill_at = None
            self.killed.append(point)
            self.kill()

    def kill(self) -> None:
        assert self.process is not None
        self.kill_times.append(time.monotonic())
        os.killpg(self.process.pid, signal.SIGKILL)


class KillingSink(SmtpSink):
    """Records what it accepts; slow enough that a kill can land mid-conversation."""

    def __init__(self, victim: Victim) -> None:
        super().__init__()
        self.victim = victim

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.victim.hit("during the SMTP conversation")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accepts, then answers 250 a little later: `envelope.window` is (accepted, answered),
        monotonic — a kill inside it leaves rolewatch not knowing its message arrived."""
        self.envelopes.append(envelope)  # accepted: from here on it counts as delivered
        accepted = time.monotonic()
        self.victim.hit("after the server accepted, before it was recorded")
        time.sleep(0.2)
        envelope.window = (accepted, time.monotonic())
        return "250 Message accepted for delivery"


def write_config(folder: Path, board_url: str, smtp_port: int) -> Path:
    path = folder / "rolewatch.yaml"
    path.write_text(
        f'database: "sqlite:///{folder / "rolewatch.db"}"\n'
        "mail:\n  transport: smtp\n  from: rolewatch@example.com\n"
        f"  smtp: {{host: 127.0.0.1, port: {smtp_port}, starttls: false, timeout: 10}}\n"
        f"sources: [{{name: stripe, type: greenhouse, board: stripe, api_base: '{board_url}', "
        "schedule: {every: 1s}}]\n"
        "watches: [{name: infra, extends: infrastructure}]\n"
        "recipients: [{email: me@example.com, watches: [infra], backfill: full}]\n"
    )
    return path


def run_once(config: Path, victim: Victim, kill_after: float | None = None) -> int | None:
    """One `rolewatch run`, killed after `kill_after` seconds (None: to its end). Its exit code,
    or None when it was killed."""
    victim.process = subprocess.Popen(
        [sys.executable, "-m", "rolewatch", "run", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "ROLEWATCH_SEND_LEASE": str(SEND_LEASE_SECONDS)},
    )
    try:
        code = victim.process.wait(timeout=kill_after if kill_after is not None else 300)
        return code
    except subprocess.TimeoutExpired:
        victim.kill()
        victim.process.wait()
        return None
    finally:
        _wait_group_gone(victim.process.pid)


def _wait_group_gone(group: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def events(folder: Path) -> list[tuple[str, str]]:
    engine = open_database(f"sqlite:///{folder / 'rolewatch.db'}")
    with session_factory(engine)() as session:
        rows = session.execute(select(Event.type, Posting.external_id).join(Posting)).all()
    engine.dispose()
    return sorted((kind, external_id) for kind, external_id in rows)


def delivered_jobs(message: Any) -> set[str]:
    text = message.get_body(("plain",)).get_content()
    return set(re.findall(r"gh_jid=(\d+)", text))


def phase(
    config: Path, board: BoardServer, body: dict[str, Any], victim: Victim, kills: list[Callable[[], None]]
) -> None:
    """Serve `body`, run each kill (each runs rolewatch once, killed somewhere), then run to
    the end twice, once the send lease of a digest a killed run held has passed."""
    board.set(BOARD_PATH, Reply(json.dumps(body).encode(), delay=0.3))
    for kill in kills:
        kill()
    time.sleep(SEND_LEASE_SECONDS + 0.5)
    for _ in range(2):
        assert run_once(config, victim) == 0


def test_sigkill_at_many_points_loses_no_event_and_sends_nothing_twice(tmp_path: Path) -> None:
    chooser = random.Random(SEED)
    victim = Victim()
    sink = KillingSink(victim)
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with BoardServer() as board:

            def board_reply(request: Incoming) -> Reply:
                victim.hit("while the board is fetched")
                return board.routes[BOARD_PATH]

            board.handle(BOARD_PATH, board_reply)
            # The reference: the same two phases, never killed.
            reference = tmp_path / "reference"
            reference.mkdir()
            config = write_config(reference, board.url, smtp.port)
            phase(config, board, board_before(), victim, [])
            phase(config, board, board_after(), victim, [])
            expected = events(reference)
            reference_mails = len(sink.envelopes)
            sink.envelopes.clear()

            killed = tmp_path / "killed"
            killed.mkdir()
            config = write_config(killed, board.url, smtp.port)

            def at(seconds: float) -> Callable[[], None]:
                return lambda: run_once(config, victim, kill_after=seconds)

            def named(point: str) -> Callable[[], None]:
                def kill() -> None:
                    victim.kill_at = point
                    run_once(config, victim)
                    victim.kill_at = None

                return kill

            instants = [chooser.uniform(0.2, 5.0) for _ in range(RANDOM_KILLS)]
            half = RANDOM_KILLS // 2
            phase(
                config,
                board,
                board_before(),
                victim,
                [named("while the board is fetched"), *map(at, instants[:half])],
            )
            # The first run on the changed board crawls and then sends: both named SMTP points
            # come first, while a digest is waiting.
            phase(
                config,
                board,
                board_after(),
                victim,
                [
                    named("during the SMTP conversation"),
                    lambda: time.sleep(SEND_LEASE_SECONDS + 0.5),
                    named("after the server accepted, before it was recorded"),
                    lambda: time.sleep(SEND_LEASE_SECONDS + 0.5),
                    *map(at, instants[half:]),
                ],
            )
    finally:
        smtp.stop()

    assert reference_mails >= 2
    # The named kills landed where they were meant to.
    assert sorted(victim.killed) == sorted(
        [
            "while the board is fetched",
            "during the SMTP conversation",
            "after the server accepted, before it was recorded",
        ]
    )
    assert events(killed) == expected, "the events differ from a run never killed"

    engine = open_database(f"sqlite:///{killed / 'rolewatch.db'}")
    with session_factory(engine)() as session:
        pending = session.scalars(select(OutboxItem.id).where(OutboxItem.status != "sent")).all()
        unsent = session.scalars(select(Digest.message_id).where(Digest.status != "sent")).all()
        items: dict[str, set[str]] = {}
        for message_id, external_id in session.execute(
            select(Digest.message_id, Posting.external_id)
            .join(OutboxItem, OutboxItem.digest_id == Digest.id)
            .join(Event, Event.id == OutboxItem.event_id)
            .join(Posting, Posting.id == Event.posting_id)
        ):
            items.setdefault(message_id, set()).add(external_id)
    engine.dispose()
    assert pending == [] and unsent == [], "matched events were not delivered"

    by_id: dict[str, list[tuple[set[str], tuple[float, float]]]] = {}
    for envelope, message in zip(sink.envelopes, sink.messages, strict=True):
        by_id.setdefault(message["Message-ID"], []).append((delivered_jobs(message), envelope.window))
    # Every digest recorded sent arrived, with exactly its items, and nothing else arrived.
    assert {mid: copies[0][0] for mid, copies in by_id.items()} == items
    repeated = {mid: copies for mid, copies in by_id.items() if len(copies) > 1}
    # A digest arrived twice only when rolewatch was killed after the server accepted it and
    # before it could record that (at least the named kill does so) — and then as itself.
    assert repeated
    for copies in repeated.values():
        assert all(jobs == copies[0][0] for jobs, _ in copies)
        for _, (accepted, answered) in copies[:-1]:
            assert any(accepted <= kill <= answered + 1.0 for kill in victim.kill_times), (
                "a digest was sent again though its first delivery was not cut short"
            )
    print(
        f"\nkill points: {RANDOM_KILLS} at random instants + 3 named, {len(victim.kill_times)} of them "
        f"mid-run; events: {len(expected)}, "
        f"lost 0; digests: {len(by_id)}, delivered twice: {len(repeated)} (same Message-ID)"
    )
