"""The SMTP server slow past the timeout, dropping the connection mid-DATA, or refusing for good:
what was waiting survives and goes out once, with its Message-ID, when the server is back; a
permanent refusal is shown whole by `rolewatch status`. A digest that cannot be built, or whose
run dies each time, is failed after a few attempts, and the digests after it go out."""

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

from notifier.digest import MAX_FAULTS, SEND_LEASE, send_digests
from notifier.transports import SmtpTransport
from pipeline.models import Digest, Event, OutboxItem, utcnow
from rolewatch.cli import main
from rolewatch.demo_boards import board_after, board_before
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


def _status_line(tmp_path: Path, database_url: str) -> str:
    path = tmp_path / "status.yaml"
    path.write_text(
        f'database: "{database_url}"\n'
        "sources: [{name: stripe, type: greenhouse, board: stripe}]\n"
        "watches: [{name: w}]\n"
        "recipients: [{email: me@example.com, watches: [w]}]\n"
    )
    shown = CliRunner().invoke(main, ["status", "--config", str(path)])
    assert shown.exit_code == 0, shown.output
    (line,) = [line for line in shown.output.splitlines() if line.startswith("me@example.com")]
    return line


def _states(sessions: sessionmaker[Session]) -> tuple[list[str], dict[str, str]]:
    """Each digest's status, and each outbox item's status by its event's type."""
    with sessions() as session:
        digests = [str(status) for status in session.scalars(select(Digest.status).order_by(Digest.id))]
        items = session.execute(
            select(Event.type, OutboxItem.status).join(Event, OutboxItem.event_id == Event.id)
        ).all()
    return digests, {str(kind): str(status) for kind, status in items}


def test_a_digest_that_cannot_be_built_is_failed_after_a_few_tries_and_the_next_one_goes_out(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
) -> None:
    controller, sink = smtp_factory()
    config = config_for(database_url, controller.port)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "digest.txt.j2").write_text("{{ view.no_such_field }}\n")
    broken = config.model_copy(update={"mail": config.mail.model_copy(update={"templates": str(templates)})})
    crawl(sessions, broken, board_before())

    now, said = utcnow(), []
    for _ in range(MAX_FAULTS + 2):  # each past the longest backoff
        said += [
            (r.status, r.error)
            for r in send_digests(sessions, broken, SmtpTransport(broken.mail), now=now).reports
        ]
        now += timedelta(hours=3)

    assert [status for status, _ in said] == ["retry"] * (MAX_FAULTS - 1) + ["failed"]
    reason = said[-1][1] or ""
    assert reason.startswith(f"given up after {MAX_FAULTS} attempts: UndefinedError:"), reason
    assert _states(sessions) == (["failed"], {"new": "failed"})
    line = _status_line(tmp_path, database_url)
    assert " failed " in line and line.endswith(reason)
    assert sink.envelopes == []

    crawl(sessions, config, board_after())  # the seed's pay changes; the templates are mended
    (report,) = send_digests(sessions, config, SmtpTransport(config.mail), now=now).reports
    assert (report.status, report.items) == ("sent", 1)
    assert _states(sessions) == (["failed", "sent"], {"new": "failed", "changed": "sent"})
    (message,) = sink.messages
    plain = message.get_body(("plain",))
    assert plain is not None and "[CHANGED] Backend Engineer, Core Technology" in plain.get_content()


class RunStops(BaseException):
    """Raised where a run dies (killed, out of memory): nothing after it in the run happens."""


class DyingTransport:
    def send(self, message: Any, recipients: list[str]) -> str:
        raise RunStops


def test_a_digest_whose_run_dies_each_time_is_failed_and_releases_its_items(
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
) -> None:
    controller, sink = smtp_factory()
    config = config_for(database_url, controller.port)
    crawl(sessions, config, board_before())

    now = utcnow()
    for _ in range(MAX_FAULTS):  # each once the lease of the run before has passed
        with pytest.raises(RunStops):
            send_digests(sessions, config, DyingTransport(), now=now)
        now += SEND_LEASE + timedelta(minutes=10)
    assert _states(sessions) == (["sending"], {"new": "claimed"})

    (report,) = send_digests(sessions, config, DyingTransport(), now=now).reports
    assert report.status == "failed"
    assert report.error == (
        f"given up after {MAX_FAULTS} attempts that ended without an answer (the run stopped);"
        " last error: none"
    )
    assert _states(sessions) == (["failed"], {"new": "failed"})

    crawl(sessions, config, board_after())
    (report,) = send_digests(sessions, config, SmtpTransport(config.mail), now=now).reports
    assert (report.status, report.items) == ("sent", 1)
    assert _states(sessions) == (["failed", "sent"], {"new": "failed", "changed": "sent"})
    assert len(sink.envelopes) == 1


def test_a_permanent_refusal_releases_the_items_and_the_next_digest_goes_out(
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_factory: Callable[..., tuple[Any, SmtpSink]],
) -> None:
    refusing, _ = smtp_factory(RefusingSink("550 5.1.1 no such user"))
    config = config_for(database_url, refusing.port)
    crawl(sessions, config, board_before())
    (report,) = send_digests(sessions, config, SmtpTransport(config.mail)).reports
    assert report.status == "failed"
    assert _states(sessions) == (["failed"], {"new": "failed"})

    healthy, sink = smtp_factory()
    config = config_for(database_url, healthy.port)
    crawl(sessions, config, board_after())
    (report,) = send_digests(sessions, config, SmtpTransport(config.mail)).reports
    assert (report.status, report.items) == ("sent", 1)
    assert _states(sessions) == (["failed", "sent"], {"new": "failed", "changed": "sent"})
    assert len(sink.envelopes) == 1
