"""The SMTP server slow past the timeout, dropping the connection mid-DATA, or refusing for good:
what was waiting survives and goes out once, with its Message-ID, when the server is back; a
permanent refusal is shown whole by `rolewatch status`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifier.digest import send_digests
from notifier.transports import SmtpTransport
from pipeline.models import Digest, OutboxItem, utcnow
from rolewatch.cli import main
from rolewatch.demo_boards import board_before
from tests.conftest import SmtpSink
from tests.test_digest import RefusingSink, config_for, crawl

pytestmark = pytest.mark.faults


class SlowSink(SmtpSink):
    """Answers DATA only after `seconds`: past the client's timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.seconds)
        return "250 too late"


class DroppingSink(SmtpSink):
    """Hangs up in the middle of the DATA phase, without an answer."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        server.transport.close()
        return "250 never heard"


@pytest.mark.parametrize(
    ("fault", "said"),
    [(lambda: SlowSink(8), "timed out"), (DroppingSink, "Connection unexpectedly closed")],
    ids=["slow", "drops mid-DATA"],
)
def test_a_failed_conversation_keeps_the_digest_and_sends_it_once_when_the_server_is_back(
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
    fault: Callable[[], SmtpSink],
    said: str,
) -> None:
    failing, _ = smtp_factory(fault())
    config = config_for(database_url, failing.port, extra_smtp="")  # its timeout is 5 s
    crawl(sessions, config, board_before())

    (report,) = send_digests(sessions, config, SmtpTransport(config.mail)).reports
    assert report.status == "retry" and said in (report.error or ""), report.error
    with sessions() as session:
        digest = session.scalars(select(Digest)).one()
        assert {item.status for item in session.scalars(select(OutboxItem))} == {"claimed"}

    healthy, sink = smtp_factory()
    config = config_for(database_url, healthy.port)
    later = utcnow() + timedelta(minutes=2)
    (retried,) = send_digests(sessions, config, SmtpTransport(config.mail), now=later).reports
    assert retried.status == "sent"
    (message,) = sink.messages
    assert message["Message-ID"] == digest.message_id
    assert (
        send_digests(sessions, config, SmtpTransport(config.mail), now=later + timedelta(days=1)).reports
        == []
    )
    with sessions() as session:
        assert {item.status for item in session.scalars(select(OutboxItem))} == {"sent"}


def test_a_permanent_refusal_is_shown_whole_by_status(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
) -> None:
    reason = "554 5.7.1 Message rejected: the sending domain is on our block list until reviewed"
    refusing, _ = smtp_factory(RefusingSink(reason))
    config = config_for(database_url, refusing.port)
    crawl(sessions, config, board_before())
    (report,) = send_digests(sessions, config, SmtpTransport(config.mail)).reports
    assert report.status == "failed"

    path = tmp_path / "rolewatch.yaml"
    path.write_text(
        f'database: "{database_url}"\n'
        "sources: [{name: stripe, type: greenhouse, board: stripe}]\n"
        "watches: [{name: w}]\n"
        "recipients: [{email: me@example.com, watches: [w]}]\n"
    )
    shown = CliRunner().invoke(main, ["status", "--config", str(path)])
    assert shown.exit_code == 0, shown.output
    (line,) = [line for line in shown.output.splitlines() if line.startswith("me@example.com")]
    assert " failed " in line and line.endswith(f"refused the message: {reason}")
